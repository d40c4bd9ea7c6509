"""/healthz: is the database reachable, and is the outbox keeping up?"""

from __future__ import annotations

import time

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from . import clock
from .extensions import db
from .mail.models import OutboxMessage, OutboxRecipient
from .mail.outbox import given_up
from .rules import OutboxState
from .web import public

bp = Blueprint("health", __name__)

#: A message pending longer than this makes the outbox "degraded".
OUTBOX_LAG_SECONDS = 15 * 60


@bp.get("/healthz")
@public
def healthz():

    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        counts = dict(db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        refused = db.session.scalar(  # addresses refused for good of messages given up (not of cancelled ones)
            select(func.count())
            .select_from(OutboxRecipient)
            .join(OutboxMessage, OutboxMessage.id == OutboxRecipient.outbox_id)
            .where(OutboxRecipient.state == "refused", given_up())
        )
        oldest = db.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state == OutboxState.PENDING)
        )
    except Exception as error:  # any database failure means: not healthy (the request's end rolls back)
        return jsonify(status="down", database={"ok": False, "error": type(error).__name__}), 503
    latency = round((time.perf_counter() - started) * 1000, 1)
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=clock.now().tzinfo)
    lag = (clock.now() - oldest).total_seconds() if oldest is not None else 0
    outbox = {
        "pending": counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.SENDING, 0),
        "sent": counts.get(OutboxState.SENT, 0),
        "dead": counts.get(OutboxState.DEAD, 0),
        "refused_recipients": refused,
        "oldest_pending_seconds": round(lag),
    }
    healthy = outbox["dead"] == 0 and refused == 0 and lag < OUTBOX_LAG_SECONDS
    return jsonify(
        status="ok" if healthy else "degraded", database={"ok": True, "latency_ms": latency}, outbox=outbox
    ), 200
