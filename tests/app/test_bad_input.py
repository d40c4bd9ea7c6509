"""Input that once answered 500: each gets a clear 4xx and changes nothing."""

import io
import json

import pytest
from sqlalchemy import func, select

from dpa_manager.accounts.services import create_token
from dpa_manager.extensions import db
from dpa_manager.subprocessors.models import Change, SubProcessor

from .conftest import NOW


@pytest.fixture
def api(http, app, manager, setup):
    """The test client and a manager's bearer header; exceptions answer as they would in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = create_token(manager, now=NOW)
    db.session.commit()
    return http, {"Authorization": f"Bearer {token}"}


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Change)),
        db.session.scalar(select(func.count()).select_from(SubProcessor)),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/notices?change_id=%C2%B3",  # superscript three: a digit to str.isdigit, not to int()
        "/api/v1/notices?client_id=%C2%B2",
        "/api/v1/notices?limit=%E2%91%A0",  # circled one
        "/api/v1/notices?before=%D9%A3",  # Arabic-Indic three: int() takes it, the API does not
        "/api/v1/clients?limit=%C2%B3",
        "/api/v1/clients?offset=-1",
        "/api/v1/clients/{client}/subprocessors?on=9999-12-31",
        "/api/v1/clients/{client}/subprocessors?on=0001-01-01",
    ],
)
def test_unicode_digits_and_far_dates_in_api_parameters_are_400(api, make_client, url):
    http, headers = api
    response = http.get(url.format(client=make_client().id), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json["error"]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/changes", {"kind": ["add"]}, "kind"),
        ("/api/v1/changes", {"kind": "add", "subprocessor_id": 2**70}, "subprocessor_id"),
        ("/api/v1/changes", {"kind": "add", "subprocessor_id": 1, "reason": {"nl": "x"}}, "reason"),
        ("/api/v1/changes", {"kind": "add", "subprocessor_id": 1, "effective_on": "9999-12-31"}, "effective_on"),
        ("/api/v1/changes", {"translations": {"fr": {"reason": 5}}}, "translations"),
        ("/api/v1/subprocessors", {"name": "X", "data_categories": [["identification"]]}, "data_categories"),
        ("/api/v1/subprocessors", {"name": "X", "services": [2**70]}, "services"),
        ("/api/v1/subprocessors", {"name": "X", "countries": "BE"}, "countries"),
        ("/api/v1/subprocessors", {"name": "X" * 201}, "name"),
        ("/api/v1/subprocessors", {"name": True}, "name"),
    ],
)
def test_wrong_json_types_are_refused_naming_the_field(api, path, body, field):
    http, headers = api
    response = http.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json["field"] == field and field in response.json["error"]
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"reason": "\\ud800"}',  # a lone surrogate: valid JSON, not text any database stores
        b'{"reason": "ok", "kind": "\\udfff"}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 40 + b"1" + b"}" * 40,  # deeper than any body of the API
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/changes", "/api/v1/subprocessors"])
def test_surrogates_and_deep_nesting_are_400(api, raw, path):
    http, headers = api
    response = http.post(path, data=raw, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]
    assert counts() == (0, 0)


def test_a_lone_surrogate_in_an_objection_is_400(login, make_agreement, announce_addition, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    token = create_token(agreement.client.users[0], now=NOW)
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/notices/{notice_id}/objection",
        data=b'{"reason": "Nee \\ud83d"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400


#: What a server that reads chunked bodies (gunicorn) tells the app; test_serving.py sends one to gunicorn itself.
CHUNKED = {"wsgi.input_terminated": True}


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'{"name": "a\\u0000b"}', "application/json"),
        (b"name=a%00b&purpose=x", "application/x-www-form-urlencoded"),
        (b"name=\xff\xfe&purpose=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_chunked_body_is_checked_like_any_other(api, login, manager, raw, content_type):
    """A body sent with Transfer-Encoding: chunked has no Content-Length; its text is checked all the same."""
    http, headers = api
    login(manager)
    path = "/api/v1/subprocessors" if content_type == "application/json" else "/subprocessors/new"
    response = http.post(
        path,
        input_stream=io.BytesIO(raw),
        headers=headers | {"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides=CHUNKED,
    )
    assert response.status_code == 400
    assert counts() == (0, 0)


def test_a_chunked_json_body_is_read(api):
    """The same path takes a clean chunked body: the check reads the body, it does not refuse chunking."""
    http, headers = api
    response = http.post(
        "/api/v1/subprocessors",
        input_stream=io.BytesIO(json.dumps({"name": "Chunk NV"}).encode()),
        headers=headers | {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides=CHUNKED,
    )
    assert response.status_code == 422 and response.json["field"] != "body"  # read, and judged on its fields


@pytest.mark.parametrize(
    "url",
    [
        "/audit/?object_id=%C2%B3",
        "/audit/?until=9999-12-31",
        "/audit/?since=0001-01-01",
        "/audit/?since=2026-13-01",
    ],
)
def test_manager_audit_filters(api, login, manager, url):
    http, _ = api
    login(manager)
    response = http.get(url)
    if "object_id" in url:
        assert response.status_code == 200  # not a number: the filter is left out
    else:
        assert response.status_code == 400 and "Geef een datum tussen 1900 en 2999" in response.text


@pytest.mark.parametrize(
    "url", ["/portal/audit?object_id=%C2%B3", "/portal/audit?until=9999-12-31", "/portal/audit?since=0001-01-01"]
)
def test_portal_audit_filters(app, login, make_client, make_user, url):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    http = login(make_user(client=make_client()))
    response = http.get(url)
    assert response.status_code in (200, 400), response.status_code
    if "object_id" not in url:
        assert response.status_code == 400 and "Geef een datum tussen 1900 en 2999" in response.text


def test_portal_as_of_date_far_away_is_refused_with_a_message(app, login, make_client, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    http = login(make_user(client=make_client()))
    response = http.get("/portal/subprocessors?op=9999-12-31", follow_redirects=True)
    assert response.status_code == 200 and "Geef een datum tussen 1900 en 2999" in response.text


@pytest.mark.parametrize(
    "url, data",
    [
        ("/changes/new", {"kind": "add", "effective_on": "9999-12-31", "reason": "Nieuw"}),
        ("/terms/new", {"label": "x", "title": "T", "effective_on": "0001-01-01", "text": "1. A"}),
    ],
)
def test_far_dates_in_forms_are_refused(api, login, manager, url, data):
    http, _ = api
    login(manager)
    response = http.post(url, data=data)
    assert response.status_code == 422 and "Geef een datum tussen 1900 en 2999" in response.text


@pytest.mark.parametrize(
    "method, url, api_call",
    [("put", "/api/v1/clients", True), ("delete", "/api/v1/changes", True), ("put", "/login", False)],
)
def test_405_says_what_is_allowed(api, method, url, api_call):
    http, headers = api
    response = getattr(http, method)(url, headers=headers)
    assert response.status_code == 405
    assert response.headers["Allow"] and "PUT" not in response.headers["Allow"]
    assert bool(response.is_json) is api_call


@pytest.mark.parametrize(
    "path, page",
    [
        ("/clients/{client}/invite", "/clients/{client}"),
        ("/changes/{change}/announce", "/changes/{change}"),
        ("/users/{user}/disable", "/users/{user}"),
        ("/outbox/requeue", "/outbox/"),
    ],
)
def test_reloading_after_a_refused_form_shows_its_page(login, manager, make_client, make_user, make_subprocessor,
                                                       path, page):  # fmt: skip
    """A refused form answers at the address it posted to; reloading asks that address with a GET: the page the
    form is on, not 'method not allowed'."""
    from datetime import date

    from dpa_manager.changes import services as changes

    client = make_client()
    user = make_user(client=client)
    change = changes.create_change(
        kind="add", subprocessor_id=make_subprocessor().id, effective_on=date(2026, 12, 15), reason="Nieuw",
        actor=manager, now=NOW,
    )  # fmt: skip
    db.session.commit()
    ids = {"client": client.id, "user": user.id, "change": change.id}
    http = login(manager)
    response = http.get(path.format(**ids))
    assert response.status_code == 303 and response.headers["Location"] == page.format(**ids)
    assert http.get(response.headers["Location"]).status_code == 200


def test_a_get_on_a_form_address_without_a_page_above_stays_405(login, manager):
    assert login(manager).get("/logout").status_code == 405
    assert login(manager).get("/api/v1/changes/1/announce").status_code in (401, 405)
