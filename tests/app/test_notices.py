"""The whole life of a change: announce, deliver, object or stay silent, settle, take effect."""

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func, select

from dpa_manager import jobs, rules
from dpa_manager.changes import services as changes
from dpa_manager.errors import Conflict, Invalid
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register
from dpa_manager.subprocessors.models import Assignment

from .conftest import NOW

LATER = NOW + timedelta(days=30)


def outbox_count(**where):
    stmt = select(func.count()).select_from(OutboxMessage)
    for key, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, key) == value)
    return db.session.scalar(stmt)


def announce_new(make_subprocessor, manager, *, effective_on=date(2026, 12, 15), **values):
    sp = make_subprocessor(**values)
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=effective_on,
        reason="Nieuw telefonieplatform",
        actor=manager,
        now=NOW,
    )
    notice_ids = changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    return sp, change, notice_ids


def test_announce_makes_one_notice_per_affected_signed_agreement(
    make_agreement, make_subprocessor, manager, make_client
):
    signed = [make_agreement("signed") for _ in range(3)]
    make_agreement("draft")
    make_agreement("sent")
    other_service = make_agreement("signed")
    from dpa_manager.processor.models import Service

    other_service.services = [db.session.scalar(select(Service).where(Service.code == "telemarketing"))]
    db.session.commit()
    sp, change, ids = announce_new(make_subprocessor, manager)
    rows = db.session.scalars(select(Notice).where(Notice.id.in_(ids))).all()
    assert sorted(n.agreement_id for n in rows) == sorted(a.id for a in signed)
    assert {n.state for n in rows} == {"awaiting_delivery"}
    assert all(n.needs_approval and n.notified_at is None and n.closes_at is None for n in rows)
    assert outbox_count(template="notice") == 3
    with pytest.raises(Conflict):
        changes.announce(change, actor=manager, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 3


def test_window_starts_when_the_mail_server_accepts(make_agreement, make_subprocessor, manager, inbox):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    accepted = NOW + timedelta(minutes=3)
    report = drain(now=lambda: accepted)
    assert len(report.sent) == 1 and len(inbox.messages) == 1
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open"
    assert notice.delivered_at == notice.notified_at == accepted
    assert notice.closes_at == rules.objection_closes_at(accepted, 7, "calendar")
    assert notice.remind_at == rules.reminder_at(accepted, notice.closes_at)
    message = inbox.messages[0]
    assert message["Message-ID"] == f"<dpa.notice.{notice_id}@dpa-manager.localhost>"
    assert agreement.client.contact_email in message["To"]


def test_no_delivery_no_window_no_deemed_approval(make_agreement, make_subprocessor, manager, inbox):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    inbox.stop()
    report = drain(now=lambda: NOW)
    assert report.failed == [db.session.scalar(select(OutboxMessage.id))]
    for days in (8, 30, 365):
        jobs.sweep(NOW + timedelta(days=days))
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "awaiting_delivery" and notice.notified_at is None
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == "pending" and message.attempts == 1 and "Connection" in message.last_error


def test_mail_server_down_then_back_delivers_once(make_agreement, make_subprocessor, manager, inbox, app):
    for _ in range(3):
        make_agreement("signed")
    announce_new(make_subprocessor, manager)
    inbox.stop()
    drain(now=lambda: NOW)
    assert outbox_count(state="pending") == 3
    drain(now=lambda: NOW + timedelta(seconds=10))  # not due yet: the backoff holds
    assert db.session.scalar(select(func.max(OutboxMessage.attempts))) == 1
    inbox.start()
    later = NOW + timedelta(minutes=5)
    report = drain(now=lambda: later)
    assert len(report.sent) == 3 and len(inbox.messages) == 3
    assert len(set(inbox.ids())) == 3
    assert drain(now=lambda: later + timedelta(hours=1)).sent == []
    assert len(inbox.messages) == 3
    assert {n.notified_at for n in db.session.scalars(select(Notice))} == {later}


def test_a_message_is_dead_after_the_last_try(app, make_agreement, make_subprocessor, manager, inbox, login):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    make_agreement("signed")
    announce_new(make_subprocessor, manager)
    inbox.stop()
    drain(now=lambda: NOW)
    report = drain(now=lambda: NOW + timedelta(hours=1))
    assert len(report.dead) == 1
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == "dead" and message.attempts == 2
    page = login(manager).get("/dashboard")
    assert "Opgegeven e-mails" in page.text and f'href="/outbox/{message.id}"' in page.text
    assert f"Melding {message.notice_id}</a>" in page.text and "notice:" not in page.text


def test_opening_in_the_portal_starts_the_window(make_agreement, make_subprocessor, manager, make_user, login):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    user = agreement.client.users[0]
    import time_machine

    opened = NOW + timedelta(hours=2)
    with time_machine.travel(opened, tick=False):
        page = login(user).get(f"/portal/notices/{notice_id}")
    assert page.status_code == 200
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "open" and notice.first_opened_at == notice.notified_at == opened
    assert notice.delivered_at is None
    assert "Bezwaar maken" in page.text and "Goedkeuren" in page.text


def test_a_manager_opening_the_notice_starts_nothing(make_agreement, make_subprocessor, manager, login):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    assert login(manager).get(f"/notices/{notice_id}").status_code == 200
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"


def deliver(notice_id, at):
    notices.mark_delivered(notice_id, at)
    db.session.commit()
    return db.session.get(Notice, notice_id)


def test_objection_in_time(make_agreement, make_subprocessor, manager, inbox):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    user = agreement.client.users[0]
    just_before = notice.closes_at - timedelta(microseconds=1)
    notices.object_to(notice, user=user, reason="Wij willen geen opslag in Nederland.", now=just_before)
    assert notice.state == "objected" and notice.decided_at == just_before
    drain(now=lambda: just_before)
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert any("bezwaar ontvangen" in s for s in subjects)
    assert any(s.startswith("Bezwaar van") for s in subjects)
    assert inbox.to(manager.email)
    # the change never applies to this client while the objection stands
    jobs.sweep(notice.closes_at + timedelta(days=60))
    assert db.session.get(Notice, notice_id).state == "objected"
    assert register.applying_on(agreement.client_id, date(2027, 3, 1)) == []


def test_objection_at_or_after_closing_is_refused(make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    with pytest.raises(Conflict, match="afgelopen"):
        notices.object_to(notice, user=agreement.client.users[0], reason="Te laat", now=notice.closes_at)
    assert db.session.get(Notice, notice_id).state == "open"
    assert outbox_count(template="alert") == 0


@pytest.mark.parametrize("reason", ["", "  ", "ab"])
def test_objection_needs_a_reason(make_agreement, make_subprocessor, manager, reason):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    with pytest.raises(Invalid):
        notices.object_to(notice, user=agreement.client.users[0], reason=reason, now=NOW)
    assert db.session.get(Notice, notice_id).state == "open"


def test_another_clients_user_cannot_answer(make_agreement, make_subprocessor, manager, make_user, make_client, login):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    stranger = make_user(client=make_client())
    with pytest.raises(Conflict):
        notices.approve(notice, user=stranger, now=NOW)
    http = login(stranger)
    assert http.get(f"/portal/notices/{notice_id}").status_code == 404
    assert http.post(f"/portal/notices/{notice_id}/objection", data={"reason": "nee hoor"}).status_code == 404
    assert db.session.get(Notice, notice_id).state == "open"


def test_silence_until_close_is_approval(make_agreement, make_subprocessor, manager, inbox):
    agreement = make_agreement("signed")
    sp, _, (notice_id,) = announce_new(make_subprocessor, manager)
    drain(now=lambda: NOW)
    notice = db.session.get(Notice, notice_id)
    closes = notice.closes_at
    assert jobs.sweep(closes - timedelta(seconds=1)).deemed_approved == 0
    assert db.session.get(Notice, notice_id).state == "open"
    report = jobs.sweep(closes)
    assert report.deemed_approved == 1
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "deemed_approved" and notice.decided_at == closes and notice.decided_by_id is None
    assert jobs.sweep(closes + timedelta(minutes=1)).deemed_approved == 0
    assert outbox_count(template="outcome") == 1
    drain(now=lambda: closes)
    outcome = [m for m in inbox.messages if "stilzwijgen" in m["Subject"]]
    assert len(outcome) == 1
    # the change takes effect on its date, not before
    jobs.sweep(closes + timedelta(hours=1))
    assert register.applying_on(agreement.client_id, date(2026, 12, 14)) == []
    report = jobs.sweep(rules_midday(date(2026, 12, 15)))
    assert report.applied == 1
    assert [s.id for s in register.applying_on(agreement.client_id, date(2026, 12, 15))] == [sp.id]
    assert register.applying_on(agreement.client_id, date(2026, 12, 1)) == []
    assert db.session.get(type(sp), sp.id).status == "active"
    assert jobs.sweep(rules_midday(date(2026, 12, 16))).applied == 0
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def rules_midday(day):
    from datetime import datetime, time

    return datetime.combine(day, time(12), tzinfo=UTC)


def test_reminder_once_two_days_before_closing(make_agreement, make_subprocessor, manager, inbox):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    drain(now=lambda: NOW)
    notice = db.session.get(Notice, notice_id)
    assert jobs.sweep(notice.remind_at - timedelta(seconds=1)).reminders == 0
    assert jobs.sweep(notice.remind_at).reminders == 1
    assert jobs.sweep(notice.remind_at + timedelta(hours=1)).reminders == 0
    drain(now=lambda: notice.remind_at)
    assert sum("Herinnering" in m["Subject"] for m in inbox.messages) == 1


def test_an_answered_notice_gets_no_reminder(make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    notices.approve(notice, user=agreement.client.users[0], now=NOW + timedelta(hours=1))
    assert jobs.sweep(notice.remind_at).reminders == 0
    assert jobs.sweep(notice.closes_at).deemed_approved == 0
    assert db.session.get(Notice, notice_id).state == "approved"


def test_resolving_by_withdrawing_the_change_for_the_client(make_agreement, make_subprocessor, manager):
    objecting, silent = make_agreement("signed"), make_agreement("signed")
    sp, change, ids = announce_new(make_subprocessor, manager)
    first, second = (deliver(i, NOW) for i in ids)
    notices.object_to(first, user=objecting.client.users[0], reason="Niet akkoord met deze partij", now=NOW)
    with pytest.raises(Invalid):
        notices.resolve(first, actor=manager, resolution="bogus", note="", now=NOW)
    notices.resolve(first, actor=manager, resolution="change_withdrawn", note="Gebeld met de klant", now=NOW)
    assert first.state == "withdrawn" and first.resolved_by_id == manager.id
    with pytest.raises(Conflict):
        notices.resolve(first, actor=manager, resolution="change_withdrawn", note="", now=NOW)
    jobs.sweep(rules_midday(date(2026, 12, 20)))
    assert register.applying_on(objecting.client_id, date(2026, 12, 20)) == []
    assert [s.id for s in register.applying_on(silent.client_id, date(2026, 12, 20))] == [sp.id]


def test_resolving_when_the_client_withdraws_the_objection(make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    sp, _, (notice_id,) = announce_new(make_subprocessor, manager)
    notice = deliver(notice_id, NOW)
    notices.object_to(notice, user=agreement.client.users[0], reason="Eerst uitleg graag", now=NOW)
    notices.resolve(notice, actor=manager, resolution="objection_withdrawn", note="", now=NOW)
    assert notice.state == "approved"
    jobs.sweep(rules_midday(date(2026, 12, 15)))
    assert [s.id for s in register.applying_on(agreement.client_id, date(2026, 12, 15))] == [sp.id]


def test_replacement_ends_the_old_one_and_removal_retires_it(make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    old = make_subprocessor(status="active", name="OudTel NV")
    from dpa_manager.subprocessors.services import sync_assignments

    sync_assignments(agreement, date(2026, 11, 1))
    db.session.commit()
    new = make_subprocessor(name="NieuwTel NV")
    change = changes.create_change(
        kind="replace",
        subprocessor_id=new.id,
        replaces_id=old.id,
        effective_on=date(2026, 12, 1),
        reason="Betere dienst",
        actor=manager,
        now=NOW,
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    notice = deliver(notice_id, NOW)
    notices.approve(notice, user=agreement.client.users[0], now=NOW)
    jobs.sweep(rules_midday(date(2026, 12, 1)))
    assert [s.name for s in register.applying_on(agreement.client_id, date(2026, 12, 1))] == ["NieuwTel NV"]
    assert [s.name for s in register.applying_on(agreement.client_id, date(2026, 11, 30))] == ["OudTel NV"]
    db.session.expire_all()
    assert db.session.get(type(old), old.id).status == "retired"
    # remove the new one: informational, applies on its date without approval
    removal = changes.create_change(
        kind="remove",
        subprocessor_id=new.id,
        effective_on=date(2027, 1, 4),
        reason="Dienst stopgezet",
        actor=manager,
        now=rules_midday(date(2026, 12, 2)),
    )
    (removal_notice,) = changes.announce(removal, actor=manager, now=rules_midday(date(2026, 12, 2)))
    assert db.session.get(Notice, removal_notice).needs_approval is False
    notice = deliver(removal_notice, rules_midday(date(2026, 12, 2)))
    assert notice.state == "informed" and notice.closes_at is None
    jobs.sweep(rules_midday(date(2027, 1, 4)))
    assert register.applying_on(agreement.client_id, date(2027, 1, 4)) == []
    history = register.history_of(agreement.client_id)
    assert [(a.subprocessor.name, a.from_on, a.until_on) for a in history] == [
        ("NieuwTel NV", date(2026, 12, 1), date(2027, 1, 4)),
        ("OudTel NV", date(2026, 11, 1), date(2026, 12, 1)),
    ]


def test_incidental_subprocessors_are_only_announced(make_agreement, make_subprocessor, manager):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager, kind="incidental", name="Onderhoud BV")
    notice = deliver(notice_id, NOW)
    assert notice.needs_approval is False and notice.state == "informed" and notice.closes_at is None


def test_cancelling_a_change_withdraws_its_notices(make_agreement, make_subprocessor, manager, inbox):
    make_agreement("signed"), make_agreement("signed")
    _, change, ids = announce_new(make_subprocessor, manager)
    deliver(ids[0], NOW)
    withdrawn = changes.cancel(change, actor=manager, now=NOW)
    assert sorted(withdrawn) == sorted(ids)
    assert {n.state for n in db.session.scalars(select(Notice))} == {"withdrawn"}
    assert outbox_count(template="outcome") == 1  # only the client who had been told hears of it
    with pytest.raises(Conflict):
        changes.cancel(change, actor=manager, now=NOW)
    assert jobs.sweep(NOW + timedelta(days=60)).applied == 0


def test_the_database_refuses_a_deemed_approval_before_closing(make_agreement, make_subprocessor, manager):
    make_agreement("signed")
    _, _, (notice_id,) = announce_new(make_subprocessor, manager)
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(update(Notice).where(Notice.id == notice_id).values(state="deemed_approved", decided_at=NOW))
        db.session.commit()
    db.session.rollback()
    notice = deliver(notice_id, NOW)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Notice)
            .where(Notice.id == notice_id)
            .values(state="deemed_approved", decided_at=notice.closes_at - timedelta(seconds=1))
        )
        db.session.commit()
    db.session.rollback()
