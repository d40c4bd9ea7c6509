"""An attacker's walk through the app: every attempt gets a clean 4xx and changes nothing."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from dpa_manager.accounts.services import create_token
from dpa_manager.agreements.models import Agreement
from dpa_manager.changes import services as changes
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register
from dpa_manager.subprocessors.models import Change

from .conftest import NOW, PASSWORD, fresh_app

SQLISH = ["' OR '1'='1", "1; DROP TABLE clients; --", '" OR 1=1 --', "x' UNION SELECT password_hash FROM users --"]
SCRIPTISH = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}"]


def clients_count():
    return db.session.scalar(select(func.count()).select_from(Client))


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


@pytest.mark.parametrize("text", SQLISH + SCRIPTISH)
def test_injection_looking_search_is_just_text(as_manager, make_client, text):
    make_client(name="Gewone Klant BV")
    response = as_manager.get("/clients/", query_string={"q": text})
    assert response.status_code == 200
    assert "Geen klanten gevonden" in response.text and "<script>alert" not in response.text
    assert clients_count() == 1


@pytest.mark.parametrize("text", SQLISH + SCRIPTISH)
def test_injection_looking_names_are_stored_as_text_and_shown_escaped(as_manager, text):
    response = as_manager.post(
        "/clients/new",
        data={
            "name": text,
            "enterprise_number": "0427.073.974",
            "address": "Straat 1",
            "language": "nl",
            "contact_email": "a@b.be",
        },
    )
    assert response.status_code == 302
    client = db.session.scalar(select(Client))
    assert client.name == text
    page = as_manager.get(f"/clients/{client.id}").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page


@pytest.mark.parametrize("email", SQLISH + ["' OR 1=1 LIMIT 1 --@x.be"])
def test_injection_looking_logins_are_refused(http, manager, email):
    response = http.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 200 and "klopt niet" in response.text
    assert http.get("/clients/").status_code == 302


def test_very_long_input_is_refused(as_manager, manager):
    long = "x" * 10_000
    response = as_manager.post(
        "/clients/new",
        data={
            "name": long,
            "enterprise_number": "0427.073.974",
            "address": "Straat 1",
            "language": "nl",
            "contact_email": "a@b.be",
        },
    )
    assert response.status_code == 422 and "200" in response.text
    assert as_manager.get("/clients/", query_string={"q": "y" * 100_000}).status_code == 200
    token = create_token(manager, now=NOW)
    db.session.commit()
    api = as_manager.post(
        "/api/v1/subprocessors",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": long, "purpose": "p", "countries": ["BE"], "data_categories": ["contact"], "kind": "incidental"},
    )
    assert api.status_code == 422
    assert clients_count() == 0


@pytest.mark.parametrize(
    "body, content_type",
    [
        (
            b"name=\xff\xfe\xfd&enterprise_number=0427073974&address=a&language=nl&contact_email=a%40b.be",
            "application/x-www-form-urlencoded",
        ),
        (
            b"name=ok%00zero&enterprise_number=0427073974&address=a&language=nl&contact_email=a%40b.be",
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_non_utf8_and_nul_form_input_is_400(as_manager, body, content_type):
    response = as_manager.post("/clients/new", data=body, content_type=content_type)
    assert response.status_code == 400
    assert clients_count() == 0


@pytest.mark.parametrize("body", [b'{"name": "\xff\xfe"}', b'{"name": "a\\u0000b"}', b"\x00\x01\x02"])
def test_non_utf8_and_nul_json_is_400(as_manager, manager, body):
    token = create_token(manager, now=NOW)
    db.session.commit()
    response = as_manager.post(
        "/api/v1/subprocessors",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and response.json["error"]


def test_nul_in_a_query_string_is_400(as_manager):
    assert as_manager.get("/clients/?q=a%00b").status_code == 400


@pytest.mark.parametrize(
    "header", ["Bearer dpa_forged", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000, "Bearer ' OR 1=1 --"]
)
def test_forged_api_tokens_are_401(http, setup, header):
    response = http.get("/api/v1/clients", headers={"Authorization": header})
    assert response.status_code == 401 and response.json["error"]


def test_another_tenants_ids_through_the_api(login, make_agreement, http):
    mine, theirs = make_agreement("signed"), make_agreement("signed")
    token = create_token(mine.client.users[0], now=NOW)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(f"/api/v1/clients/{theirs.client_id}/subprocessors", headers=headers).status_code == 404
    assert http.get(f"/api/v1/notices?client_id={theirs.client_id}", headers=headers).json["notices"] == []
    assert [c["id"] for c in http.get("/api/v1/clients", headers=headers).json["clients"]] == [mine.client_id]


# --- CSRF, with the protection switched on as in production ---------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    yield from fresh_app(tmp_path, WTF_CSRF_ENABLED=True)


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_state_changing_forms_without_csrf_are_refused(csrf_app):
    from dpa_manager.demo import seed_demo

    seed_demo(now=NOW)
    http = csrf_app.test_client()
    login_page = http.get("/login").text
    assert (
        http.post("/login", data={"email": "manager@contactexpert.be", "password": "demo-manager-2026"}).status_code
        == 400
    )
    response = http.post(
        "/login",
        data={
            "email": "manager@contactexpert.be",
            "password": "demo-manager-2026",
            "csrf_token": csrf_token(login_page),
        },
    )
    assert response.status_code == 302
    draft = db.session.scalar(select(Agreement).where(Agreement.state == "draft"))
    for url, data in (
        (f"/agreements/{draft.id}/send", {"confirm": "y"}),
        (
            "/clients/new",
            {
                "name": "X",
                "enterprise_number": "0427073974",
                "address": "a",
                "language": "nl",
                "contact_email": "a@b.be",
            },
        ),
        ("/processor/services", {"code": "nieuw", "name": "Nieuw"}),
        ("/logout", {}),
    ):
        refused = http.post(url, data=data)
        assert refused.status_code == 400 and "CSRF" in refused.text, url
        forged = http.post(url, data=data | {"csrf_token": "forged"})
        assert forged.status_code == 400, url
    db.session.expire_all()
    assert db.session.get(Agreement, draft.id).state == "draft"
    assert db.session.scalar(select(func.count()).select_from(Client)) == 3
    assert http.get("/dashboard").status_code == 200  # still logged in: the logout without a token did nothing


def test_objection_without_csrf_is_refused(csrf_app):
    from dpa_manager.accounts.services import find_user
    from dpa_manager.demo import seed_demo

    seed_demo(now=NOW)
    manager = find_user("manager@contactexpert.be")
    sp = db.session.scalar(select(register.SubProcessor).where(register.SubProcessor.status == "proposed"))
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    changes.announce(change, actor=manager, now=NOW)
    user = find_user("els@deklok.example")
    notice = db.session.scalar(select(Notice).where(Notice.client_id == user.client_id))
    notices.mark_delivered(notice.id, NOW)
    db.session.commit()
    http = csrf_app.test_client()
    page = http.get("/login").text
    http.post("/login", data={"email": user.email, "password": "demo-deklok-2026", "csrf_token": csrf_token(page)})
    import time_machine

    with time_machine.travel(NOW, tick=False):
        response = http.post(f"/portal/notices/{notice.id}/objection", data={"reason": "Zonder token"})
    assert response.status_code == 400
    assert db.session.get(Notice, notice.id).state == "open"
    assert db.session.scalar(select(func.count()).select_from(Change)) == 1
