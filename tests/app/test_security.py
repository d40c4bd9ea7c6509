"""Accounts, sessions, headers, cookies and the production start-up check."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from dpa_manager import clock, create_app
from dpa_manager.accounts.models import ApiToken, User
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.security import MIN_SECRET_BITS, InsecureSecretKey, UnknownEnvironment, secret_bits

from . import pki
from .conftest import NOW, PASSWORD, STRONG_SECRET

# --- Invitations ----------------------------------------------------------------------------------


def invite_via_page(login, manager, client, email="nieuw@klant.example"):
    http = login(manager)
    http.post(f"/clients/{client.id}/invite", data={"email": email, "full_name": "Nieuwe Gebruiker"})
    http.post("/logout")
    return db.session.scalar(select(User).where(User.email == email))


def invitation_link(inbox):
    text = inbox.messages[-1].get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/invite/\S+)", text).group(1)


def test_an_invited_user_sets_a_password_once(login, manager, make_client, inbox, http):
    client = make_client(language="nl")
    user = invite_via_page(login, manager, client)
    assert user.client_id == client.id and not user.check_password(PASSWORD)
    drain(now=clock.now)
    assert inbox.messages[-1]["Subject"].startswith("Uitnodiging")
    path = invitation_link(inbox)
    form = http.get(path)
    assert form.status_code == 200 and "Wachtwoord kiezen" in form.text
    assert form.headers["Referrer-Policy"] == "no-referrer"
    weak = http.post(path, data={"password": "Wachtwoord2026", "confirm": "Wachtwoord2026"})
    assert "komt te vaak voor" in weak.text
    different = http.post(path, data={"password": "een-sterke-zin-hier", "confirm": "een-andere-zin-hier"})
    assert "verschillen" in different.text
    done = http.post(path, data={"password": "een-sterke-zin-hier", "confirm": "een-sterke-zin-hier"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("een-sterke-zin-hier")
    again = http.get(path)
    assert again.status_code == 404 and "al gebruikt" in again.text
    replay = http.post(path, data={"password": "nog-een-andere-zin", "confirm": "nog-een-andere-zin"})
    assert replay.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("een-sterke-zin-hier")


def test_an_invitation_expires(login, manager, make_client, inbox, http):
    invite_via_page(login, manager, make_client())
    drain(now=clock.now)
    path = invitation_link(inbox)
    with time_machine.travel(NOW + timedelta(days=8)):
        response = http.get(path)
    assert response.status_code == 404 and "verlopen" in response.text


def test_a_forged_invitation_is_refused(http, setup):
    assert http.get("/invite/bm90LWEtdG9rZW4").status_code == 404


def test_inviting_an_existing_address_is_refused(login, manager, make_client):
    client = make_client()
    http = login(manager)
    response = http.post(
        f"/clients/{client.id}/invite", data={"email": manager.email, "full_name": "X Y"}, follow_redirects=True
    )
    assert "bestaat al een gebruiker" in response.text


# --- Sessions and login ----------------------------------------------------------------------------


def test_login_renews_the_session(http, manager):
    with http.session_transaction() as session:
        session["planted"] = "by an attacker"
    http.post("/login", data={"email": manager.email, "password": PASSWORD})
    with http.session_transaction() as session:
        assert "planted" not in session and session.permanent


def test_the_session_ends_after_idle_time(app, login, manager):
    import datetime as dt

    http = login(manager)
    idle = app.config["SESSION_IDLE_MINUTES"]
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start + timedelta(minutes=idle - 1)):
        assert http.get("/clients/").status_code == 200  # each request renews the session
    with time_machine.travel(start + timedelta(minutes=2 * idle - 3)):
        assert http.get("/clients/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=3 * idle)):
        response = http.get("/clients/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logins_are_rate_limited_with_a_clear_message(app, http, manager):
    for _ in range(5):
        http.post("/login", data={"email": manager.email, "password": "wrong-password!"})
    response = http.post("/login", data={"email": manager.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Te veel pogingen" in response.text


def test_the_rate_limit_uses_redis_when_configured(tmp_path):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"dpa-test-{uuid.uuid4().hex}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "LOGIN_RATE_LIMIT": "2 per minute",
            "RATELIMIT_KEY_PREFIX": prefix,  # this run's own counts: another run may share the server
        }
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"
    with app.app_context():
        db.create_all()
        http = app.test_client()
        codes = [http.post("/login", data={"email": "a@b.be", "password": "x"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert redis.Redis.from_url("redis://127.0.0.1:6379/15").keys(f"*{prefix}*")
        db.engine.dispose()


# --- API tokens ------------------------------------------------------------------------------------


def test_tokens_are_listed_and_revocable(login, manager, http):
    http = login(manager)
    page = http.post("/account/tokens", data={"label": "CRM-koppeling"})
    token = re.search(r"<code class=\"mono\">(dpa_[^<]+)</code>", page.text).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    api = {"Authorization": f"Bearer {token}"}
    assert http.get("/api/v1/clients", headers=api).status_code == 200
    row = db.session.scalar(select(ApiToken))
    assert row.label == "CRM-koppeling" and row.last_used_at is not None
    listing = http.get("/account/tokens")
    assert "CRM-koppeling" in listing.text and token not in listing.text
    http.post(f"/account/tokens/{row.id}/revoke", data={})
    assert http.get("/api/v1/clients", headers=api).status_code == 200  # not confirmed
    http.post(f"/account/tokens/{row.id}/revoke", data={"confirm": "y"})
    assert http.get("/api/v1/clients", headers=api).status_code == 401


# --- Headers, cookies, limits ---------------------------------------------------------------------


def test_security_headers(http, setup):
    response = http.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
    secure = http.get("/login", base_url="https://dpa.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_scripts_or_styles(login, manager, make_agreement):
    agreement = make_agreement("signed")
    http = login(manager)
    for url in ("/dashboard", "/clients/", f"/agreements/{agreement.id}", "/subprocessors/", "/audit/"):
        html = http.get(url).text
        assert "<script" not in html and " style=" not in html and "<style" not in html, url


def test_session_cookie_flags(http, manager):
    response = http.post("/login", data={"email": manager.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # local development


def test_production_cookies_are_secure(tmp_path):
    app = create_app(
        {
            "DPA_ENV": "production",
            "SECRET_KEY": STRONG_SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        }
        | pki.seal_config()
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize(
    "secret",
    [None, "", "dev-only-not-secret", "secret", "short-but-not-default", "a" * 36, "ab" * 40, "0123456789abcdef" * 3],
)
def test_production_refuses_a_weak_secret_key(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    config = {"DPA_ENV": "production"} | ({"SECRET_KEY": secret} if secret is not None else {})
    with pytest.raises(InsecureSecretKey, match="SECRET_KEY"):
        create_app(config)


@pytest.mark.parametrize("value", ["Production", " PRODUCTION ", "development", "Development"])
def test_environment_is_read_in_any_case(tmp_path, value):
    config = {
        "DPA_ENV": value,
        "SECRET_KEY": STRONG_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}",
    }
    app = create_app(config | pki.seal_config())
    assert app.config["DPA_ENV"] == value.strip().lower()
    assert app.config["SESSION_COOKIE_SECURE"] is (value.strip().lower() == "production")


@pytest.mark.parametrize("value", ["prod", "live", "dev", "productie", "", "production!"])
def test_an_unknown_environment_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(UnknownEnvironment, match="DPA_ENV"):
        create_app({"DPA_ENV": value, "SECRET_KEY": STRONG_SECRET})


def test_production_with_a_weak_key_in_another_case_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InsecureSecretKey):
        create_app({"DPA_ENV": "Production", "SECRET_KEY": "a" * 36})


@pytest.mark.parametrize(
    ("key", "enough"),
    [
        ("a" * 64, False),
        ("ab" * 64, False),
        (STRONG_SECRET, True),
        ("0123456789abcdef" * 4, False),
        (STRONG_SECRET * 2, True),
    ],
)
def test_secret_bits(key, enough):
    assert (secret_bits(key) >= MIN_SECRET_BITS) is enough
    assert secret_bits("") == 0


def test_production_is_set_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DPA_ENV", "production")
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(InsecureSecretKey):
        create_app()


def test_oversized_requests_get_413(http, app, setup):
    response = http.post("/login", data={"email": "a" * (app.config["MAX_CONTENT_LENGTH"] + 10), "password": "x"})
    assert response.status_code == 413 and "Te groot" in response.text
