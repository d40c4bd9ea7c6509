"""A second factor: one-time codes (the secret and the last step used on the user), recovery codes, security keys;
the demo logins' exemption.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-26 20:30:00

"""

import sqlalchemy as sa
from alembic import op

import dpa_manager.db_types

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("mfa_exempt", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes") as batch:
        batch.create_index(batch.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)
    op.create_table(
        "security_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", dpa_manager.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_security_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_keys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_security_keys_credential_id")),
    )
    with op.batch_alter_table("security_keys") as batch:
        batch.create_index(batch.f("ix_security_keys_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("security_keys")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("mfa_exempt")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
