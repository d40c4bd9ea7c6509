"""The JSON API, through the test client, with real tokens."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dpa_manager.accounts.models import ApiToken
from dpa_manager.accounts.services import create_token
from dpa_manager.extensions import db
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors.models import Change, SubProcessor

from .conftest import NOW

SP = {
    "name": "VoiceCloud Inc.",
    "registration_number": "US-12345",
    "purpose": "Spraakherkenning",
    "countries": ["IE", "US"],
    "transfer_mechanism": "scc",
    "data_categories": ["call_recordings"],
    "kind": "active_systematic",
    "services": ["klantendienst"],
    "website": "https://voicecloud.example",
    "address": "1 Harbor Street, Wilmington, DE 19801, United States",
    "contact": "privacy@voicecloud.example",
}


@pytest.fixture
def api(http):
    class Api:
        def __init__(self):
            self.token = None

        def as_user(self, user):
            self.token = create_token(user, now=NOW)
            db.session.commit()
            return self

        def _headers(self):
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}

        def get(self, url):
            return http.get(url, headers=self._headers())

        def post(self, url, json=None, data=None, **kw):
            return http.post(url, json=json, data=data, headers=self._headers() | kw.get("headers", {}))

    return Api()


@pytest.fixture
def as_manager(api, manager, setup):
    return api.as_user(manager)


def future(days=20):
    return (NOW + timedelta(days=days)).date().isoformat()


def test_no_or_bad_token_is_401(api, setup):
    for url in ("/api/v1/clients", "/api/v1/subprocessors", "/api/v1/notices"):
        response = api.get(url)
        assert response.status_code == 401 and response.json["error"]
    api.token = "dpa_not-a-real-token"
    assert api.get("/api/v1/clients").status_code == 401


def test_tokens_are_stored_hashed(api, manager):
    token = api.as_user(manager).token
    row = db.session.scalar(select(ApiToken))
    assert token not in row.token_hash and len(row.token_hash) == 64
    row.revoked_at = NOW
    db.session.commit()
    assert api.get("/api/v1/clients").status_code == 401


def test_clients_and_their_subprocessors(as_manager, make_agreement, make_subprocessor):
    agreement = make_agreement("signed")
    response = as_manager.get("/api/v1/clients")
    assert response.status_code == 200
    (client,) = response.json["clients"]
    assert client["id"] == agreement.client_id and client["enterprise_number"].count(".") == 2
    response = as_manager.get(f"/api/v1/clients/{agreement.client_id}/subprocessors")
    assert response.json["subprocessors"] == []
    assert as_manager.get("/api/v1/clients/999/subprocessors").status_code == 404
    assert as_manager.get(f"/api/v1/clients/{agreement.client_id}/subprocessors?on=gisteren").status_code == 400


def test_create_subprocessor_change_announce(as_manager, make_agreement):
    agreements = [make_agreement("signed") for _ in range(2)]
    response = as_manager.post("/api/v1/subprocessors", json=SP)
    assert response.status_code == 201, response.json
    sp = response.json
    assert sp["id"] and sp["status"] == "proposed" and sp["services"] == ["klantendienst"]
    response = as_manager.post(
        "/api/v1/changes",
        json={"kind": "add", "subprocessor_id": sp["id"], "effective_on": future(), "reason": "Betere herkenning"},
    )
    assert response.status_code == 201, response.json
    change_id = response.json["id"]
    response = as_manager.post(f"/api/v1/changes/{change_id}/announce")
    assert response.status_code == 200
    listed = response.json["notices"]
    assert sorted(n["client_id"] for n in listed) == sorted(a.client_id for a in agreements)
    assert {n["state"] for n in listed} == {"awaiting_delivery"}
    assert all(n["notified_at"] is None and n["closes_at"] is None for n in listed)
    again = as_manager.post(f"/api/v1/changes/{change_id}/announce")
    assert again.status_code == 409 and again.json["error"]
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 2


@pytest.mark.parametrize(
    "change, status, field",
    [
        ({"kind": "add", "subprocessor_id": 999}, 422, "subprocessor_id"),
        ({"kind": "add", "effective_on": "2020-01-01"}, 422, "effective_on"),
        ({"kind": "add", "reason": ""}, 422, "reason"),
        ({"kind": "replace"}, 422, "replaces_id"),
        ({"kind": "renew"}, 422, "kind"),
        ({"kind": "add", "subprocessor_id": "1"}, 422, "subprocessor_id"),
        ({"kind": "add", "effective_on": "morgen"}, 422, "effective_on"),
    ],
)
def test_bad_changes_are_refused(as_manager, make_subprocessor, change, status, field):
    sp = make_subprocessor()
    body = {"kind": "add", "subprocessor_id": sp.id, "effective_on": future(), "reason": "Een reden"} | change
    if change.get("kind") == "replace":
        body["replaces_id"] = sp.id
    response = as_manager.post("/api/v1/changes", json=body)
    assert response.status_code == status, response.json
    assert response.json["field"] == field and response.json["error"]
    assert db.session.scalar(select(func.count()).select_from(Change)) == 0


def test_retired_and_self_replacement_are_refused(as_manager, make_subprocessor):
    retired = make_subprocessor(status="retired", name="Weg BV")
    active = make_subprocessor(status="active", name="Actief BV")
    response = as_manager.post(
        "/api/v1/changes",
        json={"kind": "remove", "subprocessor_id": retired.id, "effective_on": future(), "reason": "Stop"},
    )
    assert response.status_code == 422 and "niet meer in gebruik" in response.json["error"]
    response = as_manager.post(
        "/api/v1/changes",
        json={
            "kind": "replace",
            "subprocessor_id": active.id,
            "replaces_id": active.id,
            "effective_on": future(),
            "reason": "Zelf",
        },
    )
    assert response.status_code == 422 and "zichzelf" in response.json["error"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"countries": ["BE", "US"], "transfer_mechanism": None}, "doorgiftemechanisme verplicht"),
        ({"countries": ["BE"], "transfer_mechanism": "scc"}, "geen doorgiftemechanisme nodig"),
        ({"countries": ["XX"]}, "Onbekende landcode"),
        ({"countries": []}, "minstens één verwerkingslocatie"),
        ({"transfer_mechanism": "other", "transfer_text": ""}, "andere waarborg"),
        ({"data_categories": []}, "minstens één soort"),
        ({"data_categories": ["dna"]}, "Onbekende soort"),
        ({"kind": "sometimes"}, "incidenteel"),
        ({"website": "javascript:alert(1)"}, "http"),
        ({"services": ["bestaat-niet"]}, "Onbekende dienst"),
        ({"name": ""}, "Vul de naam van de subverwerker in."),
        ({"name": "x" * 201}, "Hoogstens 200 tekens."),
        ({"contact": "x" * 301}, "Hoogstens 300 tekens."),
    ],
)
def test_bad_subprocessors_are_refused(as_manager, change, message):
    response = as_manager.post("/api/v1/subprocessors", json=SP | change)
    assert response.status_code == 422
    assert message.lower() in response.json["error"].lower()
    assert db.session.scalar(select(func.count()).select_from(SubProcessor)) == 0


def test_bad_json_is_400(as_manager):
    response = as_manager.post("/api/v1/subprocessors", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]
    response = as_manager.post("/api/v1/subprocessors", json=[1, 2])
    assert response.status_code == 400


def announced(as_manager, make_agreement):
    agreement = make_agreement("signed")
    sp = as_manager.post("/api/v1/subprocessors", json=SP).json
    change = as_manager.post(
        "/api/v1/changes",
        json={"kind": "add", "subprocessor_id": sp["id"], "effective_on": future(), "reason": "Reden"},
    ).json
    (notice,) = as_manager.post(f"/api/v1/changes/{change['id']}/announce").json["notices"]
    return agreement, notice["id"]


def test_notices_for_managers_and_for_the_client(api, as_manager, make_agreement, make_user, make_client):
    agreement, notice_id = announced(as_manager, make_agreement)
    response = as_manager.get(f"/api/v1/notices?client_id={agreement.client_id}&state=awaiting_delivery")
    assert [n["id"] for n in response.json["notices"]] == [notice_id]
    detail = as_manager.get(f"/api/v1/notices/{notice_id}").json
    for key in ("id", "client_id", "change_id", "state", "notified_at", "closes_at", "window_days", "window_unit"):
        assert key in detail
    assert as_manager.get("/api/v1/notices?state=bogus").status_code == 400
    assert as_manager.get("/api/v1/notices/999").status_code == 404
    api.as_user(make_user(client=make_client()))  # from here on: a user of another client
    assert api.get(f"/api/v1/notices/{notice_id}").status_code == 404
    assert api.get("/api/v1/notices").json["notices"] == []
    assert api.post(f"/api/v1/notices/{notice_id}/objection", json={"reason": "nee"}).status_code == 404


def test_objection_and_approval_through_the_api(api, as_manager, make_agreement):
    agreement, notice_id = announced(as_manager, make_agreement)
    # a manager only records an answer the client sent otherwise, saying when it was received
    response = as_manager.post(f"/api/v1/notices/{notice_id}/approval")
    assert response.status_code == 422 and response.json["field"] == "received_at"
    client_api = api.as_user(agreement.client.users[0])
    # not yet told: nothing to answer
    response = client_api.post(f"/api/v1/notices/{notice_id}/approval")
    assert response.status_code == 409
    notices.mark_delivered(notice_id, NOW)
    db.session.commit()
    assert client_api.post(f"/api/v1/notices/{notice_id}/objection", json={"reason": ""}).status_code == 422
    assert client_api.post(f"/api/v1/notices/{notice_id}/objection", json={"reason": 5}).status_code == 422
    response = client_api.post(f"/api/v1/notices/{notice_id}/objection", json={"reason": "Geen VS-doorgifte"})
    assert response.status_code == 200 and response.json["state"] == "objected"
    again = client_api.post(f"/api/v1/notices/{notice_id}/approval")
    assert again.status_code == 409


def test_objection_after_closing_is_409(api, as_manager, make_agreement):
    import time_machine

    agreement, notice_id = announced(as_manager, make_agreement)
    notices.mark_delivered(notice_id, NOW)
    db.session.commit()
    closes = db.session.get(Notice, notice_id).closes_at
    client_api = api.as_user(agreement.client.users[0])
    with time_machine.travel(closes, tick=False):
        response = client_api.post(f"/api/v1/notices/{notice_id}/objection", json={"reason": "Te laat?"})
    assert response.status_code == 409 and "afgelopen" in response.json["error"]
    assert db.session.get(Notice, notice_id).state == "open"


def test_client_users_cannot_manage_the_register(api, make_agreement):
    agreement = make_agreement("signed")
    client_api = api.as_user(agreement.client.users[0])
    assert client_api.post("/api/v1/subprocessors", json=SP).status_code == 403
    assert client_api.post("/api/v1/changes", json={}).status_code == 403
    assert client_api.get("/api/v1/clients").json["clients"][0]["id"] == agreement.client_id
    assert client_api.get(f"/api/v1/clients/{agreement.client_id + 1000}/subprocessors").status_code == 404


def test_unknown_api_route_is_json_404(as_manager):
    response = as_manager.get("/api/v1/bestaat-niet")
    assert response.status_code == 404 and response.json == {
        "error": "Deze pagina bestaat niet, of u hebt er geen toegang toe."
    }


def test_datetimes_carry_an_offset(as_manager, make_agreement):
    _, notice_id = announced(as_manager, make_agreement)
    notices.mark_delivered(notice_id, NOW)
    db.session.commit()
    detail = as_manager.get(f"/api/v1/notices/{notice_id}").json
    assert detail["notified_at"] == "2026-11-21T10:00:00+00:00"
    assert detail["closes_at"] == "2026-11-30T23:00:00+00:00"


def test_notices_come_a_page_at_a_time_with_a_link_to_the_next(as_manager, make_agreement, announce_addition):
    for _ in range(5):
        make_agreement("signed")
    ids = []
    for _ in range(3):  # 15 notices
        ids += announce_addition()[1]
    seen, url, pages = [], "/api/v1/notices?limit=4&change_id=&state=", 0
    while url:
        body = as_manager.get(url).json
        assert len(body["notices"]) <= 4
        seen += [n["id"] for n in body["notices"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(ids, reverse=True) and pages == 4  # 4 + 4 + 4 + 3, newest first, each once
    filtered = as_manager.get(f"/api/v1/notices?limit=2&client_id={db.session.get(Notice, ids[0]).client_id}").json
    assert len(filtered["notices"]) == 2 and "client_id=" in filtered["next"] and "limit=2" in filtered["next"]
    assert len(as_manager.get("/api/v1/notices").json["notices"]) == 15  # 100 unless asked
    assert as_manager.get("/api/v1/notices?before=abc").status_code == 400


def test_clients_come_a_page_at_a_time(as_manager, make_client):
    made = [make_client().id for _ in range(5)]
    seen, url = [], "/api/v1/clients?limit=2"
    while url:
        body = as_manager.get(url).json
        seen += [c["id"] for c in body["clients"]]
        url = body["next"]
    assert seen == sorted(made)
