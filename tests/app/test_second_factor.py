"""A second factor: managers must enrol one before they act; an app with one-time codes (TOTP), ten single-use
recovery codes, and security keys or passkeys (WebAuthn, run here with a software authenticator)."""

import json
import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from dpa_manager import clock
from dpa_manager.accounts import factors
from dpa_manager.accounts.models import SecurityKey, User, UserSession
from dpa_manager.accounts.services import create_token
from dpa_manager.audit import AuditEvent
from dpa_manager.config import Defaults
from dpa_manager.extensions import db

from .authenticator import SoftKey
from .conftest import PASSWORD

ORIGIN = "https://dpa.example.be"


@pytest.fixture
def required(app, setup):
    """MFA_REQUIRED_FOR_MANAGERS as in production (the other tests turn it off), and a site on a domain name."""
    app.config.update(MFA_REQUIRED_FOR_MANAGERS=True, BASE_URL=ORIGIN)
    return app


def password_step(app, user, password=PASSWORD):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": password})
    return browser, response


def enrol_app(browser, user) -> tuple[str, list[str]]:
    """Set up the app for a signed-in user; return the secret and the recovery codes shown."""
    page = browser.get("/account/tweede-factor/app")
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in page.text
    with browser.session_transaction() as session:
        secret = session["totp_pending"]
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page.text  # for typing in by hand
    wrong = browser.post("/account/tweede-factor/app", data={"code": "000000"})
    assert wrong.status_code == 422 and "Die code klopt niet" in wrong.text
    done = browser.post("/account/tweede-factor/app", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Uw tweede factor is ingesteld." in done.text
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def test_managers_need_one_by_default():
    assert Defaults.MFA_REQUIRED_FOR_MANAGERS is True


def test_a_manager_without_a_second_factor_reaches_only_the_enrolment(required, manager):
    browser, response = password_step(required, manager)
    assert response.status_code == 302  # no second factor yet: signed in, to enrol one
    for url in ("/dashboard", "/clients/", "/users/", "/account/tokens"):
        blocked = browser.get(url)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/tweede-factor"), url
    page = browser.get("/account/tweede-factor")
    assert page.status_code == 200 and "Als manager hebt u een tweede factor nodig" in page.text
    assert browser.get("/account").status_code == 200
    token = create_token(manager, now=clock.now())
    db.session.commit()
    api = required.test_client().get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403 and "tweede factor" in api.json["error"]
    enrol_app(browser, manager)
    assert browser.get("/dashboard").status_code == 200
    assert (
        required.test_client().get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )


def test_client_users_are_not_forced_but_may_enrol(required, make_client, make_user):
    user = make_user(client=make_client())
    browser, _ = password_step(required, user)
    assert browser.get("/portal/").status_code == 200
    enrol_app(browser, user)
    browser.post("/logout")
    _, response = password_step(required, user)
    assert response.headers["Location"].endswith("/login/tweede-stap")


def test_logging_in_with_a_code_from_the_app(required, manager):
    start = clock.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        browser, _ = password_step(required, manager)
        secret, _codes = enrol_app(browser, manager)
        browser.post("/logout")
        traveller.shift(timedelta(seconds=60))
        browser, response = password_step(required, manager)
        assert response.headers["Location"].endswith("/login/tweede-stap")
        assert browser.get("/dashboard").status_code == 302  # not signed in yet
        page = browser.get("/login/tweede-stap")
        assert page.status_code == 200 and "Typ de code die uw app toont" in page.text
        assert "webauthn.js" not in page.text  # no key registered: no script
        code = pyotp.TOTP(secret).at(clock.now())
        done = browser.post("/login/tweede-stap", data={"code": f"{code[:3]} {code[3:]}"})
        assert done.status_code == 302 and browser.get("/dashboard").status_code == 200
        # The same code again, by someone who saw it: refused, even within its 30 seconds.
        other, _ = password_step(required, manager)
        replay = other.post("/login/tweede-stap", data={"code": code})
        assert replay.status_code == 200 and "Die code klopt niet, of werd al gebruikt." in replay.text
        assert other.get("/dashboard").status_code == 302
        traveller.shift(timedelta(seconds=30))
        assert other.post("/login/tweede-stap", data={"code": pyotp.TOTP(secret).at(clock.now())}).status_code == 302
    kinds = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "second_factor_passed")).all()
    assert kinds == [{"kind": "totp"}, {"kind": "totp"}]


