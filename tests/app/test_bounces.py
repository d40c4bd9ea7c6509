"""Delivery means delivered: bounces come back to a return path of their own, and a notice e-mail that never reached
the client neither starts a window nor lets silence count as approval."""

from __future__ import annotations

import imaplib
import os
import shutil
import smtplib
import subprocess
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dpa_manager import jobs, rules
from dpa_manager.audit import AuditEvent
from dpa_manager.extensions import db
from dpa_manager.intake import bounce_controller, read_mailbox, receive_bounce
from dpa_manager.mail import bounces
from dpa_manager.mail.models import MailBounce, OutboxMessage, OutboxRecipient
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register

from .conftest import NOW, free_port

ACCEPTED = NOW + timedelta(minutes=3)


def dsn(
    to: str,
    recipients: list[tuple[str, str, str]],
    *,
    message_id: str | None = None,
    original: dict[str, str] | None = None,
) -> bytes:
    """A delivery status notification as a Postfix MTA writes one: (address, action, status) per recipient."""
    blocks = "\r\n".join(
        f"Final-Recipient: rfc822; {address}\r\n"
        f"Original-Recipient: rfc822;{address}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Remote-MTA: dns; mx.klant.example\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} <{address}>: Recipient address rejected:\r\n"
        f"    User unknown in virtual mailbox table\r\n"
        for address, action, status in recipients
    )
    returned = "".join(f"{k}: {v}\r\n" for k, v in (original or {}).items())
    if message_id:
        returned += f"Message-ID: {message_id}\r\n"
    return (
        "From: MAILER-DAEMON@relay.example (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0100\r\n"
        "Message-ID: <20261126090000.ABC123@relay.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n'
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host relay.example. Your message could not be delivered.\r\n"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; relay.example\r\n"
        "Arrival-Date: Thu, 26 Nov 2026 09:59:58 +0100\r\n"
        "\r\n"
        f"{blocks}"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{returned}"
        "\r\n"
        "--BOUNDARY--\r\n"
    ).encode()


# --- Reading a report (no database) -----------------------------------------------------------------------------


def test_a_permanent_failure_is_read_per_recipient():
    raw = dsn(
        "bounces+7-0123456789abcdef@dpa-manager.localhost",
        [("Info@Klant.example", "failed", "5.1.1"), ("els@klant.example", "delayed", "4.4.1")],
        message_id="<dpa.notice.7@dpa-manager.localhost>",
    )
    report = bounces.parse(raw)
    assert report.is_dsn and report.kind == "failed"
    assert [(r.address, r.action, r.status, r.permanent) for r in report.recipients] == [
        ("info@klant.example", "failed", "5.1.1", True),
        ("els@klant.example", "delayed", "4.4.1", False),
    ]
    assert report.recipients[0].diagnostic == (
        "550 5.1.1 <Info@Klant.example>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    assert report.original_message_id == "<dpa.notice.7@dpa-manager.localhost>"
    assert report.delivered_to == ("bounces+7-0123456789abcdef@dpa-manager.localhost",)


@pytest.mark.parametrize(
    "actions, kind",
    [
        (["delayed"], "delayed"),
        (["delivered"], "delivered"),
        (["relayed", "delayed"], "delayed"),
        (["delayed", "failed"], "failed"),
    ],
)
def test_the_kind_of_a_report(actions, kind):
    raw = dsn("x@example", [(f"a{i}@klant.example", a, "4.0.0") for i, a in enumerate(actions)])
    assert bounces.parse(raw).kind == kind


def test_the_original_recipient_is_the_address_we_sent_to():
    raw = dsn("x@example", [("info@klant.example", "failed", "5.1.1")]).replace(
        b"Final-Recipient: rfc822; info@klant.example", b"Final-Recipient: rfc822; jan.peeters@mailhost.example"
    )
    assert bounces.parse(raw).recipients[0].address == "info@klant.example"


def test_a_message_without_a_report_is_unreadable():
    raw = (
        b"From: info@klant.example\r\nTo: bounces@dpa-manager.localhost\r\nSubject: Afwezig\r\n\r\nIk ben afwezig.\r\n"
    )
    report = bounces.parse(raw)
    assert not report.is_dsn and report.kind == "unreadable" and report.recipients == ()


# --- The return path --------------------------------------------------------------------------------------------


def test_each_message_goes_out_from_its_own_return_path(app, make_agreement, announce_addition, inbox):
    make_agreement("signed")
    make_agreement("signed")
    announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    ids = sorted(db.session.scalars(select(OutboxMessage.id)))
    assert sorted(inbox.senders) == sorted(bounces.return_path(i) for i in ids)
    assert len(set(inbox.senders)) == 2
    for message_id in ids:
        path = bounces.return_path(message_id)
        assert path.startswith(f"bounces+{message_id}-") and path.endswith("@dpa-manager.localhost")
        assert bounces.outbox_id_of(path) == message_id
        assert bounces.outbox_id_of(path.upper()) == message_id  # mail servers may change the case
        forged = path.replace(f"+{message_id}-", f"+{message_id + 1}-")
        assert bounces.outbox_id_of(forged) is None
    app.config["BOUNCE_ADDRESS"] = "retour@mail.processor.example"
    assert bounces.return_path(5).startswith("retour+5-") and bounces.return_path(5).endswith("@mail.processor.example")


# --- What a bounce does to a notice --------------------------------------------------------------------------------


def delivered(make_agreement, announce_addition) -> tuple[int, OutboxMessage]:
    """A signed client's notice whose e-mail the mail server accepted at ACCEPTED; its id and that e-mail."""
    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    return notice_id, notice_mail(notice_id)


def notice_mail(notice_id: int) -> OutboxMessage:
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.notice_id == notice_id).order_by(OutboxMessage.id)
    )


