"""Chain the audit trail: every event gets a sequence number, the SHA-256 of the previous
event and its own, and the client it concerns; add the chain head and used links.

Existing events are chained in the order they were written.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 21:14:31

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types
from dpa_manager.audit import GENESIS, event_hash

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _backfill(connection):
    """Chain the events that exist, oldest first, and set the head."""
    events = sa.table(
        "audit_events",
        sa.column("id"),
        sa.column("seq"),
        sa.column("at", dpa_manager.db_types.UTCDateTime()),
        sa.column("actor_id"),
        sa.column("actor_label"),
        sa.column("object_type"),
        sa.column("object_id"),
        sa.column("client_id"),
        sa.column("action"),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    prev, seq = GENESIS, 0
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        seq += 1
        values = dict(row) | {"seq": seq, "client_id": None, "prev_hash": prev}
        values["hash"] = prev = event_hash(values)
        connection.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(seq=seq, prev_hash=values["prev_hash"], hash=values["hash"])
        )
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("last_hash"))
    connection.execute(head.insert().values(id=1, seq=seq, last_hash=prev))


def upgrade():
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "used_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_used_links")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_audit_events_client", ["client_id", "seq"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
        batch_op.create_foreign_key(batch_op.f("fk_audit_events_client_id_clients"), "clients", ["client_id"], ["id"])


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_events_client_id_clients"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_index("ix_audit_events_client")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("client_id")
        batch_op.drop_column("seq")

    op.drop_table("used_links")
    op.drop_table("audit_head")
