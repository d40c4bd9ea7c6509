"""The audit trail pages: all events for managers, a client's own events in the portal."""

import json

from flask import current_app, render_template, request
from flask_login import current_user

from .. import tables
from ..audit import event_count
from ..labels import ACTIONS, OBJECT_TYPES
from ..tables import Column
from ..web import client_required, day_arg, manager_required, page_arg, plain_digits
from . import bp
from .services import CLIENT_OBJECT_TYPES, event_page, events_select


def _filters() -> dict[str, str]:
    """The filters of the request that are usable, as the page repeats them in its links."""
    filters = {}
    for name in ("object_type", "action", "actor"):
        value = request.args.get(name, "").strip()[:100]
        if value:
            filters[name] = value
    object_id = request.args.get("object_id", "")
    if plain_digits(object_id) and len(object_id) < 12:
        filters["object_id"] = object_id
    for name in ("since", "until"):
        day = day_arg(name)
        if day:
            filters[name] = day.isoformat()
    return filters


def _selection(filters: dict[str, str]) -> dict:
    return {
        "object_type": filters.get("object_type", ""),
        "action": filters.get("action", ""),
        "actor": filters.get("actor", ""),
        "object_id": int(filters["object_id"]) if "object_id" in filters else None,
        "since": day_arg("since"),
        "until": day_arg("until"),
    }


def _events(filters: dict[str, str]):
    return event_page(current_user, page_arg(), current_app.config["PAGE_SIZE"], **_selection(filters))


#: The trail's columns of an export: each event as it is kept, its before and after as JSON, and its hash.
EXPORT_COLUMNS = [
    Column("seq", lambda e: e.seq),
    Column("at", lambda e: e.at, moment=True),
    Column("actor", lambda e: e.actor_label),
    Column("object_type", lambda e: e.object_type),
    Column("object_id", lambda e: e.object_id),
    Column("client_id", lambda e: e.client_id),
    Column("action", lambda e: e.action),
    Column("before", lambda e: _json(e.before)),
    Column("after", lambda e: _json(e.after)),
    Column("prev_hash", lambda e: e.prev_hash),
    Column("hash", lambda e: e.hash),
]


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _export(kind: str, filters: dict[str, str]):
    return tables.export(kind, "audittrail", EXPORT_COLUMNS, events_select(current_user, **_selection(filters)))


@bp.route("/audit/")
@manager_required
def index():
    filters = _filters()
    kind = tables.export_kind()
    if kind:
        return _export(kind, filters)
    return render_template(
        "trail/index.html",
        events=_events(filters),
        filters=filters,
        types=sorted(OBJECT_TYPES),  # the vocabulary, not a scan of every event for the values used
        actions=sorted(ACTIONS),
        total=event_count(),
        endpoint="trail.index",
    )


@bp.route("/portal/audit")
@client_required
def portal():
    filters = _filters()
    kind = tables.export_kind()
    if kind:
        return _export(kind, filters)
    return render_template(
        "trail/index.html",
        events=_events(filters),
        filters=filters,
        types=CLIENT_OBJECT_TYPES,
        actions=None,
        total=None,
        endpoint="trail.portal",
    )
