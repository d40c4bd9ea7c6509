"""The files clients are imported from, kept as they came.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-26 21:00:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('clients')", name=op.f("ck_import_files_kind_known")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_import_files_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_files")),
    )


def downgrade():
    op.drop_table("import_files")
