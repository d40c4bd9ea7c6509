"""Bounces: what comes back to an e-mail's return path, read and recorded.

Every message goes out from a return path of its own (VERP): local+<outbox id>-<signature>@domain, where local@domain
is BOUNCE_ADDRESS and the signature is a keyed hash of the id, so that the bounce server refuses made-up addresses.
A mail server that cannot deliver a message it accepted sends a delivery status notification (RFC 3464) to that
address; `dpa bounce-server` (SMTP) or the IMAP job hands it to receive(), which keeps it byte for byte, marks the
addresses that failed for good as bounced, and tells the listener (the notices) of a failed notice e-mail.

What a report says is taken at its word: anyone who knows a message's return path can send one. Each is kept, with
its SHA-256, and the managers are told of every one that changes a notice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses

from flask import current_app
from sqlalchemy import func, select, update

from .. import audit
from ..bulk import conflict_insert
from ..extensions import db, rowcount, table_of
from .models import MailBounce, OutboxMessage, OutboxRecipient

log = logging.getLogger(__name__)

#: Where a mailbox's copy of a bounce names the address it was delivered to.
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


@dataclass(frozen=True)
class Bounced:
    """What a delivery status notification says of one recipient."""

    #: The address as the message was sent to it (Original-Recipient), else as the reporting server names it.
    address: str
    #: RFC 3464 Action: failed, delayed, delivered, relayed or expanded.
    action: str
    #: The status code, e.g. 5.1.1 (empty when the report gives none).
    status: str
    diagnostic: str
    #: The Final-Recipient, when it differs from `address` (a forwarding the client's server did).
    final: str = ""

    @property
    def permanent(self) -> bool:
        """The mail server gave up on this address: the message never reached it."""
        return self.action == "failed"

    def as_dict(self) -> dict[str, str]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "diagnostic": self.diagnostic,
        } | ({"final": self.final} if self.final else {})


@dataclass(frozen=True)
class Report:
    """What a bounce says, read without the database."""

    #: Whether it holds a delivery status report (multipart/report; report-type=delivery-status).
    is_dsn: bool
    recipients: tuple[Bounced, ...] = ()
    #: The Message-ID of the message it returns (from its returned headers), if it quotes them.
    original_message_id: str | None = None
    #: Addresses the copy in a mailbox names as where it was delivered (its envelope recipient, when the MTA says).
    delivered_to: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """failed when any recipient failed for good, else delayed, else delivered; unreadable when not a DSN."""
        actions = {r.action for r in self.recipients}
        if not self.is_dsn or not actions:
            return "unreadable"
        if "failed" in actions:
            return "failed"
        return "delayed" if "delayed" in actions else "delivered"


def _clean(value, limit: int) -> str:
    """Return a header's text on one line, without NUL or other control characters, at most `limit` characters."""
    return " ".join(_CONTROLS.sub(" ", str(value or "")).split())[:limit]


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def _field_value(value, limit: int = 1000) -> str:
    """Return a DSN field without its type: "rfc822; a@b.be" -> "a@b.be", "smtp; 550 …" -> "550 …"."""
    text = _clean(value, 4 * limit)
    return (text.split(";", 1)[1].strip() if ";" in text else text)[:limit]


def _address(value) -> str:
    return _field_value(value, 320).strip("<> ").lower()


def _returned_message_id(part: Message) -> str | None:
    """Return the Message-ID of a returned message or of its returned headers."""
    payload = part.get_payload()
    returned = payload[0] if isinstance(payload, list) and payload else None
    if returned is None and isinstance(payload, str):  # text/rfc822-headers, perhaps in base64 or quoted-printable
        decoded = part.get_payload(decode=True)
        returned = message_from_bytes(decoded if isinstance(decoded, bytes) else b"", policy=policy.compat32)
    if isinstance(returned, Message):
        value = returned.get("Message-ID")
        return _clean(value, 200) or None
    return None


def parse(raw: bytes) -> Report:
    """Read a bounce: the per-recipient fields of its delivery status report, and what it returns.

    Pure: no database, no clock. A message without a delivery status report, or one that cannot be read at all,
    is `is_dsn=False`: it is still kept, byte for byte.
    """
    try:
        return _parse(raw)
    except Exception:  # whatever a malformed message makes the email package do (e.g. RecursionError)
        return Report(is_dsn=False)


