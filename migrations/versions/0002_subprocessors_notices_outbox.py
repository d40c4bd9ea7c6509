"""Add the register of sub-processors, changes, per-client assignments, notices, the
outbox and API tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:57:10.022969

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subprocessors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=60), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("transfer_mechanism", sa.String(length=12), nullable=True),
        sa.Column("transfer_text", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('active_systematic', 'incidental')", name=op.f("ck_subprocessors_kind_known")),
        sa.CheckConstraint("status IN ('proposed', 'active', 'retired')", name=op.f("ck_subprocessors_status_known")),
        sa.CheckConstraint(
            "transfer_mechanism IS NULL OR transfer_mechanism IN ('adequacy', 'scc', 'bcr', 'other')",
            name=op.f("ck_subprocessors_transfer_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subprocessors")),
    )
    with op.batch_alter_table("subprocessors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subprocessors_status"), ["status"], unique=False)

    op.create_table(
        "subprocessor_services",
        sa.Column("subprocessor_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_subprocessor_services_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["subprocessor_id"],
            ["subprocessors.id"],
            name=op.f("fk_subprocessor_services_subprocessor_id_subprocessors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subprocessor_id", "service_id", name=op.f("pk_subprocessor_services")),
    )
    with op.batch_alter_table("subprocessor_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subprocessor_services_service_id"), ["service_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subprocessor_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("announced_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("announced_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'replace' AND replaces_id IS NOT NULL AND replaces_id != subprocessor_id) OR (kind != 'replace' AND replaces_id IS NULL)",
            name=op.f("ck_changes_replace_names_another"),
        ),
        sa.CheckConstraint("kind IN ('add', 'replace', 'remove')", name=op.f("ck_changes_kind_known")),
        sa.CheckConstraint("state IN ('draft', 'announced', 'cancelled')", name=op.f("ck_changes_state_known")),
        sa.ForeignKeyConstraint(["announced_by_id"], ["users.id"], name=op.f("fk_changes_announced_by_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_changes_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["subprocessors.id"], name=op.f("fk_changes_replaces_id_subprocessors")
        ),
        sa.ForeignKeyConstraint(
            ["subprocessor_id"], ["subprocessors.id"], name=op.f("fk_changes_subprocessor_id_subprocessors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_changes_subprocessor_id"), ["subprocessor_id"], unique=False)

    op.create_table(
        "client_subprocessors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("subprocessor_id", sa.Integer(), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("until_on", sa.Date(), nullable=True),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_change_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "until_on IS NULL OR until_on >= from_on", name=op.f("ck_client_subprocessors_period_ordered")
        ),
        sa.ForeignKeyConstraint(["change_id"], ["changes.id"], name=op.f("fk_client_subprocessors_change_id_changes")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_client_subprocessors_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["ended_by_change_id"], ["changes.id"], name=op.f("fk_client_subprocessors_ended_by_change_id_changes")
        ),
        sa.ForeignKeyConstraint(
            ["subprocessor_id"],
            ["subprocessors.id"],
            name=op.f("fk_client_subprocessors_subprocessor_id_subprocessors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_subprocessors")),
    )
    with op.batch_alter_table("client_subprocessors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_client_subprocessors_client_period", ["client_id", "from_on", "until_on"], unique=False
        )
        batch_op.create_index("ix_client_subprocessors_sp_open", ["subprocessor_id", "until_on"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("window_unit", sa.String(length=10), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_opened_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notified_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remind_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("objection_reason", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=30), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "NOT needs_approval OR state != 'informed'", name=op.f("ck_notices_window_notices_are_not_informational")
        ),
        sa.CheckConstraint(
            "needs_approval OR state NOT IN ('open', 'objected', 'approved', 'deemed_approved')",
            name=op.f("ck_notices_informational_has_no_window"),
        ),
        sa.CheckConstraint(
            "state != 'deemed_approved' OR (closes_at IS NOT NULL AND decided_at >= closes_at)",
            name=op.f("ck_notices_silence_only_after_closing"),
        ),
        sa.CheckConstraint(
            "state IN ('awaiting_delivery', 'open', 'informed', 'objected', 'approved', 'deemed_approved', 'withdrawn')",
            name=op.f("ck_notices_state_known"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('open', 'informed', 'objected', 'approved', 'deemed_approved') OR notified_at IS NOT NULL",
            name=op.f("ck_notices_told_before_anything"),
        ),
        sa.CheckConstraint("window_days BETWEEN 1 AND 90", name=op.f("ck_notices_window_days_range")),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], name=op.f("fk_notices_agreement_id_agreements")),
        sa.ForeignKeyConstraint(["change_id"], ["changes.id"], name=op.f("fk_notices_change_id_changes")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_notices_client_id_clients")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_notices_decided_by_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_notices_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("change_id", "agreement_id", name="uq_notices_change_agreement"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index("ix_notices_change_state", ["change_id", "state"], unique=False)
        batch_op.create_index("ix_notices_client_state", ["client_id", "state"], unique=False)
        batch_op.create_index("ix_notices_state_closes_at", ["state", "closes_at"], unique=False)
        batch_op.create_index("ix_notices_state_remind_at", ["state", "remind_at"], unique=False)
        batch_op.create_index("ix_notices_unapplied", ["applied_at", "state"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'dead')", name=op.f("ck_outbox_state_known")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_outbox_client_id_clients")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_outbox_notice_id_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_notice_id"), ["notice_id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_notice_id"))
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index(batch_op.f("ix_outbox_client_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_unapplied")
        batch_op.drop_index("ix_notices_state_remind_at")
        batch_op.drop_index("ix_notices_state_closes_at")
        batch_op.drop_index("ix_notices_client_state")
        batch_op.drop_index("ix_notices_change_state")
        batch_op.drop_index(batch_op.f("ix_notices_agreement_id"))

    op.drop_table("notices")
    with op.batch_alter_table("client_subprocessors", schema=None) as batch_op:
        batch_op.drop_index("ix_client_subprocessors_sp_open")
        batch_op.drop_index("ix_client_subprocessors_client_period")

    op.drop_table("client_subprocessors")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_subprocessor_id"))
        batch_op.drop_index(batch_op.f("ix_changes_state"))

    op.drop_table("changes")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("subprocessor_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subprocessor_services_service_id"))

    op.drop_table("subprocessor_services")
    with op.batch_alter_table("subprocessors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subprocessors_status"))

    op.drop_table("subprocessors")
