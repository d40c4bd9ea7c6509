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
from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices.models import Notice

from . import pki
from .conftest import NOW, TEST_DATABASE_URL, forget_agreement_copies, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.wallclock]


def environment(tmp_path, mail_port: int) -> dict:
    """The environment of a dpa_manager process on the test database and the test mail server."""
    (tmp_path / "config.py").write_text(
        "MAIL_RETRY_SECONDS = 1\nMAIL_RETRY_MAX_SECONDS = 2\nMAIL_TIMEOUT = 5\nMAIL_CLAIM_SECONDS = 30\n"
    )
    return (
        os.environ
        | {
            "DATABASE_URL": TEST_DATABASE_URL,
            "SECRET_KEY": "process-test-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "DPA_INSTANCE_PATH": str(tmp_path),
            "DPA_TEST_DATABASE_URL": "",
        }
        | pki.seal_config()
    )


def flask(env, *args) -> subprocess.Popen:
    """Start a `flask dpa ...` process; its output goes to a file (a full pipe would block it)."""
    log = open(os.path.join(env["DPA_INSTANCE_PATH"], f"process-{time.monotonic_ns()}.log"), "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "dpa_manager", "dpa", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log = log
    return process


def started(process, timeout: float = 60) -> None:
    """Wait until a scheduler process has built its app and started its jobs (its first log line)."""
    deadline = time.monotonic() + timeout
    while "scheduler: sweep every" not in output(process):
        assert process.poll() is None and time.monotonic() < deadline, output(process)
        time.sleep(0.05)


def output(process) -> str:
    process.log.seek(0)
    return process.log.read()[-3000:]


def due_notices(make_subprocessor, manager, count: int) -> list[int]:
    """`count` signed clients with an open notice whose window closed; their notice e-mails already sent."""
    demo.seed_synthetic(count, now=NOW)
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
    notified = NOW - timedelta(days=20)
    db.session.execute(
        update(Notice).values(
            state="open",
            notified_at=notified,
            delivered_at=notified,
            closes_at=rules.objection_closes_at(notified, 7, "calendar"),
        )
    )
    db.session.execute(update(OutboxMessage).values(state="sent", sent_at=notified))
    db.session.commit()
    return ids


def settled(ids) -> dict:
    db.session.expire_all()
    return dict(
        db.session.execute(select(Notice.state, func.count()).where(Notice.id.in_(ids)).group_by(Notice.state)).all()
    )


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
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "deemed_approved")
    )
    assert events == len(ids)
    delivered = [m for m in inbox.messages if m["Message-ID"].startswith("<dpa.outcome.")]
    assert len(delivered) == len(ids) and len({m["Message-ID"] for m in delivered}) == len(ids)
    assert verify().ok


def test_scheduler_killed_during_the_sweep(tmp_path, make_subprocessor, manager, inbox):
    ids = due_notices(make_subprocessor, manager, 5000)
    env = environment(tmp_path, inbox.port)
    rng = random.Random(20261121)
    kills = 0
    # A sweep of 5,000 takes about a second on an idle machine and several on a busy one: kill within 0.6 s at
    # first, and give each run that settled nothing more time, so that kills land before, during and after the
    # commit whatever the machine's load.
    longest = 0.6
    deadline = time.monotonic() + 240
    while (still_open := settled(ids).get("open", 0)) and time.monotonic() < deadline:
        process = flask(env, "scheduler", "--jobs", "sweep", "--sweep-seconds", "1")
        started(process)  # the app takes seconds to start on a busy machine: kill it while it sweeps, not before
        time.sleep(rng.uniform(0.05, longest))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        if settled(ids).get("open", 0) == still_open:
            longest *= 1.5
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
        started(scheduler)
        deadline = time.monotonic() + 60  # the sweep writes the outcome e-mails, then a sender tries them
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.scalar(select(func.max(OutboxMessage.attempts))):
                break
            time.sleep(0.5)
        db.session.expire_all()
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == "sent", OutboxMessage.template == "outcome")
            )
            == 0
        )
        assert db.session.scalar(select(func.max(OutboxMessage.attempts))) >= 1
        inbox.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db.session.expire_all()
            if (
                db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent"))
                == 0
            ):
                break
            time.sleep(1)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)
    delivered = [m for m in inbox.messages if m["Message-ID"].startswith("<dpa.outcome.")]
    assert len(delivered) == len(ids) and len({m["Message-ID"] for m in delivered}) == len(ids)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "dead")) == 0


