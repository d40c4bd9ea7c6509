"""The sender: claims due outbox messages, delivers them with Flask-Mail, records the outcome.

Safe in several processes at once: a message is claimed by one sender (FOR UPDATE SKIP
LOCKED on PostgreSQL, a guarded UPDATE on SQLite) before it is sent, and the claim
lapses after MAIL_CLAIM_SECONDS so that a crashed sender's messages are taken over.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from email import charset as email_charset

from flask import current_app
from flask_mail import Attachment, Connection, Message
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from .compose import compose
from .models import OutboxMessage
from .outbox import NOTICE_TEMPLATES

log = logging.getLogger(__name__)

# Flask-Mail registers UTF-8 bodies as unencoded 8bit, so a long line (a reason of thousands of characters)
# breaks the 998-octet limit of RFC 5321/5322 and the mail server refuses the message. Quoted-printable
# keeps every line of the text and HTML parts within 76 characters.
email_charset.add_charset("utf-8", email_charset.SHORTEST, email_charset.QP, "utf-8")

#: Errors that mean "try again later" rather than a bug.
DELIVERY_ERRORS = (smtplib.SMTPException, OSError, socket.timeout)
#: The server refused this message (its sender, its recipients or its content); the session goes on.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
#: Connection failures after which messages not yet tried are left for the next run, without an attempt counted.
LOST_CONNECTIONS_BEFORE_GIVING_UP = 2


def permanent(error: Exception) -> bool:
    """Tell whether a refusal is permanent (RFC 5321 5yz: never accepted as it is) rather than temporary (4yz)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


class TimedConnection(Connection):
    """A Flask-Mail connection that gives up after MAIL_TIMEOUT seconds."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    #: Claimed but not tried (the mail server could not be reached): back in the queue, no attempt counted.
    deferred: list[int] = field(default_factory=list)


def retry_delay(attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """Return the wait before the next try after `attempts` failed ones (exponential backoff)."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds))


def claim(now: datetime, limit: int) -> tuple[str, list[int]]:
    """Claim up to `limit` due messages for this sender; commit and return the claim token and ids."""
    token = uuid.uuid4().hex
    due = or_(
        and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == "sending", OutboxMessage.claimed_until < now),
    )
    candidates = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    ids = db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(candidates.scalar_subquery()), due)
        .values(state="sending", claim_token=token, claimed_until=until)
        .returning(OutboxMessage.id)
    ).all()
    db.session.commit()
    return token, sorted(ids)


@dataclass
class _Ready:
    """A claimed message, rendered and ready to go."""

    id: int
    template: str
    notice_id: int | None
    message: Message
    subject: str
    text: str
    html: str
    stated_closes_at: datetime | None


def _message(row: OutboxMessage, now: datetime) -> _Ready:
    rendered = compose(row, now)
    address = current_app.config["MAIL_DEFAULT_SENDER"]
    if isinstance(address, (tuple, list)):
        address = address[1]
    message = Message(subject=rendered.subject, recipients=list(row.recipients), body=rendered.text,
                      html=rendered.html, sender=(rendered.from_name, address) if rendered.from_name else address,
                      reply_to=rendered.reply_to)
    message.msgId = row.message_id
    for filename, mimetype, data in rendered.attachments:
        message.attachments.append(Attachment(filename=filename, content_type=mimetype, data=data))
    return _Ready(row.id, row.template, row.notice_id, message, rendered.subject, rendered.text, rendered.html,
                  rendered.stated_closes_at)


def obsolete(row: OutboxMessage, now: datetime) -> str | None:
    """Return why a claimed message must not go out any more, or None (checked when sending, not only when queued).

    A reminder says the window is still open: it is dropped once the notice has been answered or closed. A notice
    whose change was cancelled before its e-mail went out is not announced at all.
    """
    if row.template not in ("reminder", *NOTICE_TEMPLATES) or not row.notice_id:
        return None
    from ..notices.models import Notice

    state, closes_at = db.session.execute(select(Notice.state, Notice.closes_at).where(Notice.id == row.notice_id)).one()
    if row.template in NOTICE_TEMPLATES:  # the announcement itself: dropped once the change was withdrawn
        return "not sent: the notice was withdrawn before it went out" if state == "withdrawn" else None
    if state != "open":
        return f"not sent: the notice is no longer open ({state})"
    if closes_at is not None and closes_at <= now:
        return "not sent: the window has closed"
    return None


def _cancel(row_id: int, token: str, reason: str, now: datetime) -> None:
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
        .values(state="cancelled", claimed_until=None, last_error=reason).execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount:
        log.info("outbox message %s cancelled: %s", row_id, reason)


