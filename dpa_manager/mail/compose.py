"""Render an outbox message: subject, text, HTML and attachments, in the message's language.

What a message says is composed by the package that writes it: each registers a composer for its templates at
start-up (create_app; notices.messages, accounts.messages), so that mail knows nothing of what it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import gettext

from ..clock import as_brussels
from ..i18n import LANGUAGES, force_locale
from ..processor.services import get_profile
from ..rules import salutation
from .models import OutboxMessage
from .strings import t


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    #: For a notice e-mail with a window: the closing moment it states (text, subject and .ics alike).
    stated_closes_at: datetime | None = None
    #: The display name of the sender (the processor) and where replies go (its DPO mailbox).
    from_name: str | None = None
    reply_to: str | None = None
    #: Texts of the message that are not kept once it is sent (Draft.secrets).
    secrets: tuple[str, ...] = ()
    #: Headers besides the usual ones (List-Unsubscribe).
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Draft:
    """What a composer makes of a message: its subject line and what its templates are rendered with."""

    subject: str
    context: dict[str, Any]
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    stated_closes_at: datetime | None = None
    #: Whether replies go to the processor's DPO mailbox (not for the managers' own alerts).
    reply_to_dpo: bool = True
    #: Texts only the recipient may read (the token of a link that sets a password): the copy of the message that
    #: is kept and shown on the outbox page has each replaced by "[…]", and the bytes sent are not kept.
    secrets: tuple[str, ...] = ()
    #: Headers besides the usual ones, e.g. List-Unsubscribe for a subscription (RFC 2369, RFC 8058).
    headers: dict[str, str] = field(default_factory=dict)


#: Makes the draft of a message as it stands at a moment, in the language in force.
Composer = Callable[[OutboxMessage, datetime], Draft]

_composers: dict[str, Composer] = {}

#: Says whom a message addresses, as (salutation style, its name, full name); None when nobody in particular.
Addressee = Callable[[OutboxMessage], tuple[str, str, str] | None]
_addressee: list[Addressee] = []


def set_addressee(find: Addressee) -> None:
    """Let `find` say whom a message addresses (greetings.py, at start-up): mail knows no users or clients."""
    _addressee[:] = [find]


def greeting(message: OutboxMessage) -> str:
    """The message's salutation in the language in force: its reader's choice ("Geachte mevrouw Janssens,",
    "Beste Els,"), their full name, or no name when the message addresses nobody in particular."""
    found = _addressee[0](message) if _addressee else None
    return salutation_text(*(found or ("full_name", "", "")))


def salutation_text(style: str, name: str, full_name: str) -> str:
    """A salutation (rules.salutation) in the language in force."""
    msgid, values = salutation(style, name, full_name)
    return gettext(msgid, **values)


def register(template: str, composer: Composer) -> None:
    """Let `composer` compose the messages of `template` (templates/emails/<template>.txt and .html)."""
    _composers[template] = composer


def moment(at: datetime | None) -> str:
    """Return a moment as an e-mail writes it: 09/11/2026 14:30, in Brussels."""
    return as_brussels(at).strftime("%d/%m/%Y %H:%M") if at else ""


def compose(message: OutboxMessage, now: datetime) -> Rendered:
    """Render the message from its template and context as it stands at `now`, in the message's language."""
    language = message.language if message.language in LANGUAGES else "nl"
    composer = _composers.get(message.template)
    if composer is None:
        raise ValueError(f"unknown e-mail template {message.template!r}")
    with force_locale(language):
        draft = composer(message, now)
        context = (
            {"t": t, "format_moment": moment, "greeting": greeting(message)}
            | draft.context
            | {"message": message, "extra": message.context or {}, "language": language}
        )
        profile = get_profile()
        return Rendered(
            from_name=profile.name if profile else None,
            reply_to=profile.dpo_email if profile and draft.reply_to_dpo else None,
            subject=draft.subject,
            text=render_template(f"emails/{message.template}.txt", **context),
            html=render_template(f"emails/{message.template}.html", **context),
            attachments=draft.attachments,
            stated_closes_at=draft.stated_closes_at,
            secrets=tuple(s for s in draft.secrets if s),
            headers=dict(draft.headers),
        )
