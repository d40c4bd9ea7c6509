"""The indexes of open notices by closing and by reminder time end with the id, as they are read.

The sweep, the reminders and the overview read open notices by (closes_at, id) or (remind_at, id). SQLite's
indexes end with the row id anyway; on PostgreSQL, without it, a page of notices closing at the same moment
(every notice of a change told at once) was found by sorting all of them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 10:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = (("ix_notices_state_closes_at", "closes_at"), ("ix_notices_state_remind_at", "remind_at"))


def upgrade():
    for name, column in INDEXES:
        op.drop_index(name, table_name="notices")
        op.create_index(name, "notices", ["state", column, "id"], unique=False)


def downgrade():
    for name, column in INDEXES:
        op.drop_index(name, table_name="notices")
        op.create_index(name, "notices", ["state", column], unique=False)
