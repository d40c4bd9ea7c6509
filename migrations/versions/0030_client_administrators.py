"""A client's users have rights: a client administrator manages the client's users, and each user may sign for the
client or not, and receives its notices or not. The first active user of each client becomes its administrator.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27 03:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("may_sign", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("gets_notices", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(
        "UPDATE users SET client_admin = TRUE WHERE id IN "
        "(SELECT MIN(id) FROM users WHERE role = 'client' AND active = TRUE GROUP BY client_id)"
    )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("gets_notices")
        batch_op.drop_column("may_sign")
        batch_op.drop_column("client_admin")
