"""Production on PostgreSQL: many processes at once, processes killed, mail and database going away."""
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update

from dpa_manager import demo, rules
from dpa_manager.audit import AuditEvent, verify
from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register

from .conftest import NOW, TEST_DATABASE_URL, free_port

pytestmark = pytest.mark.postgres


def environment(tmp_path, mail_port: int) -> dict:
    """The environment of a dpa_manager process on the test database and the test mail server."""
    (tmp_path / "config.py").write_text("MAIL_RETRY_SECONDS = 1\nMAIL_RETRY_MAX_SECONDS = 2\nMAIL_TIMEOUT = 5\n"
                                        "MAIL_CLAIM_SECONDS = 30\n")
    return os.environ | {"DATABASE_URL": TEST_DATABASE_URL, "SECRET_KEY": "process-test-secret",
                         "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port), "DPA_INSTANCE_PATH": str(tmp_path),
                         "DPA_TEST_DATABASE_URL": ""}


def flask(env, *args) -> subprocess.Popen:
    """Start a `flask dpa ...` process; its output goes to a file (a full pipe would block it)."""
    log = open(os.path.join(env["DPA_INSTANCE_PATH"], f"process-{time.monotonic_ns()}.log"), "w+")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "dpa_manager", "dpa", *args], env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log = log
    return process


def output(process) -> str:
    process.log.seek(0)
    return process.log.read()[-3000:]


def due_notices(make_subprocessor, manager, count: int) -> list[int]:
    """`count` signed clients with an open notice whose window closed; their notice e-mails already sent."""
    demo.seed_synthetic(count, now=NOW)
    sp = make_subprocessor()
    change = register.create_change(kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15),
                                    reason="Nieuw platform", actor=manager, now=NOW)
    ids = register.announce(change, actor=manager, now=NOW)
    notified = NOW - timedelta(days=20)
    db.session.execute(update(Notice).values(
        state="open", notified_at=notified, delivered_at=notified,
        closes_at=rules.objection_closes_at(notified, 7, "calendar")))
    db.session.execute(update(OutboxMessage).values(state="sent", sent_at=notified))
    db.session.commit()
    return ids


def settled(ids) -> dict:
    db.session.expire_all()
    return dict(db.session.execute(select(Notice.state, func.count()).where(Notice.id.in_(ids))
                                   .group_by(Notice.state)).all())


def outcomes() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "outcome"))


def test_eight_sweepers_and_four_senders_at_once(tmp_path, make_subprocessor, manager, inbox):
    ids = due_notices(make_subprocessor, manager, 2000)
    env = environment(tmp_path, inbox.port)
    sweepers = [flask(env, "sweep") for _ in range(8)]
    senders = [flask(env, "send-mail", "--until-empty") for _ in range(4)]
    for process in sweepers:
        assert process.wait(timeout=300) == 0, output(process)
    for process in senders:
        assert process.wait(timeout=300) == 0, output(process)
    # senders that started before the sweepers made the outcome e-mails may have finished early
    assert flask(env, "send-mail", "--until-empty").wait(timeout=300) == 0
    assert settled(ids) == {"deemed_approved": len(ids)}
    assert outcomes() == len(ids)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "deemed_approved"))
    assert events == len(ids)
    delivered = [m for m in inbox.messages if m["Message-ID"].startswith("<dpa.outcome.")]
    assert len(delivered) == len(ids) and len({m["Message-ID"] for m in delivered}) == len(ids)
    assert verify().ok


def test_scheduler_killed_during_the_sweep(tmp_path, make_subprocessor, manager, inbox):
    ids = due_notices(make_subprocessor, manager, 5000)
    env = environment(tmp_path, inbox.port)
    rng = random.Random(20261121)
    kills = 0
    deadline = time.monotonic() + 240
    while settled(ids).get("open", 0) and time.monotonic() < deadline:
        process = flask(env, "scheduler", "--jobs", "sweep", "--sweep-seconds", "1")
        time.sleep(rng.uniform(0.8, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
    assert kills >= 1
    assert settled(ids) == {"deemed_approved": len(ids)}
    assert outcomes() == len(ids)
    assert flask(env, "send-mail", "--until-empty").wait(timeout=300) == 0
    delivered = [m for m in inbox.messages if m["Message-ID"].startswith("<dpa.outcome.")]
    assert len(delivered) == len(ids) and len({m["Message-ID"] for m in delivered}) == len(ids)
    assert verify().ok


def test_mail_server_down_first_and_back_later(tmp_path, make_subprocessor, manager, inbox):
    ids = due_notices(make_subprocessor, manager, 300)
    inbox.stop()
    env = environment(tmp_path, inbox.port)
    scheduler = flask(env, "scheduler", "--sweep-seconds", "1", "--mail-seconds", "1")
    try:
        time.sleep(6)
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.state == "sent", OutboxMessage.template == "outcome")) == 0
        assert db.session.scalar(select(func.max(OutboxMessage.attempts))) >= 1
        inbox.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.state != "sent")) == 0:
                break
            time.sleep(1)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)
    delivered = [m for m in inbox.messages if m["Message-ID"].startswith("<dpa.outcome.")]
    assert len(delivered) == len(ids) and len({m["Message-ID"] for m in delivered}) == len(ids)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state == "dead")) == 0
