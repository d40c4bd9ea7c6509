"""The sender: claims due outbox messages, delivers them with Flask-Mail, records the outcome.

Each message goes out from its own return path (mail.bounces.return_path), so that a bounce names it.

Safe in several processes at once: a message is claimed by one sender (FOR UPDATE SKIP
LOCKED on PostgreSQL, a guarded UPDATE on SQLite) before it is sent, and the claim
lapses after MAIL_CLAIM_SECONDS so that a crashed sender's messages are taken over.
"""

from __future__ import annotations

import functools
import logging
import signal
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import charset as email_charset
from email import policy as email_policy

from flask import current_app
from flask_mail import Attachment, BadHeaderError, Connection, Message, sanitize_address
from sqlalchemy import and_, case, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..bulk import claim_batch, conflict_insert
from ..extensions import db, rowcount, table_of
from ..rules import OutboxState
from .bounces import return_path
from .compose import compose
from .models import OutboxAcceptance, OutboxMessage, OutboxRecipient

log = logging.getLogger(__name__)

# Flask-Mail registers UTF-8 bodies as unencoded 8bit, so a long line (a reason of thousands of characters)
# breaks the 998-octet limit of RFC 5321/5322 and the mail server refuses the message. Quoted-printable
# keeps every line of the text and HTML parts within 76 characters.
email_charset.add_charset("utf-8", email_charset.SHORTEST, email_charset.QP, "utf-8")

#: Errors that mean "try again later" rather than a bug.
DELIVERY_ERRORS = (smtplib.SMTPException, OSError, socket.timeout)
#: The server refused this message (its sender, its recipients or its content); the session goes on.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
#: Where the moment of an acceptance comes from: this host's system clock, read when the server's answer came.
CLOCK = f"systeemklok van {socket.gethostname()} (UTC), gelezen bij het antwoord van de mailserver"
#: Connection failures after which messages not yet tried are left for the next run, without an attempt counted.
LOST_CONNECTIONS_BEFORE_GIVING_UP = 2


@dataclass(frozen=True)
class Listener:
    """What the sender tells the layer that wrote the messages, handed to drain() by the jobs: the sender knows
    nothing of notices, only of a message's notice id."""

    #: The templates whose acceptance by the mail server the listener is told of (each acceptance, once).
    templates: frozenset[str]
    #: Told that the server accepted such a message: (notice id, accepted at, closing moment it stated), in the
    #: sender's transaction (committed with the acceptance).
    accepted: Callable[[int, datetime, datetime | None], None]
    #: Says why a claimed message about a notice must not go out any more, or None: (template, notice id, now).
    obsolete: Callable[[str, int, datetime], str | None]


