"""The audit trail as its pages read it: one page of events, filtered, newest first."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..audit import AuditEvent
from ..clock import BRUSSELS
from ..paging import Page, page_of
from ..scoping import select_for

#: What a client user may read of their own trail.
CLIENT_OBJECT_TYPES = ("agreement", "notice")


def event_page(user, number: int, per_page: int, **filters) -> Page[AuditEvent]:
    """Return page `number` of the events the user may read, newest first, with the filters given (see
    events_select)."""
    return page_of(events_select(user, **filters), number, per_page)


def events_select(
    user,
    *,
    object_type: str = "",
    action: str = "",
    actor: str = "",
    object_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
):
    """The select of the events the user may read (a client user: its agreements and notices), newest first, with
    the filters given (`actor` is a part of the actor's name; `since` and `until` are Brussels days, both
    included)."""
    stmt = select_for(user, AuditEvent)  # a manager: every event; a client user: its client's
    if not user.is_manager:
        stmt = stmt.where(AuditEvent.object_type.in_(CLIENT_OBJECT_TYPES))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(actor, autoescape=True))
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(since, time(0), tzinfo=BRUSSELS))
    if until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(until + timedelta(days=1), time(0), tzinfo=BRUSSELS))
    return stmt.order_by(AuditEvent.seq.desc())
