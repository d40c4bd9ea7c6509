"""Give every client a secret for its feed addresses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 22:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_token", sa.String(length=64), nullable=True))
    clients = sa.table("clients", sa.column("id"), sa.column("feed_token"))
    connection = op.get_bind()
    for (client_id,) in connection.execute(sa.select(clients.c.id)).all():
        connection.execute(
            clients.update().where(clients.c.id == client_id).values(feed_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column("feed_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_clients_feed_token"), ["feed_token"])


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_clients_feed_token"), type_="unique")
        batch_op.drop_column("feed_token")