class TcpProxy:
    """A TCP proxy in front of PostgreSQL that the test can cut and restore, like a database restart."""

    def __init__(self, target_port: int):
        import socket
        import threading

        self.socket_mod, self.threading = socket, threading
        self.port, self.target_port = free_port(), target_port
        self.connections, self.listener = [], None

    def start(self):
        s = self.socket_mod.socket()
        s.setsockopt(self.socket_mod.SOL_SOCKET, self.socket_mod.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(50)
        self.listener = s
        self.threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = self.socket_mod.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self.threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def stop(self):
        """Refuse new connections and cut every open one."""
        try:
            self.listener.shutdown(self.socket_mod.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()
        for s in self.connections:
            try:
                s.shutdown(self.socket_mod.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.connections = []


def test_the_web_app_survives_the_database_going_away(tmp_path, make_agreement, manager):
    from sqlalchemy.engine import make_url

    from dpa_manager import create_app

    from .conftest import PASSWORD, FreshClient

    make_agreement("signed")
    url = make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(url.port or 5432)
    proxy.start()
    app = create_app(
        {
            "SECRET_KEY": "proxy-test-secret",
            "WTF_CSRF_ENABLED": False,
            "MFA_REQUIRED_FOR_MANAGERS": False,  # the test is about the database, not the login
            "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
        }
    )
    app.test_client_class = FreshClient
    web = app.test_client()
    try:
        assert web.get("/healthz").json["status"] in ("ok", "degraded")
        assert web.post("/login", data={"email": manager.email, "password": PASSWORD}).status_code == 302
        assert web.get("/dashboard").status_code == 200

        proxy.stop()  # the database is gone: connections cut, new ones refused
        page = web.get("/dashboard")
        assert page.status_code == 503 and "Even niet bereikbaar" in page.text
        assert "Traceback" not in page.text and "psycopg" not in page.text
        health = web.get("/healthz")
        assert health.status_code == 503 and health.json == {
            "status": "down",
            "database": {"ok": False, "error": health.json["database"]["error"]},
        }
        api = web.get("/api/v1/clients", headers={"Authorization": "Bearer dpa_x"})
        assert api.status_code == 503 and api.json["error"]

        proxy.start()  # back: the app recovers by itself
        assert web.get("/dashboard").status_code == 200
        assert web.get("/healthz").status_code == 200
    finally:
        proxy.stop()
        with app.app_context():
            db.engine.dispose()


def test_dropped_connections_are_not_even_noticed(make_agreement, manager):
    from dpa_manager import create_app

    from .conftest import PASSWORD, FreshClient

    make_agreement("signed")
    app = create_app(
        {
            "SECRET_KEY": "drop-test-secret",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
            "MFA_REQUIRED_FOR_MANAGERS": False,  # the test is about the database, not the login
            # the web app's connections, told apart from any other (a process of an earlier test may still be going)
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"application_name": "dpa-drop-test"}},
        }
    )
    app.test_client_class = FreshClient
    web = app.test_client()
    try:
        web.post("/login", data={"email": manager.email, "password": PASSWORD})
        assert web.get("/dashboard").status_code == 200
        others = (
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND application_name = 'dpa-drop-test'"
        )
        assert db.session.scalar(text(f"SELECT count(*) {others}"))  # the web app holds a connection
        # On a busy machine a backend may take a while to act on the signal: it is sent again until all are gone.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and db.session.scalar(text(f"SELECT count(*) {others}")):
            db.session.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
            db.session.commit()
            time.sleep(0.2)
        assert not db.session.scalar(text(f"SELECT count(*) {others}"))
        assert web.get("/dashboard").status_code == 200  # the pool's pre-ping replaced the dead connection
    finally:
        with app.app_context():
            db.engine.dispose()


def test_audit_verify_beside_a_working_scheduler(tmp_path, make_subprocessor, manager, inbox):
    """audit-verify reads the head first and checks the chain up to it: events appended meanwhile are not 'missing'."""
    ids = due_notices(make_subprocessor, manager, 12000)
    env = environment(tmp_path, inbox.port)
    # Sweepers append thousands of events per batch while the checks read a chain of more than 12,000.
    sweepers = [flask(env, "sweep") for _ in range(3)]
    checks = []
    while any(p.poll() is None for p in sweepers) and len(checks) < 20:
        check = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "dpa_manager", "dpa", "audit-verify"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        checks.append((check.returncode, check.stdout + check.stderr))
    for process in sweepers:
        assert process.wait(timeout=300) == 0, output(process)
    assert checks, "the sweep ended before a check could run"
    assert all(code == 0 for code, _ in checks), checks
    assert settled(ids) == {"deemed_approved": len(ids)} and verify().ok


def test_audit_verify_ignores_events_committed_after_it_read_the_head(setup, manager):
    """An event committed by another process while the check reads the chain is left for the next check."""
    from sqlalchemy import event as sa_event

    from dpa_manager import audit

    for n in range(3):
        audit.record(at=NOW, actor=manager, object_type="test", object_id=n, action="made")
    db.session.commit()
    head_before = db.session.scalar(select(audit.AuditHead.seq))
    appended = []

    def append_once(conn, cursor, statement, parameters, context, executemany):
        if appended or "FROM audit_events" not in statement:
            return
        appended.append(True)
        with db.engine.begin() as other:  # another process appends an event and moves the head
            head = other.execute(text("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")).scalar()
            other.execute(
                text(
                    "INSERT INTO audit_events (seq, at, actor_label, object_type, action, prev_hash, hash) "
                    "VALUES (:seq, now(), 'x', 'test', 'made', 'p', 'h')"
                ),
                {"seq": head},
            )

    sa_event.listen(db.engine, "after_cursor_execute", append_once)
    try:
        result = audit.verify(chunk=2)
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", append_once)
    assert appended and result.ok and result.checked == head_before, result  # the chain up to the head it read first


def test_the_bounce_server_process_and_two_senders_of_the_same_bounce(
    app, tmp_path, make_agreement, make_subprocessor, manager, inbox
):
    """`dpa bounce-server` as a process of its own: two mail servers hand it the same bounce at once (a retry after
    a lost reply); it is recorded once and the notice moves once."""
    import smtplib
    import threading

    from dpa_manager.mail import bounces
    from dpa_manager.mail.models import MailBounce

    from .test_bounces import ACCEPTED, dsn, events, notice_mail

    make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    from dpa_manager.jobs import drain

    drain(now=lambda: ACCEPTED)
    message = notice_mail(notice_id)
    env = environment(tmp_path, inbox.port) | {"BOUNCE_ADDRESS": app.config["BOUNCE_ADDRESS"]}
    app.config["SECRET_KEY"] = env["SECRET_KEY"]  # the return path as the process signs it
    path = bounces.return_path(message.id)
    raw = dsn(path, [(a, "failed", "5.1.1") for a in message.recipients])
    db.session.commit()
    port = free_port()
    server = flask(env, "bounce-server", "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        while "Bounce-server op" not in output(server):
            assert server.poll() is None and time.monotonic() < deadline, output(server)
            time.sleep(0.05)
        answers = []

        def hand_over():
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                answers.append(smtp.sendmail("<>", [path], raw))

        threads = [threading.Thread(target=hand_over) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert answers == [{}, {}], output(server)  # both accepted (250): the second finds it recorded
    finally:
        server.terminate()
        server.wait(30)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MailBounce)) == 1
    assert db.session.get(Notice, notice_id).state == "awaiting_delivery"
    assert len(events("delivery_failed", notice_id)) == 1
