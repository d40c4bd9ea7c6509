"""Bounces: the messages that come back to an e-mail's return path, and the recipients they say were not reached;
the round of a notice that a bounce sent back.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 17:00:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("envelope_to", sa.String(length=320), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("effect", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("via IN ('smtp', 'imap')", name=op.f("ck_mail_bounces_via_known")),
        sa.CheckConstraint(
            "kind IN ('failed', 'delayed', 'delivered', 'unreadable')", name=op.f("ck_mail_bounces_kind_known")
        ),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_mail_bounces_outbox_id_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_bounces")),
        sa.UniqueConstraint("sha256", name=op.f("uq_mail_bounces_sha256")),
    )
    with op.batch_alter_table("mail_bounces") as batch:
        batch.create_index(batch.f("ix_mail_bounces_outbox_id"), ["outbox_id"], unique=False)
    with op.batch_alter_table("outbox_recipients") as batch:
        batch.drop_constraint(batch.f("ck_outbox_recipients_state_known"), type_="check")
        batch.create_check_constraint("state_known", "state IN ('accepted', 'deferred', 'refused', 'bounced')")
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("delivery_round", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("delivery_round")
    op.execute("UPDATE outbox_recipients SET state = 'accepted' WHERE state = 'bounced'")
    with op.batch_alter_table("outbox_recipients") as batch:
        batch.drop_constraint(batch.f("ck_outbox_recipients_state_known"), type_="check")
        batch.create_check_constraint("state_known", "state IN ('accepted', 'deferred', 'refused')")
    op.drop_table("mail_bounces")