def test_a_recovery_code_works_once(required, manager):
    browser, _ = password_step(required, manager)
    _secret, codes = enrol_app(browser, manager)
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    assert browser.post("/login/tweede-stap", data={"code": codes[3].upper()}).status_code == 302
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    assert "Die code klopt niet" in browser.post("/login/tweede-stap", data={"code": codes[3]}).text
    assert browser.post("/login/tweede-stap", data={"code": codes[4].replace("-", "")}).status_code == 302
    assert "Nog 8 ongebruikte herstelcodes" in browser.get("/account/tweede-factor").text


def test_the_second_step_must_follow_within_five_minutes(required, manager):
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        browser, _ = password_step(required, manager)
        secret, _codes = enrol_app(browser, manager)
        browser.post("/logout")
        traveller.shift(timedelta(minutes=1))
        browser, _ = password_step(required, manager)
        traveller.shift(timedelta(minutes=5))
        late = browser.post("/login/tweede-stap", data={"code": pyotp.TOTP(secret).at(clock.now())})
        assert late.status_code == 302 and late.headers["Location"].endswith("/login")
        assert browser.get("/dashboard").status_code == 302


def test_wrong_codes_are_limited_per_account(required, manager):
    browser, _ = password_step(required, manager)
    enrol_app(browser, manager)
    browser.post("/logout")
    codes = []
    for _ in range(6):
        guesser, _ = password_step(required, manager)  # a new half-way login each time: the count is the account's
        codes.append(guesser.post("/login/tweede-stap", data={"code": "123456"}).status_code)
    assert codes == [200] * 5 + [429]
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "second_factor_failed")).all()) == 5


def register_key(browser, key: SoftKey, name="YubiKey") -> dict:
    options = browser.post("/account/sleutels/opties").json
    assert options["rp"]["id"] == "dpa.example.be" and options["attestation"] == "none"
    return browser.post("/account/sleutels", json={"name": name, "credential": key.create(options)})


def sign_with(browser, key: SoftKey, **kwargs):
    options = browser.post("/login/sleutel/opties").json
    return browser.post("/login/sleutel", data=json.dumps(key.get(options, **kwargs)), content_type="application/json")


def test_a_security_key_is_registered_and_signs_in(required, manager):
    key = SoftKey(ORIGIN)
    browser, _ = password_step(required, manager)
    answer = register_key(browser, key)
    assert answer.status_code == 200 and answer.json["next"].endswith("/account/tweede-factor/nieuwe-codes")
    codes_page = browser.get(answer.json["next"])
    assert len(re.findall(r"<li>[a-z2-9]{5}-[a-z2-9]{5}</li>", codes_page.text)) == 10
    assert browser.get(answer.json["next"]).status_code == 302  # shown once
    stored = db.session.scalar(select(SecurityKey))
    assert stored.name == "YubiKey" and stored.credential_id == key.credential_id
    assert "YubiKey" in browser.get("/account/tweede-factor").text
    browser.post("/logout")
    browser, response = password_step(required, manager)
    page = browser.get(response.headers["Location"])
    assert "Sleutel gebruiken" in page.text and "webauthn.js" in page.text
    signed = sign_with(browser, key)
    assert signed.status_code == 200 and signed.json["next"].endswith("/")
    assert browser.get("/dashboard").status_code == 200
    db.session.refresh(stored)
    assert stored.sign_count == 1 and stored.last_used_at is not None


