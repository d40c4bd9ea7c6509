"""Anchors of the audit trail: a timestamp token of the time-stamping authority over the hash of an event.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 14:00:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("stamped_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )


def downgrade():
    op.drop_table("audit_anchors")
