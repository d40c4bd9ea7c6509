"""The audit trail: append-only, each event chained to the one before by its SHA-256.

Every state change, login and failed login appends an event. Appending takes the next
sequence numbers from the one-row `audit_head` with a single UPDATE, which also locks it
until the transaction ends, so concurrent writers chain one after the other and never
off the same predecessor. `verify()` recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, event, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .bulk import insert_rows
from .db_types import UTCDateTime
from .extensions import Model, db

GENESIS = "0" * 64


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_client", "client_id", "seq"),
    )

    #: Client users see the events of their own client (see scoping.py).
    client_scope = "client_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Position in the chain, from 1, without gaps.
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The user who acted; None for the system (jobs, CLI without a user).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor as shown later, kept even if the user is renamed: e-mail or "systeem".
    actor_label: Mapped[str] = mapped_column(String(320))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    #: The client whose data the object is, if any.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    #: SHA-256 of the previous event (GENESIS for the first).
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of this event's content and prev_hash.
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.seq} {self.object_type}:{self.object_id} {self.action}>"


class AuditHead(Model):
    """The end of the chain: one row with the last sequence number and hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditHead {self.seq}>"


event.listen(
    AuditHead.__table__, "after_create", DDL(f"INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '{GENESIS}')")
)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
#: The fields in which the events of one batch (a sweep's thousands of deemed approvals) differ.
_HOLES = ("seq", "object_id", "client_id", "prev_hash")
#: From how many events a template pays for the three encodings that make and check it.
_BATCH = 8


def _content(row: dict) -> dict:
    content = {
        key: row[key]
        for key in (
            "seq",
            "actor_id",
            "actor_label",
            "object_type",
            "object_id",
            "client_id",
            "action",
            "before",
            "after",
            "prev_hash",
        )
    }
    content["at"] = row["at"].isoformat(timespec="microseconds")
    return content


def _canonical(row: dict) -> bytes:
    return _ENCODER.encode(_content(row)).encode()


def _template(row: dict) -> tuple[str, tuple[str, ...]] | None:
    """Return the canonical text of `row` with a %s for each of _HOLES, and the order of the holes;
    None if filling it in would not give exactly _canonical(row)."""
    markers = {name: f"\x00{index}\x00" for index, name in enumerate(_HOLES)}
    text = _ENCODER.encode(_content(row) | markers).replace("%", "%%")
    encoded = {name: _ENCODER.encode(marker) for name, marker in markers.items()}
    order = tuple(sorted(_HOLES, key=lambda name: text.index(encoded[name])))
    for name in _HOLES:
        text = text.replace(encoded[name], "%s")
    return (text, order) if _fill((text, order), row) == _canonical(row) else None


def _fill(template: tuple[str, tuple[str, ...]], row: dict) -> bytes:
    text, order = template
    as_json = {
        "seq": row["seq"],
        "object_id": row["object_id"],
        "client_id": "null" if row["client_id"] is None else row["client_id"],
        "prev_hash": f'"{row["prev_hash"]}"',
    }  # hexadecimal: nothing to escape
    return (text % tuple(as_json[name] for name in order)).encode()


def _hashes(rows: list[dict]) -> None:
    """Chain `rows` (seq and the first prev_hash set): fill in each prev_hash and hash.

    Events alike but for their number, object and client share one canonical text with holes, filled in
    per event; the text is checked against the general encoding before it is used.
    """
    templates: dict[tuple, tuple | None] = {}
    prev = rows[0]["prev_hash"]
    for row in rows:
        row["prev_hash"] = prev
        template = None
        if (
            len(rows) >= _BATCH
            and type(row["object_id"]) is int
            and (row["client_id"] is None or type(row["client_id"]) is int)
        ):
            key = (
                row["at"],
                row["actor_id"],
                row["actor_label"],
                row["object_type"],
                row["action"],
                id(row["before"]),
                id(row["after"]),
            )
            if key not in templates:
                templates[key] = _template(row)
            template = templates[key]
        canonical = _fill(template, row) if template else _canonical(row)
        row["hash"] = prev = hashlib.sha256(canonical).hexdigest()