def _delivered_to(message: Message) -> tuple[str, ...]:
    values = [_clean(v, 2000) for h in ENVELOPE_HEADERS for v in message.get_all(h) or []]
    try:
        found = getaddresses(values)
    except Exception:  # a header the address parser cannot take apart: only plain addresses count
        found = [("", v) for v in values if re.fullmatch(r"<?[^\s<>@]+@[^\s<>@]+>?", v)]
    return tuple(address.strip("<>").lower()[:320] for _, address in found if address)


def _parse(raw: bytes) -> Report:
    message = message_from_bytes(raw, policy=policy.compat32)
    delivered_to = _delivered_to(message)
    recipients: list[Bounced] = []
    original: str | None = None
    is_dsn = False
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            is_dsn = True
            blocks = part.get_payload()
            if isinstance(blocks, str):  # some MTAs send it as one text: the blocks are separated by blank lines
                blocks = [message_from_bytes(b.encode(), policy=policy.compat32) for b in re.split(r"\n\s*\n", blocks)]
            for block in blocks[1:] if isinstance(blocks, list) else []:  # the first block is per message
                if not isinstance(block, Message):
                    continue
                original_to, final = _address(block.get("Original-Recipient")), _address(block.get("Final-Recipient"))
                address = original_to or final
                action = _clean(block.get("Action"), 20).lower()
                if address and action:
                    status = _clean(block.get("Status"), 40)
                    diagnostic = _field_value(block.get("Diagnostic-Code"))
                    recipients.append(Bounced(address, action, status, diagnostic, final if final != address else ""))
        elif content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and original is None:
            original = _returned_message_id(part)
    return Report(is_dsn, tuple(recipients), original, delivered_to)


class Retry(RuntimeError):
    """The bounce cannot be acted on yet (the notice moved, or the acceptance it reports on is still being
    recorded): nothing of it is kept, and it is handed over again later (SMTP 451, or left in the mailbox)."""


class TooMany(RuntimeError):
    """The message has had MAX_PER_MESSAGE reports already: this one is refused (SMTP 550), not stored."""


#: The most reports kept for one message: more is noise, or someone filling the database through its return path.
MAX_PER_MESSAGE = 20


class NoReturnPaths(RuntimeError):
    """BOUNCE_ADDRESS is not set: no message has a return path of its own, so no bounce can be taken in."""


# --- Return paths ---------------------------------------------------------------------------------------------


def return_base() -> tuple[str, str] | None:
    """Return (local part, domain) of BOUNCE_ADDRESS, or None when it is not set (no return paths of our own)."""
    configured = current_app.config.get("BOUNCE_ADDRESS")
    if not configured or "@" not in configured:
        return None
    local, _, host = configured.strip().rpartition("@")
    return local.lower(), host.lower()


def _signature(outbox_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"bounce:{outbox_id}".encode(), hashlib.sha256).hexdigest()[:16]


def return_path(outbox_id: int) -> str | None:
    """Return the envelope sender of outbox message `outbox_id`: local+<id>-<signature>@domain (None: BOUNCE_ADDRESS
    is not set, and the message goes out from its From address)."""
    base = return_base()
    if base is None:
        return None
    local, host = base
    return f"{local}+{outbox_id}-{_signature(outbox_id)}@{host}"


def outbox_id_of(address: str) -> int | None:
    """Return the outbox message that `address` is the return path of, or None (not ours, or a wrong signature)."""
    base = return_base()
    if base is None:
        return None
    local, host = base
    match = re.fullmatch(
        rf"{re.escape(local)}\+(\d{{1,18}})-([0-9a-f]{{16}})@{re.escape(host)}", address.strip("<> ").lower()
    )
    if match is None:
        return None
    outbox_id = int(match.group(1))
    return outbox_id if hmac.compare_digest(match.group(2), _signature(outbox_id)) else None


