"""The processor's own systems bring their records in through the API: clients created and changed, their users
invited, agreements drafted and sent for signature. Real tokens, through the test client; the e-mails as a real
SMTP server received them."""

import pytest
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.accounts.models import User
from dpa_manager.accounts.services import create_token
from dpa_manager.agreements.models import Agreement
from dpa_manager.audit import AuditEvent
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db
from dpa_manager.jobs import drain

from .conftest import NOW

CLIENT = {
    "name": "Brouwerij De Klok BV",
    "enterprise_number": "0427073974",
    "address": "Markt 1\n9000 Gent",
    "language": "nl",
    "contact_email": "privacy@deklok.example",
    "contact_name": "Els Janssens",
    "contact_role": "DPO",
}

AGREEMENT = {
    "subject_matter": "Klantendienst voor consumenten",
    "nature_purpose": "Oproepen beantwoorden.",
    "services": ["klantendienst"],
    "data_types": ["identification", "contact"],
    "data_subjects": ["customers"],
    "toms": "Versleuteling\nToegangsbeheer",
}


@pytest.fixture
def call(http, manager, setup):
    """Call the API with a manager's token: call(method, url, json) returns the response."""
    token = create_token(manager, now=NOW)
    db.session.commit()

    def do(method, url, json=None, token=token):
        return http.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})

    do.token = token
    return do


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_client_is_created_and_changed(call):
    created = call("POST", "/api/v1/clients", CLIENT)
    assert created.status_code == 201, created.json
    client = created.json
    assert client["enterprise_number"] == "0427.073.974" and client["contact_name"] == "Els Janssens"
    assert client["address"] == "Markt 1\n9000 Gent"

    changed = call("PATCH", f"/api/v1/clients/{client['id']}", {"language": "fr", "contact_email": "dpo@deklok.be"})
    assert changed.status_code == 200, changed.json
    assert changed.json == client | {"language": "fr", "contact_email": "dpo@deklok.be"}
    stored = db.session.get(Client, client["id"])
    assert (stored.language, stored.contact_email, stored.name) == ("fr", "dpo@deklok.be", "Brouwerij De Klok BV")
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "client").order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "updated"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"enterprise_number": "0427073975"}, "enterprise_number"),
        ({"language": "de"}, "language"),
        ({"contact_email": "geen adres"}, "contact_email"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"address": "x" * 501}, "address"),
    ],
)
def test_a_bad_client_is_refused_and_nothing_is_stored(call, body, field):
    response = call("POST", "/api/v1/clients", CLIENT | body)
    assert response.status_code == 422 and response.json["field"] == field and response.json["error"]
    assert count(Client) == 0


def test_a_second_client_with_the_same_number_is_refused_and_a_patch_changes_nothing_when_wrong(call):
    first = call("POST", "/api/v1/clients", CLIENT).json
    again = call("POST", "/api/v1/clients", CLIENT | {"name": "Andere naam"})
    assert again.status_code == 422 and "hoort al bij Brouwerij De Klok BV" in again.json["error"]
    bad = call("PATCH", f"/api/v1/clients/{first['id']}", {"name": "Nieuwe naam", "language": "xx"})
    assert bad.status_code == 422 and bad.json["field"] == "language"
    db.session.expire_all()
    assert db.session.get(Client, first["id"]).name == "Brouwerij De Klok BV"
    assert call("PATCH", "/api/v1/clients/999999", {"name": "X"}).status_code == 404