def permanent(error: Exception) -> bool:
    """Tell whether a refusal is permanent (RFC 5321 5yz: never accepted as it is) rather than temporary (4yz)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


class TimedConnection(Connection):
    """A Flask-Mail connection that gives up after MAIL_TIMEOUT seconds and reports refused recipients."""

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

    def deliver(
        self, message: Message, targets: list[str], return_path: str | None = None
    ) -> dict[str, tuple[int, str]]:
        """Send `message` to the envelope recipients `targets`; return those the server refused, with its answer.

        `return_path` is the envelope sender (MAIL FROM), where bounces go; the message's From when None.

        One SMTP transaction as smtplib's sendmail() runs it, keeping what sendmail() drops: the recipients refused
        while others were accepted, and the server's answer to DATA (its queue id). After an acceptance `sent`
        holds the bytes the server took and that answer. Raises SMTPRecipientsRefused when all are refused, and
        the other smtplib errors as they come.
        """
        self.sent: tuple[bytes, str] | None = None
        if self.host is None:
            raise smtplib.SMTPException("sending is switched off (MAIL_SUPPRESS_SEND): nothing was sent")
        if message.has_bad_headers():
            raise BadHeaderError("a header holds a line break")
        if message.date is None:
            message.date = time.time()
        # Flask-Mail folds headers at 78 characters with the standard library, which leaves a subject that starts
        # with a space, or two spaces before an accented word (folded before an encoded word). Folded only beyond
        # RFC 5322's 998 characters, a plain subject stays on one line, and one with accents is split only between
        # its encoded words, which a reader joins without a space. Message._message is the MIME message
        # as_bytes() would write.
        host, raw = self.host, message._message().as_bytes(policy=WHOLE_HEADERS)
        sender = sanitize_address(return_path or message.sender)
        envelope = {sanitize_address(address): address for address in targets}
        host.ehlo_or_helo_if_needed()
        options = list(message.mail_options)
        if host.does_esmtp and host.has_extn("size"):
            options.append(f"size={len(raw)}")
        code, reply = host.mail(sender, options)
        if code != 250:
            _reset(host, code)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for address in envelope:
            code, reply = host.rcpt(address, message.rcpt_options)
            if code not in (250, 251):
                refused[address] = (code, reply)
                if code == 421:  # the server is closing the session
                    host.close()
                    raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(envelope):
            _reset(host, 0)
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = host.data(raw)
        if code != 250:
            _reset(host, code)
            raise smtplib.SMTPDataError(code, reply)
        self.sent = (raw, _reply(code, reply)[1][:500])
        return {envelope.get(address, address): _reply(code, text) for address, (code, text) in refused.items()}


def _reset(host: smtplib.SMTP, code: int) -> None:
    """End a refused transaction so that the session can go on (or close it when the server is closing it)."""
    if code == 421:
        host.close()
        return
    try:
        host.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _reply(code: int, text) -> tuple[int, str]:
    return code, f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _refusals(error: smtplib.SMTPRecipientsRefused, targets: list[str]) -> dict[str, tuple[int, str]]:
    by_envelope = {sanitize_address(address): address for address in targets}
    return {by_envelope.get(address, address): _reply(code, text) for address, (code, text) in error.recipients.items()}


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
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now),
    )
    until = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    rows = claim_batch(
        OutboxMessage,
        [due],
        [OutboxMessage.id],
        {"state": OutboxState.SENDING, "claim_token": token, "claimed_until": until},
        [OutboxMessage.id],
        limit,
    )
    db.session.commit()
    return token, sorted(row_id for (row_id,) in rows)


@dataclass
class _Ready:
    """A claimed message, rendered and ready to go."""

    id: int
    template: str
    notice_id: int | None
    recipients: list[str]
    message: Message
    subject: str
    text: str
    html: str
    stated_closes_at: datetime | None
    #: After the server accepted it: the bytes it took, and its answer to DATA.
    raw: bytes | None = None
    data_reply: str | None = None
    secrets: tuple[str, ...] = ()

    def kept(self) -> tuple[str, str, str, bytes | None]:
        """The subject, text, HTML and bytes of the message as they are kept: without its secrets."""
        text, html = self.text, self.html
        for secret in self.secrets:
            text, html = text.replace(secret, HIDDEN), html.replace(secret, HIDDEN)
        return self.subject, text, html, None if self.secrets else self.raw


#: What stands in a kept copy where a secret was.
HIDDEN = "[…]"
#: How a message is written out: as for SMTP, with headers folded only beyond RFC 5322's 998 characters.
WHOLE_HEADERS = email_policy.SMTP.clone(max_line_length=998)


def _message(row: OutboxMessage, now: datetime) -> _Ready:
    rendered = compose(row, now)
    address = current_app.config["MAIL_DEFAULT_SENDER"]
    if isinstance(address, (tuple, list)):
        address = address[1]
    message = Message(
        subject=rendered.subject,
        recipients=list(row.recipients),
        body=rendered.text,
        html=rendered.html,
        sender=(rendered.from_name, address) if rendered.from_name else address,
        reply_to=rendered.reply_to,
        extra_headers=rendered.headers or None,
    )
    message.msgId = row.message_id
    for filename, mimetype, data in rendered.attachments:
        message.attachments.append(Attachment(filename=filename, content_type=mimetype, data=data))
    return _Ready(
        row.id,
        row.template,
        row.notice_id,
        list(row.recipients),
        message,
        rendered.subject,
        rendered.text,
        rendered.html,
        rendered.stated_closes_at,
        secrets=rendered.secrets,
    )


def _cancel(row_id: int, token: str, reason: str, now: datetime) -> None:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
        .values(state=OutboxState.CANCELLED, claimed_until=None, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if rowcount(result):
        log.info("outbox message %s cancelled: %s", row_id, reason)


def _error_text(error: Exception) -> str:
    if isinstance(error, (socket.timeout, TimeoutError)) or "timed out" in str(error):  # smtplib may wrap it
        return f"timeout: the mail server did not answer within {current_app.config['MAIL_TIMEOUT']} s ({error})"
    return f"{type(error).__name__}: {error}"


def _upsert_recipients(
    row_id: int, outcomes: dict[str, tuple[str, str | None]], at: datetime, answered: bool = True
) -> None:
    """Record the server's answer per address: {address: (state, reply)}; an acceptance is never undone.

    `answered` is False when we give an address up ourselves (no new answer of the server to count).
    """
    if not outcomes:
        return
    db.session.execute(
        _recipient_upsert(db.engine.dialect.name),
        [
            {
                "outbox_id": row_id,
                "address": address,
                "state": state,
                "reply": reply,
                "updated_at": at,
                "accepted_at": at if state == "accepted" else None,
                "refusals": 1 if answered and state != "accepted" else 0,
            }
            for address, (state, reply) in sorted(outcomes.items())  # one lock order for every sender
        ],
    )


@functools.cache
def _recipient_upsert(dialect: str):
    """The INSERT … ON CONFLICT of one recipient's answer, built once and run with a row per address."""
    table = table_of(OutboxRecipient)
    stmt = conflict_insert(table, dialect)
    new, old = stmt.excluded, table.c
    return stmt.on_conflict_do_update(
        index_elements=[old.outbox_id, old.address],
        set_={
            # an acceptance (or a bounce after it) is never undone, and a refusal for good is not turned back into one
            # for now
            "state": case(
                (or_(old.state == "accepted", old.state == "bounced"), old.state),
                (and_(old.state == "refused", new.state == "deferred"), old.state),
                else_=new.state,
            ),
            "accepted_at": case(
                (or_(old.accepted_at.is_(None), old.accepted_at > new.accepted_at), new.accepted_at),
                else_=old.accepted_at,
            ),
            "refusals": old.refusals + new.refusals,
            "reply": case(
                (or_(new.state == "accepted", old.state == "bounced"), old.reply),
                (and_(old.state == "refused", new.state == "deferred"), old.reply),
                else_=new.reply,
            ),
            "updated_at": new.updated_at,
        },
    )


