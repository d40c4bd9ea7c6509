"""Where bounces come in: an SMTP endpoint (`dpa bounce-server`) and an IMAP mailbox (`dpa bounce-imap`, and the
scheduler's job), both handing each message to receive_bounce().

A bounce is let go only once it is committed: the SMTP endpoint answers 250 after the commit (451 otherwise, so the
sending server tries again later), and the IMAP reader deletes a message from the mailbox after its commit. Reading
the same bytes twice changes nothing (mail.bounces.receive).
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from flask import Flask, current_app

from . import clock
from .extensions import db
from .mail import bounces
from .mail.devserver import run_until_interrupted
from .notices.bounces import bounce_listener

log = logging.getLogger(__name__)

#: The largest bounce the SMTP endpoint takes (a report quoting a message with its PDF attachment fits).
MAX_BOUNCE_BYTES = 20 * 1024 * 1024


def receive_bounce(
    raw: bytes,
    *,
    via: str,
    now: datetime,
    envelope_to: list[str] | None = None,
    arrived_at: datetime | None = None,
) -> bounces.Received:
    """Record one bounce and act on it; commit. Raises (nothing kept) bounces.Retry when it must be handed over
    again later, bounces.TooMany when its message has had too many reports."""
    try:
        received = bounces.receive(
            raw, via=via, now=now, notices=bounce_listener(), envelope_to=envelope_to, arrived_at=arrived_at
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if received.new:
        log.info(
            "bounce %s (%s) for message %s: %s", received.bounce_id, received.kind, received.outbox_id, received.effect
        )
    return received


class BounceHandler:
    """aiosmtpd handler: takes mail for the return paths only, and answers DATA once the bounce is committed."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.app.app_context():
            ours = bounces.outbox_id_of(address) is not None
        if not ours:
            return "550 5.1.1 Not a return path of this application"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:  # the database work runs off the event loop, so that other sessions are served meanwhile
            received = await loop.run_in_executor(None, self._record, raw, list(envelope.rcpt_tos))
        except bounces.TooMany:
            return "550 5.7.1 Too many reports for this message"
        except Exception as error:  # any failure: nothing kept, the sending server tries again
            log.warning("bounce not recorded, answered 451: %s", error)
            return "451 4.3.0 Not recorded now; please try again later"
        return f"250 2.0.0 Recorded as bounce {received.bounce_id}"

    def _record(self, raw: bytes, rcpt_tos: list[str]) -> bounces.Received:
        with self.app.app_context():
            try:
                return receive_bounce(raw, via="smtp", now=clock.now(), envelope_to=rcpt_tos)
            finally:
                db.session.remove()


def bounce_controller(app: Flask, host: str, port: int) -> Controller:
    """Return the (not yet started) SMTP endpoint for bounces."""
    return Controller(BounceHandler(app), hostname=host, port=port, data_size_limit=MAX_BOUNCE_BYTES)


def serve_bounces(app: Flask, host: str, port: int) -> None:
    """Run the SMTP endpoint for bounces until interrupted."""
    with app.app_context():
        base = bounces.return_base()
    if base is None:
        raise bounces.NoReturnPaths(
            "BOUNCE_ADDRESS is niet ingesteld: er zijn geen retouradressen om bounces op te ontvangen."
        )
    run_until_interrupted(
        bounce_controller(app, host, port), f"Bounce-server op {host}:{port}, voor {base[0]}+…@{base[1]}"
    )


@dataclass
class MailboxReport:
    recorded: list[int] = field(default_factory=list)
    #: Read before (the same bytes): deleted from the mailbox, nothing done again.
    known: int = 0
    #: Not recorded now (left in the mailbox for the next run).
    left: int = 0
    #: Not stored: its message had MAX_PER_MESSAGE reports already (deleted from the mailbox).
    dropped: int = 0


def read_mailbox(now: datetime | None = None) -> MailboxReport:
    """Read every message in the IMAP bounce mailbox (BOUNCE_IMAP_*): record each, then delete it from the box."""
    config = current_app.config
    report = MailboxReport()
    host, port = config["BOUNCE_IMAP_HOST"], config["BOUNCE_IMAP_PORT"]
    timeout = config["MAIL_TIMEOUT"]
    box = (
        imaplib.IMAP4_SSL(host, port, timeout=timeout)
        if config["BOUNCE_IMAP_SSL"]
        else imaplib.IMAP4(host, port, timeout=timeout)
    )
    try:
        box.login(config["BOUNCE_IMAP_USER"], config["BOUNCE_IMAP_PASSWORD"])
        status, _ = box.select(config["BOUNCE_IMAP_FOLDER"])
        if status != "OK":
            raise imaplib.IMAP4.error(f"folder {config['BOUNCE_IMAP_FOLDER']!r} cannot be opened")
        _, found = box.uid("SEARCH", "ALL")
        for uid in (found[0] or b"").decode().split():
            _, head = box.uid("FETCH", uid, "(RFC822.SIZE INTERNALDATE)")
            line = head[0] if head and isinstance(head[0], bytes) else b""
            size = re.search(rb"RFC822\.SIZE (\d+)", line)
            if size is None or int(size.group(1)) > MAX_BOUNCE_BYTES:
                log.warning(
                    "message uid %s in the bounce mailbox: size %s, over %s bytes or not given; left there",
                    uid,
                    size.group(1).decode() if size else "unknown",
                    MAX_BOUNCE_BYTES,
                )
                report.left += 1
                continue
            arrived = imaplib.Internaldate2tuple(line)  # when it reached the mailbox, not when it is read
            _, data = box.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is None:
                continue
            try:
                received = receive_bounce(
                    raw,
                    via="imap",
                    now=now or clock.now(),
                    arrived_at=datetime.fromtimestamp(time.mktime(arrived), UTC) if arrived else None,
                )
            except bounces.Retry:
                report.left += 1
                continue
            except bounces.TooMany:
                log.warning("message uid %s in the bounce mailbox: too many reports for its message; deleted", uid)
                report.dropped += 1
                box.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
                continue
            except Exception:
                log.exception("bounce in the mailbox (uid %s) not recorded; left for the next run", uid)
                report.left += 1
                continue
            if received.new and received.bounce_id is not None:
                report.recorded.append(received.bounce_id)
            else:
                report.known += 1
            box.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        box.expunge()
    finally:
        try:
            box.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return report
