"""Finding clients by any part of their name, e-mail address or enterprise number, from an index.

The words of a client are its name, contact address and enterprise number. On SQLite they are kept in an FTS5
table with the trigram tokenizer (`client_search`, filled by triggers on clients); on PostgreSQL a pg_trgm GIN
index covers the same words. A LIKE of three characters or more is answered from the index, so that a search
costs the same with 1,000 clients or 100,000; a shorter text reads every client's words. The migration 0015 makes
both; models.py makes them for a database created from the models (the tests).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, literal_column, select, text, union

from ..extensions import db
from .models import POSTGRESQL_WORDS, Client


def _pattern(words: str) -> str:
    return f"%{words}%"


def matching(query: str, digits: str | None):
    """Return the condition for the clients whose words contain `query` (any case) or the enterprise number
    `digits`; None when the text holds a LIKE wildcard (% or _), which the index cannot take literally."""
    if "%" in query or "_" in query or "\\" in query:
        return None
    patterns = [_pattern(query)] + ([_pattern(digits)] if digits and digits != query else [])
    if db.engine.dialect.name == "postgresql":
        words: ColumnElement[str] = literal_column(POSTGRESQL_WORDS)
        lowered = [p.lower() for p in patterns]
        return words.like(lowered[0]) if len(lowered) == 1 else words.like(lowered[0]) | words.like(lowered[1])
    found: list[Select] = [
        select(literal_column("rowid")).select_from(text("client_search")).where(text(f"words LIKE :p{i}"))
        for i in range(len(patterns))
    ]
    ids = (found[0] if len(found) == 1 else union(*found)).params(**{f"p{i}": p for i, p in enumerate(patterns)})
    return Client.id.in_(ids)
