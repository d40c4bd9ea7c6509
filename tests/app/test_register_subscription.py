"""Anyone subscribes to the public register by e-mail: double opt-in, an e-mail at each announced change, and a
one-click unsubscribe (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058). E-mails as a real SMTP server
received them."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.audit import AuditEvent
from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.processor.services import save_profile
from dpa_manager.subprocessors.subscribers import RegisterSubscriber, subscribe

from .conftest import NOW, PROFILE, fresh_app


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link(message, pattern: str) -> str:
    return re.search(r"http://127\.0\.0\.1:5000(" + pattern + r")", text_of(message)).group(1)


def announce(make_subprocessor, manager, name="VoiceCloud Inc."):
    change = changes.create_change(
        kind="add",
        subprocessor_id=make_subprocessor(name=name).id,
        effective_on=date(2026, 12, 15),
        reason="Betere herkenning",
        actor=manager,
        now=NOW,
    )
    changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    return change


def subscribed_through_the_page(http, inbox, email="lezer@voorbeeld.be"):
    page = http.get("/subverwerkers")
    assert 'id="abonneren"' in page.text and 'action="/subverwerkers/abonneren"' in page.text
    asked = http.post("/subverwerkers/abonneren", data={"email": email}, follow_redirects=True)
    assert "krijgt het een e-mail met een link om de inschrijving te bevestigen" in asked.text
    drain(now=clock.now)
    (confirmation,) = inbox.to(email)
    assert confirmation["Subject"] == "Bevestig uw inschrijving op de subverwerkers van ContactExpert NV"
    path = link(confirmation, r"/subverwerkers/abonneren/\S+")
    for _ in range(2):  # a mail scanner fetching the link confirms nothing
        offer = http.get(path)
        assert offer.status_code == 200 and "Inschrijving bevestigen" in offer.text
    assert db.session.scalar(select(RegisterSubscriber)).confirmed_at is None
    done = http.post(path, data={"confirm": "y"}, follow_redirects=True)
    assert "Uw inschrijving is bevestigd" in done.text
    db.session.expire_all()
    return db.session.scalar(select(RegisterSubscriber).where(RegisterSubscriber.email == email))


def test_an_address_subscribes_confirms_gets_each_change_and_leaves_in_one_click(
    http, setup, manager, make_subprocessor, inbox
):
    subscriber = subscribed_through_the_page(http, inbox)
    assert subscriber.active
    inbox.messages.clear()

    change = announce(make_subprocessor, manager)
    drain(now=clock.now)
    (message,) = inbox.to("lezer@voorbeeld.be")
    assert message["Subject"] == "ContactExpert NV: Nieuwe subverwerker — VoiceCloud Inc."
    body = " ".join(text_of(message).split())
    assert "VoiceCloud Inc." in body and "Betere herkenning" in body and "15 december 2026" in body
    assert "krijgen daarnaast een eigen melding, met hun bezwaartermijn" in body
    leave = re.fullmatch(r"<http://127\.0\.0\.1:5000(/subverwerkers/uitschrijven/\S+)>", message["List-Unsubscribe"])
    assert leave and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert leave.group(1) in body

    # the one-click POST a mail program sends: no session, no form token
    one_click = http.post(leave.group(1), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "U bent uitgeschreven" in one_click.text
    assert http.post(leave.group(1), data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: the same
    db.session.expire_all()
    assert not db.session.get(RegisterSubscriber, subscriber.id).active
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "register_subscriber").order_by(AuditEvent.id)
    ).all()
    assert actions == ["confirmed", "unsubscribed"]
    inbox.messages.clear()
    announce(make_subprocessor, manager, name="Andere Cloud NV")
    drain(now=clock.now)
    assert inbox.to("lezer@voorbeeld.be") == [] and change.id


def test_nothing_reaches_an_address_that_did_not_confirm_and_confirmations_are_spaced(
    http, setup, manager, make_subprocessor, inbox
):
    for _ in range(3):
        http.post("/subverwerkers/abonneren", data={"email": "Iemand@Voorbeeld.be"})
    drain(now=clock.now)
    assert len(inbox.to("iemand@voorbeeld.be")) == 1  # once an hour at most: the form cannot flood a mailbox
    announce(make_subprocessor, manager)
    drain(now=clock.now)
    assert len(inbox.to("iemand@voorbeeld.be")) == 1  # not confirmed: no news of changes
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        subscribe("iemand@voorbeeld.be", language="fr", now=clock.now())
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "register_confirm")) == 2  # fmt: skip


def test_the_answer_says_nothing_of_whether_an_address_was_subscribed(http, setup, inbox):
    subscribed_through_the_page(http, inbox, email="al@voorbeeld.be")
    known = http.post("/subverwerkers/abonneren", data={"email": "al@voorbeeld.be"}, follow_redirects=True)
    unknown = http.post("/subverwerkers/abonneren", data={"email": "nieuw@voorbeeld.be"}, follow_redirects=True)
    assert known.text.replace("al@voorbeeld.be", "X") == unknown.text.replace("nieuw@voorbeeld.be", "X")


@pytest.mark.parametrize("email", ["geen adres", "", "a@b"])
def test_a_bad_address_is_refused_and_nothing_is_stored(http, setup, email):
    answer = http.post("/subverwerkers/abonneren", data={"email": email}, follow_redirects=True)
    assert answer.status_code == 200 and ("e-mailadres" in answer.text)
    assert db.session.scalar(select(func.count()).select_from(RegisterSubscriber)) == 0


def test_forged_and_expired_links_change_nothing(http, setup, inbox):
    assert http.post("/subverwerkers/abonneren/vals", data={"confirm": "y"}, follow_redirects=True).status_code == 200
    assert http.get("/subverwerkers/uitschrijven/vals").status_code == 404
    assert http.post("/subverwerkers/uitschrijven/vals").status_code == 404
    http.post("/subverwerkers/abonneren", data={"email": "laat@voorbeeld.be"})
    drain(now=clock.now)
    path = link(inbox.to("laat@voorbeeld.be")[0], r"/subverwerkers/abonneren/\S+")
    with time_machine.travel(NOW + timedelta(days=8)):
        late = http.post(path, data={"confirm": "y"}, follow_redirects=True)
    assert "verlopen" in late.text and not db.session.scalar(select(RegisterSubscriber)).active


@pytest.fixture
def csrf_app(tmp_path):
    yield from fresh_app(tmp_path, WTF_CSRF_ENABLED=True)


def test_the_one_click_post_needs_no_form_token_and_the_form_does(csrf_app):
    save_profile(PROFILE, actor=None, now=NOW)
    subscriber = RegisterSubscriber(email="lezer@voorbeeld.be", language="nl", created_at=NOW, confirmed_at=NOW)
    db.session.add(subscriber)
    db.session.commit()
    from dpa_manager.subprocessors.subscribers import unsubscribe_token

    http = csrf_app.test_client()
    assert http.post("/subverwerkers/abonneren", data={"email": "x@voorbeeld.be"}).status_code == 400
    left = http.post(
        f"/subverwerkers/uitschrijven/{unsubscribe_token(subscriber)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert left.status_code == 200
    db.session.expire_all()
    assert db.session.get(RegisterSubscriber, subscriber.id).unsubscribed_at is not None
