"""How each signer of an agreement was authenticated, from which address and browser.

The signature page of a signed agreement records them, and the processor's seal covers the page.
Agreements signed before have none: their pages say nothing of it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ("client_signed_from", "processor_signed_from")


def upgrade():
    with op.batch_alter_table("agreements") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreements") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
