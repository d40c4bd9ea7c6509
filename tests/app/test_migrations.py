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
        leave_out_the_search_index = {  # made by hand in 0015 (FTS5, pg_trgm), as migrations/env.py says
            "include_name": lambda name, type_, parents: (
                not (type_ == "table" and name.startswith("client_search")) and name != "ix_clients_search"
            )
        }
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True} | leave_out_the_search_index
        )
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


def test_amendments_accepted_before_0011_become_amendment_records(empty_app):
    """Agreements made by accepted amendments under the old schema: linked to their notice, said to be
    accepted by silence or explicitly, without the copied signatures, their PDF to be made again."""
    upgrade(revision="0009")
    at = "'2026-11-21 10:00:00'"
    rows = [
        "INSERT INTO terms_versions (id, label, title, language, effective_on, state, created_at) VALUES "
        f"(1, '2020-10', 'T', 'nl', '2020-10-06', 'published', {at}), (2, '2027-01', 'T', 'nl', '2026-11-01', "
        f"'published', {at}), (3, '2027-06', 'T', 'nl', '2026-11-02', 'published', {at})",
        "INSERT INTO clients (id, name, enterprise_number, address, language, contact_email, created_at, feed_token) "
        f"VALUES (1, 'K', '0427073974', 'A', 'nl', 'k@example.be', {at}, 't1')",
    ]
    signed = (
        "client_signer_name, client_signed_at, processor_signer_name, processor_signed_at",
        f"'Els', {at}, 'An', {at}",
    )
    common = (
        "client_id, subject_matter, nature_purpose, data_types, data_types_detail, data_subjects, "
        "data_subjects_detail, special_categories, end_choice, window_days, window_unit, cap_total_cents, "
        "cap_other_cents, toms, created_at, updated_at"
    )
    values = f"1, 'S', 'N', '[]', '', '[]', '', false, 'delete', 7, 'calendar', 1, 1, 'T', {at}, {at}"
    rows += [
        f"INSERT INTO agreements (id, terms_version_id, state, amended_from_id, {common}, {signed[0]}, signed_pdf) "
        f"VALUES (1, 1, 'superseded', NULL, {values}, {signed[1]}, NULL), "
        f"(2, 2, 'superseded', 1, {values}, {signed[1]}, NULL), (3, 3, 'signed', 2, {values}, {signed[1]}, 'x')",
        f"INSERT INTO amendments (id, version_id, summary, window_days, window_unit, announced_at) VALUES "
        f"(1, 2, '', 3, 'working', {at}), (2, 3, '', 3, 'working', {at})",
        # amendment 1 was deemed accepted (agreement 1 → 2); amendment 2 reached both 1 and 2: accepted on 2 (→ 3)
        "INSERT INTO notices (id, amendment_id, agreement_id, client_id, needs_approval, state, window_days, "
        "window_unit, created_at, notified_at, closes_at, decided_at, applied_at, decided_by_id) VALUES "
        f"(1, 1, 1, 1, true, 'deemed_approved', 3, 'working', {at}, {at}, {at}, {at}, {at}, NULL), "
        f"(2, 2, 1, 1, true, 'deemed_approved', 3, 'working', {at}, {at}, {at}, {at}, {at}, NULL), "
        f"(3, 2, 2, 1, true, 'approved', 3, 'working', {at}, {at}, {at}, {at}, {at}, NULL)",
    ]
    with db.engine.begin() as connection:
        for statement in rows:
            connection.execute(text(statement))
    upgrade()
    with db.engine.connect() as connection:
        notices = dict(connection.execute(text("SELECT id, amended_agreement_id FROM notices")).all())
        agreements = {
            row.id: row
            for row in connection.execute(text("SELECT id, concluded_by, client_signed_at, signed_pdf FROM agreements"))
        }
    assert notices == {1: 2, 2: None, 3: 3}  # notice 2 produced nothing: agreement 1 had already moved on
    assert agreements[1].concluded_by == "signatures" and agreements[1].client_signed_at is not None
    assert agreements[2].concluded_by == "silence" and agreements[2].client_signed_at is None
    assert agreements[3].concluded_by == "acceptance" and agreements[3].signed_pdf is None
    downgrade(revision="0009")  # and back, with the signatures copied again where the old schema wants them
