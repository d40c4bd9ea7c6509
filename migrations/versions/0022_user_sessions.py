"""Sessions kept on the server: a row per signed-in browser, ended by logout, a password change, disabling the
user or "log out everywhere".

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-26 19:30:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('logout', 'ended', 'everywhere', 'password', 'disabled', 'expired')",
            name=op.f("ck_user_sessions_end_reason_known"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions") as batch:
        batch.create_index(batch.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("user_sessions")