def bounce_all(message: OutboxMessage, at, action="failed", status="5.1.1") -> bounces.Received:
    raw = dsn(
        bounces.return_path(message.id),
        [(address, action, status) for address in message.recipients],
        message_id=message.message_id,
    )
    received = receive_bounce(raw, via="smtp", now=at, envelope_to=[bounces.return_path(message.id)])
    db.session.expire_all()
    return received


def events(action: str, object_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == object_id)
        ).all()
    )


def test_a_bounce_reopens_an_open_notice_and_it_goes_to_the_other_contacts(
    make_agreement, announce_addition, make_user, inbox
):
    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == ACCEPTED
    first = notice_mail(notice_id)
    assert len(first.recipients) == 2  # the contact address and the signer
    colleague = make_user(client=agreement.client, email="boekhouding@klant.example", full_name="Karel Boekhouder")
    db.session.commit()

    later = ACCEPTED + timedelta(hours=5)
    received = bounce_all(first, later)
    assert received.new and received.kind == "failed" and received.outbox_id == first.id
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "awaiting_delivery"
    assert (notice.notified_at, notice.closes_at, notice.delivered_at, notice.remind_at) == (None, None, None, None)
    # every address that bounced is marked so; the acceptance itself stays on record
    states = dict(db.session.execute(select(OutboxRecipient.address, OutboxRecipient.state)).all())
    assert set(states.values()) == {"bounced"}
    (failed,) = events("delivery_failed", notice_id)
    assert failed.before["state"] == "open" and failed.after["state"] == "awaiting_delivery"
    assert failed.after["bounce"] == received.bounce_id
    # the notice went out again, only to the address that did not bounce; the managers were alerted
    resend = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"notice:{notice_id}:resend:%"))
    )
    assert resend.recipients == [colleague.email] and resend.template == "notice"
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "bounce_alert"))
    assert alert.recipients and alert.context["effect"] == "waiting"
    assert "wacht opnieuw op levering" in db.session.get(MailBounce, received.bounce_id).effect

    # the copy to the colleague is accepted: a new window runs from that moment, stating its own closing
    again = later + timedelta(days=1)
    jobs.drain(now=lambda: again)
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == again
    assert notice.closes_at == rules.objection_closes_at(again, 7, "calendar")
    sent = {m["To"]: m for m in inbox.messages}
    assert any(colleague.email in to for to in sent)
    alert_mail = next(m for m in inbox.messages if "niet bezorgd" in str(m["Subject"]))
    text = alert_mail.get_body(("plain",)).get_content()
    assert "wacht daarom opnieuw op levering" in text and colleague.email in text

    # the same bounce handed over again (a mailbox read twice) changes nothing
    assert not bounce_all(first, again + timedelta(minutes=1)).new
    assert db.session.get(Notice, notice_id).state == "open"
    assert len(events("delivery_failed", notice_id)) == 1


def test_a_bounce_of_one_address_leaves_a_notice_that_reached_another(make_agreement, announce_addition, inbox):
    notice_id, message = delivered(make_agreement, announce_addition)
    one = message.recipients[0]
    raw = dsn(bounces.return_path(message.id), [(one, "failed", "5.2.2")])
    received = receive_bounce(raw, via="imap", now=ACCEPTED + timedelta(hours=1))
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == ACCEPTED
    states = dict(db.session.execute(select(OutboxRecipient.address, OutboxRecipient.state)).all())
    assert states[one] == "bounced" and set(states.values()) == {"bounced", "accepted"}
    assert events("delivery_failed", notice_id) == []
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "bounce_alert"))
    assert alert.context["effect"] == "kept"
    assert "langs een ander adres" in db.session.get(MailBounce, received.bounce_id).effect


