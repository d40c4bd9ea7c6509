"""Indexes for lists read a page at a time, newest first; drop the one the whole-page cache read.

notices (state, id), notices (change_id, id), outbox (state, id) and agreements (state, id) let a page of a filtered list, newest
first, be read from the index without sorting every matching row. ix_audit_events_shared served a page
cache that has been removed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SHARED_EVENTS = "client_id IS NULL AND object_type <> 'user'"
INDEXES = (
    ("ix_notices_state_id", "notices", ["state", "id"]),
    ("ix_notices_change_id", "notices", ["change_id", "id"]),
    ("ix_outbox_state_id", "outbox", ["state", "id"]),
    ("ix_agreements_state_id", "agreements", ["state", "id"]),
)


def upgrade():
    op.drop_index("ix_audit_events_shared", table_name="audit_events")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.create_index(
        "ix_audit_events_shared",
        "audit_events",
        ["seq"],
        unique=False,
        sqlite_where=sa.text(SHARED_EVENTS),
        postgresql_where=sa.text(SHARED_EVENTS),
    )