# --- Receiving --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BounceListener:
    """What the bounces tell the layer that wrote the messages (the notices), handed over by intake.py."""

    #: The templates of the e-mails that tell a client of a notice.
    templates: frozenset[str]
    #: Takes the notice's row lock before anything of the bounce is written (the order every writer of a notice
    #: keeps: the notice, then the audit trail).
    lock: Callable[[int], None]
    #: Told of a notice e-mail that failed for good for some addresses: (notice id, bounce id, addresses, now,
    #: why it is not acted on or None); returns what was done, in a sentence. In the bounce's transaction.
    failed: Callable[[int, int, list[str], datetime, str | None], str]


@dataclass(frozen=True)
class Received:
    bounce_id: int | None
    #: False when this very message was recorded before (the same bytes): nothing was done again.
    new: bool
    kind: str
    outbox_id: int | None
    effect: str | None


def _message_of(report: Report, envelope_to: list[str]) -> tuple[int | None, str | None, bool]:
    """Find the message a bounce is about: by its signed return path (then True), else by the Message-ID it
    quotes (then False: anyone can quote a Message-ID, so such a bounce is recorded and shown, not acted on)."""
    for address in [*envelope_to, *report.delivered_to]:
        outbox_id = outbox_id_of(address)
        if outbox_id is not None and db.session.get(OutboxMessage, outbox_id) is not None:
            return outbox_id, address, True
    if report.original_message_id:
        found = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.message_id == report.original_message_id)
        )
        if found is not None:
            return found, None, False
    return None, envelope_to[0] if envelope_to else None, False


#: Why a permanent failure is recorded but not acted on.
NOT_ACTED = {
    "unsigned": "het bericht kwam niet op het eigen retouradres van de e-mail binnen (alleen de Message-ID klopt)",
    "late": "het kwam meer dan {days} dagen na de aanvaarding binnen, later dan een mailserver een bericht bijhoudt",
}


