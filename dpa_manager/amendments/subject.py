"""An amendment of the terms as the subject of a notice (registered with the notices package in create_app)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..agreements.services import article_covering, record_acceptance
from ..i18n import current as current_language
from ..mail.strings import AMENDMENT_RESOLUTION_WORDS, TEXTS, long_date, t
from ..notices.models import Notice
from ..notices.subjects import Subject
from ..rules import NoticeState
from .models import Amendment
from .services import apply_accepted_batch, changes_for, comparison_language, revert_accepted

#: The e-mail texts an amendment words its own way: "outcome_approved" → "outcome_amendment_approved", …
_OWN_WORDING = {
    key: key.replace("outcome_", "outcome_amendment_", 1)
    for key in TEXTS
    if key.startswith("outcome_") and key.replace("outcome_", "outcome_amendment_", 1) in TEXTS
} | {
    "subject_notice": "subject_amendment",
    "subject_notice_info": "subject_amendment",
    "subject_reminder": "subject_reminder_amendment",
    "reminder_intro": "reminder_intro_amendment",
    "reminder_window": "reminder_window_amendment",
    "subject_outcome": "subject_outcome_amendment",
    "ics_summary": "ics_summary_amendment",
}


class AmendmentSubject(Subject):
    """A new version of the terms: the client may object; silence accepts it and moves the agreement to it."""

    kind = "amendment"
    column = "amendment_id"
    template = "amendment"
    text_keys = _OWN_WORDING
    resolution_words = AMENDMENT_RESOLUTION_WORDS

    def load(self) -> list:
        return [selectinload(Notice.amendment).selectinload(Amendment.version)]

    def name(self, notice) -> str:
        return notice.amendment.version.label

    def title(self, notice) -> str:
        return _("Nieuwe voorwaarden, versie %(label)s", label=self.name(notice))

    def kind_words(self, notice) -> str:
        return _("Nieuwe voorwaarden")

    def manager_link(self, notice) -> tuple[str, str]:
        return (
            url_for("terms.show", version_id=notice.amendment.version_id),
            _("Voorwaarden %(label)s", label=self.name(notice)),
        )

    def approve_words(self) -> str:
        return _("Aanvaarden")

    def facts(self, notice, processor: Any) -> dict:
        amendment = notice.amendment
        language = current_language()
        changes = [c for c in changes_for(notice, language) if c.status != "unchanged"]
        counts = {status: sum(1 for c in changes if c.status == status) for status in ("changed", "added", "removed")}
        return {
            "amendment": amendment,
            "old_version": notice.agreement.terms_version,
            "new_version": amendment.version,
            "subject_name": t.amendment_subject_name.format(label=amendment.version.label),
            "headline": t.kind_amendment.format(processor=processor.name),
            "effective": long_date(amendment.version.effective_on),
            "changes": changes,
            "counts": counts,
            "comparison_in_dutch": comparison_language(notice, language) != language,
        }

    def text_values(self, notice) -> dict[str, str]:
        return {"label": notice.amendment.version.label}

    def page(self, notice, language: str) -> dict:
        return {"changes": changes_for(notice, language)}

    def evidence(self, notice) -> list[list[str]]:
        version = notice.amendment.version
        return [
            [
                "Wijziging",
                f"Nieuwe voorwaarden: versie {notice.agreement.terms_version.label} wordt versie "
                f"{version.label} ({version.title})",
            ],
            ["In werking op", version.effective_on.strftime("%d/%m/%Y")],
        ]

    def window_article(self, notice) -> dict | None:
        return article_covering(notice.agreement, "amendments")

    def alert_subject(self, notice) -> str:
        return f"Bezwaar van {notice.client.name} tegen de voorwaarden {notice.amendment.version.label}"

    def approved(self, notice, *, from_state: str, actor, now: datetime) -> None:
        if from_state == NoticeState.OPEN:  # the agreement moves to the new version (now, or on its date)
            apply_accepted_batch(now, notice_id=notice.id)
        elif from_state == NoticeState.DEEMED_APPROVED and notice.amended_agreement_id:
            record_acceptance(notice.amended_agreement, notice=notice, actor=actor, now=now)

    def undo(self, notice, *, actor, now: datetime) -> None:
        revert_accepted(notice, actor=actor, now=now)