def refusal_words(state: str, reply: str | None) -> str:
    """Say what a refusal of one address means, with the server's answer (for the log and the outbox)."""
    if state == "deferred":
        return f"refused for now: {reply}"
    if (reply or "")[:1] == "5":
        return f"permanent refusal, not retried: {reply}"
    return f"given up after the last attempt: {reply}"


def _settle(
    row_id: int, token: str, now: datetime, report: SendReport, *, error: str | None = None, final: bool = False
) -> None:
    """Count the attempt and set the message's state from its recipients' answers; only the claim holder does.

    Recipients neither accepted nor refused for good are tried again with backoff, until the attempts run out
    (or at once, on a permanent refusal of the whole message) when they are refused for good. The message is
    sent once no recipient is left to try and at least one accepted it, dead when none did.
    """
    config = current_app.config
    row = db.session.execute(
        select(
            OutboxMessage.attempts, OutboxMessage.recipients, OutboxMessage.claim_token, OutboxMessage.sent_at
        ).where(OutboxMessage.id == row_id)
    ).one_or_none()
    if row is None or row.claim_token != token:
        return  # another sender holds the message now; what the server answered us is recorded all the same
    answers = {
        address: (state, reply)
        for address, state, reply in db.session.execute(
            select(OutboxRecipient.address, OutboxRecipient.state, OutboxRecipient.reply).where(
                OutboxRecipient.outbox_id == row_id
            )
        )
    }
    attempts = row.attempts + 1
    open_ = [a for a in row.recipients if a not in answers or answers[a][0] == "deferred"]
    if open_ and (final or attempts >= config["MAIL_MAX_ATTEMPTS"]):
        # given up: the server's last answer for the address stays its reply (or the failure, if it never answered)
        given_up: dict[str, tuple[str, str | None]] = {
            a: ("refused", ((answers[a][1] if a in answers else error) or "")[:2000]) for a in open_
        }
        _upsert_recipients(row_id, given_up, now, answered=False)
        answers |= given_up
        open_ = []
    any_accepted = row.sent_at is not None or any(state == "accepted" for state, _ in answers.values())
    state = OutboxState.PENDING if open_ else OutboxState.SENT if any_accepted else OutboxState.DEAD
    refusals = [
        f"{a}: {refusal_words(st, reply)}"
        for a, (st, reply) in sorted(answers.items())
        if st not in ("accepted", "bounced")
    ]
    last_error = error or ("; ".join(refusals) if refusals else None)
    if final and error:
        last_error = f"permanent refusal, not retried: {error}"
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
        .values(
            state=state,
            attempts=attempts,
            claimed_until=None,
            last_error=last_error and last_error[:2000],
            next_attempt_at=now + retry_delay(attempts, config["MAIL_RETRY_SECONDS"], config["MAIL_RETRY_MAX_SECONDS"]),
        )
        .execution_options(synchronize_session=False)
    )
    if state != OutboxState.SENT:
        (report.dead if state == OutboxState.DEAD else report.failed).append(row_id)
        log.warning("outbox message %s: attempt %s, %s: %s", row_id, attempts, state, last_error)


