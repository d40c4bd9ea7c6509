"""The audit trail: one appended row per state change, login and failed login."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .db_types import UTCDateTime
from .extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The user who acted; None for the system (jobs, CLI without a user).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor as shown later, kept even if the user is renamed: e-mail or "systeem".
    actor_label: Mapped[str] = mapped_column(String(320))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.object_type}:{self.object_id} {self.action}>"


def record(*, at: datetime, actor, object_type: str, object_id: int | None, action: str,
           before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Append an audit event to the session; the caller commits."""
    event = AuditEvent(
        at=at,
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "systeem",
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def record_many(events: list[dict]) -> None:
    """Append many events (keyword arguments of record()) in one statement; the caller commits."""
    if not events:
        return
    db.session.execute(db.insert(AuditEvent), [{
        "at": e["at"], "actor_id": getattr(e.get("actor"), "id", None),
        "actor_label": getattr(e.get("actor"), "email", None) or "systeem",
        "object_type": e["object_type"], "object_id": e["object_id"], "action": e["action"],
        "before": e.get("before"), "after": e.get("after"),
    } for e in events])


def history(object_type: str, object_id: int) -> list[AuditEvent]:
    """Return the events of one object, oldest first."""
    return db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
