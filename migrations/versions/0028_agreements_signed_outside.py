"""Agreements signed outside the app are imported: their day of signing and their signed PDF, possibly on terms
the app does not hold; files of agreements are kept as files of clients are.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-27 02:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_on", sa.Date(), nullable=True))
        batch_op.alter_column("terms_version_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f("ck_agreements_concluded_by_known"), type_="check")
        batch_op.create_check_constraint(
            "concluded_by_known", "concluded_by IN ('signatures', 'acceptance', 'silence', 'outside')"
        )
        batch_op.drop_constraint(batch_op.f("ck_agreements_acceptance_amends"), type_="check")
        batch_op.create_check_constraint(
            "acceptance_amends", "concluded_by IN ('signatures', 'outside') OR amended_from_id IS NOT NULL"
        )
        batch_op.create_check_constraint(
            "outside_signed",
            "concluded_by != 'outside' OR (state != 'draft' AND signed_on IS NOT NULL AND signed_sha256 IS NOT NULL)",
        )
        batch_op.create_check_constraint("terms_in_app", "terms_version_id IS NOT NULL OR concluded_by = 'outside'")
    with op.batch_alter_table("import_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_import_files_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('clients', 'subprocessors', 'agreements')")


def downgrade():
    op.execute("DELETE FROM import_files WHERE kind = 'agreements'")
    with op.batch_alter_table("import_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_import_files_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('clients', 'subprocessors')")
    imported = op.get_bind().scalar(sa.text("SELECT count(*) FROM agreements WHERE concluded_by = 'outside'"))
    if imported:  # signed agreements are records: a downgrade does not delete them
        raise RuntimeError(f"{imported} agreements signed outside the app exist; this revision cannot be undone.")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agreements_terms_in_app"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_agreements_outside_signed"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_agreements_acceptance_amends"), type_="check")
        batch_op.create_check_constraint(
            "acceptance_amends", "concluded_by = 'signatures' OR amended_from_id IS NOT NULL"
        )
        batch_op.drop_constraint(batch_op.f("ck_agreements_concluded_by_known"), type_="check")
        batch_op.create_check_constraint(
            "concluded_by_known", "concluded_by IN ('signatures', 'acceptance', 'silence')"
        )
        batch_op.alter_column("terms_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("signed_on")
