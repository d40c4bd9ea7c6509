"""Feeds, read back with real parsers (feedparser, icalendar)."""

from datetime import date

import feedparser
import icalendar

from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.notices import services as notices

from .conftest import NOW


def announced(make_agreement, make_subprocessor, manager, **values):
    agreement = make_agreement("signed")
    sp = make_subprocessor(**values)
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Betere telefonie",
        actor=manager,
        now=NOW,
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    notices.mark_delivered(notice_id, NOW)
    db.session.commit()
    return agreement, sp, notice_id


def test_the_clients_atom_feed(http, make_agreement, make_subprocessor, manager):
    agreement, sp, notice_id = announced(make_agreement, make_subprocessor, manager)
    response = http.get(f"/feeds/{agreement.client.feed_token}/subprocessors.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == f"Subverwerkers van {agreement.client.name}"
    (entry,) = parsed.entries
    assert "CloudTel SA" in entry.title and "bezwaartermijn loopt" in entry.title
    assert "30/11/2026" in entry.summary or "01/12/2026" in entry.summary
    assert entry.link.endswith(f"/portal/notices/{notice_id}")


def test_the_clients_calendar(http, make_agreement, make_subprocessor, manager):
    agreement, sp, notice_id = announced(make_agreement, make_subprocessor, manager)
    response = http.get(f"/feeds/{agreement.client.feed_token}/deadlines.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    (event,) = [c for c in calendar.walk("VEVENT")]
    # an all-day event on the last day of the window (Monday 30 November), with the exact closing in its text
    assert event.decoded("DTSTART").isoformat() == "2026-11-30"
    assert "01/12/2026 00:00" in str(event["DESCRIPTION"])
    assert "CloudTel SA" in str(event["SUMMARY"])


def test_feeds_are_secret_and_the_secret_can_be_replaced(http, login, make_agreement, make_subprocessor, manager):
    agreement, _, _ = announced(make_agreement, make_subprocessor, manager)
    other = make_agreement("signed")
    assert http.get("/feeds/not-the-token/subprocessors.atom").status_code == 404
    old = agreement.client.feed_token
    parsed = feedparser.parse(http.get(f"/feeds/{other.client.feed_token}/subprocessors.atom").data)
    assert parsed.entries == [] or all(agreement.client.name not in e.title for e in parsed.entries)
    portal = login(agreement.client.users[0])
    page = portal.get("/portal/feeds")
    assert old in page.text
    portal.post("/portal/feeds", data={})
    db.session.refresh(agreement.client)
    assert agreement.client.feed_token == old  # not confirmed
    portal.post("/portal/feeds", data={"confirm": "y"})
    db.session.refresh(agreement.client)
    assert agreement.client.feed_token != old
    assert http.get(f"/feeds/{old}/subprocessors.atom").status_code == 404
    assert http.get(f"/feeds/{agreement.client.feed_token}/deadlines.ics").status_code == 200


def test_the_public_register_and_its_feed(http, make_agreement, make_subprocessor, manager):
    make_subprocessor(status="active", name="Datacenter Noord BV", countries=["NL"])
    agreement, sp, _ = announced(make_agreement, make_subprocessor, manager)
    page = http.get("/subverwerkers")
    assert page.status_code == 200 and "Datacenter Noord BV" in page.text and "CloudTel SA" in page.text
    assert agreement.client.name not in page.text  # no client data
    parsed = feedparser.parse(http.get("/subverwerkers.atom").data)
    assert not parsed.bozo
    (entry,) = parsed.entries
    assert entry.title == "Nieuwe subverwerker: CloudTel SA"
    assert agreement.client.name not in entry.summary
