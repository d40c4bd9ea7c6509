"""When a client's feed addresses were made, so that they can expire (FEED_TOKEN_DAYS).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-26 20:00:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("feed_token_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("feed_token_at")
