"""The e-mails as they arrive at a real SMTP server."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxAcceptance, OutboxMessage, OutboxRecipient
from dpa_manager.mail.sender import retry_delay
from dpa_manager.notices.models import Notice

from .conftest import NOW, forget_agreement_copies


def announce(make_subprocessor, manager, **values):
    sp = make_subprocessor(**values)
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw telefonieplatform met betere beschikbaarheid",
        actor=manager,
        now=NOW,
    )
    return changes.announce(change, actor=manager, now=NOW)


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    attachments = {a.get_filename(): a for a in message.iter_attachments()}
    return text, html, attachments


def test_the_notice_email_says_what_changes_why_and_until_when(
    make_agreement, make_subprocessor, manager, inbox, make_client
):
    client = make_client(name="Brouwerij Zoë BV")
    agreement = make_agreement("signed", client=client, data_types=["identification", "contact", "financial"])
    (notice_id,) = announce(
        make_subprocessor,
        manager,
        countries=["BE", "US"],
        transfer_mechanism="scc",
        data_categories=["contact", "call_recordings", "financial"],
    )
    drain(now=lambda: NOW)
    (message,) = inbox.messages
    notice = db.session.get(Notice, notice_id)
    assert message["Subject"] == "Nieuwe subverwerker CloudTel SA: bezwaar mogelijk tot en met maandag 30 november 2026"
    text, html, attachments = parts(message)
    for expected in (
        "CloudTel SA",
        "Telefonieplatform",
        "BE, US",
        "Modelcontractbepalingen (SCC)",
        "Nieuw telefonieplatform met betere beschikbaarheid",
        "dinsdag 15 december 2026",
        "7 kalenderdagen",
        "tot en met maandag 30 november 2026",
        "01/12/2026 00:00",
        f"http://127.0.0.1:5000/portal/notices/{notice_id}",
        "http://127.0.0.1:5000/n/",
        "Brouwerij Zoë BV",
        f"VO-{agreement.id:05d}",
        "dpo@contactexpert.be",
    ):
        assert expected in text, expected
    # only the categories that are both in the agreement and sent to the sub-processor
    assert "Contactgegevens" in text and "Financiële gegevens" in text and "Gespreksopnames" not in text
    assert "CloudTel SA" in html and "<table" in html
    ics = attachments["bezwaartermijn.ics"].get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "DTSTART;VALUE=DATE:20261130" in ics and "BEGIN:VEVENT" in ics and f"UID:notice-{notice_id}@" in ics
    assert "TRIGGER:-PT15H" in ics  # the alarm: the day before, at 09:00
    assert notice.closes_at.isoformat() == "2026-11-30T23:00:00+00:00"


def test_a_french_client_reads_french(make_agreement, make_subprocessor, manager, inbox, make_client):
    make_agreement("signed", client=make_client(language="fr"))
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    (message,) = inbox.messages
    assert message["Subject"].startswith("Sous-traitant ultérieur CloudTel SA\u202f: opposition possible jusqu'au")
    text, _, _ = parts(message)
    assert "Madame, Monsieur," in text and "réputée approuvée" in text and "7 jours calendrier" in text


def test_an_english_client_reads_english(make_agreement, make_subprocessor, manager, inbox, make_client):
    make_agreement("signed", client=make_client(language="en"))
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    text, _, _ = parts(inbox.messages[0])
    assert "deemed approved" in text and "Monday 30 November 2026" in text


def test_informational_notice_has_no_window_and_no_calendar(make_agreement, make_subprocessor, manager, inbox):
    make_agreement("signed")
    announce(make_subprocessor, manager, kind="incidental", name="Onderhoud BV")
    drain(now=lambda: NOW)
    (message,) = inbox.messages
    text, _, attachments = parts(message)
    assert message["Subject"] == "Melding subverwerker Onderhoud BV"
    assert "vraagt geen goedkeuring" in text and not attachments


def test_users_of_the_client_are_told_too(make_agreement, make_subprocessor, manager, inbox, make_user):
    agreement = make_agreement("signed")
    extra = make_user(client=agreement.client, email="tweede@klant.example")
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    to = inbox.messages[0]["To"]
    assert agreement.client.contact_email in to and extra.email in to and agreement.client.users[0].email in to


class Flaky:
    """A handler that answers 451 (try again later) to the first message it receives, then accepts."""

    def __init__(self, inbox):
        self.inbox, self.refused = inbox, []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        if not self.refused:
            self.refused.append(message)
            return "451 Try again later"
        return await self.inbox.handle_DATA(server, session, envelope)


def test_a_retry_is_the_same_message(app, make_agreement, make_subprocessor, manager, inbox):
    make_agreement("signed")
    announce(make_subprocessor, manager)
    inbox.stop()
    flaky = Flaky(inbox)
    from aiosmtpd.controller import Controller

    controller = Controller(flaky, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        assert drain(now=lambda: NOW).failed
        assert drain(now=lambda: NOW + timedelta(minutes=2)).sent
    finally:
        controller.stop()
    (first,) = flaky.refused
    (second,) = inbox.messages
    assert first["Message-ID"] == second["Message-ID"]
    row = db.session.scalar(select(OutboxMessage))
    assert row.attempts == 2 and row.state == "sent"


@pytest.mark.parametrize("attempts, seconds", [(1, 60), (2, 120), (3, 240), (8, 7680), (20, 21600)])
def test_backoff_doubles_up_to_a_ceiling(attempts, seconds):
    assert retry_delay(attempts, 60, 6 * 3600) == timedelta(seconds=seconds)


def test_the_outbox_page_shows_status_attempts_and_errors(make_agreement, make_subprocessor, manager, inbox, login):
    make_agreement("signed")
    announce(make_subprocessor, manager)
    inbox.stop()
    drain(now=lambda: NOW)
    http = login(manager)
    page = http.get("/outbox/")
    assert "te versturen" in page.text and "ConnectionRefusedError" in page.text
    row = db.session.scalar(select(OutboxMessage))
    detail = http.get(f"/outbox/{row.id}")
    assert row.message_id.replace("<", "&lt;").replace(">", "&gt;") in detail.text


def test_a_mail_server_that_does_not_answer_times_out_and_is_retried(app, make_agreement, make_subprocessor, manager):
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never says hello
    try:
        app.config["MAIL_TIMEOUT"] = 1
        state = app.extensions["mail"]
        state.server, state.port = "127.0.0.1", silent.getsockname()[1]
        make_agreement("signed")
        announce(make_subprocessor, manager)
        started = time.monotonic()
        report = drain(now=lambda: NOW)
        assert time.monotonic() - started < 10
    finally:
        silent.close()
    assert len(report.failed) == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == "pending" and "timed out" in row.last_error.lower()
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    assert db.session.scalar(select(Notice)).state == "awaiting_delivery"


def test_outcomes_queued_in_bulk_are_the_rows_one_at_a_time_would_be(
    make_agreement, make_subprocessor, manager, make_user
):
    from dpa_manager.mail import outbox
    from dpa_manager.notices.services import client_recipients, queue_outcomes

    agreement = make_agreement("signed")
    make_user(client=agreement.client, email="zed@example.be")
    gone = make_user(client=agreement.client, email="aaa@example.be")
    gone.active = False
    db.session.commit()
    (notice_id,) = announce(make_subprocessor, manager)
    queue_outcomes([notice_id], "deemed_approved", NOW)
    db.session.commit()
    bulk = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "outcome"))
    one = outbox.row(
        key=f"outcome:{notice_id}:deemed_approved",
        template="outcome",
        language="nl",
        recipients=client_recipients([agreement.client_id])[agreement.client_id],
        client_id=agreement.client_id,
        notice_id=notice_id,
        now=NOW,
        context={"outcome": "deemed_approved"},
    )
    for column in (
        "dedupe_key",
        "message_id",
        "template",
        "context",
        "recipients",
        "language",
        "client_id",
        "notice_id",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ):
        assert getattr(bulk, column) == one[column], column
    assert "aaa@example.be" not in bulk.recipients and "zed@example.be" in bulk.recipients


def test_dead_messages_are_requeued_to_the_corrected_address_with_their_message_id(
    make_agreement, make_subprocessor, manager, inbox, login, runner
):
    """Issue 13, point 5: a manager corrects the client's address and puts the dead message back in the queue."""
    from sqlalchemy import delete
    from sqlalchemy import update as sql_update

    agreement = make_agreement("signed")
    client = agreement.client
    for user in client.users:
        user.active = False
    client.contact_email = "fout@example.be"
    db.session.commit()
    inbox.refuse = {"fout@example.be": "550 5.1.1 no such user"}
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    (dead,) = db.session.query(OutboxMessage).all()
    assert dead.state == "dead" and not inbox.messages
    message_id = dead.message_id
    page = login(manager).get("/outbox/?state=dead")
    assert "550 5.1.1 no such user" in page.text and "Alle opgegeven berichten opnieuw" in page.text
    client.contact_email = "juist@example.be"
    db.session.commit()
    response = login(manager).post("/outbox/requeue", data={"message_id": dead.id, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert dead.state == "pending" and dead.attempts == 0 and dead.recipients == ["juist@example.be"]
    drain(now=lambda: NOW + timedelta(minutes=5))
    (mail,) = inbox.messages
    assert mail["Message-ID"] == message_id and "juist@example.be" in mail["To"]
    db.session.expire_all()
    assert dead.state == "sent"
    # The CLI does the same for every message given up, and leaves the others alone.
    db.session.execute(delete(OutboxRecipient))
    db.session.execute(sql_update(OutboxMessage).values(state="dead"))
    db.session.commit()
    result = runner.invoke(args=["dpa", "requeue", "--all-dead"])
    assert result.exit_code == 0 and "Opnieuw in de wachtrij: 1." in result.output
    assert runner.invoke(args=["dpa", "requeue"]).exit_code != 0


@pytest.mark.parametrize("answer, state", [("550 5.1.1 no such user", "dead"), ("451 4.3.0 try later", "pending")])
def test_one_refused_message_does_not_take_its_neighbours_with_it(
    app, make_agreement, make_subprocessor, manager, inbox, make_client, answer, state
):
    """Issue 13, point 2: each message on its own merits; 5xx is not retried like 4xx."""
    from dpa_manager import demo

    make_agreement("signed")
    bad = make_client(contact_email="niemand@example.be")  # early in the batch: its neighbours come after it
    make_agreement("signed", client=bad)
    for user in bad.users:
        user.active = False
    db.session.commit()
    demo.seed_synthetic(120, now=NOW)
    forget_agreement_copies()
    inbox.refuse = {"niemand@example.be": answer}
    announce(make_subprocessor, manager)
    total = db.session.query(OutboxMessage).count()
    report = drain(now=lambda: NOW, limit=500)
    db.session.expire_all()
    refused = db.session.query(OutboxMessage).filter(OutboxMessage.client_id == bad.id).one()
    assert len(report.sent) == total - 1 and len(inbox.messages) == total - 1
    assert refused.state == state and refused.attempts == 1
    if state == "dead":
        assert "permanent refusal" in refused.last_error and "550" in refused.last_error
    else:
        assert "451" in refused.last_error and refused.next_attempt_at > NOW


def test_recipients_refused_one_by_one_are_recorded_retried_and_reported(
    make_agreement, make_subprocessor, manager, inbox, make_user, login
):
    """Issue 13, point 1: the outcome per recipient; delivered once one of the client's addresses accepted it."""
    from dpa_manager.notices.evidence import build
    from dpa_manager.notices.models import Notice

    agreement = make_agreement("signed")
    client = agreement.client
    for user in client.users:
        user.active = False
    db.session.commit()
    make_user(client=client, email="later@example.be")
    make_user(client=client, email="nooit@example.be")
    inbox.refuse = {"later@example.be": "451 4.2.0 mailbox busy", "nooit@example.be": "550 5.1.1 no such user"}
    (notice_id,) = announce(make_subprocessor, manager)
    accepted_at = NOW + timedelta(minutes=1)
    report = drain(now=lambda: accepted_at)
    assert report.sent == report.failed and len(report.sent) == 1
    (message,) = db.session.query(OutboxMessage).all()
    answers = {r.address: r for r in db.session.query(OutboxRecipient).filter_by(outbox_id=message.id)}
    assert {a: r.state for a, r in answers.items()} == {
        client.contact_email: "accepted",
        "later@example.be": "deferred",
        "nooit@example.be": "refused",
    }
    assert answers[client.contact_email].accepted_at == accepted_at
    assert "451 4.2.0 mailbox busy" in answers["later@example.be"].reply
    assert answers["nooit@example.be"].reply == "550 5.1.1 no such user"
    # Delivered: the server accepted it for one of the client's addresses; the others are retried and reported.
    assert message.state == "pending" and message.attempts == 1 and message.sent_at == accepted_at
    assert "later@example.be" in message.last_error and "nooit@example.be" in message.last_error
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.delivered_at == accepted_at and notice.notified_at == accepted_at
    assert inbox.envelopes == [[client.contact_email]]
    facts = dict(build(notice, now=accepted_at)["facts"])
    assert f"{client.contact_email}: aanvaard op" in facts["Ontvangers"]
    assert "later@example.be: voorlopig geweigerd" in facts["Ontvangers"]
    assert "nooit@example.be: definitief geweigerd" in facts["Ontvangers"]
    # Not before its backoff; then to the recipient refused for now only, with the same Message-ID.
    assert drain(now=lambda: accepted_at + timedelta(seconds=10)).sent == []
    inbox.refuse = {"nooit@example.be": "550 5.1.1 no such user"}
    retried_at = message.next_attempt_at + timedelta(seconds=1)
    assert drain(now=lambda: retried_at).sent == [message.id]
    assert inbox.envelopes == [[client.contact_email], ["later@example.be"]]
    assert len(set(inbox.ids())) == 1
    db.session.expire_all()
    assert message.state == "sent" and message.attempts == 2 and message.sent_at == accepted_at
    assert [
        (a.accepted_at, a.recipients) for a in db.session.query(OutboxAcceptance).order_by(OutboxAcceptance.id)
    ] == [(accepted_at, [client.contact_email]), (retried_at, ["later@example.be"])]
    # The window still counts from the first acceptance; the address refused for good waits for a manager.
    notice = db.session.get(Notice, notice_id)
    assert notice.notified_at == accepted_at
    manager_page = login(manager).get("/dashboard").text
    assert f'href="/outbox/{message.id}"' in manager_page and f"Melding {notice_id}" in manager_page
    page = login(manager).get(f"/outbox/{message.id}").text
    assert "definitief geweigerd" in page and "550 5.1.1 no such user" in page and "Opnieuw in de wachtrij" in page
    # A re-queue retries the refused address only.
    inbox.refuse = {}
    assert login(manager).post("/outbox/requeue", data={"message_id": message.id, "confirm": "y"}).status_code == 302
    drain(now=lambda: retried_at + timedelta(minutes=1))
    assert inbox.envelopes[-1] == ["nooit@example.be"]
    db.session.expire_all()
    assert message.state == "sent" and not db.session.query(OutboxRecipient).filter_by(state="refused").count()


def test_a_recipient_still_refused_when_the_attempts_run_out_is_given_up(
    app, make_agreement, make_subprocessor, manager, inbox, make_user
):
    agreement = make_agreement("signed")
    make_user(client=agreement.client, email="vol@example.be")
    inbox.refuse = {"vol@example.be": "452 4.2.2 mailbox full"}
    announce(make_subprocessor, manager)
    at = NOW
    for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
        drain(now=lambda at=at: at)
        (message,) = db.session.query(OutboxMessage).all()
        at = message.next_attempt_at + timedelta(seconds=1)
    db.session.expire_all()
    refused = db.session.query(OutboxRecipient).filter_by(address="vol@example.be").one()
    assert (
        message.state == "sent" and refused.state == "refused" and refused.refusals == app.config["MAIL_MAX_ATTEMPTS"]
    )
    assert refused.reply == "452 4.2.2 mailbox full"
    assert "vol@example.be: given up after the last attempt: 452 4.2.2 mailbox full" in message.last_error
    assert sum(1 for e in inbox.envelopes if "vol@example.be" in e) == 0 and len(inbox.envelopes) == 1


def test_requeue_drops_refused_addresses_the_client_no_longer_has(
    make_agreement, make_subprocessor, manager, inbox, make_user, login
):
    from dpa_manager.audit import history
    from dpa_manager.notices.services import requeue

    agreement = make_agreement("signed")
    gone = make_user(client=agreement.client, email="weg@example.be")
    inbox.refuse = {"weg@example.be": "550 5.1.1 no such user"}
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    (message,) = db.session.query(OutboxMessage).all()
    assert message.state == "sent" and "weg@example.be" in message.recipients
    gone.active = False  # the manager removes the address from the client, as the outbox page suggests
    db.session.commit()
    assert requeue([message.id], actor=manager, now=NOW) == []
    db.session.expire_all()
    assert "weg@example.be" not in message.recipients and message.state == "sent" and message.last_error is None
    assert not db.session.query(OutboxRecipient).filter_by(state="refused").count()
    assert history("outbox", message.id)[-1].action == "addresses_dropped"
    assert f'href="/outbox/{message.id}"' not in login(manager).get("/outbox/?state=dead").text.split("<tbody>")[-1]


def test_a_late_answer_from_a_sender_that_lost_its_claim_does_not_undo_a_refusal_for_good(
    make_agreement, make_subprocessor, manager, inbox
):
    from dpa_manager.mail.sender import _upsert_recipients

    make_agreement("signed")
    announce(make_subprocessor, manager)
    (message,) = db.session.query(OutboxMessage).all()
    _upsert_recipients(message.id, {"x@example.be": ("refused", "550 5.1.1 no such user")}, NOW)
    _upsert_recipients(message.id, {"x@example.be": ("deferred", "451 4.2.0 busy")}, NOW + timedelta(seconds=1))
    db.session.commit()
    row = db.session.query(OutboxRecipient).filter_by(address="x@example.be").one()
    assert row.state == "refused" and row.reply == "550 5.1.1 no such user"
    _upsert_recipients(message.id, {"x@example.be": ("accepted", None)}, NOW + timedelta(seconds=2))
    db.session.commit()
    db.session.expire_all()
    assert row.state == "accepted"  # an acceptance is a fact, whatever came before


def test_a_sender_asked_to_stop_claims_nothing(make_agreement, make_subprocessor, manager, inbox):
    from dpa_manager.mail import sender

    make_agreement("signed")
    announce(make_subprocessor, manager)
    sender._stopping.set()
    try:
        assert drain(now=lambda: NOW).sent == []
    finally:
        sender._stopping.clear()
    (message,) = db.session.query(OutboxMessage).all()
    assert message.state == "pending" and message.claim_token is None and not inbox.messages


def test_an_acceptance_is_kept_when_its_notice_cannot_be_told_and_the_next_run_tells_it(
    make_agreement, make_subprocessor, manager, inbox, monkeypatch
):
    from dpa_manager.notices import services

    make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    told = services.mark_delivered

    def broken(*args, **kwargs):
        raise RuntimeError("the notice could not be told")

    monkeypatch.setattr(services, "mark_delivered", broken)
    assert drain(now=lambda: NOW).sent  # the server accepted it: that is recorded whatever else fails
    db.session.expire_all()
    (message,) = db.session.query(OutboxMessage).all()
    (acceptance,) = db.session.query(OutboxAcceptance).all()
    assert message.state == "sent" and message.sent_at == NOW and len(inbox.messages) == 1
    assert acceptance.accepted_at == NOW and not acceptance.applied
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"

    monkeypatch.setattr(services, "mark_delivered", told)
    later = NOW + timedelta(minutes=5)
    assert drain(now=lambda: later).sent == []  # nothing sent again
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert acceptance.applied and notice.state == "open" and notice.notified_at == NOW and len(inbox.messages) == 1


def test_an_acceptance_is_kept_when_recording_the_state_fails_and_the_message_is_not_sent_again(
    app, make_agreement, make_subprocessor, manager, inbox, monkeypatch
):
    from dpa_manager.mail import sender

    make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    record_state = sender._record_state

    def broken(*args, **kwargs):
        raise RuntimeError("the state could not be recorded")

    monkeypatch.setattr(sender, "_record_state", broken)
    assert drain(now=lambda: NOW).sent
    db.session.expire_all()
    (message,) = db.session.query(OutboxMessage).all()
    (acceptance,) = db.session.query(OutboxAcceptance).all()
    assert message.state == "sending" and message.sent_at == NOW and not acceptance.applied

    monkeypatch.setattr(sender, "_record_state", record_state)
    lapsed = NOW + timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"] + 1)
    drain(now=lambda: lapsed)  # takes the message over: every recipient has answered, so it is only settled
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert message.state == "sent" and len(inbox.messages) == 1
    assert acceptance.applied and notice.state == "open" and notice.notified_at == NOW