def test_users_are_invited_and_an_agreement_is_drafted_and_sent(call, inbox):
    client = call("POST", "/api/v1/clients", CLIENT).json
    draft = call("POST", "/api/v1/agreements", AGREEMENT | {"client_id": client["id"]})
    assert draft.status_code == 201, draft.json
    agreement = draft.json
    assert agreement["state"] == "draft" and agreement["services"] == ["klantendienst"]
    assert agreement["reference"] == f"VO-{agreement['id']:05d}" and agreement["starts_on"] == "2026-11-21"

    nobody = call("POST", f"/api/v1/agreements/{agreement['id']}/send")
    assert nobody.status_code == 422 and nobody.json["field"] == "users"
    assert "geen actieve gebruiker die kan ondertekenen" in nobody.json["error"]

    invited = call(
        "POST", f"/api/v1/clients/{client['id']}/users", {"email": "els@deklok.example", "full_name": "Els Janssens"}
    )
    assert invited.status_code == 201, invited.json
    assert invited.json["client_id"] == client["id"] and invited.json["last_login_at"] is None
    twice = call(
        "POST", f"/api/v1/clients/{client['id']}/users", {"email": "els@deklok.example", "full_name": "Els Janssens"}
    )
    assert twice.status_code == 422 and twice.json["field"] == "email"

    sent = call("POST", f"/api/v1/agreements/{agreement['id']}/send")
    assert sent.status_code == 200, sent.json
    assert sent.json["state"] == "sent" and sent.json["sent_at"].startswith("2026-11-21")
    assert call("POST", f"/api/v1/agreements/{agreement['id']}/send").status_code == 409
    assert call("GET", f"/api/v1/agreements/{agreement['id']}").json == sent.json

    drain(now=clock.now)
    subjects = sorted(m["Subject"] for m in inbox.to("els@deklok.example"))
    assert subjects == [
        "Uitnodiging voor het portaal van ContactExpert NV",
        f"Verwerkersovereenkomst {agreement['reference']} van ContactExpert NV ter ondertekening",
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"client_id": 999999}, "client_id"),
        ({"services": ["bestaat-niet"]}, "services"),
        ({"starts_on": "morgen"}, "starts_on"),
        ({"starts_on": "2026-11-21", "ends_on": "2026-01-01"}, "ends_on"),
        ({"window_days": 0}, "window_days"),
        ({"data_types": ["gedachten"]}, "data_types"),
        ({"terms_version_id": 999999}, "terms_version_id"),
        ({"translations": {"de": {"toms": "x"}}}, "translations"),
        ({"cap_total_cents": -1}, "cap_total_cents"),
    ],
)
def test_a_bad_agreement_is_refused_and_nothing_is_stored(call, make_client, body, field):
    client = make_client()
    response = call("POST", "/api/v1/agreements", AGREEMENT | {"client_id": client.id} | body)
    assert response.status_code == 422, response.json
    assert response.json["field"] == field and response.json["error"]
    assert count(Agreement) == 0


def test_an_incomplete_draft_is_not_sent(call, make_client, make_user):
    client = make_client()
    make_user(client=client)
    draft = call("POST", "/api/v1/agreements", {"client_id": client.id}).json
    response = call("POST", f"/api/v1/agreements/{draft['id']}/send")
    assert response.status_code == 422 and "onvolledig" in response.json["error"]
    assert db.session.get(Agreement, draft["id"]).state == "draft"


def test_client_users_cannot_write(http, call, make_client, make_user, make_agreement):
    client = make_client()
    user = make_user(client=client)
    agreement = make_agreement("sent", client=client)
    token = create_token(user, now=NOW)
    db.session.commit()
    for method, url, body in [
        ("POST", "/api/v1/clients", CLIENT),
        ("PATCH", f"/api/v1/clients/{client.id}", {"name": "Ander"}),
        ("POST", f"/api/v1/clients/{client.id}/users", {"email": "x@y.example", "full_name": "X"}),
        ("POST", "/api/v1/agreements", {"client_id": client.id}),
        ("POST", f"/api/v1/agreements/{agreement.id}/send", None),
    ]:
        response = call(method, url, body, token=token)
        assert response.status_code == 403, (url, response.json)
    assert call("GET", f"/api/v1/agreements/{agreement.id}", token=token).json["state"] == "sent"
    other = make_agreement("sent")
    assert call("GET", f"/api/v1/agreements/{other.id}", token=token).status_code == 404
    assert count(User) == 3  # the manager, the client's user and the other client's user: nobody invited


def test_a_client_user_does_not_see_a_draft(call, make_client, make_user, make_agreement):
    client = make_client()
    user = make_user(client=client)
    draft = make_agreement("draft", client=client)
    token = create_token(user, now=NOW)
    db.session.commit()
    assert call("GET", f"/api/v1/agreements/{draft.id}", token=token).status_code == 404  # as in the portal
    assert call("GET", f"/api/v1/agreements/{draft.id}").json["state"] == "draft"  # the manager sees it


def test_an_address_with_control_characters_is_refused(call):
    response = call("POST", "/api/v1/clients", CLIENT | {"address": "Markt 1\x0b9000 Gent"})
    assert response.status_code == 422 and response.json["field"] == "address"
    assert count(Client) == 0
