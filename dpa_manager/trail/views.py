"""The audit trail pages: all events for managers, a client's own events in the portal."""

from datetime import date, datetime, time, timedelta

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..audit import AuditEvent, event_count
from ..clock import BRUSSELS
from ..labels import ACTIONS, OBJECT_TYPES
from ..paging import page_of
from ..scoping import select_for
from ..web import client_required, manager_required, page_arg
from . import bp

#: What a client user may read of their own trail.
CLIENT_OBJECT_TYPES = ("agreement", "notice")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filtered(stmt):
    filters = {}
    for name in ("object_type", "action", "actor"):
        value = request.args.get(name, "").strip()[:100]
        if value:
            filters[name] = value
            column = AuditEvent.actor_label if name == "actor" else getattr(AuditEvent, name)
            stmt = stmt.where(column.contains(value, autoescape=True) if name == "actor" else column == value)
    object_id = request.args.get("object_id", "")
    if object_id.isdigit() and len(object_id) < 12:
        filters["object_id"] = object_id
        stmt = stmt.where(AuditEvent.object_id == int(object_id))
    since, until = _day("since"), _day("until")
    if since:
        filters["since"] = since.isoformat()
        stmt = stmt.where(AuditEvent.at >= datetime.combine(since, time(0), tzinfo=BRUSSELS))
    if until:
        filters["until"] = until.isoformat()
        stmt = stmt.where(AuditEvent.at < datetime.combine(until + timedelta(days=1), time(0), tzinfo=BRUSSELS))
    return stmt, filters


def _page(stmt):
    return page_of(stmt.order_by(AuditEvent.seq.desc()), page_arg(), current_app.config["PAGE_SIZE"])


@bp.route("/audit/")
@manager_required
def index():
    stmt, filters = _filtered(select(AuditEvent))
    return render_template(
        "trail/index.html",
        events=_page(stmt),
        filters=filters,
        types=sorted(OBJECT_TYPES),  # the vocabulary, not a scan of every event for the values used
        actions=sorted(ACTIONS),
        total=event_count(),
        endpoint="trail.index",
    )


@bp.route("/portal/audit")
@client_required
def portal():
    base = select_for(current_user, AuditEvent).where(AuditEvent.object_type.in_(CLIENT_OBJECT_TYPES))
    stmt, filters = _filtered(base)
    return render_template(
        "trail/index.html",
        events=_page(stmt),
        filters=filters,
        types=CLIENT_OBJECT_TYPES,
        actions=None,
        total=None,
        endpoint="trail.portal",
    )
