"""What leaves the server: private answers kept by no cache, secret links cut short in the logs, feed addresses that
can expire, feeds that stay well-formed whatever the data, and names without bidirectional overrides."""

import logging
from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import icalendar
import pytest
import time_machine
from sqlalchemy import select

from dpa_manager import clock
from dpa_manager.accounts.services import create_token
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db
from dpa_manager.subprocessors.models import SubProcessor
from dpa_manager.text import redact, strip_bidi, xml_safe

from .test_feeds import announced


def test_signed_in_pages_pdfs_and_api_answers_are_not_stored(login, manager, make_agreement, http):
    agreement = make_agreement("signed")
    browser = login(manager)
    for url in ("/dashboard", f"/agreements/{agreement.id}", f"/agreements/{agreement.id}/pdf", "/nope"):
        response = browser.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert "ETag" not in response.headers, url
    token = create_token(manager, now=clock.now())
    db.session.commit()
    for url in ("/api/v1/clients", "/api/v1/openapi.json", "/api/v1/clients?limit=x"):
        response = http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.headers["Cache-Control"] == "no-store", url
    browser.post("/logout")
    portal = login(agreement.client.users[0]).get("/portal/")
    assert portal.status_code == 200 and portal.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_may_be_cached(http, setup):
    public = http.get("/subverwerkers")
    assert "no-cache" in public.headers["Cache-Control"] and public.headers["ETag"]
    assert http.get("/subverwerkers", headers={"If-None-Match": public.headers["ETag"]}).status_code == 304
    assert "no-store" not in http.get("/static/app.css").headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "line, kept",
    [
        ("GET /feeds/Abc123def456ghi789/subprocessors.atom HTTP/1.1", "GET /feeds/Abc1…/subprocessors.atom HTTP/1.1"),
        ("GET /invite/eyJ1IjozfQ.Z1x2y3.abcdefgh HTTP/1.1", "GET /invite/eyJ1… HTTP/1.1"),
        ("POST /wachtwoord-vergeten/eyJ1IjozfQ.Z1x2y3.abcdefgh", "POST /wachtwoord-vergeten/eyJ1…"),
        ("https://dpa.example/n/MTIz.Z1x2y3.abcdefghij?x=1", "https://dpa.example/n/MTIz…?x=1"),
        ("GET /notices/12 HTTP/1.1", "GET /notices/12 HTTP/1.1"),
        ("GET /wachtwoord-vergeten HTTP/1.1", "GET /wachtwoord-vergeten HTTP/1.1"),
    ],
)
def test_redact(line, kept):
    assert redact(line) == kept


def test_the_apps_logs_cut_secret_links_short(app, caplog):
    secret = "Abc123def456ghi789jkl"
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - "%s" %s -', f"GET /feeds/{secret}/deadlines.ics HTTP/1.1", 200
        )
        app.logger.error("Exception on %s [GET]", f"/invite/{secret}")
    assert secret not in caplog.text and "/feeds/Abc1…/deadlines.ics" in caplog.text and "/invite/Abc1…" in caplog.text


def test_feed_addresses_can_expire(app, http, login, make_agreement, make_subprocessor, manager):
    app.config["FEED_TOKEN_DAYS"] = 90
    agreement, _, _ = announced(make_agreement, make_subprocessor, manager)
    client = agreement.client
    atom = f"/feeds/{client.feed_token}/subprocessors.atom"
    made = client.created_at
    with time_machine.travel(made + timedelta(days=90, seconds=-1), tick=False):
        assert http.get(atom).status_code == 200
        page = login(client.users[0]).get("/portal/feeds")
        assert "Deze adressen werken tot" in page.text
    with time_machine.travel(made + timedelta(days=90), tick=False):
        assert http.get(atom).status_code == 404
        assert http.get(f"/feeds/{client.feed_token}/deadlines.ics").status_code == 404
        portal = login(client.users[0])
        assert "werken sinds" in portal.get("/portal/feeds").text
        assert portal.post("/portal/feeds", data={"confirm": "y"}).status_code == 302
        db.session.refresh(client)
        assert http.get(f"/feeds/{client.feed_token}/subprocessors.atom").status_code == 200
    app.config["FEED_TOKEN_DAYS"] = None
    with time_machine.travel(made + timedelta(days=3650), tick=False):
        assert http.get(f"/feeds/{client.feed_token}/subprocessors.atom").status_code == 200  # the default: never


def test_feeds_stay_well_formed_whatever_the_text(http, make_agreement, make_subprocessor, manager):
    agreement, sp, _ = announced(make_agreement, make_subprocessor, manager)
    db.session.get(SubProcessor, sp.id).purpose = "Telefonie\x01 en\x0b opname\x1b; eerste\rtweede"
    db.session.get(Client, agreement.client_id).name = "Klant\x07 met\r bel"
    db.session.commit()
    atom = http.get(f"/feeds/{agreement.client.feed_token}/subprocessors.atom")
    ElementTree.fromstring(atom.data)  # well-formed XML
    parsed = feedparser.parse(atom.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert "Telefonie en opname; eerste" in parsed.entries[0].summary
    ics = http.get(f"/feeds/{agreement.client.feed_token}/deadlines.ics").data
    assert b"\r" not in ics.replace(b"\r\n", b"") and b"\x07" not in ics
    assert b"X-WR-CALNAME:Bezwaartermijnen Klant met\\n bel" in ics  # the CR as an escaped line break
    icalendar.Calendar.from_ical(ics)


def test_text_helpers():
    assert xml_safe("a\x00b\x08c\td\ne\ufffef") == "abc\td\nef"
    assert strip_bidi("evil\u202egnp.exe\u2066x\u2069") == "evilgnp.exex"


def test_bidirectional_overrides_are_removed_from_names(login, manager, setup, http):
    browser = login(manager)
    data = {
        "name": "Klant \u202eVB\u202c NV",
        "enterprise_number": "0427.073.974",
        "address": "Straat 1\n1000 Brussel",
        "language": "nl",
        "contact_email": "info@klant.example",
    }
    assert browser.post("/clients/new", data=data).status_code == 302
    assert db.session.scalar(select(Client.name)) == "Klant VB NV"
    token = create_token(manager, now=clock.now())
    db.session.commit()
    response = http.post(
        "/api/v1/subprocessors",
        json={
            "name": "Cloud\u2066Tel\u2069 SA",
            "purpose": "Telefonie",
            "address": "Rue 1, Paris",
            "contact": "dpo@cloudtel.example",
            "countries": ["FR"],
            "data_categories": ["contact"],
            "kind": "active_systematic",
            "services": ["klantendienst"],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    assert response.json["name"] == "CloudTel SA"
