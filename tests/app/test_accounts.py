"""Logging in and out, roles, and CSRF."""

import pytest

from dpa_manager import create_app
from dpa_manager.audit import AuditEvent
from dpa_manager.extensions import db

from .conftest import PASSWORD


def test_login_page_is_dutch(http):
    page = http.get("/login")
    assert page.status_code == 200
    assert "Aanmelden" in page.text and "Wachtwoord" in page.text


def test_anonymous_user_is_sent_to_login(http):
    response = http.get("/clients/")
    assert response.status_code == 302
    assert "/login?next=%2Fclients%2F" in response.headers["Location"]


def test_manager_logs_in_and_lands_on_clients(http, manager):
    response = http.post("/login", data={"email": manager.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert http.get("/").headers["Location"].endswith("/dashboard")
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert [e.actor_id for e in events] == [manager.id]


def test_wrong_password_is_refused_and_recorded(http, manager):
    response = http.post("/login", data={"email": manager.email, "password": "not-the-password"})
    assert response.status_code == 200
    assert "E-mailadres of wachtwoord klopt niet." in response.text
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "login_failed")) is not None
    assert http.get("/clients/").status_code == 302


def test_empty_login_form_shows_errors_beside_fields(http):
    page = http.post("/login", data={"email": "", "password": ""})
    assert "Vul uw e-mailadres in." in page.text and "Vul uw wachtwoord in." in page.text


def test_next_parameter_only_leads_to_this_site(http, manager):
    response = http.post("/login?next=https://evil.example/", data={"email": manager.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    http.post("/logout")
    response = http.post("/login?next=/agreements/", data={"email": manager.email, "password": PASSWORD})
    assert response.headers["Location"] == "/agreements/"


def test_logout_is_a_post_and_ends_the_session(login, manager):
    http = login(manager)
    assert http.get("/logout").status_code == 405
    assert http.post("/logout").status_code == 302
    assert http.get("/clients/").status_code == 302


@pytest.mark.parametrize("url", ["/clients/", "/clients/new", "/agreements/", "/terms/", "/processor/"])
def test_client_users_get_403_on_manager_pages(login, make_client, make_user, url):
    http = login(make_user(client=make_client()))
    assert http.get(url).status_code == 403


def test_managers_get_403_on_the_client_portal(login, manager):
    assert login(manager).get("/portal/").status_code == 403


def test_forms_without_csrf_token_are_refused(tmp_path, make_client):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})
    with app.app_context():
        db.create_all()
        response = app.test_client().post("/login", data={"email": "a@b.be", "password": "x"})
        assert response.status_code == 400
        assert "CSRF" in response.text
        db.engine.dispose()


def test_unknown_page_is_a_dutch_404(http):
    response = http.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Niet gevonden" in response.text
