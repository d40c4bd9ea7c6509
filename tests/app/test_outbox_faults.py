"""The outbox and the state changes under faults, on PostgreSQL with real processes and a real SMTP server.

Each test is one failure a fault-injection run found: recipients refused one by one, a 550 among 200 good
messages, two senders with a claim shorter than a batch, a sender killed between the server's acceptance and
its own commit, a sender stopped with SIGTERM, a cancel against a sweep, two countersignatures at once.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from dpa_manager import demo
from dpa_manager.agreements.models import Agreement
from dpa_manager.changes import services as changes
from dpa_manager.clock import BRUSSELS
from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxAcceptance, OutboxMessage, OutboxRecipient
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors.models import Change

from .conftest import NOW, forget_agreement_copies
from .test_production import environment, flask, output

pytestmark = [pytest.mark.postgres, pytest.mark.wallclock]


def announced(make_subprocessor, manager, name="CloudTel SA") -> list[int]:
    """Announce a new sub-processor to every signed client; their notice e-mails wait in the outbox."""
    sp = make_subprocessor(name=name)
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    ids = changes.announce(change, actor=manager, now=NOW)
    db.session.commit()  # the senders and sweepers of these tests are other processes
    return ids


def settings(tmp_path, inbox, **config) -> dict:
    env = environment(tmp_path, inbox.port)
    if config:
        with open(tmp_path / "config.py", "a") as file:
            file.writelines(f"{key} = {value!r}\n" for key, value in config.items())
    return env


def python(env, code: str) -> subprocess.Popen:
    """Run `code` in a new Python process with the app's context (the app as the `app` name)."""
    script = "from dpa_manager import create_app\napp = create_app()\nwith app.app_context():\n" + textwrap.indent(
        textwrap.dedent(code), "    "
    )
    log = open(os.path.join(env["DPA_INSTANCE_PATH"], f"python-{time.monotonic_ns()}.log"), "w+")
    process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log = log
    return process


def wait(process, timeout=120) -> int:
    code = process.wait(timeout=timeout)
    assert code == 0, output(process)
    return code


def notice_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "notice").order_by(OutboxMessage.id)
    ).all()


def test_recipients_refused_one_by_one(tmp_path, make_agreement, make_user, make_subprocessor, manager, inbox):
    """Point 1: per recipient accepted, refused for now (retried), refused for good; delivered once one accepted."""
    told = make_agreement("signed").client
    make_user(client=told, email="bezet@example.be")
    make_user(client=told, email="weg@example.be")
    unreachable = make_agreement("signed").client
    inbox.refuse = {
        "bezet@example.be": "451 4.2.0 mailbox busy",
        "weg@example.be": "550 5.1.1 no such user",
        **{u.email: "550 5.1.1 no such user" for u in unreachable.users},
        unreachable.contact_email: "550 5.1.1 no such user",
    }
    ids = announced(make_subprocessor, manager)
    env = settings(tmp_path, inbox)
    wait(flask(env, "send-mail"))
    by_client = {m.client_id: m for m in notice_messages()}
    answers = dict(
        db.session.execute(
            select(OutboxRecipient.address, OutboxRecipient.state).where(
                OutboxRecipient.outbox_id == by_client[told.id].id
            )
        ).all()
    )
    assert answers == {
        told.contact_email: "accepted",
        **{u.email: "accepted" for u in told.users if u.email not in ("bezet@example.be", "weg@example.be")},
        "bezet@example.be": "deferred",
        "weg@example.be": "refused",
    }
    assert by_client[told.id].state == "pending" and by_client[unreachable.id].state == "dead"
    notices = {n.client_id: n for n in db.session.scalars(select(Notice).where(Notice.id.in_(ids)))}
    assert notices[told.id].state == "open" and notices[told.id].delivered_at == by_client[told.id].sent_at
    assert notices[unreachable.id].state == "awaiting_delivery" and notices[unreachable.id].delivered_at is None
    # The server takes the busy mailbox later: the retry goes to it alone, with the same Message-ID.
    inbox.refuse.pop("bezet@example.be")
    time.sleep(1.5)  # the backoff (MAIL_RETRY_SECONDS = 1)
    wait(flask(env, "send-mail", "--until-empty"))
    assert inbox.envelopes[-1] == ["bezet@example.be"]
    assert Counter(inbox.ids())[by_client[told.id].message_id] == 2
    message = next(m for m in notice_messages() if m.client_id == told.id)
    assert message.state == "sent"
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxAcceptance).where(OutboxAcceptance.outbox_id == message.id)
        )
        == 2
    )


