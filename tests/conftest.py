"""Fixtures and factories: an app on a fresh database, users, clients and agreements."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest

from dpa_manager import create_app
from dpa_manager.accounts.services import create_user
from dpa_manager.agreements import services as agreements
from dpa_manager.clients.services import create_client
from dpa_manager.demo import PROFILE, SERVICES, TOMS, with_check_digits
from dpa_manager.extensions import db
from dpa_manager.processor.models import Service
from dpa_manager.processor.services import add_service, save_profile
from dpa_manager.terms.services import load_default_terms

#: A fixed moment for the tests: Saturday 21 November 2026, 10:00 UTC.
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
PASSWORD = "correct-horse-battery"


#: When set (postgresql+psycopg://...), every test runs on that database instead of a SQLite file.
TEST_DATABASE_URL = os.environ.get("DPA_TEST_DATABASE_URL")


def database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def http(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def setup(app):
    """The processor profile, its services and the default terms."""
    terms = load_default_terms(now=NOW)
    save_profile(PROFILE, actor=None, now=NOW)
    for code, name in SERVICES:
        add_service(code, name, actor=None, now=NOW)
    return terms


_counter = iter(range(1, 10_000))


@pytest.fixture
def make_client(setup):
    def make(**values):
        n = next(_counter)
        data = {"name": f"Klant {n}", "enterprise_number": with_check_digits(2_000_000 + n),
                "address": f"Straat {n}\n1000 Brussel", "language": "nl", "contact_email": f"klant{n}@example.be"}
        return create_client(data | values, actor=None, now=NOW)
    return make


@pytest.fixture
def make_user(app):
    def make(role="client", client=None, email=None, full_name="Test Gebruiker"):
        n = next(_counter)
        return create_user(email=email or f"user{n}@example.be", password=PASSWORD, role=role,
                           client_id=client.id if client else None, full_name=full_name, now=NOW)
    return make


@pytest.fixture
def manager(make_user):
    return make_user(role="manager", full_name="An Manager")


def particulars(**overrides) -> dict:
    values = agreements.draft_defaults(date(2026, 11, 21)) | {
        "subject_matter": "Klantendienst voor consumenten",
        "starts_on": date(2026, 11, 1), "ends_on": None,
        "nature_purpose": "Oproepen beantwoorden en klachten opvolgen.",
        "data_types": ["identification", "contact"], "data_types_detail": "",
        "data_subjects": ["customers"], "data_subjects_detail": "",
        "special_categories": False, "toms": TOMS,
    }
    return values | overrides


@pytest.fixture
def make_agreement(app, manager, make_client, make_user):
    """Make an agreement in a given state: draft, sent, client_signed or signed."""

    def make(state="draft", client=None, **overrides):
        client = client or make_client()
        service_ids = [db.session.scalar(db.select(Service.id).where(Service.code == "klantendienst"))]
        agreement = agreements.create_draft(client, particulars(**overrides), service_ids, actor=manager, now=NOW)
        if state == "draft":
            return agreement
        agreements.send(agreement, actor=manager, now=NOW)
        if state == "sent":
            return agreement
        signer = client.users[0] if client.users else make_user(client=client, full_name="Els Janssens")
        agreements.client_sign(agreement, user=signer, full_name="Els Janssens", role="Zaakvoerder",
                               authorised=True, now=NOW)
        if state == "client_signed":
            return agreement
        agreements.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
        return agreement

    return make


@pytest.fixture
def login(http):
    def do(user):
        response = http.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return http
    return do
