"""Addresses subscribed to the public register's e-mails (double opt-in, one-click unsubscribe).

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27 00:10:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "register_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirm_sent_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_register_subscribers_email")),
    )


def downgrade():
    op.drop_table("register_subscribers")
