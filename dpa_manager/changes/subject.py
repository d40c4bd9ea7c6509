"""A sub-processor change as the subject of a notice (registered with the notices package in create_app)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..agreements.services import article_covering
from ..catalogue import DATA_CATEGORIES, TRANSFER_MECHANISMS
from ..i18n import force_locale
from ..labels import CHANGE_KINDS
from ..mail.strings import RESOLUTION_WORDS, long_date, t
from ..notices.models import Notice
from ..notices.subjects import Subject
from ..rules import ChangeState
from ..subprocessors.models import Change
from .services import unapply_for_client


class ChangeSubject(Subject):
    """A sub-processor added, replaced or stopped: the client may object; silence approves it."""

    kind = "change"
    column = "change_id"
    template = "notice"
    resolution_words = RESOLUTION_WORDS

    def load(self) -> list:
        return [selectinload(Notice.change).selectinload(Change.subprocessor)]

    def name(self, notice) -> str:
        return notice.change.subprocessor.name

    def kind_words(self, notice) -> str:
        return str(CHANGE_KINDS[notice.change.kind])

    def manager_link(self, notice) -> tuple[str, str]:
        return (
            url_for("subprocessors.change", change_id=notice.change_id),
            _("Wijziging %(id)s", id=notice.change_id),
        )

    def approve_words(self) -> str:
        return _("Goedkeuren")

    def facts(self, notice, processor: Any) -> dict:
        change = notice.change
        sp = change.subprocessor
        kind = "incidental" if sp.is_incidental and change.kind != "remove" else change.kind
        matching = [c for c in DATA_CATEGORIES if c in sp.data_categories and c in (notice.agreement.data_types or [])]
        transfer = str(TRANSFER_MECHANISMS.get(sp.transfer_mechanism or "", ""))
        return {
            "change": change,
            "sp": sp,
            "old": change.replaces,
            "subject_name": sp.name,
            "headline": t[f"kind_{kind}"].format(processor=processor.name),
            "effective": long_date(change.effective_on),
            "your_data": [str(DATA_CATEGORIES[c]) for c in matching],
            "locations": ", ".join(sp.countries or []),
            "transfer": transfer + (f" – {sp.transfer_text}" if sp.transfer_text else "") if transfer else "",
        }

    def text_values(self, notice) -> dict[str, str]:
        return {"sp": notice.change.subprocessor.name}

    def evidence(self, notice) -> list[list[str]]:
        change, sp = notice.change, notice.change.subprocessor
        with force_locale("nl"):  # the evidence file is in Dutch, whoever asks for it
            kind = str(CHANGE_KINDS[change.kind])
        return [
            ["Wijziging", f"{kind} — {sp.name} ({sp.purpose}); reden: {change.reason}"],
            ["Geplande ingang", change.effective_on.strftime("%d/%m/%Y")],
        ]

    def window_article(self, notice) -> dict | None:
        return article_covering(notice.agreement, "subprocessors")

    def alert_subject(self, notice) -> str:
        return f"Bezwaar van {notice.client.name} tegen subverwerker {notice.change.subprocessor.name}"

    def cancelled(self, notice) -> bool:
        return notice.change.state == ChangeState.CANCELLED

    def undo(self, notice, *, actor, now: datetime) -> None:
        unapply_for_client(notice.change, notice.client_id, actor=actor, now=now)
