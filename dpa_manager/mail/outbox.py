"""Writing messages to the outbox, in the caller's transaction."""
from datetime import datetime

from flask import current_app
from sqlalchemy import insert

from ..extensions import db
from .models import OutboxMessage

#: The templates that tell a client of a notice: the mail server's acceptance of one starts the window.
NOTICE_TEMPLATES = ("notice", "amendment")


def message_id(dedupe_key: str) -> str:
    """Return the deterministic Message-ID of the message with this key."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = (sender[1] if isinstance(sender, (tuple, list)) else sender).rsplit("@", 1)[-1].strip("> ")
    return f"<dpa.{dedupe_key.replace(':', '.')}@{domain}>"


def row(*, key: str, template: str, recipients: list[str], language: str, now: datetime, client_id=None,
        notice_id=None, context: dict | None = None) -> dict:
    """Return one outbox row as a mapping, ready for enqueue()."""
    return {
        "dedupe_key": key, "message_id": message_id(key), "template": template, "context": context or {},
        "recipients": sorted(set(recipients)), "language": language, "client_id": client_id,
        "notice_id": notice_id, "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }


def enqueue(rows: list[dict]) -> None:
    """Add the rows to the session's transaction; they are sent only once it commits."""
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
