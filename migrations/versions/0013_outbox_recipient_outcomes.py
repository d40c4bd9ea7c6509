"""Record the mail server's answer per recipient, and every acceptance of a message.

outbox_recipients: accepted, refused for now (4yz, retried) or refused for good, per address of a message.
outbox_acceptances: each SMTP transaction the server accepted, with when and for whom; a message sent twice (a
sender stopped between the server's acceptance and its own commit) has two. A notice counts as delivered from
the earliest acceptance known.

Messages sent before this revision were recorded as accepted for all their recipients at sent_at (a refusal of
some of them was not recorded then); they get one acceptance and accepted recipients saying just that.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 02:40:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("accepted_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("updated_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('accepted', 'deferred', 'refused')", name=op.f("ck_outbox_recipients_state_known")
        ),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_recipients_outbox_id_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_recipients")),
        sa.UniqueConstraint("outbox_id", "address", name="uq_outbox_recipients_address"),
    )
    op.create_index(
        "ix_outbox_recipients_refused",
        "outbox_recipients",
        ["outbox_id"],
        sqlite_where=sa.text("state = 'refused'"),
        postgresql_where=sa.text("state = 'refused'"),
    )
    op.create_table(
        "outbox_acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("stated_closes_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_acceptances_outbox_id_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_acceptances")),
    )
    op.create_index(op.f("ix_outbox_acceptances_outbox_id"), "outbox_acceptances", ["outbox_id"])
    op.create_index(
        "ix_outbox_acceptances_unapplied",
        "outbox_acceptances",
        ["id"],
        sqlite_where=sa.text("NOT applied"),
        postgresql_where=sa.text("NOT applied"),
    )
    op.execute(
        "INSERT INTO outbox_acceptances (outbox_id, accepted_at, recipients, stated_closes_at, applied) "
        "SELECT id, sent_at, recipients, stated_closes_at, true FROM outbox WHERE sent_at IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO outbox_recipients (outbox_id, address, state, accepted_at, refusals, updated_at) "
            "SELECT o.id, r.address, 'accepted', o.sent_at, 0, o.sent_at FROM outbox o, "
            "json_array_elements_text(o.recipients::json) AS r(address) WHERE o.sent_at IS NOT NULL"
        )
    else:
        op.execute(
            "INSERT INTO outbox_recipients (outbox_id, address, state, accepted_at, refusals, updated_at) "
            "SELECT o.id, r.value, 'accepted', o.sent_at, 0, o.sent_at FROM outbox o, "
            "json_each(o.recipients) AS r WHERE o.sent_at IS NOT NULL"
        )


def downgrade():
    op.drop_index("ix_outbox_acceptances_unapplied", table_name="outbox_acceptances")
    op.drop_index(op.f("ix_outbox_acceptances_outbox_id"), table_name="outbox_acceptances")
    op.drop_table("outbox_acceptances")
    op.drop_index("ix_outbox_recipients_refused", table_name="outbox_recipients")
    op.drop_table("outbox_recipients")
