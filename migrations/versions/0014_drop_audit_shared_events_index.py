"""Drop the index of the events that concern every client: no page reads the last of them any more.

It served a whole-page cache that has been removed; pages now read what they show at each view.

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


def upgrade():
    op.drop_index("ix_audit_events_shared", table_name="audit_events")


def downgrade():
    op.create_index(
        "ix_audit_events_shared",
        "audit_events",
        ["seq"],
        unique=False,
        sqlite_where=sa.text(SHARED_EVENTS),
        postgresql_where=sa.text(SHARED_EVENTS),
    )