def test_a_bounce_reverses_a_deemed_approval_and_what_it_applied(
    app, make_agreement, make_subprocessor, announce_addition, make_user, inbox
):
    agreement = make_agreement("signed")
    change_id, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    closes = db.session.get(Notice, notice_id).closes_at
    jobs.sweep(closes)
    applied_on = date(2026, 12, 15)
    jobs.sweep(datetime.combine(applied_on, time(12), tzinfo=UTC))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "deemed_approved" and notice.applied_at is not None
    sp_id = notice.change.subprocessor_id
    assert [s.id for s in register.applying_on(agreement.client_id, applied_on)] == [sp_id]
    make_user(client=agreement.client, email="juridisch@klant.example", full_name="Jo Jurist")
    db.session.commit()

    # 25 days after the acceptance: later than the default limit, as a relay that keeps mail a month may send
    app.config["BOUNCE_MAX_DAYS"] = 30
    at = datetime(2026, 12, 16, 9, tzinfo=UTC)
    bounce_all(notice_mail(notice_id), at)
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "awaiting_delivery" and notice.decided_at is None and notice.applied_at is None
    assert notice.closes_at is None and notice.notified_at is None
    # the sub-processor no longer applies to this client from the day of the reversal
    assert register.applying_on(agreement.client_id, date(2026, 12, 17)) == []
    (reversed_,) = events("deemed_approval_reversed", notice_id)
    assert reversed_.after == {
        "state": "awaiting_delivery",
        "was_applied": notice_was_applied(notice_id),
        "why": "bounce",
    }
    (failed,) = events("delivery_failed", notice_id)
    assert failed.before["state"] == "deemed_approved"
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "bounce_alert"))
    assert alert.context["effect"] == "reversed"
    resend = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"notice:{notice_id}:resend:%"))
    )
    assert resend.recipients == ["juridisch@klant.example"]
    # nothing is deemed approved before a copy reaches the client and its new window closes
    assert jobs.sweep(at + timedelta(days=30)).deemed_approved == 0
    jobs.drain(now=lambda: at + timedelta(days=30, minutes=1))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == at + timedelta(days=30, minutes=1)
    assert jobs.sweep(notice.closes_at).deemed_approved == 1
    assert change_id


def notice_was_applied(notice_id: int) -> str:
    (applied,) = events("applied", notice_id)
    return applied.at.isoformat()


def test_a_temporary_failure_is_only_recorded(make_agreement, announce_addition, inbox):
    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    received = bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(hours=4), action="delayed", status="4.4.1")
    assert received.kind == "delayed"
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == ACCEPTED
    assert set(db.session.scalars(select(OutboxRecipient.state))) == {"accepted"}
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "bounce_alert")
        )
        == 0
    )
    (event,) = events("bounce_received", notice_mail(notice_id).id)
    assert event.after["kind"] == "delayed" and event.after["bounced"] == []
    assert "alleen genoteerd" in db.session.get(MailBounce, received.bounce_id).effect


def test_a_deemed_approval_that_cannot_be_undone_stays_and_the_managers_are_told(
    app, make_agreement, announce_addition, monkeypatch, inbox
):
    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    jobs.sweep(db.session.get(Notice, notice_id).closes_at)
    jobs.sweep(datetime(2026, 12, 15, 12, tzinfo=UTC))
    assert db.session.get(Notice, notice_id).applied_at is not None
    from dpa_manager.changes.subject import ChangeSubject
    from dpa_manager.errors import Conflict

    def refuse(self, notice, *, actor, now):
        db.session.execute(
            Notice.__table__.update().where(Notice.id == notice.id).values(resolution_note="half done")
        )  # a write that must not survive the refusal
        raise Conflict("De overeenkomst werd intussen vervangen.")

    monkeypatch.setattr(ChangeSubject, "undo", refuse)
    app.config["BOUNCE_MAX_DAYS"] = 30
    received = bounce_all(notice_mail(notice_id), datetime(2026, 12, 16, 9, tzinfo=UTC))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "deemed_approved" and notice.applied_at is not None and notice.resolution_note is None
    assert events("delivery_failed", notice_id) == [] and events("deemed_approval_reversed", notice_id) == []
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "bounce_alert"))
    assert alert.context["effect"] == "not_reversed" and "vervangen" in alert.context["reason"]
    assert "niet automatisch" in db.session.get(MailBounce, received.bounce_id).effect
    # the recipients stay bounced: the bounce is on record even though the notice could not move
    assert set(db.session.scalars(select(OutboxRecipient.state))) == {"bounced"}


def test_a_later_copy_that_reached_the_client_moves_the_window(make_agreement, announce_addition, make_user, inbox):
    from dpa_manager.notices.services import requeue

    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    first_address = agreement.client.contact_email
    inbox.refuse = {a: "450 4.2.0 mailbox busy" for a in notice_mail(notice_id).recipients if a != first_address}
    jobs.drain(now=lambda: ACCEPTED)  # accepted for the contact address only, the other one later
    inbox.refuse = {}
    later = ACCEPTED + timedelta(days=2)
    jobs.drain(now=lambda: later + timedelta(minutes=5))
    message = notice_mail(notice_id)
    states = dict(db.session.execute(select(OutboxRecipient.address, OutboxRecipient.state)).all())
    assert set(states.values()) == {"accepted"}, states
    accepted = dict(db.session.execute(select(OutboxRecipient.address, OutboxRecipient.accepted_at)).all())
    assert accepted[first_address] == ACCEPTED
    raw = dsn(bounces.return_path(message.id), [(first_address, "failed", "5.1.1")])
    receive_bounce(raw, via="smtp", now=later + timedelta(hours=1))
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    second = [a for a in accepted if a != first_address][0]
    assert notice.state == "open" and notice.notified_at == accepted[second]
    assert notice.closes_at >= rules.objection_closes_at(accepted[second], 7, "calendar")
    (moved,) = events("delivery_failed", notice_id)
    assert moved.after["notified_at"] == accepted[second].isoformat()
    assert requeue  # imported to show the second copy came from the sender's own retry, not a re-queue


