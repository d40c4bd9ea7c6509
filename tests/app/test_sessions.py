"""Sessions kept on the server: a cookie kept from before logout, a password change or "log out everywhere" opens
nothing; sessions end when idle and at the latest SESSION_MAX_HOURS after login; users see and end theirs."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from dpa_manager.accounts.models import UserSession
from dpa_manager.extensions import db

from .conftest import PASSWORD

NEW_PASSWORD = "a-different-long-phrase"


def cookie_of(http) -> str:
    return http.get_cookie("session").value


def with_cookie(app, value: str):
    """A second browser that holds a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_in(http, page: str = "/account") -> bool:
    response = http.get(page)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def sign_in(app, user, password=PASSWORD, agent="Mozilla/5.0 (Windows NT 10.0) Firefox/133.0"):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": password}, headers={"User-Agent": agent})
    assert response.status_code == 302, response.text
    return browser


def test_a_cookie_kept_from_before_logout_opens_nothing(app, login, make_client, make_user):
    user = make_user(client=make_client())
    http = login(user)
    kept = cookie_of(http)
    assert signed_in(http, "/portal/")
    assert http.post("/logout").status_code == 302
    replayed = with_cookie(app, kept)
    response = replayed.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.end_reason == "logout" and row.ended_at is not None


def test_a_password_change_ends_every_other_session_and_renews_this_one(app, manager):
    here, elsewhere = sign_in(app, manager), sign_in(app, manager)
    kept = cookie_of(here)
    response = here.post("/account", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(here)  # this browser carries on, with a new session
    assert cookie_of(here) != kept
    assert not signed_in(elsewhere)
    assert not signed_in(with_cookie(app, kept))  # its own cookie from before the change
    assert signed_in(sign_in(app, manager, NEW_PASSWORD))
    reasons = db.session.scalars(select(UserSession.end_reason).where(UserSession.user_id == manager.id)).all()
    assert sorted(r or "open" for r in reasons) == ["open", "open", "password", "password"]


def test_a_wrong_current_password_changes_nothing(app, manager):
    here = sign_in(app, manager)
    response = here.post(
        "/account", data={"current": "not-it-at-all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 422 and "Het huidige wachtwoord klopt niet." in response.text
    assert signed_in(here) and signed_in(sign_in(app, manager))  # the old password still works


def test_log_out_everywhere(app, manager):
    here, elsewhere = sign_in(app, manager), sign_in(app, manager)
    kept = cookie_of(here)
    response = here.post("/account/sessions/end-all", data={"confirm": "y"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not signed_in(here) and not signed_in(elsewhere) and not signed_in(with_cookie(app, kept))
    refused = sign_in(app, manager).post("/account/sessions/end-all", data={})
    assert refused.status_code == 302  # without the confirmation nothing ends
    assert db.session.scalar(select(db.func.count()).where(UserSession.ended_at.is_(None))) == 1


def test_the_account_page_lists_sessions_and_ends_one(app, manager):
    here = sign_in(app, manager)
    phone = sign_in(app, manager, agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36")
    page = here.get("/account")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Firefox · Windows" in page.text and "Chrome · Android" in page.text and "deze sessie" in page.text
    assert "127.0.0.1" in page.text
    phone_id = db.session.scalar(
        select(UserSession.id).where(UserSession.user_agent.like("%Android%"), UserSession.ended_at.is_(None))
    )
    assert here.post(f"/account/sessions/{phone_id}/end", data={"confirm": "y"}).status_code == 302
    assert not signed_in(phone) and signed_in(here)
    assert here.post(f"/account/sessions/{phone_id}/end", data={"confirm": "y"}).status_code == 404  # already ended


def test_one_cannot_end_another_users_session(app, manager, make_user):
    other = make_user(role="manager")
    theirs = sign_in(app, other)
    their_id = db.session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))
    assert sign_in(app, manager).post(f"/account/sessions/{their_id}/end", data={"confirm": "y"}).status_code == 404
    assert signed_in(theirs)


def test_a_session_ends_at_the_latest_after_its_lifetime(app, manager):
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    with time_machine.travel(start, tick=False) as traveller:
        browser = sign_in(app, manager)
        for _ in range(int(lifetime / timedelta(minutes=20)) - 1):  # busy all day: never idle
            traveller.shift(timedelta(minutes=20))
            assert signed_in(browser)
        traveller.move_to(start + lifetime - timedelta(seconds=1))
        assert signed_in(browser)
        traveller.move_to(start + lifetime)
        assert not signed_in(browser)


def test_a_session_ends_when_idle_even_with_the_cookie_kept(app, manager):
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    with time_machine.travel(start, tick=False) as traveller:
        browser = sign_in(app, manager)
        kept = cookie_of(browser)
        traveller.shift(idle - timedelta(seconds=1))
        assert signed_in(with_cookie(app, kept))
        traveller.shift(idle)
        assert not signed_in(with_cookie(app, kept))  # the server decides, not the cookie's expiry


def test_requests_are_noted_at_most_once_a_minute(app, manager):
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        browser = sign_in(app, manager)
        row = db.session.scalar(select(UserSession))
        traveller.shift(timedelta(seconds=30))
        assert signed_in(browser)
        db.session.refresh(row)
        assert row.last_seen_at == start
        traveller.shift(timedelta(seconds=30))
        assert signed_in(browser)
        db.session.refresh(row)
        assert row.last_seen_at == start + timedelta(minutes=1)
