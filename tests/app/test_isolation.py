"""Tenant isolation, checked on every route of the app: new routes are covered as they come."""

from datetime import date

import pytest
from sqlalchemy import select

from dpa_manager.accounts.services import create_token
from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.links import notice_token
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.processor.models import Service

from .conftest import NOW, PASSWORD

ACCESS = {"public", "user", "manager", "client", "api-public", "api-user", "api-manager", "api-client"}


@pytest.fixture
def world(app, make_agreement, make_subprocessor, manager, setup):
    """Two competing clients, A and B, each with a signed agreement, a user and a notice."""
    a, b = make_agreement("signed"), make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    changes.announce(change, actor=manager, now=NOW)
    from dpa_manager.notices.models import Notice

    notice_b = db.session.scalar(select(Notice).where(Notice.client_id == b.client_id))
    message_b = db.session.scalar(select(OutboxMessage).where(OutboxMessage.client_id == b.client_id))
    user_b = b.client.users[0]
    create_token(user_b, now=NOW)
    from dpa_manager.accounts.services import tokens_of
    from dpa_manager.notices.models import NoticeProof

    proof_b = NoticeProof(
        notice_id=notice_b.id,
        client_id=b.client_id,
        filename="brief.pdf",
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        data=b"%PDF-",
        created_at=NOW,
    )
    db.session.add(proof_b)
    from dpa_manager.mail.models import MailBounce

    bounce_b = MailBounce(
        received_at=NOW,
        via="smtp",
        outbox_id=message_b.id,
        kind="failed",
        recipients=[],
        sha256="1" * 64,
        size=5,
        raw=b"From:",
    )
    db.session.add(bounce_b)
    from dpa_manager.accounts import sessions
    from dpa_manager.accounts.models import UserSession

    sessions.start(user_b, method="password", ip="192.0.2.1", user_agent="", now=NOW)
    from dpa_manager.accounts.models import SecurityKey

    key_b = SecurityKey(user_id=user_b.id, credential_id=b"key of b", public_key=b"", sign_count=0, created_at=NOW)
    db.session.add(key_b)
    db.session.commit()
    return {
        "user_a": a.client.users[0],
        "manager": manager,
        "args": {
            "agreement_id": b.id,
            "notice_id": notice_b.id,
            "client_id": b.client_id,
            "sp_id": sp.id,
            "change_id": change.id,
            "version_id": setup.id,
            "message_id": message_b.id,
            "token": notice_token(notice_b.id),
            "user_id": user_b.id,
            "token_id": tokens_of(user_b)[0].id,
            "proof_id": proof_b.id,
            "bounce_id": bounce_b.id,
            "key_id": key_b.id,
            "file_id": 1,  # an import file: the managers' only
            "kind": "csv",
            "language": "fr",
            "session_id": db.session.scalar(select(UserSession.id).where(UserSession.user_id == user_b.id)),
            "service_id": db.session.scalar(select(Service.id)),
        },
    }


#: Route arguments that name no object (a file's format, a language): a route with only these reaches the user's own
#: data.
NOT_OBJECTS = {"kind", "language"}


def routes(app, *, keep_logged_in=False):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or (keep_logged_in and rule.endpoint == "accounts.logout"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_rule(rule, args):
    missing = [name for name in rule.arguments if name not in args]
    assert not missing, f"{rule.rule}: add an object of client B for {missing} to the world fixture"
    return rule.build({name: args[name] for name in rule.arguments})[1]


def call(http, method, url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return http.get(url, headers=headers)
    return http.open(url, method=method, data={}, headers=headers)


def test_every_view_declares_who_may_reach_it(app):
    for rule, _ in routes(app):
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        assert access in ACCESS, f"{rule.rule} ({rule.endpoint}) has no access mark"
        assert access.startswith("api-") == rule.rule.startswith("/api/"), rule.rule


def test_anonymous_users_are_sent_to_login_or_get_401(app, world):
    http = app.test_client()
    for rule, method in routes(app):
        access = app.view_functions[rule.endpoint].access
        if access in ("public", "api-public"):
            continue
        response = call(http, method, url_for_rule(rule, world["args"]))
        if access.startswith("api-"):
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            assert response.json["error"]
        else:
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert "/login" in response.headers["Location"], rule.rule


def test_a_client_user_never_reaches_another_clients_objects(app, world):
    http = app.test_client()
    assert http.post("/login", data={"email": world["user_a"].email, "password": PASSWORD}).status_code == 302
    token = create_token(world["user_a"], now=NOW)
    db.session.commit()  # the test is the caller of the service: it commits
    checked = 0
    for rule, method in routes(app, keep_logged_in=True):
        access = app.view_functions[rule.endpoint].access
        if access in ("public", "api-public"):
            continue
        response = call(http, method, url_for_rule(rule, world["args"]), token=token)
        if access in ("manager", "api-manager"):
            expected = 403
        elif set(rule.arguments) - NOT_OBJECTS:
            expected = 404
        else:
            assert response.status_code < 500, (method, rule.rule)
            continue
        assert response.status_code == expected, (method, rule.rule, response.status_code)
        checked += 1
    assert checked > 40


def test_managers_get_403_on_the_client_side(app, world):
    http = app.test_client()
    http.post("/login", data={"email": world["manager"].email, "password": PASSWORD})
    token = create_token(world["manager"], now=NOW)
    for rule, method in routes(app, keep_logged_in=True):
        access = app.view_functions[rule.endpoint].access
        if access in ("client", "api-client"):
            response = call(http, method, url_for_rule(rule, world["args"]), token=token)
            assert response.status_code == 403, (method, rule.rule, response.status_code)


def test_nothing_changed_for_client_b(app, world):
    from dpa_manager.notices.models import Notice

    test_a_client_user_never_reaches_another_clients_objects(app, world)
    notice = db.session.get(Notice, world["args"]["notice_id"])
    assert notice.state == "awaiting_delivery" and notice.first_opened_at is None
