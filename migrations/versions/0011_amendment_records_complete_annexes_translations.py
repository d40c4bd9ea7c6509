"""Say how each agreement came about, complete the annexes, and keep French and English versions of free texts.

agreements.concluded_by ('signatures', 'acceptance', 'silence') and effective_at: an amendment accepted by silence
is not a signature; it takes effect on the new version's effective date. notices.amended_agreement_id names the
agreement an accepted amendment produced. Annex I contact persons (processor_profile, clients), Annex II
retention, Annex IV sub-processor address and contact; the breach notice in hours; translations of the free
texts a client reads. Outbox messages can be cancelled (a reminder whose notice was settled before it went out).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 23:48:28.402165

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("concluded_by", sa.String(length=12), nullable=False, server_default="signatures")
        )
        batch_op.add_column(sa.Column("effective_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            "concluded_by_known", "concluded_by IN ('signatures', 'acceptance', 'silence')"
        )

    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_role", sa.String(length=200), nullable=False, server_default=""))

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amended_agreement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_amended_agreement_id_agreements"), "agreements", ["amended_agreement_id"], ["id"]
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", "state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')")

    with op.batch_alter_table("processor_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_role", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("breach_notice_hours", sa.Integer(), nullable=False, server_default="48"))
        batch_op.create_check_constraint("breach_notice_hours_range", "breach_notice_hours BETWEEN 1 AND 72")

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))

    with op.batch_alter_table("subprocessors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))

    # What the amendments accepted so far produced, and how they were accepted.
    op.execute(
        "UPDATE notices SET amended_agreement_id = (SELECT a.id FROM agreements a "
        "WHERE a.amended_from_id = notices.agreement_id AND a.terms_version_id = "
        "(SELECT m.version_id FROM amendments m WHERE m.id = notices.amendment_id)) "
        "WHERE amendment_id IS NOT NULL AND applied_at IS NOT NULL"
    )
    op.execute(
        "UPDATE agreements SET concluded_by = 'silence' WHERE id IN (SELECT amended_agreement_id FROM "
        "notices WHERE state = 'deemed_approved' AND amended_agreement_id IS NOT NULL)"
    )
    op.execute(
        "UPDATE agreements SET concluded_by = 'acceptance' WHERE id IN (SELECT amended_agreement_id FROM "
        "notices WHERE state = 'approved' AND amended_agreement_id IS NOT NULL)"
    )
    op.execute(
        "UPDATE agreements SET effective_at = processor_signed_at "
        "WHERE concluded_by = 'signatures' AND processor_signed_at IS NOT NULL"
    )
    op.execute("UPDATE agreements SET effective_at = created_at WHERE concluded_by <> 'signatures'")
    # Their stored PDFs presented the acceptance as a signature by both parties: they are made again, as
    # amendment records, the next time they are needed (the audit trail keeps the old fingerprint).
    op.execute("UPDATE agreements SET signed_pdf = NULL, signed_sha256 = NULL WHERE concluded_by <> 'signatures'")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "acceptance_amends", "concluded_by = 'signatures' OR amended_from_id IS NOT NULL"
        )
        batch_op.drop_constraint(batch_op.f("ck_agreements_signed_by_both"), type_="check")
        batch_op.create_check_constraint(
            "signed_by_both",
            "concluded_by != 'signatures' OR state NOT IN ('signed', 'superseded') OR "
            "(client_signed_at IS NOT NULL AND processor_signed_at IS NOT NULL)",
        )
    # They carried copies of the signatures of the agreement they amended; those stay on that agreement only.
    op.execute(
        "UPDATE agreements SET client_signer_id = NULL, client_signer_name = NULL, client_signer_role = NULL, "
        "client_signed_at = NULL, processor_signer_id = NULL, processor_signer_name = NULL, "
        "processor_signer_role = NULL, processor_signed_at = NULL WHERE concluded_by <> 'signatures'"
    )


def downgrade():
    op.execute("UPDATE outbox SET state = 'dead' WHERE state = 'cancelled'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", "state IN ('pending', 'sending', 'sent', 'dead')")
    # The old schema wants signatures on every agreement in force: copy those of the amended agreement back
    # (once per level of a chain of amendments).
    for _level in range(10):
        op.execute(
            "UPDATE agreements SET client_signer_id = (SELECT o.client_signer_id FROM agreements o WHERE o.id = agreements.amended_from_id), client_signer_name = (SELECT o.client_signer_name FROM agreements o WHERE o.id = agreements.amended_from_id), client_signer_role = (SELECT o.client_signer_role FROM agreements o WHERE o.id = agreements.amended_from_id), client_signed_at = (SELECT o.client_signed_at FROM agreements o WHERE o.id = agreements.amended_from_id), processor_signer_id = (SELECT o.processor_signer_id FROM agreements o WHERE o.id = agreements.amended_from_id), processor_signer_name = (SELECT o.processor_signer_name FROM agreements o WHERE o.id = agreements.amended_from_id), processor_signer_role = (SELECT o.processor_signer_role FROM agreements o WHERE o.id = agreements.amended_from_id), processor_signed_at = (SELECT o.processor_signed_at FROM agreements o WHERE o.id = agreements.amended_from_id) "
            "WHERE client_signed_at IS NULL AND amended_from_id IS NOT NULL AND state IN ('signed', 'superseded')"
        )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agreements_signed_by_both"), type_="check")
        batch_op.create_check_constraint(
            "signed_by_both",
            "state NOT IN ('signed', 'superseded') OR (client_signed_at IS NOT NULL "
            "AND processor_signed_at IS NOT NULL)",
        )
        batch_op.drop_constraint(batch_op.f("ck_agreements_acceptance_amends"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_agreements_concluded_by_known"), type_="check")
    with op.batch_alter_table("processor_profile", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_processor_profile_breach_notice_hours_range"), type_="check")
    with op.batch_alter_table("subprocessors", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("contact")
        batch_op.drop_column("address")

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("processor_profile", schema=None) as batch_op:
        batch_op.drop_column("breach_notice_hours")
        batch_op.drop_column("contact_role")
        batch_op.drop_column("contact_name")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notices_amended_agreement_id_agreements"), type_="foreignkey")
        batch_op.drop_column("amended_agreement_id")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("contact_role")
        batch_op.drop_column("contact_name")

    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("effective_at")
        batch_op.drop_column("concluded_by")
        batch_op.drop_column("translations")
        batch_op.drop_column("retention")
