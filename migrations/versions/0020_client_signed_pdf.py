"""The agreement PDF as a client signed it with a qualified certificate in a PDF tool, when it did.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreements") as batch:
        batch.add_column(sa.Column("client_signed_pdf", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreements") as batch:
        batch.drop_column("client_signed_pdf")
