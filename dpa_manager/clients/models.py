"""Clients: the controllers the processor works for."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import DDL, CheckConstraint, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model
from ..rules import format_enterprise_number


class Client(Model):
    __tablename__ = "clients"
    __table_args__ = (CheckConstraint("language IN ('nl', 'fr', 'en')", name="language_known"),)

    #: Whose data this is (see scoping.py): a client user sees their own client.
    client_scope = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: Ten digits, validated with the mod-97 check; shown as 0427.073.974.
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    address: Mapped[str] = mapped_column(Text)
    #: The language of everything sent to the client.
    language: Mapped[str] = mapped_column(String(2), default="nl")
    contact_email: Mapped[str] = mapped_column(String(320))
    #: The client's contact person for the agreement (Annex I): name and position; optional.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_role: Mapped[str] = mapped_column(String(200), default="")
    #: How the e-mails to the client address its contact (rules.SALUTATIONS), and the name that goes with it.
    salutation: Mapped[str] = mapped_column(String(12), default="full_name", server_default="full_name")
    salutation_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The secret in the client's feed URLs; a client user can replace it.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    #: When the feed addresses were last made anew; None: they date from the client's creation.
    feed_token_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def feed_expires_at(self, days: int | None) -> datetime | None:
        """When the feed addresses stop working, with FEED_TOKEN_DAYS = `days` (None: never)."""
        return (self.feed_token_at or self.created_at) + timedelta(days=days) if days else None

    users = relationship("User", back_populates="client")
    agreements = relationship("Agreement", back_populates="client", order_by="Agreement.id.desc()")

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name}>"

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)


# --- The index of a client's words (search.py), made with the table when the schema comes from the models ----

#: On SQLite: the words of each client in an FTS5 trigram table, kept by triggers (the migration 0015 fills it).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS client_search USING fts5(words, tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS clients_search_insert AFTER INSERT ON clients BEGIN "
    "INSERT INTO client_search (rowid, words) VALUES (new.id, new.name || ' ' || new.contact_email || ' ' || "
    "new.enterprise_number); END",
    "CREATE TRIGGER IF NOT EXISTS clients_search_update AFTER UPDATE OF name, contact_email, enterprise_number "
    "ON clients BEGIN UPDATE client_search SET words = new.name || ' ' || new.contact_email || ' ' || "
    "new.enterprise_number WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS clients_search_delete AFTER DELETE ON clients BEGIN "
    "DELETE FROM client_search WHERE rowid = old.id; END",
)
#: The words of a client on PostgreSQL: the expression of the index, which a query must repeat to use it.
POSTGRESQL_WORDS = "(lower(clients.name) || ' ' || lower(clients.contact_email) || ' ' || clients.enterprise_number)"
POSTGRESQL_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_clients_search ON clients USING gin "
    "((lower(name) || ' ' || lower(contact_email) || ' ' || enterprise_number) gin_trgm_ops)",
)

for _statement in SQLITE_DDL:
    event.listen(Client.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(Client.__table__, "before_drop", DDL("DROP TABLE IF EXISTS client_search").execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(Client.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
