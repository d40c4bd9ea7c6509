"""Managers disable and enable users and manage anyone's API tokens; anyone can reset a forgotten password by e-mail
with a single-use link that expires in an hour, and the page answers the same whether the address exists or not."""

import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.accounts.models import ApiToken, User, UserSession
from dpa_manager.accounts.services import create_token
from dpa_manager.audit import AuditEvent
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxAcceptance, OutboxMessage

from .conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-long-phrase"


def sign_in(app, user, password=PASSWORD):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": password})
    return browser, response


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- Disabling ------------------------------------------------------------------------------------------


def test_disabling_a_user_ends_sessions_and_tokens_at_once(app, login, manager, make_client, make_user):
    user = make_user(client=make_client())
    browser, _ = sign_in(app, user)
    kept = browser.get_cookie("session").value
    token = create_token(user, now=clock.now())
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/notices", headers=api).status_code == 200
    admin = login(manager)
    page = admin.get(f"/users/{user.id}")
    assert page.status_code == 200 and "Uitschakelen" in page.text
    assert admin.post(f"/users/{user.id}/disable", data={}).status_code == 302  # not confirmed: nothing happens
    db.session.refresh(user)
    assert user.active
    response = admin.post(f"/users/{user.id}/disable", data={"confirm": "y"}, follow_redirects=True)
    assert "is uitgeschakeld" in response.text and "uitgeschakeld</span>" in response.text
    assert browser.get("/portal/").status_code == 302  # the open session
    replayed = app.test_client()
    replayed.set_cookie("session", kept)
    assert replayed.get("/portal/").status_code == 302  # a copy of its cookie
    assert app.test_client().get("/api/v1/notices", headers=api).status_code == 401
    _, refused = sign_in(app, user)
    assert refused.status_code == 200 and "E-mailadres of wachtwoord klopt niet." in refused.text
    (event,) = events("disabled")
    assert event.actor_id == manager.id and event.after == {"sessions": 1, "tokens": 1}
    assert db.session.scalar(select(UserSession.end_reason).where(UserSession.user_id == user.id)) == "disabled"
    # Enabled again: the password works, the revoked token does not come back.
    admin.post(f"/users/{user.id}/enable", data={"confirm": "y"})
    assert sign_in(app, user)[1].status_code == 302
    assert app.test_client().get("/api/v1/notices", headers=api).status_code == 401
    assert len(events("enabled")) == 1