def test_a_key_answer_for_another_site_or_a_replayed_one_is_refused(required, manager):
    key = SoftKey(ORIGIN)
    browser, _ = password_step(required, manager)
    register_key(browser, key)
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    phishing = sign_with(browser, key, origin="https://dpa-example.be.evil.example")
    assert phishing.json["error"] == "De sleutel werd niet aanvaard."
    assert browser.get("/dashboard").status_code == 302
    other_rp = sign_with(browser, key, rp_id="evil.example")
    assert other_rp.json["error"] == "De sleutel werd niet aanvaard."
    options = browser.post("/login/sleutel/opties").json
    answer = json.dumps(key.get(options))
    assert browser.post("/login/sleutel", data=answer, content_type="application/json").status_code == 200
    again, _ = password_step(required, manager)
    again.post("/login/sleutel/opties")
    replay = again.post("/login/sleutel", data=answer, content_type="application/json")
    assert replay.json["error"] == "De sleutel werd niet aanvaard."  # another challenge now; the counter moved on
    assert again.get("/dashboard").status_code == 302
    failed = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "second_factor_failed")).all()
    assert failed == [{"kind": "webauthn"}] * 3


def test_a_second_key_and_the_same_key_twice(required, manager):
    first, second = SoftKey(ORIGIN), SoftKey(ORIGIN)
    browser, _ = password_step(required, manager)
    register_key(browser, first)
    answer = register_key(browser, second, name="Laptop")
    assert answer.status_code == 200 and answer.json["next"].endswith("/account/tweede-factor")
    twice = register_key(browser, first)
    assert twice.status_code == 422 and "al geregistreerd" in twice.json["error"]
    assert len(factors.keys_of(manager)) == 2


def test_a_manager_keeps_at_least_one_factor(required, manager):
    browser, _ = password_step(required, manager)
    enrol_app(browser, manager)
    refused = browser.post("/account/tweede-factor/app/uit", data={"confirm": "y"}, follow_redirects=True)
    assert "Een manager heeft minstens één tweede factor nodig" in refused.text
    db.session.refresh(manager)
    assert manager.totp_secret
    register_key(browser, SoftKey(ORIGIN))
    removed = browser.post("/account/tweede-factor/app/uit", data={"confirm": "y"}, follow_redirects=True)
    assert "uitgezet" in removed.text


def test_a_manager_wipes_the_second_factor_of_someone_who_lost_it(required, manager, make_user):
    other = make_user(role="manager")
    theirs, _ = password_step(required, other)
    enrol_app(theirs, other)
    mine, _ = password_step(required, manager)
    enrol_app(mine, manager)
    page = mine.get(f"/users/{other.id}")
    assert "Tweede factor wissen" in page.text
    assert mine.post(f"/users/{other.id}/second-factor/reset", data={"confirm": "y"}).status_code == 302
    db.session.refresh(other)
    assert other.totp_secret is None and factors.recovery_codes_left(other) == 0
    assert theirs.get("/dashboard").status_code == 302  # signed out
    again, response = password_step(required, other)
    assert response.headers["Location"].endswith("/")  # signed in, to enrol anew
    assert again.get("/dashboard").headers["Location"].endswith("/account/tweede-factor")


def test_the_demo_login_is_exempt_and_no_other(required, runner):
    result = runner.invoke(args=["dpa", "seed-demo"])
    assert result.exit_code == 0, result.output
    exempt = db.session.scalars(select(User.email).where(User.mfa_exempt.is_(True))).all()
    assert exempt == ["manager@contactexpert.be"]
    browser = required.test_client()
    browser.post("/login", data={"email": "manager@contactexpert.be", "password": "demo-manager-2026"})
    assert browser.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("code", "offset", "expected"),
    [
        ("now", 0, True),
        ("now", -30, True),
        ("now", 30, True),
        ("now", -60, False),
        ("now", 60, False),
        ("12345", 0, False),
    ],
)
def test_matching_step(code, offset, expected):
    secret = pyotp.random_base32()
    at = clock.now()
    given = pyotp.TOTP(secret).at(at + timedelta(seconds=offset)) if code == "now" else code
    assert (factors.matching_step(secret, given, at, None) is not None) is expected
    step = factors.matching_step(secret, pyotp.TOTP(secret).at(at), at, None)
    assert factors.matching_step(secret, pyotp.TOTP(secret).at(at), at, step) is None  # not twice


