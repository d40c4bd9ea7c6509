"""Log the one-off interventions of incidental sub-processors.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 22:40:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "interventions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subprocessor_id", sa.Integer(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_interventions_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["subprocessor_id"], ["subprocessors.id"], name=op.f("fk_interventions_subprocessor_id_subprocessors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interventions")),
    )
    with op.batch_alter_table("interventions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interventions_subprocessor_id"), ["subprocessor_id"], unique=False)


def downgrade():
    with op.batch_alter_table("interventions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interventions_subprocessor_id"))
    op.drop_table("interventions")