# --- The SMTP endpoint ----------------------------------------------------------------------------------------


@pytest.fixture
def bounce_server(app):
    port = free_port()
    controller = bounce_controller(app, "127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def test_the_bounce_server_takes_a_bounce_and_answers_once_it_is_recorded(
    make_agreement, announce_addition, bounce_server, inbox
):
    notice_id, message = delivered(make_agreement, announce_addition)
    path = bounces.return_path(message.id)
    raw = dsn(path, [(a, "failed", "5.1.1") for a in message.recipients])
    db.session.commit()
    with smtplib.SMTP("127.0.0.1", bounce_server, timeout=10) as smtp:
        smtp.ehlo()
        # a made-up return path is refused at RCPT: nothing for it is read
        code, reply = smtp.docmd("MAIL FROM:<>")
        assert code == 250
        code, reply = smtp.docmd(f"RCPT TO:<{path.replace(str(message.id) + '-', str(message.id + 1) + '-')}>")
        assert code == 550 and b"Not a return path" in reply
        code, _ = smtp.docmd(f"RCPT TO:<{path.upper()}>")
        assert code == 250
        code, reply = smtp.data(raw)
    assert code == 250 and b"Recorded as bounce" in reply
    db.session.rollback()
    db.session.expire_all()
    bounce = db.session.scalar(select(MailBounce))
    assert bounce.via == "smtp" and bounce.outbox_id == message.id and bounce.raw == raw
    assert bounce.envelope_to == path and bounce.sha256 == __import__("hashlib").sha256(raw).hexdigest()
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"