def test_a_second_factor_added_later_keeps_the_recovery_codes(required, manager):
    browser, _ = password_step(required, manager)
    register_key(browser, SoftKey(ORIGIN))
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", browser.get("/account/tweede-factor/nieuwe-codes").text)
    browser.get("/account/tweede-factor/app")
    with browser.session_transaction() as session:
        secret = session["totp_pending"]
    added = browser.post("/account/tweede-factor/app", data={"code": pyotp.TOTP(secret).now()}, follow_redirects=True)
    assert "Uw herstelcodes blijven dezelfde." in added.text
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    assert browser.post("/login/tweede-stap", data={"code": codes[0]}).status_code == 302


def test_no_demo_data_in_production(app, runner):
    app.config["DPA_ENV"] = "production"
    result = runner.invoke(args=["dpa", "seed-demo"])
    assert result.exit_code != 0 and "Geen demogegevens met DPA_ENV=production" in result.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_adding_a_factor_ends_sessions_opened_with_the_password_alone(required, manager):
    intruder, _ = password_step(required, manager)  # knew the password while the manager had no second factor
    owner, _ = password_step(required, manager)
    enrol_app(owner, manager)
    assert owner.get("/dashboard").status_code == 200
    response = intruder.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    current = db.session.scalars(select(UserSession.method).where(UserSession.ended_at.is_(None))).all()
    assert current == ["totp"]  # the enrolling session counts as signed in with the factor it showed


def test_a_key_answer_is_spent_even_for_a_key_that_does_not_count(required, manager):
    key = SoftKey(ORIGIN, counts=False)  # a synced passkey reports 0 every time
    browser, _ = password_step(required, manager)
    register_key(browser, key)
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    options = browser.post("/login/sleutel/opties").json
    kept = browser.get_cookie("session").value  # a copy of the cookie, with the challenge in it
    answer = json.dumps(key.get(options))
    assert browser.post("/login/sleutel", data=answer, content_type="application/json").json.get("next")
    replay = required.test_client()
    replay.set_cookie("session", kept)
    again = replay.post("/login/sleutel", data=answer, content_type="application/json")
    assert again.json["error"] == "De sleutel werd niet aanvaard." and replay.get("/dashboard").status_code == 302


def test_odd_bodies_at_the_key_endpoint_are_refused(required, manager):
    browser, _ = password_step(required, manager)
    register_key(browser, SoftKey(ORIGIN))
    browser.post("/logout")
    browser, _ = password_step(required, manager)
    browser.post("/login/sleutel/opties")
    required.config["PROPAGATE_EXCEPTIONS"] = False
    for body, kind in (("[" * 5000 + "]" * 5000, "text/plain"), ("[" * 5000 + "]" * 5000, "application/json")):
        assert browser.post("/login/sleutel", data=body, content_type=kind).status_code == 400


def test_removing_the_last_factor_takes_the_recovery_codes_along(required, make_client, make_user):
    user = make_user(client=make_client())
    browser, _ = password_step(required, user)
    enrol_app(browser, user)
    assert factors.recovery_codes_left(user) == 10
    browser.post("/account/tweede-factor/app/uit", data={"confirm": "y"})
    assert factors.recovery_codes_left(user) == 0


def test_the_owner_is_told_of_changes_to_the_account(required, manager, inbox):
    from dpa_manager.jobs import drain

    browser, _ = password_step(required, manager)
    enrol_app(browser, manager)
    browser.post(
        "/account", data={"current": PASSWORD, "password": "another-long-phrase", "confirm": "another-long-phrase"}
    )
    drain(now=clock.now)
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == [
        "Uw account bij ContactExpert NV: Er is een tweede factor ingesteld",
        "Uw account bij ContactExpert NV: Uw wachtwoord is gewijzigd",
    ], subjects
    text = inbox.messages[0].get_body(("plain",)).get_content()
    assert "(Brusselse tijd) met uw account" in text and "Was u dit niet" in text


def test_a_typo_in_a_yes_or_no_setting_refuses_to_start(monkeypatch, tmp_path):
    from dpa_manager import create_app

    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MFA_REQUIRED_FOR_MANAGERS", "ture")
    with pytest.raises(ValueError, match="MFA_REQUIRED_FOR_MANAGERS"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("MFA_REQUIRED_FOR_MANAGERS", "Off")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["MFA_REQUIRED_FOR_MANAGERS"] is False
