"""Jobs running at the same time never do anything twice."""

import threading
from datetime import UTC, date, timedelta

from sqlalchemy import func, select

from dpa_manager import demo, jobs
from dpa_manager.audit import AuditEvent
from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice

from .conftest import NOW, forget_agreement_copies

N = 300


def due_notices(app, make_subprocessor, manager, n=N):
    demo.seed_synthetic(n, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    ids = changes.announce(change, actor=manager, now=NOW)
    for notice_id in ids:
        notices.mark_delivered(notice_id, NOW)
    db.session.commit()
    return ids


def in_threads(app, target, count):
    errors = []

    def run():
        try:
            with app.app_context():
                target()
        except Exception as error:  # report in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_two_sweepers_settle_each_window_once(app, make_subprocessor, manager):
    ids = due_notices(app, make_subprocessor, manager)
    assert len(ids) >= N
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    after_close = NOW + timedelta(days=10)
    in_threads(app, lambda: jobs.sweep(after_close), 2)
    db.session.expire_all()
    states = dict(db.session.execute(select(Notice.state, func.count()).group_by(Notice.state)).all())
    assert states == {"deemed_approved": len(ids)}
    outcomes = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "outcome")
    )
    assert outcomes == len(ids)
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "deemed_approved")
    )
    assert events == len(ids)


def test_two_senders_deliver_each_message_once(app, make_subprocessor, manager, inbox):
    ids = due_notices(app, make_subprocessor, manager, n=80)
    in_threads(app, lambda: drain(now=lambda: NOW, limit=10) and None, 1)  # warm up one batch alone
    for _ in range(10):
        in_threads(app, lambda: drain(now=lambda: NOW + timedelta(minutes=1), limit=15), 2)
    db.session.expire_all()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent"))
    assert sent == len(ids)
    assert len(inbox.messages) == len(ids)
    assert len(set(inbox.ids())) == len(ids)


def test_two_countersignatures_at_once_leave_one_signed_agreement(app, make_agreement, make_client, manager):
    """Issue 13, point 7: the second countersignature supersedes the first; never two signed for one client."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from dpa_manager.accounts.models import User
    from dpa_manager.agreements import services as agreements
    from dpa_manager.agreements.models import Agreement

    client = make_client()
    pairs = []
    for _ in range(3):  # three rounds of two at once
        first = make_agreement("client_signed", client=client)
        second = make_agreement("client_signed", client=client)
        pairs.append((first.id, second.id))
    manager_id = manager.id
    for ids in pairs:
        barrier = threading.Barrier(2)
        queue = list(ids)

        def sign(queue=queue, barrier=barrier):
            agreement = db.session.get(Agreement, queue.pop())
            user = db.session.get(User, manager_id)
            barrier.wait(timeout=30)
            agreements.countersign(agreement, user=user, full_name="An Manager", role="Accountmanager", now=NOW)
            db.session.commit()  # as the request would

        in_threads(app, sign, 2)
        db.session.expire_all()
        signed = db.session.scalars(
            select(Agreement.id).where(Agreement.client_id == client.id, Agreement.state == "signed")
        ).all()
        assert len(signed) == 1 and signed[0] in ids
    # The database itself refuses a second signed agreement for the client.
    (only,) = db.session.scalars(
        select(Agreement).where(Agreement.client_id == client.id, Agreement.state == "signed")
    ).all()
    other = db.session.get(Agreement, pairs[0][0] if pairs[0][0] != only.id else pairs[0][1])
    with pytest.raises(IntegrityError):
        db.session.execute(Agreement.__table__.update().where(Agreement.id == other.id).values(state="signed"))
        db.session.flush()
    db.session.rollback()


def test_cancel_and_apply_at_once_never_leave_a_cancelled_change_in_effect(
    app, make_agreement, make_subprocessor, manager
):
    """Issue 13, point 6: either the cancel wins and nothing applies, or the apply wins and the cancel is refused."""
    from datetime import datetime

    from dpa_manager.errors import Conflict
    from dpa_manager.subprocessors.models import Change

    for _ in range(40):
        make_agreement("signed")
    manager_id = manager.id
    outcomes = []
    for round_number in range(4):
        sp = make_subprocessor(name=f"Ronde {round_number} BV")
        change = changes.create_change(
            kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Ronde", actor=manager, now=NOW
        )
        ids = changes.announce(change, actor=manager, now=NOW)
        db.session.execute(
            Notice.__table__.update()
            .where(Notice.id.in_(ids))
            .values(state="approved", notified_at=NOW, closes_at=NOW + timedelta(days=7), decided_at=NOW)
        )
        db.session.commit()
        change_id = change.id
        barrier = threading.Barrier(2)
        work = ["apply", "cancel"]

        def act(work=work, barrier=barrier, change_id=change_id):
            from dpa_manager.accounts.models import User

            what = work.pop()
            barrier.wait(timeout=30)
            if what == "apply":
                jobs.sweep(datetime(2026, 12, 15, 9, tzinfo=UTC))
            else:
                try:
                    changes.cancel(
                        db.session.get(Change, change_id),
                        actor=db.session.get(User, manager_id),
                        now=datetime(2026, 12, 15, 9, tzinfo=UTC),
                    )
                    db.session.commit()  # as the request would
                    outcomes.append("cancelled")
                except Conflict:
                    db.session.rollback()
                    outcomes.append("refused")

        in_threads(app, act, 2)
        db.session.expire_all()
        state = db.session.get(Change, change_id).state
        applied = db.session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.change_id == change_id, Notice.applied_at.is_not(None))
        )
        if state == "cancelled":
            assert applied == 0, f"round {round_number}: cancelled, yet in effect for {applied} clients"
        else:
            assert state == "announced" and applied == len(ids) and outcomes[-1] == "refused"


def test_a_sender_that_lost_its_claim_stops_and_no_message_arrives_twice(app, make_subprocessor, manager, inbox):
    """Issue 13, point 3: with a claim shorter than a batch, the first sender stops where its claim lapsed."""
    from datetime import datetime

    from dpa_manager import clock

    due_notices(app, make_subprocessor, manager, n=12)
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.template != "notice"))
    db.session.commit()
    app.config.update(MAIL_CLAIM_SECONDS=1)
    inbox.delay = 0.3  # a slow server: a batch of 12 takes longer than the claim
    start = threading.Barrier(2)
    turns = [0.0, 1.5]  # the second sender starts when the first one's claim has lapsed

    def send():
        import time

        pause = turns.pop()
        start.wait(timeout=30)
        time.sleep(pause)
        drain(now=clock.now, limit=20)

    in_threads(app, send, 2)
    for _ in range(5):
        drain(now=lambda: datetime.now(UTC) + timedelta(seconds=5), limit=20)
    assert len(inbox.messages) == db.session.query(OutboxMessage).count()
    assert len(set(inbox.ids())) == len(inbox.messages), "a message arrived twice"
