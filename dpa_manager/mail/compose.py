"""Render an outbox message: subject, text, HTML and attachments, in the client's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import render_template
from flask_babel import gettext

from ..accounts.models import User
from ..accounts.services import invitation_token
from ..catalogue import DATA_CATEGORIES, TRANSFER_MECHANISMS
from ..clock import as_brussels
from ..extensions import db
from ..formatting import window_text
from ..i18n import LANGUAGES, force_locale
from ..i18n import current as current_language
from ..links import absolute, notice_token
from ..notices.models import Notice
from ..processor.services import get_profile, required_profile
from ..rules import objection_closes_at
from ..terms.amendments import changes_for, comparison_language
from . import ics
from .models import OutboxMessage
from .outbox import NOTICE_TEMPLATES
from .strings import AMENDMENT_RESOLUTION_WORDS, RESOLUTION_WORDS, TEXTS, closing_text, last_day, long_date, t


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


def _moment(at: datetime | None) -> str:
    return as_brussels(at).strftime("%d/%m/%Y %H:%M") if at else ""


def notice_facts(notice, now: datetime) -> dict:
    """Return what every message about a notice says, in the language in force (see i18n.force_locale)."""

    client, agreement = notice.client, notice.agreement
    processor = get_profile()
    # Before delivery the window has not started: say when it closes if delivered now. The sender records what
    # was said with the message, and the window applied is never shorter (notices.services.mark_delivered).
    closes_at = notice.closes_at or objection_closes_at(now, notice.window_days, notice.window_unit)
    facts = {
        "t": t,
        "notice": notice,
        "client": client,
        "processor": processor,
        "amendment": None,
        "change": None,
        "reference": f"VO-{agreement.id:05d}",
        "closes_at": closes_at,
        "closing": closing_text(closes_at),
        "last_day": long_date(last_day(closes_at)),
        "window": window_text(notice.window_days, notice.window_unit),
        "portal_link": absolute(f"/portal/notices/{notice.id}"),
        "direct_link": absolute(f"/n/{notice_token(notice.id)}"),
        "format_moment": _moment,
    }
    if notice.is_amendment:
        return facts | _amendment_facts(notice, processor)
    return facts | _change_facts(notice, agreement, processor)


def _change_facts(notice, agreement, processor) -> dict:
    change = notice.change
    sp = change.subprocessor
    kind = "incidental" if sp.is_incidental and change.kind != "remove" else change.kind
    matching = [c for c in DATA_CATEGORIES if c in sp.data_categories and c in (agreement.data_types or [])]
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


def _amendment_facts(notice, processor) -> dict:

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


def _amendment_variant(notice, key: str) -> str:
    """Return the amendment's own wording of `key` ("outcome_approved" → "outcome_amendment_approved") if it has one."""
    variant = key.replace("outcome_", "outcome_amendment_", 1)
    return variant if notice.is_amendment and variant in TEXTS else key


def _outcome_text(context: dict, outcome: str) -> str:
    notice = context["notice"]
    words = AMENDMENT_RESOLUTION_WORDS if notice.is_amendment else RESOLUTION_WORDS
    resolution = gettext(words[notice.resolution]) if notice.resolution in words else ""
    return t[_amendment_variant(notice, f"outcome_{outcome}_text")].format(
        closed=_moment(notice.closes_at),
        at=_moment(notice.decided_at),
        effective=context["effective"],
        resolution=resolution,
        label=notice.amendment.version.label if notice.is_amendment else "",
    )


def compose(message: OutboxMessage, now: datetime) -> Rendered:
    """Render the message from its template and context as it stands at `now`, in the message's language."""
    language = message.language if message.language in LANGUAGES else "nl"
    with force_locale(language):
        return _compose(message, language, now)


def _compose(message: OutboxMessage, language: str, now: datetime) -> Rendered:

    notice = db.session.get(Notice, message.notice_id) if message.notice_id else None
    if notice is None and message.template != "invite":
        raise ValueError(f"outbox message {message.id} ({message.template}) has no notice")
    context: dict[str, Any] = notice_facts(notice, now) if notice else {"t": t}
    notice = cast(Notice, notice)  # set, for every template but "invite"
    context |= {"message": message, "extra": message.context or {}, "language": language}
    attachments = []
    stated_closes_at = None
    if message.template in NOTICE_TEMPLATES:
        if notice.is_amendment:
            subject = t.subject_amendment.format(label=notice.amendment.version.label, last_day=context["last_day"])
            summary = t.ics_summary_amendment.format(label=notice.amendment.version.label)
        else:
            key = "subject_notice" if notice.needs_approval else "subject_notice_info"
            subject = t[key].format(sp=context["sp"].name, last_day=context["last_day"])
            summary = t.ics_summary.format(sp=context["sp"].name)
        if notice.needs_approval:
            stated_closes_at = context["closes_at"]
            attachments.append(
                (
                    t.ics_filename,
                    "text/calendar; charset=utf-8; method=PUBLISH",
                    ics.window_event(
                        uid=f"notice-{notice.id}@dpa-manager",
                        stamp=now,
                        closes_at=stated_closes_at,
                        summary=summary,
                        description=t.ics_description.format(closing=context["closing"]),
                        url=context["portal_link"],
                    ),
                )
            )
    elif message.template == "reminder":
        if notice.is_amendment:
            label = notice.amendment.version.label
            subject = t.subject_reminder_amendment.format(label=label)
            context["reminder_intro"] = t.reminder_intro_amendment.format(label=label)
            context["reminder_window"] = t.reminder_window_amendment.format(closing=context["closing"])
        else:
            subject = t.subject_reminder.format(sp=context["sp"].name)
            context["reminder_intro"] = t.reminder_intro.format(sp=context["sp"].name)
            context["reminder_window"] = t.reminder_window.format(closing=context["closing"])
    elif message.template == "outcome":
        outcome = message.context["outcome"]
        context["outcome"] = outcome
        context["outcome_word"] = t[_amendment_variant(notice, f"outcome_{outcome}")]
        context["outcome_text"] = _outcome_text(context, outcome)
        if notice.is_amendment:
            subject = t.subject_outcome_amendment.format(
                label=notice.amendment.version.label, outcome=context["outcome_word"]
            )
        else:
            subject = t.subject_outcome.format(sp=context["sp"].name, outcome=context["outcome_word"])
    elif message.template == "invite":
        user = db.session.get_one(User, message.context["user_id"])
        processor = required_profile()
        context |= {
            "user": user,
            "client": user.client,
            "processor": processor,
            "link": absolute(f"/invite/{invitation_token(user)}"),
        }
        subject = t.subject_invite.format(processor=processor.name)
    elif message.template == "alert":
        # For the processor's managers: always in Dutch (the message's language is "nl").
        if notice.is_amendment:
            subject = f"Bezwaar van {notice.client.name} tegen de voorwaarden {notice.amendment.version.label}"
        else:
            subject = f"Bezwaar van {notice.client.name} tegen subverwerker {context['sp'].name}"
    else:
        raise ValueError(f"unknown e-mail template {message.template!r}")

    profile = get_profile()
    return Rendered(
        from_name=profile.name if profile else None,
        reply_to=profile.dpo_email if profile and message.template != "alert" else None,
        subject=subject,
        text=render_template(f"emails/{message.template}.txt", **context),
        html=render_template(f"emails/{message.template}.html", **context),
        attachments=attachments,
        stated_closes_at=stated_closes_at,
    )
