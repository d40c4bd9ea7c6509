"""The OpenAPI document is true to the app, and generated requests never cause a 5xx."""

import re
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from dpa_manager.accounts.services import create_token
from dpa_manager.api.openapi import DOCUMENT
from dpa_manager.changes import services as changes

from .conftest import NOW


def app_operations(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
            found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_every_route_is_documented_and_nothing_else(app):
    documented = {(path, method) for path, ops in DOCUMENT["paths"].items() for method in ops}
    assert documented == app_operations(app)


def test_the_document_is_served_and_valid(http, app):
    response = http.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(response.json)  # parses as OpenAPI


@pytest.fixture
def api_world(app, make_agreement, make_subprocessor, manager):
    """Data for generated requests to land on: clients, a register, a change with notices."""
    make_agreement("signed"), make_agreement("signed")
    sp = make_subprocessor()
    make_subprocessor(status="active", name="Actief NV")
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    changes.announce(change, actor=manager, now=NOW)
    return app


@pytest.fixture
def tokens(api_world, manager):
    from sqlalchemy import select

    from dpa_manager.accounts.models import User
    from dpa_manager.extensions import db

    client_user = db.session.scalar(select(User).where(User.role == "client"))
    return {"manager": create_token(manager, now=NOW), "client": create_token(client_user, now=NOW)}


#: What the responses must satisfy: no 5xx, and status code, content type and body as documented.
CONFORMANCE = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_never_fail_the_server(api_world, tokens, mode):
    """Requests as the document describes them (positive), and requests that break it on purpose (negative: wrong
    types, values out of range, missing fields): no 5xx, and every answer as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_world)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def check(case):
            for who in ("manager", "client"):
                response = case.call(headers={"Authorization": f"Bearer {tokens[who]}"})
                assert response.status_code < 500, (who, case.method, case.formatted_path, response.text[:300])
                case.validate_response(response, checks=CONFORMANCE)
            anonymous = case.call()
            assert anonymous.status_code in (200, 400, 401, 404), (case.method, case.formatted_path)

        check()
        checked.append(operation.label)
    documented = {f"{m.upper()} {p}" for p, ops in DOCUMENT["paths"].items() for m in ops}
    assert set(checked) == documented - {"GET /openapi.json"}  # the loader leaves out the document itself
