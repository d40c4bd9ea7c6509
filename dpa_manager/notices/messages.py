"""The e-mails about a notice (the notice itself, reminder, outcome, the managers' alert), composed for the
sender: what each says is asked of the notice's subject (see subjects.py). Registered with mail.compose by
create_app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext

from ..extensions import db
from ..formatting import window_text
from ..links import absolute, notice_token
from ..mail import compose, ics
from ..mail.compose import Draft
from ..mail.models import OutboxMessage
from ..mail.strings import closing_text, last_day, long_date, t
from ..processor.services import get_profile
from ..rules import objection_closes_at
from .models import Notice
from .subjects import all_subjects, subject_of


def notice_facts(notice: Notice, now: datetime) -> dict:
    """Return what every message and page about a notice says, in the language in force (i18n.force_locale)."""
    client, agreement = notice.client, notice.agreement
    processor = get_profile()
    subject = subject_of(notice)
    # Before delivery the window has not started: say when it closes if delivered now. The sender records what
    # was said with the message, and the window applied is never shorter (notices.services.mark_delivered).
    closes_at = notice.closes_at or objection_closes_at(now, notice.window_days, notice.window_unit)
    facts = {
        "t": t,
        "notice": notice,
        "subject": subject,
        "client": client,
        "processor": processor,
        "reference": f"VO-{agreement.id:05d}",
        "closes_at": closes_at,
        "closing": closing_text(closes_at),
        "last_day": long_date(last_day(closes_at)),
        "window": window_text(notice.window_days, notice.window_unit),
        "portal_link": absolute(f"/portal/notices/{notice.id}"),
        "direct_link": absolute(f"/n/{notice_token(notice.id)}"),
        "format_moment": compose.moment,
    }
    return facts | subject.facts(notice, processor)


def _notice_of(message: OutboxMessage) -> Notice:
    notice = db.session.get(Notice, message.notice_id) if message.notice_id else None
    if notice is None:
        raise ValueError(f"outbox message {message.id} ({message.template}) has no notice")
    return notice


def compose_notice(message: OutboxMessage, now: datetime) -> Draft:
    """The notice itself: what changes, the window and its closing moment (with an .ics when there is one)."""
    notice = _notice_of(message)
    subject = subject_of(notice)
    context = notice_facts(notice, now)
    key = "subject_notice" if notice.needs_approval else "subject_notice_info"
    draft = Draft(subject=subject.text(key, notice, last_day=context["last_day"]), context=context)
    if notice.needs_approval:
        draft.stated_closes_at = context["closes_at"]
        draft.attachments.append(
            (
                t.ics_filename,
                "text/calendar; charset=utf-8; method=PUBLISH",
                ics.window_event(
                    uid=f"notice-{notice.id}@dpa-manager",
                    stamp=now,
                    closes_at=draft.stated_closes_at,
                    summary=subject.text("ics_summary", notice),
                    description=t.ics_description.format(closing=context["closing"]),
                    url=context["portal_link"],
                ),
            )
        )
    return draft


def compose_reminder(message: OutboxMessage, now: datetime) -> Draft:
    notice = _notice_of(message)
    subject = subject_of(notice)
    context = notice_facts(notice, now)
    context["reminder_intro"] = subject.text("reminder_intro", notice)
    context["reminder_window"] = subject.text("reminder_window", notice, closing=context["closing"])
    return Draft(subject=subject.text("subject_reminder", notice), context=context)


def compose_outcome(message: OutboxMessage, now: datetime) -> Draft:
    notice = _notice_of(message)
    subject = subject_of(notice)
    context: dict[str, Any] = notice_facts(notice, now)
    outcome = message.context["outcome"]
    words = subject.resolution_words
    resolution = gettext(words[notice.resolution]) if notice.resolution in words else ""
    context["outcome"] = outcome
    context["outcome_word"] = subject.text(f"outcome_{outcome}", notice)
    context["outcome_text"] = subject.text(
        f"outcome_{outcome}_text",
        notice,
        closed=compose.moment(notice.closes_at),
        at=compose.moment(notice.decided_at),
        effective=context["effective"],
        resolution=resolution,
    )
    return Draft(subject=subject.text("subject_outcome", notice, outcome=context["outcome_word"]), context=context)


def compose_alert(message: OutboxMessage, now: datetime) -> Draft:
    """For the processor's managers: always in Dutch (the message's language is "nl"); replies stay in house."""
    notice = _notice_of(message)
    return Draft(
        subject=subject_of(notice).alert_subject(notice), context=notice_facts(notice, now), reply_to_dpo=False
    )


def compose_bounce_alert(message: OutboxMessage, now: datetime) -> Draft:
    """For the processor's managers (in Dutch): a notice e-mail bounced, and what that did to the notice."""
    notice = _notice_of(message)
    context = notice_facts(notice, now)
    extra = message.context or {}
    was = extra.get("was") or {}
    # the moments as they were when the bounce was recorded, not as the notice stands when the e-mail goes out
    for name, value in (("was_closes_at", was.get("closes_at")), ("closes_at", extra.get("closes_at"))):
        context[name] = datetime.fromisoformat(value) if value else None
    context["notified_at"] = datetime.fromisoformat(extra["notified_at"]) if extra.get("notified_at") else None
    return Draft(
        subject=f"Melding aan {notice.client.name} niet bezorgd: {notice.subject}", context=context, reply_to_dpo=False
    )


def register() -> None:
    """Let mail.compose compose the e-mails about notices, of every subject registered so far."""
    for subject in all_subjects():
        compose.register(subject.template, compose_notice)
    compose.register("reminder", compose_reminder)
    compose.register("outcome", compose_outcome)
    compose.register("alert", compose_alert)
    compose.register("bounce_alert", compose_bounce_alert)
