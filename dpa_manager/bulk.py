"""Inserting many rows at once: PostgreSQL's COPY, or the driver's executemany on SQLite.

A fan-out writes an outbox row per client and a sweep an audit event per notice, thousands in one
transaction. SQLAlchemy's generic per-row parameter handling would dominate that work; here each value
is converted by its own column type (once per distinct value or object) and handed to the driver.
"""
from __future__ import annotations

from .extensions import db


def insert_rows(table, rows: list[dict]) -> None:
    """Insert `rows` (mappings with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    columns = list(rows[0])
    connection = db.session.connection()
    dialect = connection.dialect
    convert = {name: table.c[name].type._cached_bind_processor(dialect) for name in columns}
    seen: dict[tuple, object] = {}

    def value(name, raw):
        process = convert[name]
        if process is None or raw is None:
            return raw
        # Rows often share their time and the very same dict or list objects; `rows` keeps those objects
        # alive, so an id() stays theirs during this call.
        key = (name, id(raw)) if isinstance(raw, (dict, list)) else (name, raw)
        if key not in seen:
            seen[key] = process(raw)
        return seen[key]

    values = [tuple(value(name, row[name]) for name in columns) for row in rows]
    if dialect.name == "postgresql":
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", values)