def _mark_sent(ready: _Ready, token: str, accepted_at: datetime) -> None:
    from ..notices.services import mark_delivered

    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == ready.id, OutboxMessage.claim_token == token)
        .values(state="sent", sent_at=accepted_at, attempts=OutboxMessage.attempts + 1, claimed_until=None,
                last_error=None, subject=ready.subject, body_text=ready.text, body_html=ready.html,
                stated_closes_at=ready.stated_closes_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1 and ready.template in NOTICE_TEMPLATES and ready.notice_id:
        mark_delivered(ready.notice_id, accepted_at, stated_closes_at=ready.stated_closes_at)
    db.session.commit()


def _mark_failed(row_id: int, token: str, error: Exception, now: datetime, report: SendReport,
                 final: bool = False) -> None:
    """Record a failed attempt; `final` (a permanent refusal) gives the message up at once."""
    config = current_app.config
    db.session.rollback()
    row = db.session.get(OutboxMessage, row_id)
    if row is None or row.claim_token != token:
        return
    attempts = row.attempts + 1
    dead = final or attempts >= config["MAIL_MAX_ATTEMPTS"]
    text = f"{type(error).__name__}: {error}"
    row.attempts, row.claimed_until = attempts, None
    row.last_error = (f"permanent refusal, not retried: {text}" if final else text)[:2000]
    row.state = "dead" if dead else "pending"
    row.next_attempt_at = now + retry_delay(attempts, config["MAIL_RETRY_SECONDS"], config["MAIL_RETRY_MAX_SECONDS"])
    db.session.commit()
    (report.dead if dead else report.failed).append(row_id)
    log.warning("outbox message %s not delivered (attempt %s%s): %s", row_id, attempts,
                ", now dead" if dead else "", error)


def _hold(row_id: int, token: str, now: datetime) -> bool:
    """Renew this sender's claim on one message just before sending it; False when the claim was lost.

    The claim token is the fence: a message is sent only by the sender whose token it still carries, and the
    renewal gives that sender MAIL_CLAIM_SECONDS to send it before anyone else may take it over.
    """
    until = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token,
                                    OutboxMessage.state == "sending", OutboxMessage.claimed_until >= now)
        .values(claimed_until=until).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _close(connection) -> None:
    """Close an SMTP connection whatever state it is in; return None."""
    if connection is not None:
        try:
            connection.__exit__(None, None, None)
        except DELIVERY_ERRORS:
            pass
    return None


def _defer(ids: list[int], token: str, now: datetime, report: SendReport) -> None:
    """Give messages that were claimed but never tried back to the queue, without counting an attempt."""
    if not ids:
        return
    db.session.rollback()
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == token)
        .values(state="pending", claimed_until=None,
                next_attempt_at=now + timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"]))
        .execution_options(synchronize_session=False))
    db.session.commit()
    report.deferred.extend(ids)


def drain(*, now: Callable[[], datetime], limit: int = 200) -> SendReport:
    """Send the due messages once: claim, render them all, deliver over one connection, record each outcome.

    The claimed messages are rendered before the first is sent, while what they read (client, profile,
    notice) is loaded once; each accepted message is then recorded in its own commit. Each message is tried on
    its own merits: a refusal of one (4yz: tried again later; 5yz: given up at once) does not touch the
    others; when the connection fails, the message in hand counts a failed attempt and the next ones go over a
    new connection, and after a second failure the ones not tried go back to the queue untouched.
    """
    report = SendReport()
    token, ids = claim(now(), limit)
    if not ids:
        return report
    pending: list[_Ready] = []
    for row_id in ids:
        row = db.session.get(OutboxMessage, row_id)
        reason = obsolete(row, now())
        if reason:
            _cancel(row_id, token, reason, now())
            continue
        try:
            pending.append(_message(row, now()))
        except Exception as error:  # a message that cannot be rendered is a failed attempt
            log.exception("outbox message %s could not be rendered", row_id)
            _mark_failed(row_id, token, error, now(), report)
    connection, lost = None, 0
    try:
        while pending:
            ready = pending.pop(0)
            row = db.session.get(OutboxMessage, ready.id)
            reason = obsolete(row, now())  # the notice may have been answered while the batch was sent
            if reason:
                _cancel(ready.id, token, reason, now())
                continue
            if not _hold(ready.id, token, now()):
                # Our claim lapsed (a slow server, a pause) and another sender may have taken these messages:
                # stop, so that no message is sent by two senders at once.
                log.warning("outbox claim lost at message %s; %s messages left to whoever holds them now",
                            ready.id, len(pending) + 1)
                pending.clear()
                break
            try:
                if connection is None:
                    connection = TimedConnection(current_app.extensions["mail"]).__enter__()
                connection.send(ready.message)
            except REFUSALS as error:  # this message only; the session goes on with the next one
                _mark_failed(ready.id, token, error, now(), report, final=permanent(error))
                continue
            except DELIVERY_ERRORS as error:  # the connection: this message was being tried, the others were not
                _mark_failed(ready.id, token, error, now(), report)
                connection = _close(connection)
                lost += 1
                if lost >= LOST_CONNECTIONS_BEFORE_GIVING_UP:
                    _defer([r.id for r in pending], token, now(), report)
                    pending.clear()
                continue
            _mark_sent(ready, token, now())
            report.sent.append(ready.id)
    finally:
        _close(connection)
    return report
