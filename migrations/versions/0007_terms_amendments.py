"""Announce terms amendments as notices; remember which agreement an amended one replaced.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 23:55:00

"""

import sqlalchemy as sa
from alembic import op

from dpa_manager.db_types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("window_unit", sa.String(length=10), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=False),
        sa.Column("announced_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("window_days BETWEEN 1 AND 90", name=op.f("ck_amendments_window_days_range")),
        sa.CheckConstraint("window_unit IN ('calendar', 'working')", name=op.f("ck_amendments_window_unit_known")),
        sa.ForeignKeyConstraint(["announced_by_id"], ["users.id"], name=op.f("fk_amendments_announced_by_id_users")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["terms_versions.id"], name=op.f("fk_amendments_version_id_terms_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
        sa.UniqueConstraint("version_id", name=op.f("uq_amendments_version_id")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amendment_id", sa.Integer(), nullable=True))
        batch_op.alter_column("change_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_amendment_id_amendments"), "amendments", ["amendment_id"], ["id"]
        )
        batch_op.create_unique_constraint("uq_notices_amendment_agreement", ["amendment_id", "agreement_id"])
        batch_op.create_check_constraint(
            "about_one_thing",
            "(change_id IS NULL AND amendment_id IS NOT NULL) OR (change_id IS NOT NULL AND amendment_id IS NULL)",
        )
        batch_op.create_index("ix_notices_amendment_state", ["amendment_id", "state"], unique=False)
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amended_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amended_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_agreements_amended_from_id_agreements"), "agreements", ["amended_from_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_agreements_amended_from_id_agreements"), type_="foreignkey")
        batch_op.drop_column("amended_at")
        batch_op.drop_column("amended_from_id")
    op.execute("DELETE FROM notices WHERE amendment_id IS NOT NULL")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_amendment_state")
        batch_op.drop_constraint(batch_op.f("ck_notices_about_one_thing"), type_="check")
        batch_op.drop_constraint("uq_notices_amendment_agreement", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_notices_amendment_id_amendments"), type_="foreignkey")
        batch_op.alter_column("change_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("amendment_id")
    op.drop_table("amendments")
