"""Index the events that concern every client, so a page can read the last one at each view.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 02:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SHARED_EVENTS = "client_id IS NULL AND object_type <> 'user'"


def upgrade():
    op.create_index(
        "ix_audit_events_shared",
        "audit_events",
        ["seq"],
        unique=False,
        sqlite_where=sa.text(SHARED_EVENTS),
        postgresql_where=sa.text(SHARED_EVENTS),
    )


def downgrade():
    op.drop_index("ix_audit_events_shared", table_name="audit_events")