def _record_answer(
    listener: Listener,
    ready: _Ready,
    token: str,
    targets: list[str],
    refused: dict[str, tuple[int, str]],
    answered: dict[str, str],
    at: datetime,
    report: SendReport,
) -> None:
    """Commit what the server answered for one message, in one transaction, as soon as it answered.

    `answered` holds the state of each address the server had answered before.

    The acceptance is recorded whoever holds the claim now (it happened), with the notice told of it; the refusals
    (5yz for good, 4yz for now) and the message's state only by the sender that still holds the claim. Should that
    transaction fail, the acceptance is committed on its own first (the next drain tells the notice), and the rest
    after it; a message whose state could not be recorded keeps its claim until it lapses, and the sender that takes
    it over finds every recipient answered and only settles it.
    """
    accepted = [a for a in targets if a not in refused]
    refused_before = "refused" in answered.values()
    outcome = SendReport()
    try:
        if accepted:
            _record_acceptance(listener, ready, accepted, at, tell=True)
        _record_state(ready.id, token, refused, refused_before, at, outcome)
        db.session.commit()
    except Exception:
        db.session.rollback()
        if not accepted:
            raise
        log.exception("outbox message %s: accepted, but recording it failed; recording the acceptance alone", ready.id)
        _record_acceptance(listener, ready, accepted, at, tell=False)
        db.session.commit()
        outcome = SendReport()
        try:
            _record_state(ready.id, token, refused, refused_before, at, outcome)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("outbox message %s: its state is left to whoever takes it over", ready.id)
    if accepted:
        report.sent.append(ready.id)
    report.failed.extend(outcome.failed)
    report.dead.extend(outcome.dead)