def receive(
    raw: bytes,
    *,
    via: str,
    now: datetime,
    notices: BounceListener,
    envelope_to: list[str] | None = None,
    arrived_at: datetime | None = None,
) -> Received:
    """Record one bounce and act on it, in the caller's transaction (the caller commits, then lets it go).

    The addresses it reports as failed for good, among those the server accepted the message for, become bounced,
    and for a notice e-mail the notices are told; only when it came back to the message's signed return path
    within BOUNCE_MAX_DAYS of the acceptance (otherwise it is recorded and the managers are told, nothing more).
    A temporary failure or a positive report is only recorded. The same bytes a second time change nothing.
    `arrived_at` is when it reached the mailbox it was read from (the BOUNCE_MAX_DAYS limit counts to then).
    Raises Retry when it reports on an address whose acceptance is still being recorded, and TooMany when the
    message has had MAX_PER_MESSAGE reports already.
    """
    digest = hashlib.sha256(raw).hexdigest()
    report = parse(raw)
    outbox_id, to, signed = _message_of(report, [_clean(a, 320).lower() for a in envelope_to or []])
    message = db.session.get(OutboxMessage, outbox_id) if outbox_id is not None else None
    about_notice = message is not None and message.notice_id is not None and message.template in notices.templates
    if about_notice and message is not None and message.notice_id is not None:
        notices.lock(message.notice_id)
    if message is not None:
        seen = db.session.scalar(select(MailBounce.id).where(MailBounce.sha256 == digest))
        kept = db.session.scalar(select(func.count()).select_from(MailBounce).where(MailBounce.outbox_id == message.id))
        if seen is None and (kept or 0) >= MAX_PER_MESSAGE:
            raise TooMany(f"message {message.id} has had {kept} reports already")
        if message.state in ("pending", "sending") and any(r.permanent for r in report.recipients):
            answered = set(
                db.session.scalars(
                    select(func.lower(OutboxRecipient.address)).where(
                        OutboxRecipient.outbox_id == message.id,
                        OutboxRecipient.state.in_(("accepted", "bounced", "refused")),
                    )
                )
            )
            in_flight = {a.lower() for a in message.recipients} - answered
            if any(r.permanent and (r.address in in_flight or r.final in in_flight) for r in report.recipients):
                raise Retry(f"message {message.id}: the acceptance it reports on is not recorded yet")
    table = table_of(MailBounce)
    inserted = db.session.execute(
        conflict_insert(table, db.engine.dialect.name)
        .values(
            received_at=now,
            via=via,
            envelope_to=to or None,
            outbox_id=outbox_id,
            kind=report.kind,
            recipients=[r.as_dict() for r in report.recipients],
            sha256=digest,
            size=len(raw),
            raw=raw,
        )
        .on_conflict_do_nothing(index_elements=[table.c.sha256])
        .returning(table.c.id)
    ).first()
    if inserted is None:
        known = db.session.execute(
            select(MailBounce.id, MailBounce.kind, MailBounce.outbox_id, MailBounce.effect).where(
                MailBounce.sha256 == digest
            )
        ).one()
        return Received(known.id, False, known.kind, known.outbox_id, known.effect)
    bounce_id = inserted.id
    if message is None:
        log.warning("bounce %s (%s) names no message of ours: kept, not acted on", bounce_id, report.kind)
        return Received(bounce_id, True, report.kind, None, None)
    accepted = {
        row.address.lower(): row
        for row in db.session.execute(
            select(OutboxRecipient.address, OutboxRecipient.state, OutboxRecipient.accepted_at).where(
                OutboxRecipient.outbox_id == message.id, OutboxRecipient.state.in_(("accepted", "bounced"))
            )
        )
    }
    limit = timedelta(days=current_app.config["BOUNCE_MAX_DAYS"])
    failed: list[str] = []
    ignored: dict[str, list[str]] = {}
    for bounced in report.recipients:
        row = accepted.get(bounced.address) or accepted.get(bounced.final)
        if not bounced.permanent or row is None or row.address in failed:
            continue
        late = row.accepted_at is not None and (arrived_at or now) - row.accepted_at > limit
        why = "unsigned" if not signed else "late" if late else None
        if why:
            ignored.setdefault(why, []).append(row.address)
            continue
        result = db.session.execute(
            update(OutboxRecipient)
            .where(
                OutboxRecipient.outbox_id == message.id,
                OutboxRecipient.address == row.address,
                OutboxRecipient.state == "accepted",
            )
            .values(
                state="bounced", reply=f"{bounced.status} {bounced.diagnostic}".strip() or "bounced", updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result):
            failed.append(row.address)
    effects = []
    if about_notice and message.notice_id is not None:
        if failed:
            effects.append(notices.failed(message.notice_id, bounce_id, failed, now, None))
        for why, addresses in ignored.items():
            effects.append(notices.failed(message.notice_id, bounce_id, addresses, now, why))
    elif failed:
        effects.append(f"{', '.join(failed)} niet bereikt: genoteerd bij het bericht")
    for why, addresses in ignored.items() if not about_notice else ():
        effects.append(
            f"{', '.join(addresses)} niet bereikt volgens het bericht, maar niet toegepast: {not_acted_words(why)}"
        )
    if not effects and report.kind == "delayed":
        effects.append("tijdelijk niet bezorgd: alleen genoteerd, de mailserver probeert verder")
    effect = " ".join(effects) or None
    if effect:
        db.session.execute(
            update(MailBounce)
            .where(MailBounce.id == bounce_id)
            .values(effect=effect)
            .execution_options(synchronize_session=False)
        )
    audit.record(
        at=now,
        actor=None,
        object_type="outbox",
        object_id=message.id,
        client_id=message.client_id,
        action="bounce_received",
        after={
            "bounce": bounce_id,
            "kind": report.kind,
            "sha256": digest,
            "recipients": [r.as_dict() for r in report.recipients],
            "bounced": failed,
            "not_acted_on": sorted(a for addresses in ignored.values() for a in addresses),
        },
    )
    return Received(bounce_id, True, report.kind, message.id, effect)


def not_acted_words(code: str) -> str:
    """Say why a permanent failure was recorded but not acted on (Dutch, for the managers)."""
    return NOT_ACTED[code].format(days=current_app.config["BOUNCE_MAX_DAYS"])


def bounces_of(outbox_ids: list[int]) -> list[MailBounce]:
    """Return the bounces of these messages, oldest first."""
    if not outbox_ids:
        return []
    return list(
        db.session.scalars(select(MailBounce).where(MailBounce.outbox_id.in_(outbox_ids)).order_by(MailBounce.id))
    )
