"""Render an outbox message: subject, text, HTML and attachments, in the client's language."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template

from ..catalogue import DATA_CATEGORIES, TRANSFER_MECHANISMS
from ..clock import as_brussels
from ..extensions import db
from ..links import absolute, notice_token
from ..rules import objection_closes_at
from . import ics
from .models import OutboxMessage
from .strings import (
    CATEGORY_WORDS, RESOLUTION_WORDS, STRINGS, TRANSFER_WORDS, closing_text, last_day, long_date, window_words,
)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def _category_label(code: str, language: str) -> str:
    return CATEGORY_WORDS.get(language, {}).get(code) or DATA_CATEGORIES.get(code, code)


def notice_facts(notice, language: str, now: datetime) -> dict:
    """Return what every notice e-mail says about the change, in `language`."""
    from ..processor.services import get_profile

    change, client, agreement = notice.change, notice.client, notice.agreement
    sp, old = change.subprocessor, change.replaces
    t = STRINGS[language]
    processor = get_profile()
    # Before delivery the window has not started: say when it closes if delivered now.
    closes_at = notice.closes_at or objection_closes_at(now, notice.window_days, notice.window_unit)
    kind = "incidental" if sp.is_incidental and change.kind != "remove" else change.kind
    matching = [c for c in DATA_CATEGORIES if c in sp.data_categories and c in (agreement.data_types or [])]
    return {
        "t": t, "language": language, "notice": notice, "change": change, "client": client, "sp": sp, "old": old,
        "processor": processor,
        "headline": t[f"kind_{kind}"].format(processor=processor.name),
        "reference": f"VO-{agreement.id:05d}",
        "closes_at": closes_at,
        "closing": closing_text(closes_at, language),
        "last_day": long_date(last_day(closes_at), language),
        "window": window_words(notice.window_days, notice.window_unit, language),
        "effective": long_date(change.effective_on, language),
        "your_data": [_category_label(c, language) for c in matching],
        "locations": ", ".join(sp.countries or []),
        "transfer": (TRANSFER_WORDS.get(language, TRANSFER_MECHANISMS).get(sp.transfer_mechanism or "", "")
                     + (f" – {sp.transfer_text}" if sp.transfer_text else "")),
        "portal_link": absolute(f"/portal/notices/{notice.id}"),
        "direct_link": absolute(f"/n/{notice_token(notice.id)}"),
        "format_moment": lambda at: as_brussels(at).strftime("%d/%m/%Y %H:%M"),
    }


def compose(message: OutboxMessage, now: datetime) -> Rendered:
    """Render the message from its template and context as it stands at `now`."""
    from ..notices.models import Notice

    notice = db.session.get(Notice, message.notice_id) if message.notice_id else None
    language = message.language if message.language in STRINGS else "nl"
    context = notice_facts(notice, language, now) if notice else {"t": STRINGS[language]}
    context |= {"message": message, "extra": message.context or {}}
    t = context["t"]
    attachments = []
    if message.template == "notice":
        key = "subject_notice" if notice.needs_approval else "subject_notice_info"
        subject = t[key].format(sp=notice.change.subprocessor.name, last_day=context["last_day"])
        if notice.needs_approval:
            attachments.append(("bezwaartermijn.ics", "text/calendar; charset=utf-8; method=PUBLISH", ics.event(
                uid=f"notice-{notice.id}@dpa-manager", stamp=now, at=context["closes_at"],
                summary=t["ics_summary"].format(sp=notice.change.subprocessor.name),
                description=context["closing"], url=context["portal_link"])))
    elif message.template == "reminder":
        subject = t["subject_reminder"].format(sp=notice.change.subprocessor.name)
    elif message.template == "outcome":
        outcome = message.context["outcome"]
        context["outcome"] = outcome
        context["resolution_words"] = RESOLUTION_WORDS[language].get(notice.resolution or "", "")
        subject = t["subject_outcome"].format(sp=notice.change.subprocessor.name, outcome=t[f"outcome_{outcome}"])
    elif message.template == "invite":
        from ..accounts.models import User
        from ..accounts.services import invitation_token
        from ..processor.services import get_profile

        user = db.session.get(User, message.context["user_id"])
        processor = get_profile()
        context |= {"user": user, "client": user.client, "processor": processor, "language": language,
                    "link": absolute(f"/invite/{invitation_token(user)}")}
        subject = t["subject_invite"].format(processor=processor.name)
    elif message.template == "alert":
        subject = f"Bezwaar van {notice.client.name} tegen subverwerker {notice.change.subprocessor.name}"
    else:
        raise ValueError(f"unknown e-mail template {message.template!r}")
    return Rendered(
        subject=subject,
        text=render_template(f"emails/{message.template}.txt", **context),
        html=render_template(f"emails/{message.template}.html", **context),
        attachments=attachments,
    )