def _record_acceptance(listener: Listener, ready: _Ready, accepted: list[str], at: datetime, *, tell: bool) -> None:
    """Record that the server accepted the message for `accepted` at `at`; with `tell`, tell the listener.

    The message keeps the first text accepted and the earliest moment; an acceptance of a text that differs from
    the one recorded (rendered again by a later sender) keeps its own text.
    """
    subject, body_text, body_html, raw = ready.kept()
    first = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == ready.id, OutboxMessage.sent_at.is_(None))
        .values(
            sent_at=at,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            stated_closes_at=ready.stated_closes_at,
        )
        .execution_options(synchronize_session=False)
    )
    text: dict[str, str] = {}
    if not rowcount(first):  # accepted before: by a sender that had lost its claim, or for other recipients
        recorded = db.session.execute(
            select(
                OutboxMessage.sent_at, OutboxMessage.subject, OutboxMessage.body_text, OutboxMessage.body_html
            ).where(OutboxMessage.id == ready.id)
        ).one()
        if tuple(recorded)[1:] != (subject, body_text, body_html):
            text = {"subject": subject, "body_text": body_text, "body_html": body_html}
        if recorded.sent_at > at:  # an earlier acceptance recorded after a later one
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == ready.id)
                .values(sent_at=at)
                .execution_options(synchronize_session=False)
            )
    applies = ready.template in listener.templates and ready.notice_id is not None
    if ready.notice_id is not None and applies and tell:
        listener.accepted(ready.notice_id, at, ready.stated_closes_at)
    db.session.execute(
        insert(table_of(OutboxAcceptance)).values(
            outbox_id=ready.id,
            accepted_at=at,
            recipients=accepted,
            stated_closes_at=ready.stated_closes_at,
            applied=tell or not applies,
            raw_message=raw,
            data_reply=ready.data_reply,
            clock=CLOCK,
            **text,
        )
    )
    _upsert_recipients(ready.id, {a: ("accepted", None) for a in accepted}, at)


