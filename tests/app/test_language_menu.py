"""The language menu: POST /taal keeps the interface language in the session, and on the user when logged in."""

import re

import pytest

from dpa_manager.accounts.models import User
from dpa_manager.accounts.services import set_language
from dpa_manager.errors import Invalid
from dpa_manager.extensions import db

from .conftest import PASSWORD, fresh_app


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]*)">', page).group(1)


def stored_language(user) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user.id).language


def test_every_page_has_the_menu_with_the_current_language_chosen(http):
    page = http.get("/login").text
    assert html_lang(page) == "nl"
    menu = re.search(r'<form class="language".*?</form>', page, re.S).group(0)
    assert 'action="/taal"' in menu and 'name="next" value="/login?"' in menu
    assert re.findall(r'<option value="(\w+)"', menu) == ["nl", "fr", "en"]
    assert re.search(r'<option value="nl"[^>]*selected', menu)
    assert "Taal kiezen" in menu


def test_an_anonymous_choice_is_kept_in_the_session(http):
    response = http.post("/taal", data={"language": "fr", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    with http.session_transaction() as session:
        assert session["language"] == "fr"
    page = http.get("/login").text
    assert html_lang(page) == "fr"
    assert re.search(r'<option value="fr"[^>]*selected', page)
    assert html_lang(http.get("/subverwerkers").text) == "fr"


def test_the_choice_survives_logging_in(http, manager):
    http.post("/taal", data={"language": "en", "next": "/login"})
    assert http.post("/login", data={"email": manager.email, "password": PASSWORD}).status_code == 302
    assert html_lang(http.get("/clients/").text) == "en"


def test_a_logged_in_choice_is_kept_on_the_user(login, manager):
    http = login(manager)
    assert stored_language(manager) is None
    response = http.post("/taal", data={"language": "fr", "next": "/clients/?q=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/clients/?q=x"
    assert stored_language(manager) == "fr"
    assert html_lang(http.get("/clients/").text) == "fr"
    # The user's choice holds in a new session too.
    http.post("/logout")
    with http.session_transaction() as session:
        session.clear()
    http.post("/login", data={"email": manager.email, "password": PASSWORD})
    assert html_lang(http.get("/clients/").text) == "fr"


@pytest.mark.parametrize("data", [{"language": "xx"}, {"language": ""}, {"language": "FR"}, {"language": "fr-BE"}, {}])
def test_a_bad_language_changes_nothing(login, manager, data):
    http = login(manager)
    response = http.post("/taal", data=data | {"next": "/clients/"})
    assert response.status_code == 302 and response.headers["Location"] == "/clients/"
    assert stored_language(manager) is None
    with http.session_transaction() as session:
        assert "language" not in session
    page = http.get("/clients/").text
    assert html_lang(page) == "nl" and "Kies een taal uit de lijst." in page


def test_a_bad_language_as_anonymous_user_is_no_error(http):
    response = http.post("/taal", data={"language": "xx"})
    assert response.status_code == 302
    with http.session_transaction() as session:
        assert "language" not in session


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/login",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "http:/evil.example",
        "",
    ],
)
def test_an_outside_next_is_not_followed(http, target):
    response = http.post("/taal", data={"language": "en", "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/" and "evil" not in location
    with http.session_transaction() as session:
        assert session["language"] == "en"


def test_the_service_refuses_an_unknown_language(manager):
    with pytest.raises(Invalid):
        set_language(manager, "xx")
    db.session.rollback()  # as the request that called it would
    set_language(manager, "en")
    db.session.commit()
    assert stored_language(manager) == "en"


@pytest.fixture
def csrf_app(tmp_path):
    yield from fresh_app(tmp_path, WTF_CSRF_ENABLED=True)


def test_the_menu_carries_a_csrf_token(csrf_app):
    http = csrf_app.test_client()
    page = http.get("/login").text
    menu = re.search(r'<form class="language".*?</form>', page, re.S).group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', menu).group(1)
    refused = http.post("/taal", data={"language": "fr", "next": "/login"})
    assert refused.status_code == 400
    with http.session_transaction() as session:
        assert "language" not in session
    accepted = http.post("/taal", data={"language": "fr", "next": "/login", "csrf_token": token})
    assert accepted.status_code == 302
    assert html_lang(http.get("/login").text) == "fr"


def test_the_top_bar_carries_each_sessions_token_the_page_it_is_on_and_the_name_as_it_is_now(app, make_agreement):
    first, second = make_agreement("signed"), make_agreement("signed")
    user, other_user = first.client.users[0], second.client.users[0]
    one, other = app.test_client(), app.test_client()
    for browser, who in ((one, user), (other, other_user)):
        assert browser.post("/login", data={"email": who.email, "password": PASSWORD}).status_code == 302
    page = one.get("/portal/subprocessors?op=2026-11-01").text
    assert 'name="next" value="/portal/subprocessors?op=2026-11-01"' in page
    assert f"{user.full_name} · {first.client.name}</a>" in page
    mine = re.search(r'name="csrf_token" value="([^"]+)"', one.get("/portal/subprocessors").text).group(1)
    theirs = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/portal/subprocessors").text).group(1)
    assert mine != theirs
    user.full_name = "Nieuwe Naam"
    db.session.commit()
    assert f"Nieuwe Naam · {first.client.name}</a>" in one.get("/portal/subprocessors").text
