"""Allow one signed agreement per client: a partial unique index.

Two countersignatures at the same moment could leave a client with two signed agreements (and every later
change then sent it two notices). Where that happened, the most recently countersigned one stays signed and the
others become superseded, as the second countersignature would have done; then the index makes it impossible.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SIGNED = "state = 'signed'"


def upgrade():
    op.execute(
        "UPDATE agreements SET state = 'superseded', ended_at = COALESCE(ended_at, updated_at) "
        "WHERE state = 'signed' AND EXISTS (SELECT 1 FROM agreements newer WHERE newer.client_id = "
        "agreements.client_id AND newer.state = 'signed' AND newer.id > agreements.id)"
    )
    op.create_index(
        "uq_agreements_one_signed_per_client",
        "agreements",
        ["client_id"],
        unique=True,
        sqlite_where=sa.text(SIGNED),
        postgresql_where=sa.text(SIGNED),
    )


def downgrade():
    op.drop_index("uq_agreements_one_signed_per_client", table_name="agreements")
