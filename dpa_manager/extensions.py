"""Flask extensions, created unbound and bound to an app in create_app."""

import sqlite3
from typing import TYPE_CHECKING, Any, cast

from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase

#: Constraint names that Alembic can find again, also on SQLite (batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

if TYPE_CHECKING:  # what db.Model is, in terms a type checker follows

    class Model(DeclarativeBase):
        pass

else:
    Model = db.Model


def table_of(model: Any) -> Table:
    """Return the Table of a mapped class (typed as a Table, which every model here has)."""
    return cast(Table, model.__table__)


def rowcount(result: Any) -> int:
    """Return how many rows the UPDATE or DELETE whose result this is matched."""
    return cast(CursorResult, result).rowcount


migrate = Migrate()
mail = Mail()
login_manager = LoginManager()
csrf = CSRFProtect()


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, _record) -> None:
    """On SQLite, keep a write-ahead log: readers (the web workers) do not wait for the writer (the
    scheduler), and a commit syncs the log once instead of a rollback journal several times. FULL
    keeps every committed transaction through a power cut, as the legal record needs."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
