"""Inserting many rows at once: PostgreSQL's COPY, or the driver's executemany on SQLite.

A fan-out writes an outbox row per client and a sweep an audit event per notice, thousands in one
transaction. SQLAlchemy's generic per-row parameter handling would dominate that work; here each value
is converted by its own column type (once per distinct value or object) and handed to the driver.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import JSON, Integer, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from .extensions import db


def among(column, ids: list[int]):
    """Return `column IN ids`: one array parameter on PostgreSQL (quicker to plan than thousands), a list elsewhere."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def conflict_insert(target, dialect: str | None = None):
    """Return the INSERT of this database's dialect, the one with ON CONFLICT (PostgreSQL's or SQLite's)."""
    dialect = dialect or db.engine.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def next_ids(table, count: int) -> Sequence[int]:
    """Take `count` values of the PostgreSQL sequence behind `table`.id, in one query."""
    return (
        db.session.execute(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        )
        .scalars()
        .all()
    )


def insert_rows(table, rows: list[dict]) -> None:
    """Insert `rows` (mappings with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    # COPY and the driver's executemany know nothing of the model's Python-side defaults: fill the fixed
    # ones here, and refuse rows that leave out a column whose default is computed.
    absent = [c for c in table.columns if c.name not in rows[0] and c.default is not None]
    computed = [c.name for c in absent if not c.default.is_scalar]
    if computed:
        raise ValueError(f"insert_rows into {table.name}: give {', '.join(computed)} (computed defaults)")
    if absent:
        fixed = {c.name: c.default.arg for c in absent}
        rows = [fixed | row for row in rows]
    columns = list(rows[0])
    connection = db.session.connection()
    dialect = connection.dialect
    copy = dialect.name == "postgresql"
    # COPY's text format takes JSON as text: serialised here once per object, not by the driver per row.
    convert = {
        name: json.dumps
        if copy and isinstance(table.c[name].type, JSON)
        else table.c[name].type._cached_bind_processor(dialect)
        for name in columns
    }
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
    if copy:
        with connection.connection.cursor() as cursor:  # type: ignore[attr-defined]  # psycopg's cursor
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as stream:
                for row in values:
                    stream.write_row(row)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", values
    )


def batch_candidates(model, where: list, order: list, limit: int):
    """Return the select of the next `limit` ids of `model` matching `where`, in `order` (claim_batch's choice)."""
    return select(model.id).where(*where).order_by(*order).limit(limit)


def claim_batch(model, where: list, order: list, values: dict, returning: list, limit: int) -> list:
    """Move up to `limit` rows of `model` matching `where`, in `order`, with one guarded UPDATE; return `returning`.

    The one way rows are claimed here (the sweep, the reminders, the changes and amendments that take effect,
    the sender). On PostgreSQL the candidates are locked with SKIP LOCKED, so that concurrent workers take
    different rows; on SQLite the database lock serialises writers. On both, the UPDATE repeats `where`, so that
    a row that no longer matches when its turn comes is not moved. The caller commits.
    """
    candidates = batch_candidates(model, where, order, limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return list(
        db.session.execute(
            update(model)
            .where(model.id.in_(candidates.scalar_subquery()), *where)
            .values(**values)
            .returning(*returning)
            .execution_options(synchronize_session=False)
        ).all()
    )
