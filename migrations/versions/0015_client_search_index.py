"""An index of each client's words (name, contact address, enterprise number) for the client search.

SQLite: an FTS5 table with the trigram tokenizer, client_search, filled now and kept by triggers on clients.
PostgreSQL: a pg_trgm GIN index on the same words; where the server does not offer pg_trgm (or it may not be
installed), the migration says so and goes on without it, and a search reads every client as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 10:30:00

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS client_search USING fts5(words, tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS clients_search_insert AFTER INSERT ON clients BEGIN "
    "INSERT INTO client_search (rowid, words) VALUES (new.id, new.name || ' ' || new.contact_email || ' ' || "
    "new.enterprise_number); END",
    "CREATE TRIGGER IF NOT EXISTS clients_search_update AFTER UPDATE OF name, contact_email, enterprise_number "
    "ON clients BEGIN UPDATE client_search SET words = new.name || ' ' || new.contact_email || ' ' || "
    "new.enterprise_number WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS clients_search_delete AFTER DELETE ON clients BEGIN "
    "DELETE FROM client_search WHERE rowid = old.id; END",
    "INSERT INTO client_search (rowid, words) "
    "SELECT id, name || ' ' || contact_email || ' ' || enterprise_number FROM clients",
)
POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_clients_search ON clients USING gin "
    "((lower(name) || ' ' || lower(contact_email) || ' ' || enterprise_number) gin_trgm_ops)"
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        offered = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
        if offered is None:
            log.warning("pg_trgm is not offered by this server: the client search reads every client")
            return
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError as error:
            log.warning("pg_trgm could not be installed (%s): the client search reads every client", error)
            return
        op.execute(POSTGRESQL_INDEX)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("clients_search_insert", "clients_search_update", "clients_search_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS client_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_clients_search")