def test_the_bounce_server_answers_451_and_keeps_nothing_when_it_cannot_record(
    make_agreement, announce_addition, bounce_server, inbox, monkeypatch
):
    from dpa_manager.notices import bounces as notice_bounces

    notice_id, message = delivered(make_agreement, announce_addition)
    path = bounces.return_path(message.id)
    db.session.commit()

    def moved_meanwhile(*args, **kwargs):
        raise notice_bounces.NotYetSettled("the notice changed while its bounce was read")

    monkeypatch.setattr("dpa_manager.notices.bounces.delivery_failed", moved_meanwhile)
    with smtplib.SMTP("127.0.0.1", bounce_server, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("<>", [path], dsn(path, [(a, "failed", "5.1.1") for a in message.recipients]))
    assert refused.value.smtp_code == 451
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == 0
    assert set(db.session.scalars(select(OutboxRecipient.state))) == {"accepted"}
    assert db.session.get(Notice, notice_id).state == "open"


# --- The IMAP mailbox (a real Dovecot) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dovecot():
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists() and not os.environ.get("CI"):
        pytest.skip("needs Dovecot, an IMAP server (Debian's dovecot-imapd; .ci/run installs it)")
    """A Dovecot IMAP server on loopback with one mailbox, bounces/secret, run from a folder of its own."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    assert Path(binary).exists(), "Dovecot is needed (Debian's dovecot-imapd; .ci/run installs it)"
    # its own users (dovecot, nobody) must reach the folder: not under pytest's, which only root may enter
    root = Path(tempfile.mkdtemp(prefix="dpa-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir()
    shutil.chown(root / "mail", "nobody", "nogroup")
    shutil.chown(root / "home", "nobody", "nogroup")
    (root / "users").write_text("bounces:{PLAIN}secret\n")
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    # a mail server keeps the real clock: without libfaketime (`make test-ahead`), as the browser does
    real_clock = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "DONT_FAKE_MONOTONIC")}
    real_clock = {k: v for k, v in real_clock.items() if not k.startswith("FAKETIME")}
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], env=real_clock)
    for _ in range(100):
        try:
            imaplib.IMAP4("127.0.0.1", port, timeout=1).logout()
            break
        except OSError:
            clock.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)
    shutil.rmtree(root, ignore_errors=True)


def read_from(app, port: int) -> None:
    """Point the app's bounce mailbox at the test Dovecot."""
    app.config.update(
        BOUNCE_IMAP_HOST="127.0.0.1",
        BOUNCE_IMAP_PORT=port,
        BOUNCE_IMAP_SSL=False,
        BOUNCE_IMAP_USER="bounces",
        BOUNCE_IMAP_PASSWORD="secret",
    )


def mailbox(port: int) -> imaplib.IMAP4:
    box = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    box.login("bounces", "secret")
    box.select("INBOX")
    return box


def test_bounces_are_read_from_the_imap_mailbox_and_deleted_once_recorded(
    app, make_agreement, announce_addition, dovecot, inbox
):
    notice_id, message = delivered(make_agreement, announce_addition)
    db.session.commit()
    path = bounces.return_path(message.id)
    # as a mail server delivers them: the envelope recipient in Delivered-To, or only the Message-ID returned
    by_path = (
        b"Delivered-To: "
        + path.encode()
        + b"\r\n"
        + dsn("bounces@dpa-manager.localhost", [(message.recipients[0], "failed", "5.1.1")])
    )
    by_id = dsn("someone@example", [(message.recipients[1], "failed", "5.1.1")], message_id=message.message_id)
    out_of_office = (
        b"From: els@klant.example\r\nTo: bounces@dpa-manager.localhost\r\nSubject: Afwezig\r\n\r\nTot maandag.\r\n"
    )
    box = mailbox(dovecot)
    for raw in (by_path, by_id, out_of_office):
        assert box.append("INBOX", None, None, raw)[0] == "OK"
    box.logout()
    read_from(app, dovecot)
    report = read_mailbox(now=ACCEPTED + timedelta(hours=2))
    assert len(report.recorded) == 3 and report.left == 0
    kept = {b.kind: b for b in db.session.scalars(select(MailBounce))}
    assert set(kept) == {"failed", "unreadable"}
    assert [b.outbox_id for b in db.session.scalars(select(MailBounce).where(MailBounce.kind == "failed"))] == [
        message.id,
        message.id,
    ]
    assert kept["unreadable"].outbox_id is None and kept["unreadable"].raw == out_of_office
    db.session.expire_all()
    # the one delivered to the return path counts; the one that only quotes the Message-ID is kept and shown
    by_path_row, by_id_row = db.session.scalars(
        select(MailBounce).where(MailBounce.kind == "failed").order_by(MailBounce.id)
    )
    assert by_path_row.envelope_to == path and "wacht opnieuw" not in (by_path_row.effect or "")
    assert "niet toegepast" in by_id_row.effect and "alleen de Message-ID klopt" in by_id_row.effect
    states = dict(db.session.execute(select(OutboxRecipient.address, OutboxRecipient.state)).all())
    assert states == {message.recipients[0]: "bounced", message.recipients[1]: "accepted"}
    assert db.session.get(Notice, notice_id).state == "open"
    box = mailbox(dovecot)
    assert box.search(None, "ALL")[1] == [b""]  # every message recorded was deleted from the box
    box.append("INBOX", None, None, by_path)  # the same bounce again: recorded once, deleted again
    box.logout()
    report = read_mailbox(now=ACCEPTED + timedelta(hours=3))
    assert report.recorded == [] and report.known == 1
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == 3
    assert message_from_bytes(kept["unreadable"].raw, policy=policy.default)["Subject"] == "Afwezig"


def test_the_pages_and_the_evidence_file_show_the_bounce(
    login, manager, make_agreement, announce_addition, make_user, inbox
):
    import io

    from pypdf import PdfReader

    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    first = notice_mail(notice_id)
    make_user(client=agreement.client, email="boekhouding@klant.example", full_name="Karel Boekhouder")
    db.session.commit()
    raw = dsn(bounces.return_path(first.id), [(a, "failed", "5.1.1") for a in first.recipients])
    received = receive_bounce(raw, via="smtp", now=ACCEPTED + timedelta(hours=1))
    again = ACCEPTED + timedelta(hours=2)
    jobs.drain(now=lambda: again)
    db.session.expire_all()
    http = login(manager)
    page = http.get(f"/notices/{notice_id}").text
    assert "Berichten van niet-bezorging" in page and f"/outbox/bounces/{received.bounce_id}.eml" in page
    assert "wacht opnieuw op levering" in page
    outbox_page = http.get(f"/outbox/{first.id}").text
    assert "teruggekomen (bounce)" in outbox_page and "5.1.1" in outbox_page
    download = http.get(f"/outbox/bounces/{received.bounce_id}.eml")
    assert download.status_code == 200 and download.data == raw and download.mimetype == "message/rfc822"
    assert http.get("/outbox/bounces/999999.eml").status_code == 404

    response = http.get(f"/notices/{notice_id}/evidence.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join("".join(p.extract_text() for p in reader.pages).split())
    assert "Berichten van niet-bezorging" in text and "telt niet als bezorgd" in text
    assert reader.attachments[f"bounce-{received.bounce_id}.eml"] == [raw]
    # the message the file shows as the one that told the client is the copy that reached it
    resent = next(r for r in inbox.raw if b"boekhouding@klant.example" in r.split(b"\r\n\r\n")[0])
    assert reader.attachments[f"melding-{notice_id}.eml"] == [resent]
    assert db.session.get(Notice, notice_id).notified_at == again


def test_a_client_user_cannot_download_a_bounce(login, make_agreement, announce_addition, make_user, inbox):
    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    message = notice_mail(notice_id)
    received = receive_bounce(
        dsn(bounces.return_path(message.id), [(message.recipients[0], "failed", "5.1.1")]),
        via="smtp",
        now=ACCEPTED + timedelta(hours=1),
    )
    user = make_user(client=agreement.client, email="lezer@klant.example")
    db.session.commit()
    response = login(user).get(f"/outbox/bounces/{received.bounce_id}.eml")
    assert response.status_code in (302, 403, 404) and b"Delivery" not in response.data


def test_the_bounce_imap_command(app, runner, make_agreement, announce_addition, dovecot, inbox):
    result = runner.invoke(args=["dpa", "bounce-imap"])
    assert result.exit_code == 2 and "BOUNCE_IMAP_HOST is niet ingesteld" in result.output
    notice_id, message = delivered(make_agreement, announce_addition)
    db.session.commit()
    box = mailbox(dovecot)
    box.append("INBOX", None, None, dsn(bounces.return_path(message.id), [(message.recipients[0], "delayed", "4.4.1")]))
    box.logout()
    read_from(app, dovecot)
    result = runner.invoke(args=["dpa", "bounce-imap"])
    assert result.exit_code == 0, result.output
    assert "Bounces geregistreerd: 1; al bekend: 0; blijven in de mailbox voor de volgende keer: 0." in result.output
    app.config["BOUNCE_IMAP_PASSWORD"] = "wrong"
    result = runner.invoke(args=["dpa", "bounce-imap"])
    assert result.exit_code == 1 and "De mailbox kon niet gelezen worden" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == 1


# --- What a bounce may not do --------------------------------------------------------------------------------------


def test_a_bounce_that_only_quotes_the_message_id_is_kept_and_shown_not_acted_on(
    make_agreement, announce_addition, bounce_server, inbox
):
    notice_id, message = delivered(make_agreement, announce_addition)
    db.session.commit()
    with smtplib.SMTP("127.0.0.1", bounce_server, timeout=10) as smtp:  # the bare address takes nothing
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("<>", ["bounces@dpa-manager.localhost"], b"Subject: x\r\n\r\ny\r\n")
    forged = dsn(
        "bounces@dpa-manager.localhost",
        [(a, "failed", "5.1.1") for a in message.recipients],
        message_id=message.message_id,
    )
    received = receive_bounce(forged, via="imap", now=ACCEPTED + timedelta(hours=1))
    db.session.expire_all()
    assert received.outbox_id == message.id and "alleen de Message-ID klopt" in received.effect
    assert db.session.get(Notice, notice_id).state == "open"
    assert set(db.session.scalars(select(OutboxRecipient.state))) == {"accepted"}
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "bounce_alert"))
    assert alert.context["effect"] == "ignored"
    jobs.drain(now=lambda: ACCEPTED + timedelta(hours=2))
    text = next(m for m in inbox.messages if "niet bezorgd" in str(m["Subject"])).get_body(("plain",)).get_content()
    assert "er is niets mee gedaan" in text and "Controleer bij de klant" in text


