"""What a notice is about, as the domains that notify tell the notices package at start-up.

The notices package knows windows, answers, deliveries and evidence, and nothing of what it notifies. Each kind
of subject (a sub-processor change, an amendment of the terms, …) is a Subject registered by its domain in
create_app: its column on the notices table, its words, what a list must load to show it, its templates, and
what happens when a client accepts it or when a deemed acceptance is reversed. Code that shows or moves a
notice asks `subject_of(notice)` instead of branching on the kind.

Adding a kind of notice: a nullable foreign key on notices (a migration, and the `about_one_thing` check), a
Subject subclass in the domain package, `register(...)` in create_app, and the templates it names under
templates/subjects/<kind>/ (see README, Development).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from ..mail.strings import t

#: A notice (notices.models.Notice); named by its role, since the model asks this module for its subject.
Notice = Any


class Subject:
    """One kind of thing a notice is about. Subclasses set the class attributes and override what they need."""

    #: The kind's code, e.g. "change"; its templates live under templates/subjects/<kind>/.
    kind: ClassVar[str]
    #: The column of notices that names the subject (exactly one such column is set per notice).
    column: ClassVar[str]
    #: The template of the e-mail that tells the client (its acceptance by the mail server starts the window).
    template: ClassVar[str]
    #: Text keys (mail/strings.py) that this kind words its own way: {"subject_notice": "subject_amendment"}.
    text_keys: ClassVar[dict[str, str]] = {}
    #: How an objection to this kind was resolved, as the client reads it (rules.RESOLUTIONS → words).
    resolution_words: ClassVar[dict[str, str]] = {}

    def load(self) -> list:
        """Return the loader options that a list of notices needs to show this subject without a query per row."""
        return []

    def name(self, notice: Notice) -> str:
        """Return what the notice is about in a few words (a name or a label), in no particular language."""
        raise NotImplementedError

    def title(self, notice: Notice) -> str:
        """Return the line that names the notice in a list, in the language in force."""
        return self.name(notice)

    def kind_words(self, notice: Notice) -> str:
        """Return the kind of change in a word or two, in the language in force (the portal's history)."""
        raise NotImplementedError

    def manager_link(self, notice: Notice) -> tuple[str, str]:
        """Return (url, words) of the manager's page of the subject (crumbs, lists)."""
        raise NotImplementedError

    def approve_words(self) -> str:
        """Return the words of the client's button that accepts the notice, in the language in force."""
        raise NotImplementedError

    def facts(self, notice: Notice, processor: Any) -> dict:
        """Return what the e-mails and the portal say of the subject (merged into the notice's facts)."""
        return {}

    def text_values(self, notice: Notice) -> dict[str, str]:
        """Return the values that this kind's texts are formatted with ({sp}, {label}, …)."""
        return {}

    def text(self, key: str, notice: Notice, **values: Any) -> str:
        """Return the e-mail text `key` (mail/strings.py) as this kind words it, in the language in force."""
        return t[self.text_keys.get(key, key)].format(**self.text_values(notice), **values)

    def page(self, notice: Notice, language: str) -> dict:
        """Return what the notice pages show of the subject beyond its facts (e.g. a comparison of texts)."""
        return {}

    def evidence(self, notice: Notice) -> list[list[str]]:
        """Return the rows of the evidence file that say what the notice is about (in Dutch, as the file is)."""
        raise NotImplementedError

    def window_article(self, notice: Notice) -> dict | None:
        """Return the article of the client's agreement that the notice's window rests on ({"number", "title",
        "body"}, in the agreement's language), for the evidence file; None when it has none."""
        return None

    def alert_subject(self, notice: Notice) -> str:
        """Return the subject of the managers' e-mail on an objection (in Dutch, as that e-mail is)."""
        raise NotImplementedError

    def approved(self, notice: Notice, *, from_state: str, actor: Any, now: datetime) -> None:
        """Act on the client's explicit acceptance (from open, or recorded over a deemed acceptance)."""

    def cancelled(self, notice: Notice) -> bool:
        """Tell whether the subject was withdrawn (a change cancelled): its notices are never told again."""
        return False

    def undo(self, notice: Notice, *, actor: Any, now: datetime) -> None:
        """Undo for this client what a deemed acceptance applied (an objection received in time, recorded late)."""
        raise NotImplementedError

    def partial(self, name: str) -> str:
        """Return the path of this kind's own template `name` (e.g. "notice_facts.html")."""
        return f"subjects/{self.kind}/{name}"


_registered: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    """Make `subject` known to the notices package (create_app does, once per kind; again replaces it)."""
    _registered[subject.kind] = subject


def all_subjects() -> list[Subject]:
    """Return every registered subject, in the order registered."""
    return list(_registered.values())


def subject_of(notice: Notice) -> Subject:
    """Return the subject of `notice`: the registered kind whose column it sets."""
    for subject in _registered.values():
        if getattr(notice, subject.column) is not None:
            return subject
    raise LookupError(f"no registered subject for notice {notice.id}")


def by_kind(kind: str) -> Subject:
    """Return the registered subject of this kind."""
    return _registered[kind]


def notice_templates() -> frozenset[str]:
    """Return the templates of the e-mails that tell a client of a notice (their acceptance starts the window)."""
    return frozenset(subject.template for subject in _registered.values())


def load_options() -> list:
    """Return the loader options of every subject, for a list of notices of any kind."""
    return [option for subject in _registered.values() for option in subject.load()]