def _record_state(
    row_id: int,
    token: str,
    refused: dict[str, tuple[int, str]],
    refused_before: bool,
    at: datetime,
    report: SendReport,
) -> None:
    """Record the refusals and the message's state after an answer, if this sender still holds the claim."""
    if not refused and not refused_before:  # every recipient has accepted: sent, in one guarded statement
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
            .values(state=OutboxState.SENT, attempts=OutboxMessage.attempts + 1, claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        return
    if db.session.scalar(select(OutboxMessage.claim_token).where(OutboxMessage.id == row_id)) != token:
        return
    _upsert_recipients(
        row_id,
        {a: ("refused" if code >= 500 else "deferred", reply[:2000]) for a, (code, reply) in refused.items()},
        at,
    )
    _settle(row_id, token, at, report)


def apply_acceptances(listener: Listener, ids: list[int] | None = None, limit: int = 500) -> int:
    """Tell the listener of recorded acceptances that it was not told of (each acceptance once); commit each.

    Run at the start of every drain, for the acceptances committed without their notice told (a sender stopped
    between the two, or telling the notice failed). The notice counts from its earliest acceptance known. An
    acceptance whose every address has bounced since tells the notice nothing: that copy reached no one.
    """

    stmt = (
        select(
            OutboxAcceptance.id,
            OutboxAcceptance.accepted_at,
            OutboxAcceptance.stated_closes_at,
            OutboxAcceptance.recipients,
            OutboxAcceptance.outbox_id,
            OutboxMessage.notice_id,
        )
        .join(OutboxMessage, OutboxMessage.id == OutboxAcceptance.outbox_id)
        .where(~OutboxAcceptance.applied)
        .order_by(OutboxAcceptance.id)
        .limit(limit)
    )
    if ids is not None:
        stmt = stmt.where(OutboxAcceptance.id.in_(ids))
    done = 0
    for acceptance in db.session.execute(stmt).all():
        result = db.session.execute(
            update(OutboxAcceptance)
            .where(OutboxAcceptance.id == acceptance.id, ~OutboxAcceptance.applied)
            .values(applied=True)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1 and acceptance.notice_id is not None and _reached(acceptance):
            listener.accepted(acceptance.notice_id, acceptance.accepted_at, acceptance.stated_closes_at)
            done += 1
        db.session.commit()
    return done


def _reached(acceptance) -> bool:
    """Tell whether an acceptance has an address that did not bounce since."""
    bounced = set(
        db.session.scalars(
            select(OutboxRecipient.address).where(
                OutboxRecipient.outbox_id == acceptance.outbox_id, OutboxRecipient.state == "bounced"
            )
        )
    )
    return bool(set(acceptance.recipients) - bounced)


def _mark_failed(
    row_id: int, token: str, error: Exception, now: datetime, report: SendReport, final: bool = False
) -> None:
    """Record a failed attempt at the whole message; `final` (a permanent refusal) gives it up at once."""
    db.session.rollback()
    _settle(row_id, token, now, report, error=_error_text(error), final=final)
    db.session.commit()


def _hold(row_id: int, token: str, now: datetime) -> bool:
    """Renew this sender's claim on one message just before sending it; False when the claim was lost.

    The claim token is the fence: a message is sent only by the sender whose token it still carries, and the
    renewal gives that sender MAIL_CLAIM_SECONDS to send it before anyone else may take it over.
    """
    until = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claim_token == token,
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.claimed_until >= now,
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rowcount(result) == 1


def _close(connection) -> None:
    """Close an SMTP connection whatever state it is in."""
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
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == token)
        .values(
            state=OutboxState.PENDING,
            claimed_until=None,
            next_attempt_at=now + timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"]),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    report.deferred.extend(ids)


#: Set by SIGTERM: the sender finishes the message in hand, records it, and stops.
_stopping = threading.Event()


def stop_on_sigterm(then: Callable[[], None] | None = None) -> None:
    """Make SIGTERM stop this process's senders after the message in hand (call from the main thread).

    `then` runs once, after the flag is set: the scheduler stops starting jobs; the job running finishes (the
    process exits when its thread does). A second SIGTERM changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum, frame):
        if _stopping.is_set():
            return
        log.info("SIGTERM: finishing the message in hand, then stopping")
        _stopping.set()
        if then is not None:
            then()

    signal.signal(signal.SIGTERM, handle)


def stopping() -> bool:
    return _stopping.is_set()


def _answers(row_id: int, recipients: list[str]) -> tuple[list[str], dict[str, str]]:
    """Return the recipients neither accepted nor refused for good yet, and the state of each address answered."""
    states = dict(
        db.session.execute(
            select(OutboxRecipient.address, OutboxRecipient.state).where(OutboxRecipient.outbox_id == row_id)
        ).all()
    )
    return [address for address in recipients if states.get(address) not in ("accepted", "refused", "bounced")], states


def _obsolete(listener: Listener, template: str, notice_id: int | None, now: datetime) -> str | None:
    return listener.obsolete(template, notice_id, now) if notice_id is not None else None


def drain(*, now: Callable[[], datetime], listener: Listener, limit: int = 200) -> SendReport:
    """Send the due messages once: claim, render them all, deliver over one connection, record each outcome.

    The claimed messages are rendered before the first is sent, while what they read (client, profile,
    notice) is loaded once. Each message goes to its recipients not yet accepted; the server's answer is
    committed as soon as it comes, with the notice told of an acceptance, in one transaction. Each message is
    tried on its own merits: a refusal of one (4yz: tried again later; 5yz: given up at once) does not touch the
    others; when the connection fails, the message in hand counts a failed attempt and the next ones go over a
    new connection, and after a second failure the ones not tried go back to the queue untouched, as they do
    when the process is asked to stop (SIGTERM).
    """
    report = SendReport()
    if _stopping.is_set():
        return report
    apply_acceptances(listener)  # those a stopped sender recorded but could not pass on to their notice
    token, ids = claim(now(), limit)
    if not ids:
        return report
    pending: list[_Ready] = []
    known = set(db.session.identity_map.keys())
    for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)):
        row_id = row.id
        reason = _obsolete(listener, row.template, row.notice_id, now())
        if reason:
            _cancel(row_id, token, reason, now())
            continue
        try:
            pending.append(_message(row, now()))
        except Exception as error:  # a message that cannot be rendered is a failed attempt
            log.exception("outbox message %s could not be rendered", row_id)
            # Rendering may store what a message carries (the sealed PDF of an agreement's copy, once): the failure
            # must not roll back what the messages rendered before it stored, or they would go out with a file
            # that is not the one kept. When the transaction itself failed, they go back to the queue untried.
            if isinstance(error, SQLAlchemyError):
                _defer([ready.id for ready in pending], token, now(), report)
                pending.clear()
            else:
                db.session.commit()
            _mark_failed(row_id, token, error, now(), report)
    # What follows needs none of the rows loaded to render the batch; each commit would otherwise expire them all.
    for state in db.session.identity_map.all_states():
        if state.key not in known and (loaded := state.obj()) is not None:
            db.session.expunge(loaded)
    connection, lost = None, 0
    try:
        while pending:
            if _stopping.is_set():
                _defer([r.id for r in pending], token, now(), report)
                break
            ready = pending.pop(0)
            # the notice may have been answered while the batch was sent
            reason = _obsolete(listener, ready.template, ready.notice_id, now())
            if reason:
                _cancel(ready.id, token, reason, now())
                continue
            if not _hold(ready.id, token, now()):
                # Our claim lapsed (a slow server, a pause) and another sender may have taken these messages:
                # stop, so that no message is sent by two senders at once.
                log.warning(
                    "outbox claim lost at message %s; %s messages left to whoever holds them now",
                    ready.id,
                    len(pending) + 1,
                )
                pending.clear()
                break
            targets, answered = _answers(ready.id, ready.recipients)
            if not targets:  # every recipient has answered already (a sender stopped before it settled the message)
                _settle(ready.id, token, now(), report)
                db.session.commit()
                continue
            try:
                if connection is None:
                    connection = TimedConnection(current_app.extensions["mail"]).__enter__()
                refused = connection.deliver(ready.message, targets, return_path(ready.id))
                ready.raw, ready.data_reply = connection.sent or (None, None)
            except smtplib.SMTPRecipientsRefused as error:  # every recipient refused: this message only
                _record_answer(listener, ready, token, targets, _refusals(error, targets), answered, now(), report)
                if connection is not None and getattr(connection.host, "sock", None) is None:  # closed (421)
                    _close(connection)
                    connection = None
                continue
            except BadHeaderError as error:  # cannot be sent as it is: given up at once
                _mark_failed(ready.id, token, error, now(), report, final=True)
                continue
            except REFUSALS as error:  # the message as a whole (its sender, its content); the session goes on
                _mark_failed(ready.id, token, error, now(), report, final=permanent(error))
                if connection is not None and getattr(connection.host, "sock", None) is None:  # closed (421)
                    _close(connection)
                    connection = None
                continue
            except DELIVERY_ERRORS as error:  # the connection: this message was being tried, the others were not
                _mark_failed(ready.id, token, error, now(), report)
                _close(connection)
                connection, lost = None, lost + 1
                if lost >= LOST_CONNECTIONS_BEFORE_GIVING_UP:
                    _defer([r.id for r in pending], token, now(), report)
                    pending.clear()
                continue
            _record_answer(listener, ready, token, targets, refused, answered, now(), report)
    finally:
        _close(connection)
    return report
