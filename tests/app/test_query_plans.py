"""Lists that must cost the same at any size read their rows from an index, in order, without sorting them all."""

from datetime import timedelta

from sqlalchemy import select, text

from dpa_manager.extensions import db
from dpa_manager.notices.models import Notice

from .conftest import NOW


def plan_of(stmt) -> str:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # the tables of a test are small
        lines = db.session.execute(text("EXPLAIN " + sql)).scalars().all()
    else:
        lines = [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    db.session.rollback()
    return "\n".join(lines)


def test_notices_closing_first_and_due_reminders_are_read_in_order_from_their_index(app):
    """Every notice of a change told at once closes at the same moment: the overview's "closing soon", the sweep
    and the reminders take the first of them by (moment, id) from the index, not by sorting all of them."""
    closing = (
        select(Notice.id)
        .where(Notice.state == "open", Notice.closes_at <= NOW + timedelta(days=2))
        .order_by(Notice.closes_at, Notice.id)
        .limit(21)
    )
    reminding = (
        select(Notice.id)
        .where(Notice.state == "open", Notice.remind_at <= NOW)
        .order_by(Notice.remind_at, Notice.id)
        .limit(21)
    )
    for stmt, index in ((closing, "ix_notices_state_closes_at"), (reminding, "ix_notices_state_remind_at")):
        plan = plan_of(stmt)
        assert index in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
