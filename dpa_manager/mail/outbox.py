"""Writing messages to the outbox, in the caller's transaction."""

from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import func, literal, literal_column, select, union

from ..bulk import among, insert_rows
from ..extensions import db
from ..paging import Page, count_upto, counts_upto, page_of
from ..rules import OutboxState
from .models import OutboxAcceptance, OutboxMessage, OutboxRecipient


def given_up():
    """The condition for a message given up: entirely (dead), or for a recipient the server refused for good.

    Written as one id list from two indexes (dead messages; refused recipients of sent messages), so that a list
    of them reads those rows rather than every message.
    """
    # the literal, not a bound parameter: only then may SQLite use the partial index of refused recipients
    refused_for_good = select(OutboxRecipient.outbox_id).where(OutboxRecipient.state == literal_column("'refused'"))
    refused = select(OutboxMessage.id).where(
        OutboxMessage.id.in_(refused_for_good), OutboxMessage.state == OutboxState.SENT
    )
    return OutboxMessage.id.in_(union(select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.DEAD), refused))


def messages_of(notice_id: int) -> Sequence[OutboxMessage]:
    """Return the e-mails of one notice (the notice, reminders, outcomes), oldest first."""
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.notice_id == notice_id).order_by(OutboxMessage.id)
    ).all()


def acceptances_of(message_id: int) -> Sequence[OutboxAcceptance]:
    """Return every acceptance of one message by the mail server, earliest first."""
    return db.session.scalars(
        select(OutboxAcceptance)
        .where(OutboxAcceptance.outbox_id == message_id)
        .order_by(OutboxAcceptance.accepted_at, OutboxAcceptance.id)
    ).all()


def is_given_up(message_id: int) -> bool:
    """Tell whether a message was given up, entirely or for an address (see given_up)."""
    return (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.id == message_id, given_up())
        )
        == 1
    )


def message_page(number: int, state: str | None) -> Page[OutboxMessage]:
    """Return page `number` of the outbox, newest first: every message, or those in `state` (dead: given up)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        stmt = stmt.where(given_up() if state == OutboxState.DEAD else OutboxMessage.state == state)
    return page_of(stmt, number)


def given_up_list(limit: int) -> Sequence[OutboxMessage]:
    """Return the newest `limit` messages given up."""
    return db.session.scalars(
        select(OutboxMessage).where(given_up()).order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()


def state_counts() -> dict[str, int]:
    """Return the number of messages in each state, and given up (under "dead"), each counted up to COUNT_CAP + 1."""
    counts = counts_upto(OutboxMessage.state, list(OutboxState))
    counts[OutboxState.DEAD] = count_upto(select(literal(1)).where(given_up()))
    return counts


def recipient_answers(message_ids: list[int]) -> dict[int, dict[str, OutboxRecipient]]:
    """Return, per message, what the mail server answered per address (an address not in it: not yet answered)."""
    answers: dict[int, dict[str, OutboxRecipient]] = {}
    if message_ids:
        for row in db.session.scalars(select(OutboxRecipient).where(among(OutboxRecipient.outbox_id, message_ids))):
            answers.setdefault(row.outbox_id, {})[row.address] = row
    return answers


def domain() -> str:
    """Return the domain of the sender's address (the right-hand side of every Message-ID)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return (sender[1] if isinstance(sender, (tuple, list)) else sender).rsplit("@", 1)[-1].strip("> ")


def message_id(dedupe_key: str) -> str:
    """Return the deterministic Message-ID of the message with this key."""
    return f"<dpa.{dedupe_key.replace(':', '.')}@{domain()}>"


def row(
    *,
    key: str,
    template: str,
    recipients: list[str],
    language: str,
    now: datetime,
    client_id=None,
    notice_id=None,
    context: dict | None = None,
) -> dict:
    """Return one outbox row as a mapping, ready for enqueue()."""
    return {
        "dedupe_key": key,
        "message_id": message_id(key),
        "template": template,
        "context": context or {},
        "recipients": sorted(set(recipients)),
        "language": language,
        "client_id": client_id,
        "notice_id": notice_id,
        "state": OutboxState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue(rows: list[dict]) -> None:
    """Add the rows to the session's transaction; they are sent only once it commits."""
    insert_rows(OutboxMessage.__table__, rows)
