"""Files of the register of sub-processors are imported and kept as files of clients are.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-26 23:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_import_files_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('clients', 'subprocessors')")


def downgrade():
    op.execute("DELETE FROM import_files WHERE kind = 'subprocessors'")
    with op.batch_alter_table("import_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_import_files_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('clients')")