def test_a_bounce_long_after_the_acceptance_is_not_acted_on(app, make_agreement, announce_addition, inbox):
    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    days = app.config["BOUNCE_MAX_DAYS"]
    assert days == 14
    late = bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(days=days, minutes=1))
    assert "meer dan 14 dagen" in late.effect
    assert db.session.get(Notice, notice_id).state in ("open", "deemed_approved")
    assert set(db.session.scalars(select(OutboxRecipient.state))) == {"accepted"}


def test_a_bounce_of_a_cancelled_change_announces_nothing_again(app, make_agreement, announce_addition, manager, inbox):
    from dpa_manager.changes import services as changes
    from dpa_manager.subprocessors.models import Change

    make_agreement("signed")
    change_id, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    jobs.sweep(db.session.get(Notice, notice_id).closes_at)
    assert db.session.get(Notice, notice_id).state == "deemed_approved"
    changes.cancel(db.session.get(Change, change_id), actor=manager, now=ACCEPTED + timedelta(days=10))
    db.session.commit()
    received = bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(days=11))
    assert "ingetrokken" in received.effect
    assert db.session.get(Notice, notice_id).state == "deemed_approved"
    assert (
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "notice"))
        == 1
    )


def test_an_address_that_bounced_is_neither_retried_nor_forgotten_by_a_re_queue(
    make_agreement, announce_addition, make_user, inbox
):
    """The message reached one address (which later bounces) and was refused for good for the other: the manager
    corrects the client's address and re-queues it. The bounce stays: the notice waits until a copy arrives."""
    from dpa_manager.clients.models import Client
    from dpa_manager.notices.services import requeue

    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    message = notice_mail(notice_id)
    contact = agreement.client.contact_email
    other = next(a for a in message.recipients if a != contact)
    inbox.refuse = {other: "550 5.1.1 no such user"}
    jobs.drain(now=lambda: ACCEPTED)
    inbox.refuse = {}
    first = bounce_all_to(message, [contact], ACCEPTED + timedelta(hours=1))
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"
    assert "geen ander adres" in first.effect  # the other address was refused for good: nobody to send it to
    client = db.session.get(Client, agreement.client_id)
    client.contact_email = "nieuw@klant.example"
    db.session.commit()
    assert requeue([message.id], actor=None, now=ACCEPTED + timedelta(hours=3)) == [message.id]
    db.session.commit()
    sent_before = len(inbox.messages)
    inbox.refuse = {other: "550 5.1.1 no such user"}  # still wrong
    jobs.drain(now=lambda: ACCEPTED + timedelta(hours=4))
    inbox.refuse = {}
    db.session.expire_all()
    states = dict(
        db.session.execute(
            select(OutboxRecipient.address, OutboxRecipient.state).where(OutboxRecipient.outbox_id == message.id)
        ).all()
    )
    assert states[contact] == "bounced"  # not retried, not erased
    assert states["nieuw@klant.example"] == "accepted"
    assert all(contact not in env for env in inbox.envelopes[sent_before:])
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == ACCEPTED + timedelta(hours=4)
    # the new address bounces too: no copy reached the client, whatever the re-queue did
    bounce_all_to(message, ["nieuw@klant.example"], ACCEPTED + timedelta(hours=5))
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"