def event_hash(row: dict) -> str:
    """Return the SHA-256 of an event given as a mapping of its columns."""
    return hashlib.sha256(_canonical(row)).hexdigest()


def _row(e: dict) -> dict:
    actor = e.get("actor")
    return {
        "at": e["at"],
        "actor_id": getattr(actor, "id", None),
        "actor_label": getattr(actor, "email", None) or "systeem",
        "object_type": e["object_type"],
        "object_id": e.get("object_id"),
        "client_id": e.get("client_id"),
        "action": e["action"],
        "before": e.get("before"),
        "after": e.get("after"),
    }


def record_many(events: list[dict]) -> None:
    """Append events (keyword arguments of record()) to the chain, in order; the caller commits."""
    if not events:
        return
    head = db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(events))
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one()
    first = head.seq - len(events) + 1
    rows = [_row(e) | {"seq": seq, "prev_hash": head.last_hash} for seq, e in enumerate(events, start=first)]
    _hashes(rows)
    insert_rows(AuditEvent.__table__, rows)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=rows[-1]["hash"]))


def record(
    *,
    at: datetime,
    actor,
    object_type: str,
    object_id: int | None,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
    client_id: int | None = None,
) -> None:
    """Append one event to the chain; the caller commits."""
    record_many(
        [
            dict(
                at=at,
                actor=actor,
                object_type=object_type,
                object_id=object_id,
                action=action,
                before=before,
                after=after,
                client_id=client_id,
            )
        ]
    )


def event_count() -> int:
    """Return the number of events in the chain: the head's sequence number (events are numbered 1, 2, … without
    gaps, which verify() checks), read from one row rather than counted."""
    return db.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0


def history(object_type: str, object_id: int) -> Sequence[AuditEvent]:
    """Return the events of one object, oldest first."""
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.seq)
    ).all()


@dataclass
class Verification:
    ok: bool
    checked: int
    problem: str = ""
    event_id: int | None = None


def verify(chunk: int = 5000) -> Verification:
    """Recompute the chain from the first event up to the head as read first; report the first event that does not
    match.

    The head is read before the events: every event up to it was committed with it, while events that a
    working scheduler appends meanwhile lie beyond it and are left for the next check. So a check beside a
    working system never mistakes the events it did not read for missing ones.
    """
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    limit = head.seq if head is not None else None
    prev, expected_seq, checked, last_seq = GENESIS, 1, 0, 0
    while True:
        stmt = select(AuditEvent).where(AuditEvent.seq > last_seq)
        if limit is not None:
            stmt = stmt.where(AuditEvent.seq <= limit)
        events = db.session.scalars(stmt.order_by(AuditEvent.seq).limit(chunk)).all()
        if not events:
            break
        for e in events:
            row = {
                c: getattr(e, c)
                for c in (
                    "seq",
                    "at",
                    "actor_id",
                    "actor_label",
                    "object_type",
                    "object_id",
                    "client_id",
                    "action",
                    "before",
                    "after",
                    "prev_hash",
                )
            }
            if e.seq != expected_seq:
                return Verification(
                    False,
                    checked,
                    f"event {e.id}: sequence {e.seq}, expected {expected_seq} (an event is missing)",
                    e.id,
                )
            if e.prev_hash != prev:
                return Verification(False, checked, f"event {e.id} (seq {e.seq}): previous hash does not match", e.id)
            if event_hash(row) != e.hash:
                return Verification(
                    False, checked, f"event {e.id} (seq {e.seq}): content does not match its hash", e.id
                )
            prev, expected_seq, checked, last_seq = e.hash, e.seq + 1, checked + 1, e.seq
        db.session.expunge_all()
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return Verification(
            False,
            checked,
            f"the chain ends at seq {checked}, but the head says {head.seq}: events at the end are missing",
        )
    return Verification(True, checked)