def test_a_manager_cannot_disable_themselves_nor_the_last_manager(app, login, manager, make_user):
    admin = login(manager)
    page = admin.get(f"/users/{manager.id}")
    assert "Dit is uw eigen account" in page.text
    response = admin.post(f"/users/{manager.id}/disable", data={"confirm": "y"}, follow_redirects=True)
    assert "U kunt uw eigen account niet uitschakelen." in response.text
    db.session.refresh(manager)
    assert manager.active
    other = make_user(role="manager")
    other_browser, _ = sign_in(app, other)
    assert admin.post(f"/users/{other.id}/disable", data={"confirm": "y"}).status_code == 302
    response = other_browser.post(f"/users/{manager.id}/disable", data={"confirm": "y"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]  # signed out already


def test_the_last_active_manager_stays(runner, manager):
    result = runner.invoke(args=["dpa", "disable-user", manager.email])
    assert result.exit_code != 0 and "laatste actieve manager" in result.output
    db.session.refresh(manager)
    assert manager.active


def test_disable_and_enable_from_the_command_line(app, runner, manager, make_client, make_user):
    user = make_user(client=make_client())
    browser, _ = sign_in(app, user)
    result = runner.invoke(args=["dpa", "disable-user", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "uitgeschakeld" in result.output
    assert browser.get("/portal/").status_code == 302
    assert runner.invoke(args=["dpa", "disable-user", user.email]).output.strip().endswith("al uitgeschakeld.")
    assert runner.invoke(args=["dpa", "enable-user", user.email]).exit_code == 0
    assert sign_in(app, user)[1].status_code == 302
    unknown = runner.invoke(args=["dpa", "disable-user", "nobody@example.be"])
    assert unknown.exit_code != 0 and "Er is geen gebruiker" in unknown.output


def test_a_manager_sees_and_revokes_any_users_tokens(app, login, manager, make_client, make_user):
    user = make_user(client=make_client())
    token = create_token(user, label="CRM-koppeling", now=clock.now())
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id))
    admin = login(manager)
    page = admin.get(f"/users/{user.id}")
    assert "CRM-koppeling" in page.text and "actief" in page.text
    assert admin.post(f"/users/{user.id}/tokens/{token_id}/revoke", data={"confirm": "y"}).status_code == 302
    assert app.test_client().get("/api/v1/notices", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    (event,) = events("token_revoked")
    assert event.actor_id == manager.id and event.object_id == user.id
    assert admin.post(f"/users/{manager.id}/tokens/{token_id}/revoke", data={"confirm": "y"}).status_code == 404


def test_the_users_page_lists_and_searches(login, manager, make_client, make_user):
    make_user(client=make_client(name="Zeldzaam BV"), full_name="Joke Zoekmij")
    admin = login(manager)
    page = admin.get("/users/")
    assert page.status_code == 200 and "Joke Zoekmij" in page.text and "klant: Zeldzaam BV" in page.text
    assert "Joke Zoekmij" in admin.get("/users/?q=zoekmij").text
    assert "Joke Zoekmij" not in admin.get("/users/?q=an%20manager").text


# --- Forgotten passwords --------------------------------------------------------------------------------


def reset_link(inbox) -> str:
    text = inbox.messages[-1].get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/wachtwoord-vergeten/\S+)", text).group(1)


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_the_answer_is_the_same_for_any_address(http, manager, make_client, make_user):
    disabled = make_user(client=make_client())
    disabled.active = False
    db.session.commit()
    answers = []
    for email in (manager.email, "nobody@example.be", disabled.email):
        response = http.post("/wachtwoord-vergeten", data={"email": email})
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")
        page = http.get("/login")
        answers.append(page.text.replace(email, "ADDRESS"))
    assert answers[0] == answers[1] == answers[2]
    assert "Als er een actief account bestaat voor ADDRESS" in answers[0]
    assert outbox_count() == 1  # only the active account gets an e-mail
    asked = [e.after for e in events("password_reset_requested") if e.object_id is None]
    assert asked == [{"email": "nobody@example.be"}, {"email": disabled.email}]  # recorded all the same


def test_a_reset_link_works_once_and_ends_every_session(app, http, manager, setup, inbox):
    browser, _ = sign_in(app, manager)
    assert http.get("/login").status_code == 200 and "Wachtwoord vergeten?" in http.get("/login").text
    http.post("/wachtwoord-vergeten", data={"email": manager.email})
    drain(now=clock.now)
    (mail,) = inbox.messages
    assert mail["Subject"].startswith("Een nieuw wachtwoord voor")
    path = reset_link(inbox)
    token = path.rsplit("/", 1)[1]
    kept = db.session.scalar(select(OutboxMessage))
    acceptance = db.session.scalar(select(OutboxAcceptance))
    for text in (kept.body_text, kept.body_html, acceptance.body_text or "", acceptance.body_html or ""):
        assert token not in text  # the outbox page shows the e-mail without its link
    assert "/wachtwoord-vergeten/[…]" in kept.body_text and acceptance.raw_message is None
    form = http.get(path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"
    response = http.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert browser.get("/account").status_code == 302  # signed out everywhere
    assert sign_in(app, manager, NEW_PASSWORD)[1].status_code == 302
    assert sign_in(app, manager, PASSWORD)[1].status_code == 200
    again = http.get(path)
    assert again.status_code == 404 and "Deze link werd al gebruikt" in again.text
    assert len(events("password_reset")) == 1 and len(events("password_reset_requested")) == 1


def test_a_reset_link_expires_after_an_hour(app, http, manager, setup, inbox):
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        http.post("/wachtwoord-vergeten", data={"email": manager.email})
        drain(now=clock.now)
        path = reset_link(inbox)
        traveller.shift(timedelta(minutes=59))
        assert http.get(path).status_code == 200
        traveller.shift(timedelta(minutes=1, seconds=1))
        expired = http.get(path)
        assert expired.status_code == 404 and "Deze link is verlopen" in expired.text
        refused = http.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert refused.status_code == 404
    db.session.refresh(manager)
    assert manager.check_password(PASSWORD)


def test_a_forged_or_disabled_users_link_is_refused(app, http, manager, setup, make_user, inbox):
    assert http.get("/wachtwoord-vergeten/bm90LWEtdG9rZW4").status_code == 404
    other = make_user(role="manager")
    http.post("/wachtwoord-vergeten", data={"email": other.email})
    drain(now=clock.now)
    path = reset_link(inbox)
    db.session.get(User, other.id).active = False
    db.session.commit()
    assert http.get(path).status_code == 404


def test_reset_requests_are_limited_per_address(app, http, manager):
    codes = [
        http.post(
            "/wachtwoord-vergeten", data={"email": manager.email}, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}
        ).status_code
        for n in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert outbox_count() == 5