def bounce_all_to(message: OutboxMessage, addresses: list[str], at) -> bounces.Received:
    raw = dsn(bounces.return_path(message.id), [(a, "failed", "5.1.1") for a in addresses])
    received = receive_bounce(raw, via="smtp", now=at, envelope_to=[bounces.return_path(message.id)])
    db.session.expire_all()
    return received


def test_a_notice_sent_back_has_its_reminder_again_in_its_new_round(
    make_agreement, announce_addition, make_user, inbox
):
    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    notice = db.session.get(Notice, notice_id)
    jobs.sweep(notice.remind_at)
    assert db.session.get(Notice, notice_id).reminded_at is not None
    make_user(client=agreement.client, email="boekhouding@klant.example", full_name="Karel Boekhouder")
    db.session.commit()
    at = notice.remind_at + timedelta(hours=1)
    bounce_all(notice_mail(notice_id), at)
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "awaiting_delivery" and notice.reminded_at is None and notice.delivery_round == 1
    jobs.drain(now=lambda: at + timedelta(minutes=5))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open"
    jobs.sweep(notice.remind_at)
    keys = sorted(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.template == "reminder")))
    assert keys == [f"reminder:{notice_id}", f"reminder:{notice_id}.r1"]


def test_an_informational_notice_that_bounced_waits_and_its_alert_speaks_of_no_window(
    make_agreement, make_subprocessor, manager, make_user, inbox
):
    from dpa_manager.changes import services as changes

    agreement = make_agreement("signed")
    sp = make_subprocessor(kind="incidental", countries=["BE"], data_categories=["contact"])
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Eenmalig", actor=manager, now=NOW
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    jobs.drain(now=lambda: ACCEPTED)
    assert db.session.get(Notice, notice_id).state == "informed"
    bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(hours=1))
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"
    jobs.drain(now=lambda: ACCEPTED + timedelta(hours=2))
    text = next(m for m in inbox.messages if "niet bezorgd" in str(m["Subject"])).get_body(("plain",)).get_content()
    assert "termijn" not in text and "wacht daarom opnieuw op levering." in text
    assert agreement


@pytest.mark.parametrize(
    "garbage",
    [
        b"To: " + b"(" * 600 + b"\r\n\r\nbody\r\n",  # makes the address parser recurse
        b"\x00\xff\xfe not mail at all",
    ],
)
def test_a_bounce_that_cannot_be_read_is_kept_as_unreadable(app, garbage):
    received = receive_bounce(garbage, via="imap", now=ACCEPTED)
    assert received.new and received.kind == "unreadable" and received.outbox_id is None
    assert db.session.get(MailBounce, received.bounce_id).raw == garbage


def test_a_nul_in_a_report_is_recorded_without_it(make_agreement, announce_addition, inbox):
    notice_id, message = delivered(make_agreement, announce_addition)
    raw = dsn(bounces.return_path(message.id), [(message.recipients[0], "failed", "5.1.1")]).replace(
        b"User unknown", b"User\x00unknown"
    )
    received = receive_bounce(raw, via="smtp", now=ACCEPTED + timedelta(hours=1))
    bounce = db.session.get(MailBounce, received.bounce_id)
    assert bounce.raw == raw and "\x00" not in bounce.recipients[0]["diagnostic"]


def test_without_a_bounce_address_mail_goes_out_from_its_sender_and_no_bounce_server_starts(
    app, runner, make_agreement, announce_addition, inbox
):
    app.config["BOUNCE_ADDRESS"] = None
    make_agreement("signed")
    announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    assert inbox.senders == ["dpa@dpa-manager.localhost"]
    result = runner.invoke(args=["dpa", "bounce-server", "--port", str(free_port())])
    assert result.exit_code == 2 and "BOUNCE_ADDRESS is niet ingesteld" in result.output


# --- What the second review found ------------------------------------------------------------------------------


def test_an_acceptance_recorded_late_whose_copy_bounced_starts_no_window(
    make_agreement, announce_addition, monkeypatch, inbox
):
    """The sender recorded the acceptance without telling the notice (telling it failed); the copy bounces before the
    next drain tells it: that copy reached no one, and the window does not start from it."""
    from dpa_manager.notices import services as notice_services

    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    real = notice_services.mark_delivered
    monkeypatch.setattr(notice_services, "mark_delivered", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    jobs.drain(now=lambda: ACCEPTED)
    monkeypatch.setattr(notice_services, "mark_delivered", real)
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"
    received = bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(minutes=1))
    assert received.new
    jobs.drain(now=lambda: ACCEPTED + timedelta(minutes=2))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "awaiting_delivery" and notice.notified_at is None


