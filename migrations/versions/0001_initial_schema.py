"""Create the foundation: processor profile, services, terms versions, clients, users,
agreements and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:42:41.762076

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_number", sa.String(length=10), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name=op.f("ck_clients_language_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("enterprise_number", name=op.f("uq_clients_enterprise_number")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clients_name"), ["name"], unique=False)

    op.create_table(
        "processor_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_number", sa.String(length=10), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("dpo_email", sa.String(length=320), nullable=False),
        sa.Column("governing_law", sa.String(length=200), nullable=False),
        sa.Column("competent_court", sa.String(length=300), nullable=False),
        sa.Column("default_window_days", sa.Integer(), nullable=False),
        sa.Column("default_window_unit", sa.String(length=10), nullable=False),
        sa.Column("cap_total_cents", sa.Integer(), nullable=False),
        sa.Column("cap_other_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "default_window_unit IN ('calendar', 'working')", name=op.f("ck_processor_profile_window_unit_known")
        ),
        sa.CheckConstraint(
            "cap_total_cents >= 0 AND cap_other_cents >= 0", name=op.f("ck_processor_profile_caps_not_negative")
        ),
        sa.CheckConstraint("default_window_days BETWEEN 1 AND 90", name=op.f("ck_processor_profile_window_days_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_profile")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("code", name=op.f("uq_services_code")),
    )
    op.create_table(
        "terms_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("published_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'published')", name=op.f("ck_terms_versions_state_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_versions")),
        sa.UniqueConstraint("label", name=op.f("uq_terms_versions_label")),
    )
    op.create_table(
        "terms_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["terms_versions.id"], name=op.f("fk_terms_articles_version_id_terms_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_articles")),
        sa.UniqueConstraint("version_id", "number", name="uq_terms_articles_version_number"),
    )
    with op.batch_alter_table("terms_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terms_articles_version_id"), ["version_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'client' AND client_id IS NOT NULL) OR (role = 'manager' AND client_id IS NULL)",
            name=op.f("ck_users_client_users_have_a_client"),
        ),
        sa.CheckConstraint("role IN ('manager', 'client')", name=op.f("ck_users_role_known")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_users_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_client_id"), ["client_id"], unique=False)

    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("terms_version_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("subject_matter", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("nature_purpose", sa.Text(), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("data_types_detail", sa.Text(), nullable=False),
        sa.Column("data_subjects", sa.JSON(), nullable=False),
        sa.Column("data_subjects_detail", sa.Text(), nullable=False),
        sa.Column("special_categories", sa.Boolean(), nullable=False),
        sa.Column("end_choice", sa.String(length=10), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("window_unit", sa.String(length=10), nullable=False),
        sa.Column("cap_total_cents", sa.Integer(), nullable=False),
        sa.Column("cap_other_cents", sa.Integer(), nullable=False),
        sa.Column("toms", sa.Text(), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=True),
        sa.Column("client_signer_id", sa.Integer(), nullable=True),
        sa.Column("client_signer_name", sa.String(length=200), nullable=True),
        sa.Column("client_signer_role", sa.String(length=200), nullable=True),
        sa.Column("client_signed_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("processor_signer_id", sa.Integer(), nullable=True),
        sa.Column("processor_signer_name", sa.String(length=200), nullable=True),
        sa.Column("processor_signer_role", sa.String(length=200), nullable=True),
        sa.Column("processor_signed_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.Column("ended_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("end_choice IN ('return', 'delete')", name=op.f("ck_agreements_end_choice_known")),
        sa.CheckConstraint(
            "state IN ('draft', 'sent', 'signed', 'superseded', 'terminated')", name=op.f("ck_agreements_state_known")
        ),
        sa.CheckConstraint(
            "state NOT IN ('signed', 'superseded') OR (client_signed_at IS NOT NULL AND processor_signed_at IS NOT NULL)",
            name=op.f("ck_agreements_signed_by_both"),
        ),
        sa.CheckConstraint("window_unit IN ('calendar', 'working')", name=op.f("ck_agreements_window_unit_known")),
        sa.CheckConstraint(
            "cap_total_cents >= 0 AND cap_other_cents >= 0", name=op.f("ck_agreements_caps_not_negative")
        ),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_agreements_ends_after_start")),
        sa.CheckConstraint("window_days BETWEEN 1 AND 90", name=op.f("ck_agreements_window_days_range")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_agreements_client_id_clients")),
        sa.ForeignKeyConstraint(["client_signer_id"], ["users.id"], name=op.f("fk_agreements_client_signer_id_users")),
        sa.ForeignKeyConstraint(
            ["processor_signer_id"], ["users.id"], name=op.f("fk_agreements_processor_signer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["terms_version_id"], ["terms_versions.id"], name=op.f("fk_agreements_terms_version_id_terms_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_client_state", ["client_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_terms_version_id"), ["terms_version_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "agreement_services",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_services_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_agreement_services_service_id_services")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "service_id", name=op.f("pk_agreement_services")),
    )
    with op.batch_alter_table("agreement_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_services_service_id"), ["service_id"], unique=False)


def downgrade():
    with op.batch_alter_table("agreement_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_services_service_id"))

    op.drop_table("agreement_services")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")

    op.drop_table("audit_events")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_terms_version_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_state"))
        batch_op.drop_index("ix_agreements_client_state")

    op.drop_table("agreements")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_client_id"))

    op.drop_table("users")
    with op.batch_alter_table("terms_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terms_articles_version_id"))

    op.drop_table("terms_articles")
    op.drop_table("terms_versions")
    op.drop_table("services")
    op.drop_table("processor_profile")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_name"))

    op.drop_table("clients")
