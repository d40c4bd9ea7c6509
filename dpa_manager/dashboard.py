"""The managers' overview: what asks for action, from notices and agreements alike; a route of notices.bp (this
module sits above both packages, which do not import each other both ways)."""

from flask import render_template
from flask_login import current_user

from . import clock
from .agreements.document import reference
from .agreements.services import waiting_countersignature
from .notices import bp
from .notices.services import DASHBOARD_ROWS, dashboard_of
from .rules import time_left
from .web import manager_required


@bp.route("/dashboard")
@manager_required
def dashboard():
    now = clock.now()
    return render_template(
        "notices/dashboard.html",
        board=dashboard_of(current_user, now),
        countersign=waiting_countersignature(current_user, DASHBOARD_ROWS + 1),
        reference=reference,
        now=now,
        time_left=time_left,
    )
