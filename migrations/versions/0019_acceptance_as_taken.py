"""Each acceptance keeps the message as the mail server took it, its answer to DATA, and the clock it was read on.

The evidence file of a notice embeds that message (.eml) and names the server's answer (its queue id).
Acceptances recorded before have none of it; their evidence files say so.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 14:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_acceptances") as batch:
        batch.add_column(sa.Column("raw_message", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("data_reply", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("clock", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_acceptances") as batch:
        for name in ("clock", "data_reply", "raw_message"):
            batch.drop_column(name)
