"""Long lists come a page at a time, and counts stop where counting further would cost as the data grows."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from dpa_manager import paging
from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices.models import Notice

from .conftest import NOW


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    monkeypatch.setattr(paging, "COUNT_CAP", 3)


@pytest.fixture
def announced(make_agreement, announce_addition):
    """Sign agreements with `clients` new clients, then announce an addition to every signed agreement."""

    def announce(clients: int) -> tuple[int, list[int]]:
        for _ in range(clients):
            make_agreement("signed")
        return announce_addition()

    return announce


def notice_links(page) -> list[int]:
    return [int(n) for n in re.findall(r'href="/notices/(\d+)"', page.text)]


def test_a_change_lists_its_notices_a_page_at_a_time(small_pages, as_manager, announced):
    change_id, ids = announced(5)
    seen, url = [], f"/changes/{change_id}"
    while url:
        page = as_manager.get(url)
        assert page.status_code == 200 and len(notice_links(page)) <= 2
        seen += notice_links(page)
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = found and found.group(1).replace("&amp;", "&")
    assert seen == sorted(ids, reverse=True)  # every notice once, newest first
    # the counts beside: 5 awaiting delivery counted no further than 3 + 1, and said as such
    first = as_manager.get(f"/changes/{change_id}")
    assert "meer dan 3" in first.text and "<span>1–2</span>" in first.text
    # a state filter keeps to that state, on every page
    db.session.execute(
        update(Notice)
        .where(Notice.id == ids[0])
        .values(state="objected", notified_at=NOW, closes_at=NOW, decided_at=NOW, objection_reason="Nee")
    )
    db.session.commit()
    objected = as_manager.get(f"/changes/{change_id}?state=objected")
    assert notice_links(objected) == [ids[0]] and 'rel="next"' not in objected.text


def test_the_notice_list_and_the_outbox_are_paged_and_keep_their_filter(small_pages, as_manager, announced):
    _, ids = announced(5)
    second = as_manager.get("/notices/?state=awaiting_delivery&page=2")
    assert notice_links(second)[:2] == sorted(ids, reverse=True)[2:4]
    assert "page=3&amp;state=awaiting_delivery" in second.text and "page=1&amp;state=awaiting_delivery" in second.text
    outbox = as_manager.get("/outbox/?state=pending")
    assert len(re.findall(r'href="/outbox/\d+"', outbox.text)) == 2 and "page=2&amp;state=pending" in outbox.text
    assert "Te versturen (meer dan 3)" in outbox.text


def test_the_dashboard_shows_the_first_rows_and_counts_up_to_the_cap(small_pages, as_manager, announced):
    announced(25)
    page = as_manager.get("/dashboard")
    assert "<strong>meer dan 3</strong> wachten op levering" in page.text
    assert "De eerste 20; alle meldingen die wachten op levering" in page.text
    awaiting = page.text.split("Wachten op levering</h2>")[1].split("</section>")[0]
    assert len(notice_links_in(awaiting)) == 20


def notice_links_in(html: str) -> list[str]:
    return re.findall(r'href="/notices/(\d+)"', html)


def test_count_upto_counts_exactly_below_the_cap_and_one_past_it_above(app, make_agreement):
    for _ in range(4):
        make_agreement("draft")
    from dpa_manager.agreements.models import Agreement

    rows = select(Agreement.id)
    assert paging.count_upto(rows, cap=10) == 4
    assert paging.count_upto(rows, cap=2) == 3  # "more than 2"
    assert paging.count_upto(rows.where(Agreement.id < 0), cap=2) == 0


def test_the_outbox_counts_given_up_messages_from_both_kinds(as_manager, announced):
    _, ids = announced(3)
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    from dpa_manager.mail.models import OutboxRecipient

    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == messages[0].id).values(state="dead"))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == messages[1].id).values(state="sent"))
    db.session.add(
        OutboxRecipient(outbox_id=messages[1].id, address="weg@klant.example", state="refused", updated_at=NOW)
    )
    db.session.add(  # refused for good, but the message is still being tried: not given up
        OutboxRecipient(outbox_id=messages[2].id, address="ook@klant.example", state="refused", updated_at=NOW)
    )
    db.session.commit()
    dead = as_manager.get("/outbox/?state=dead")
    assert sorted(int(n) for n in re.findall(r'href="/outbox/(\d+)"', dead.text)) == [messages[0].id, messages[1].id]
    assert "Opgegeven (geheel of voor een adres) (2)" in dead.text


def test_the_change_list_and_the_register_count_up_to_the_cap(small_pages, as_manager, announced, make_subprocessor):
    change_id, _ = announced(5)
    for _ in range(2):  # three changes: two on the first page, one on the second
        announced(0)
    first = as_manager.get("/changes/")
    assert f'href="/changes/{change_id}"' not in first.text and 'rel="next"' in first.text
    second = as_manager.get("/changes/?page=2")
    row = second.text.split(f'href="/changes/{change_id}"')[1].split("</tr>")[0]
    # all five notices and the five awaiting delivery are "more than 3"; none objected
    assert row.count("meer dan 3") == 2 and row.rstrip().endswith("<td>0</td>")
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.subprocessors.models import Assignment

    active = make_subprocessor(status="active")
    clients = db.session.scalars(select(Agreement.client_id).where(Agreement.state == "signed")).all()
    for client_id in clients:
        db.session.add(Assignment(client_id=client_id, subprocessor_id=active.id, from_on=NOW.date()))
    db.session.commit()
    register = as_manager.get("/subprocessors/").text
    row = register.split(f'href="/subprocessors/{active.id}"')[1].split("</tr>")[0]
    assert len(clients) == 5 and "<td>meer dan 3</td>" in row


def test_a_repeat_view_of_an_unchanged_public_page_is_answered_304_and_a_changed_one_200(
    make_agreement, make_subprocessor, http
):
    first = http.get("/subverwerkers")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    with time_machine.travel(NOW + timedelta(minutes=3)):
        again = http.get("/subverwerkers", headers={"If-None-Match": tag})
        make_subprocessor(status="active", name="Nieuw Actief NV")  # the list changes
        changed = http.get("/subverwerkers", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert changed.status_code == 200 and changed.headers["ETag"] != tag and "Nieuw Actief NV" in changed.text


def test_a_signed_in_page_is_kept_by_no_cache(as_manager, setup):
    page = as_manager.get("/changes/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers


def test_a_page_past_the_end_shows_the_first(as_manager, make_client, app):
    app.config["PAGE_SIZE"] = 2
    for _ in range(3):
        make_client()
    page = as_manager.get("/clients/?page=40")
    assert page.status_code == 200 and "<span>1–2</span>" in page.text and 'rel="next"' in page.text


def test_what_must_not_be_kept_gets_no_tag(login, make_agreement):
    agreement = make_agreement("signed")
    client_user = login(agreement.client.users[0])
    feeds = client_user.get("/portal/feeds")  # carries the secret addresses of the client's feeds
    assert feeds.status_code == 200 and feeds.headers["Cache-Control"] == "no-store" and "ETag" not in feeds.headers
