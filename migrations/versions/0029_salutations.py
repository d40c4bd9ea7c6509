"""Users and clients' contacts choose how e-mails address them: a salutation and the name that goes with it.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-27 03:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("users", "clients"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("salutation", sa.String(length=12), server_default="full_name", nullable=False)
            )
            batch_op.add_column(sa.Column("salutation_name", sa.String(length=100), server_default="", nullable=False))


def downgrade():
    for table in ("clients", "users"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("salutation_name")
            batch_op.drop_column("salutation")
