"""A request's transaction ends in one place (web.end_transaction): committed when it succeeded, rolled back when
it was refused or failed, and nothing of a request whose commit failed stays behind, not even in its cookie."""

from sqlalchemy import func, select

from dpa_manager.audit import AuditEvent
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db

from .conftest import PASSWORD


def clients() -> int:
    return db.session.scalar(select(func.count()).select_from(Client))


def test_a_request_that_succeeds_is_committed_and_a_refused_one_changes_nothing(login, manager, setup):
    http = login(manager)
    before = clients()
    refused = http.post("/clients/new", data={"name": "Zonder nummer"})
    assert refused.status_code == 422 and clients() == before
    made = http.post(
        "/clients/new",
        data={
            "name": "Brouwerij Zoë BV",
            "enterprise_number": "0427.073.974",
            "address": "Marktplein 12\n9000 Gent",
            "language": "nl",
            "contact_email": "privacy@zoe.example",
        },
    )
    assert made.status_code == 302
    db.session.close()  # what another connection would read
    assert clients() == before + 1


def test_a_commit_that_fails_leaves_nothing_not_even_a_log_in(app, http, manager, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the error page, as in production
    logins = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login")
    before = db.session.scalar(logins)
    real = db.session.commit

    def failing():
        raise RuntimeError("the database refused the commit")

    monkeypatch.setattr(db.session, "commit", failing)
    failed = http.post("/login", data={"email": manager.email, "password": PASSWORD})
    assert failed.status_code == 500 and "welkom" not in failed.text.lower()
    monkeypatch.setattr(db.session, "commit", real)
    page = http.get("/notices/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]  # not logged in
    assert db.session.scalar(logins) == before
