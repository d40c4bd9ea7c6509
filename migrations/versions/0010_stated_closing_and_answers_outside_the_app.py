"""Record the closing moment each notice e-mail states, and answers that reach the processor outside the app.

agreements.state 'annulled': an agreement that came about by a deemed acceptance which an objection received
in time (recorded later) undid.

notices.stated_closes_at and outbox.stated_closes_at: what the client was told (the window applied is never
shorter); notices.answer_channel, answer_recorded_at/_by: an objection or approval received by e-mail, letter
or phone and recorded by a manager; notice_proofs: the documents that prove it, with their SHA-256.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:33:13.233134

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_notice_proofs_not_empty")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_notice_proofs_client_id_clients")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_notice_proofs_created_by_id_users")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_proofs_notice_id_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_proofs")),
    )
    with op.batch_alter_table("notice_proofs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_proofs_notice_id"), ["notice_id"], unique=False)

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stated_closes_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("answer_channel", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("answer_recorded_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("answer_recorded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_answer_recorded_by_id_users"), "users", ["answer_recorded_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "never_shorter_than_stated", "stated_closes_at IS NULL OR closes_at >= stated_closes_at"
        )
        batch_op.create_check_constraint(
            "answer_channel_known",
            "answer_channel IS NULL OR answer_channel IN ('app', 'email', 'letter', 'phone', 'other')",
        )
    # Answers given so far were all given in the app by a user of the client.
    op.execute("UPDATE notices SET answer_channel = 'app' WHERE decided_by_id IS NOT NULL")

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agreements_state_known"), type_="check")
        batch_op.create_check_constraint(
            "state_known", "state IN ('draft', 'sent', 'signed', 'superseded', 'terminated', 'annulled')"
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stated_closes_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    op.execute("UPDATE agreements SET state = 'terminated' WHERE state = 'annulled'")  # the old schema has no lapse
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agreements_state_known"), type_="check")
        batch_op.create_check_constraint(
            "state_known", "state IN ('draft', 'sent', 'signed', 'superseded', 'terminated')"
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("stated_closes_at")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notices_answer_channel_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_notices_never_shorter_than_stated"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_notices_answer_recorded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("answer_recorded_by_id")
        batch_op.drop_column("answer_recorded_at")
        batch_op.drop_column("answer_channel")
        batch_op.drop_column("stated_closes_at")

    with op.batch_alter_table("notice_proofs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_proofs_notice_id"))

    op.drop_table("notice_proofs")