def test_a_bounce_that_comes_before_its_acceptance_is_recorded_waits(make_agreement, announce_addition, inbox):
    """A fast relay may report a failure before the sender has recorded the acceptance: the report is handed back
    (SMTP 451, or left in the mailbox) and taken once the acceptance is on record."""
    from dpa_manager.mail import sender

    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    message = notice_mail(notice_id)
    token, ids = sender.claim(ACCEPTED, 10)
    assert ids == [message.id] and db.session.get(OutboxMessage, message.id).state == "sending"
    raw = dsn(bounces.return_path(message.id), [(a, "failed", "5.1.1") for a in message.recipients])
    with pytest.raises(bounces.Retry):
        receive_bounce(raw, via="smtp", now=ACCEPTED, envelope_to=[bounces.return_path(message.id)])
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == 0


def test_reports_of_one_message_are_capped_and_alerts_of_those_not_acted_on_sent_once(
    make_agreement, announce_addition, inbox
):
    notice_id, message = delivered(make_agreement, announce_addition)
    late = ACCEPTED + timedelta(days=20)
    for n in range(bounces.MAX_PER_MESSAGE):
        raw = dsn(bounces.return_path(message.id), [(message.recipients[0], "failed", f"5.1.{n}")])
        receive_bounce(raw, via="smtp", now=late, envelope_to=[bounces.return_path(message.id)])
    alerts = db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.template == "bounce_alert")).all()
    assert alerts == [f"bounce-ignored:{notice_id}:late"]
    with pytest.raises(bounces.TooMany):
        receive_bounce(
            dsn(bounces.return_path(message.id), [(message.recipients[0], "failed", "5.9.9")]), via="smtp", now=late
        )
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == bounces.MAX_PER_MESSAGE


def test_an_outcome_a_bounce_undid_does_not_go_out(app, make_agreement, announce_addition, make_user, inbox):
    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    closes = db.session.get(Notice, notice_id).closes_at
    jobs.sweep(closes)  # deemed approved; its outcome e-mail waits in the outbox
    outcome = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "outcome"))
    assert outcome.state == "pending"
    make_user(client=agreement.client, email="boekhouding@klant.example", full_name="Karel Boekhouder")
    db.session.commit()
    app.config["BOUNCE_MAX_DAYS"] = 30
    bounce_all(notice_mail(notice_id), closes + timedelta(minutes=1))
    sent_before = len(inbox.messages)
    jobs.drain(now=lambda: closes + timedelta(minutes=2))
    db.session.expire_all()
    assert db.session.get(OutboxMessage, outcome.id).state == "cancelled"
    assert not any("stilzwijgen" in str(m["Subject"]) for m in inbox.messages[sent_before:])


def test_a_manager_sends_a_notice_that_bounced_everywhere_again_after_correcting_the_address(
    login, manager, make_agreement, announce_addition, inbox
):
    from dpa_manager.clients.models import Client

    agreement = make_agreement("signed")
    _, (notice_id,) = announce_addition()
    jobs.drain(now=lambda: ACCEPTED)
    received = bounce_all(notice_mail(notice_id), ACCEPTED + timedelta(hours=1))
    assert "geen ander adres" in received.effect
    http = login(manager)
    page = http.get(f"/notices/{notice_id}").text
    assert "Opnieuw versturen" in page
    # nothing to send it to yet: said, nothing changes
    response = http.post(f"/notices/{notice_id}/resend", data={"confirm": "y"}, follow_redirects=True)
    assert response.status_code == 200 and "Verbeter eerst het contactadres" in response.text
    assert (
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "notice"))
        == 1
    )
    client = db.session.get(Client, agreement.client_id)
    client.contact_email = "juist@klant.example"
    db.session.commit()
    assert http.post(f"/notices/{notice_id}/resend", data={}).status_code == 302  # no confirmation: nothing
    assert (
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "notice"))
        == 1
    )
    response = http.post(f"/notices/{notice_id}/resend", data={"confirm": "y"}, follow_redirects=True)
    assert "juist@klant.example" in response.text
    again = http.post(f"/notices/{notice_id}/resend", data={"confirm": "y"}, follow_redirects=True)
    assert "wacht nog in de outbox" in again.text
    jobs.drain(now=lambda: ACCEPTED + timedelta(hours=2))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.notified_at == ACCEPTED + timedelta(hours=2)
    assert events("resent", notice_id)[0].after == {"recipients": ["juist@klant.example"]}
    gone = http.post(f"/notices/{notice_id}/resend", data={"confirm": "y"}, follow_redirects=True)
    assert "wacht niet op levering" in gone.text


def test_the_mailbox_counts_a_bounce_from_when_it_arrived_not_when_it_is_read(
    app, make_agreement, announce_addition, dovecot, inbox
):
    """The mailbox was not read for three weeks (a changed password, say): a bounce that arrived a day after the
    acceptance still counts."""
    notice_id, message = delivered(make_agreement, announce_addition)
    db.session.commit()
    box = mailbox(dovecot)
    raw = dsn(bounces.return_path(message.id), [(a, "failed", "5.1.1") for a in message.recipients])
    assert box.append("INBOX", None, ACCEPTED + timedelta(days=1), raw)[0] == "OK"
    box.logout()
    read_from(app, dovecot)
    report = read_mailbox(now=ACCEPTED + timedelta(days=21))
    assert len(report.recorded) == 1
    db.session.expire_all()
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"
