"""The audit trail pages: all events for managers, a client's own events in the portal."""

from flask import current_app, render_template, request
from flask_login import current_user

from ..audit import event_count
from ..labels import ACTIONS, OBJECT_TYPES
from ..web import client_required, day_arg, manager_required, page_arg, plain_digits
from . import bp
from .services import CLIENT_OBJECT_TYPES, event_page


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


def _events(filters: dict[str, str]):
    return event_page(
        current_user,
        page_arg(),
        current_app.config["PAGE_SIZE"],
        object_type=filters.get("object_type", ""),
        action=filters.get("action", ""),
        actor=filters.get("actor", ""),
        object_id=int(filters["object_id"]) if "object_id" in filters else None,
        since=day_arg("since"),
        until=day_arg("until"),
    )


@bp.route("/audit/")
@manager_required
def index():
    filters = _filters()
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
    return render_template(
        "trail/index.html",
        events=_events(filters),
        filters=filters,
        types=CLIENT_OBJECT_TYPES,
        actions=None,
        total=None,
        endpoint="trail.portal",
    )