def test_a_550_among_200_good_messages(tmp_path, make_client, make_agreement, make_subprocessor, manager, inbox):
    """Point 2: each message on its own merits; one refusal does not cost the others an attempt."""
    bad = make_client(contact_email="niemand@example.be")  # its message comes first in the batch
    make_agreement("signed", client=bad)
    for user in bad.users:
        user.active = False
    db.session.commit()
    demo.seed_synthetic(200, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    inbox.refuse = {"niemand@example.be": "550 5.1.1 no such user"}
    announced(make_subprocessor, manager)
    wait(flask(settings(tmp_path, inbox), "send-mail", "--until-empty"), timeout=300)
    messages = notice_messages()
    refused = [m for m in messages if m.client_id == bad.id]
    good = [m for m in messages if m.client_id != bad.id]
    assert len(good) >= 200 and [(m.state, m.attempts) for m in refused] == [("dead", 1)]
    assert "550 5.1.1" in refused[0].last_error and "permanent refusal" in refused[0].last_error
    assert {(m.state, m.attempts) for m in good} == {("sent", 1)}
    assert (
        len(inbox.messages)
        == len(set(inbox.ids()))
        == len(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.state == "sent")).all())
    )


def test_two_senders_with_a_claim_shorter_than_a_batch(tmp_path, make_subprocessor, manager, inbox):
    """Point 3: a sender whose claim lapsed stops; no message arrives twice."""
    demo.seed_synthetic(30, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    announced(make_subprocessor, manager)
    env = settings(tmp_path, inbox, MAIL_CLAIM_SECONDS=2)
    inbox.delay = 0.25  # a slow server: one batch takes several claims' time
    first = flask(env, "send-mail", "--until-empty")
    time.sleep(3)
    second = flask(env, "send-mail", "--until-empty")
    wait(first, timeout=300)
    wait(second, timeout=300)
    wait(flask(env, "send-mail", "--until-empty"), timeout=300)
    counts = Counter(inbox.ids())
    assert counts and max(counts.values()) == 1, [mid for mid, n in counts.items() if n > 1]
    assert {m.state for m in notice_messages()} == {"sent"}
    assert len(counts) == db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_sigkill_between_acceptance_and_commit(tmp_path, make_subprocessor, manager, inbox):
    """Point 4: the one duplicate SMTP cannot avoid: same Message-ID, and the notice counts from what is known."""
    demo.seed_synthetic(5, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    ids = announced(make_subprocessor, manager)
    env = settings(tmp_path, inbox, MAIL_CLAIM_SECONDS=2)
    killed = []

    def kill_the_sender():  # the server has the message and is about to answer 250: the sender dies first
        if not killed:
            killed.append(True)
            os.kill(sender.pid, signal.SIGKILL)

    inbox.on_data = kill_the_sender
    sender = flask(env, "send-mail", "--until-empty")
    assert sender.wait(timeout=60) == -signal.SIGKILL
    inbox.on_data = None
    (first_id,) = inbox.ids()
    time.sleep(2.5)  # the dead sender's claim lapses
    wait(flask(env, "send-mail", "--until-empty"))
    counts = Counter(inbox.ids())
    assert counts.pop(first_id) == 2 and set(counts.values()) == {1}
    message = next(m for m in notice_messages() if m.message_id == first_id)
    (acceptance,) = db.session.scalars(select(OutboxAcceptance).where(OutboxAcceptance.outbox_id == message.id))
    notice = db.session.get(Notice, message.notice_id)
    assert message.state == "sent" and notice.delivered_at == notice.notified_at == acceptance.accepted_at
    assert settled_states(ids) == {"open": len(ids)}


def settled_states(ids) -> dict:
    db.session.expire_all()
    return dict(
        db.session.execute(select(Notice.state, func.count()).where(Notice.id.in_(ids)).group_by(Notice.state)).all()
    )


@pytest.mark.parametrize(
    "command", [["send-mail", "--until-empty"], ["scheduler", "--jobs", "send-mail", "--mail-seconds", "1"]]
)
def test_sigterm_finishes_the_message_in_hand_and_stops(tmp_path, make_subprocessor, manager, inbox, command):
    """Point 4: SIGTERM while the server holds its answer: the message is recorded, nothing more is sent."""
    demo.seed_synthetic(10, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    announced(make_subprocessor, manager)
    env = settings(tmp_path, inbox)
    stopped = []

    def stop_the_sender():
        if not stopped:
            stopped.append(True)
            os.kill(sender.pid, signal.SIGTERM)
            time.sleep(0.2)
            os.kill(sender.pid, signal.SIGTERM)  # an impatient second one changes nothing
            time.sleep(0.3)  # the answer comes after the signals

    inbox.on_data = stop_the_sender
    sender = flask(env, *command)
    assert sender.wait(timeout=60) == 0, output(sender)
    inbox.on_data = None
    messages = notice_messages()
    (first_id,) = inbox.ids()
    assert [m.state for m in messages if m.message_id == first_id] == ["sent"]
    rest = [m for m in messages if m.message_id != first_id]
    assert {(m.state, m.attempts, m.claim_token is None or m.claimed_until is None) for m in rest} == {
        ("pending", 0, True)
    }
    time.sleep(1.5)
    wait(flask(env, "send-mail", "--until-empty"))
    assert set(Counter(inbox.ids()).values()) == {1} and {m.state for m in notice_messages()} == {"sent"}


def lapsed() -> bool:
    """Tell whether every claim held (there are some) has lapsed."""
    db.session.rollback()  # a new transaction: now() is its start
    held, gone = db.session.execute(
        select(func.count(), func.count().filter(OutboxMessage.claimed_until < func.now())).where(
            OutboxMessage.state == "sending"
        )
    ).one()
    return held > 0 and held == gone


def test_a_sender_that_lost_its_claim_records_its_acceptance_beside_the_other(
    tmp_path, make_subprocessor, manager, inbox, login
):
    """Point 4: both acceptances of a message sent twice are recorded; the notice counts from the earliest."""
    demo.seed_synthetic(3, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    announced(make_subprocessor, manager)
    env = settings(tmp_path, inbox, MAIL_CLAIM_SECONDS=2, MAIL_TIMEOUT=20)
    inbox.delays = [8]  # well beyond the first sender's claim (2 s), within its timeout
    slow = flask(env, "send-mail")
    deadline = time.monotonic() + 30
    while not lapsed() and time.monotonic() < deadline:  # the first sender is waiting for the server's answer
        time.sleep(0.2)
    assert slow.poll() is None and lapsed()
    wait(flask(env, "send-mail", "--until-empty"))
    wait(slow)
    counts = Counter(inbox.ids())
    (twice,) = [mid for mid, n in counts.items() if n == 2]
    assert set(counts.values()) == {1, 2} and sum(counts.values()) == len(counts) + 1
    message = next(m for m in notice_messages() if m.message_id == twice)
    acceptances = db.session.scalars(
        select(OutboxAcceptance).where(OutboxAcceptance.outbox_id == message.id).order_by(OutboxAcceptance.accepted_at)
    ).all()
    assert len(acceptances) == 2 and acceptances[0].recipients == acceptances[1].recipients
    notice = db.session.get(Notice, message.notice_id)
    assert message.sent_at == notice.delivered_at == notice.notified_at == acceptances[0].accepted_at
    page = login(manager).get(f"/outbox/{message.id}").text
    assert "meer dan eens aanvaard" in page


def test_cancel_against_a_sweep_in_a_loop(tmp_path, make_subprocessor, manager, inbox):
    """Point 6: either the cancel wins and the change applies nowhere, or the apply wins and the cancel is refused."""
    demo.seed_synthetic(400, now=NOW)
    forget_agreement_copies()
    db.session.commit()
    env = settings(tmp_path, inbox)
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    results = Counter()
    for round_number in range(6):
        ids = announced(make_subprocessor, manager, name=f"Ronde {round_number} BV")
        change_id = db.session.scalar(select(Notice.change_id).where(Notice.id == ids[0]))
        db.session.execute(
            update(Notice)
            .where(Notice.id.in_(ids))
            .values(state="approved", notified_at=NOW, closes_at=NOW + timedelta(days=7), decided_at=NOW)
        )
        db.session.execute(update(Change).where(Change.id == change_id).values(effective_on=today))
        db.session.commit()
        sweeper = flask(env, "sweep")
        canceller = python(
            env,
            f"""
            from dpa_manager import clock
            from dpa_manager.accounts.models import User
            from dpa_manager.errors import Conflict
            from dpa_manager.extensions import db
            from dpa_manager.changes import services as changes
            from dpa_manager.subprocessors import services as register
            from dpa_manager.subprocessors.models import Change
            try:
                changes.cancel(db.session.get(Change, {change_id}), actor=db.session.get(User, {manager.id}),
                                now=clock.now())
                db.session.commit()
                print("outcome: cancelled")
            except Conflict as refusal:
                print("outcome: refused:", refusal)
            """,
        )
        wait(sweeper)
        wait(canceller)
        said = output(canceller)
        db.session.expire_all()
        state = db.session.get(Change, change_id).state
        applied = db.session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.change_id == change_id, Notice.applied_at.is_not(None))
        )
        if state == "cancelled":
            assert "outcome: cancelled" in said and applied == 0, f"cancelled, yet in effect for {applied} clients"
        else:
            assert "outcome: refused" in said and applied == len(ids), said
        results[state] += 1
    assert sum(results.values()) == 6


def test_two_countersignatures_at_once_in_two_processes(tmp_path, make_agreement, make_client, manager, inbox):
    """Point 7: one signed agreement per client, whatever the timing."""
    client = make_client()
    env = settings(tmp_path, inbox)
    for _ in range(3):
        pair = [make_agreement("client_signed", client=client).id for _ in range(2)]
        start = time.time() + 3  # both processes are up by then; they countersign at the same instant
        signers = [
            python(
                env,
                f"""
            import time
            from dpa_manager import clock
            from dpa_manager.accounts.models import User
            from dpa_manager.agreements import services
            from dpa_manager.agreements.models import Agreement
            from dpa_manager.extensions import db
            from dpa_manager.errors import ServiceError
            agreement, user = db.session.get(Agreement, {agreement_id}), db.session.get(User, {manager.id})
            time.sleep(max(0, {start} - time.time()))
            try:
                services.countersign(agreement, user=user, full_name="An Manager", role="Accountmanager",
                                     now=clock.now())
                db.session.commit()  # as the request would
                print("outcome: signed")
            except ServiceError as refusal:
                print("outcome: refused:", refusal)
            """,
            )
            for agreement_id in pair
        ]
        for signer in signers:
            wait(signer)
        db.session.expire_all()
        signed = db.session.scalars(
            select(Agreement.id).where(Agreement.client_id == client.id, Agreement.state == "signed")
        ).all()
        assert len(signed) == 1 and signed[0] in pair, [output(s) for s in signers]
