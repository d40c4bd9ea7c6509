"""The schema comes from migrations, and the migrations match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from dpa_manager import create_app
from dpa_manager.extensions import db


def migrated_app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}"})


def test_upgrade_of_an_empty_database_matches_the_models(tmp_path):
    app = migrated_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        db.engine.dispose()


def test_downgrade_removes_every_table(tmp_path):
    app = migrated_app(tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        db.engine.dispose()
