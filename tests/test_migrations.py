"""The schema comes from migrations, and the migrations match the models (on SQLite and on PostgreSQL)."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from dpa_manager import create_app
from dpa_manager.extensions import db

from .conftest import database_url


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database: the test database with every table dropped."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url(tmp_path)})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        yield app
        db.session.remove()
        downgrade(revision="base")
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def test_upgrade_of_an_empty_database_matches_the_models(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_the_audit_chain_starts_empty_after_upgrade(empty_app):
    upgrade()
    from dpa_manager.audit import verify
    assert verify().ok and verify().checked == 0


def test_downgrade_removes_every_table(empty_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
