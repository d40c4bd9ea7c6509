"""Serving: /healthz, and gunicorn with several workers as `make serve` runs it."""

import http.client
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import update

from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxMessage

from . import pki
from .conftest import NOW, free_port


def test_healthz_reports_database_and_outbox(http, make_agreement, make_subprocessor, manager):
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"]["ok"] is True
    assert response.json["outbox"] == {
        "pending": 0,
        "sent": 0,
        "dead": 0,
        "refused_recipients": 0,
        "oldest_pending_seconds": 0,
    }
    from datetime import date

    from dpa_manager.changes import services as changes

    make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    changes.announce(change, actor=manager, now=NOW)
    with time_machine.travel(NOW + timedelta(hours=1)):
        lagging = http.get("/healthz").json
    assert lagging["status"] == "degraded" and lagging["outbox"]["pending"] == 1  # pending since NOW, long ago
    db.session.execute(update(OutboxMessage).values(state="dead"))
    db.session.commit()
    dead = http.get("/healthz").json
    assert dead["status"] == "degraded" and dead["outbox"]["dead"] == 1
    # A message accepted for some addresses and refused for good for another is degraded too.
    from dpa_manager.mail.models import OutboxRecipient

    (message,) = db.session.query(OutboxMessage).all()
    message.state = "sent"
    db.session.add(
        OutboxRecipient(
            outbox_id=message.id,
            address="weg@example.be",
            state="refused",
            reply="550 5.1.1 no such user",
            updated_at=NOW,
        )
    )
    db.session.commit()
    refused = http.get("/healthz").json
    assert refused["status"] == "degraded" and refused["outbox"]["refused_recipients"] == 1
    # A message no longer to be sent (its notice answered meanwhile) is nobody's worry.
    message.state = "cancelled"
    db.session.commit()
    assert http.get("/healthz").json["outbox"]["refused_recipients"] == 0


@pytest.mark.wallclock
def test_gunicorn_serves_the_app_with_several_workers(tmp_path):
    env = (
        os.environ
        | {
            "DPA_INSTANCE_PATH": str(tmp_path),
            "DPA_ENV": "production",
            "SECRET_KEY": "a-long-random-secret-for-this-test-only-0123456789",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
            "DPA_TEST_DATABASE_URL": "",
        }
        | pki.seal_config()
    )
    flask = [sys.executable, "-m", "flask", "--app", "dpa_manager"]
    subprocess.run(flask + ["db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w+")
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "-c",
            "python:dpa_manager.gunicorn_conf",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(tmp_path / "access.log"),
            "dpa_manager:create_app()",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None and '"status"' in body, log.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert response.status == 200 and "Aanmelden" in response.read().decode()
            cookie = response.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
        # gunicorn reads a chunked body (it has no Content-Length): the text check reads it too, before the token is
        # asked for. A clean body gets as far as the token (401); one with an escaped NUL is refused first (400).
        for body, status in ((b'{"name": "ok"}', 401), (b'{"name": "a\\u0000b"}', 400)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request(
                "POST",
                "/api/v1/subprocessors",
                body=iter([body[:5], body[5:]]),
                headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                encode_chunked=True,
            )
            assert connection.getresponse().status == status, body
            connection.close()
        # Secret links reach the access log cut short, whatever their answer.
        secret = "Zq9SecretPartOfTheLink0123456789"
        for path in (f"/feeds/{secret}/subprocessors.atom", f"/invite/{secret}", f"/n/{secret}"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).close()
            except urllib.error.HTTPError as refused:
                assert refused.code == 404, path
        for _ in range(50):  # gunicorn writes the access log after the answer
            access = (tmp_path / "access.log").read_text()
            if access.count("Zq9S…") == 3:
                break
            time.sleep(0.1)
        assert access.count("Zq9S…") == 3 and secret not in access, access
        log.seek(0)
        frozen = "objects of the app frozen for the garbage collector"
        for _ in range(100):  # the second worker may still be starting
            log.seek(0)
            booted = log.read()
            if booted.count(frozen) == 2:
                break
            time.sleep(0.1)
        assert booted.count("Booting worker") == 2
        assert booted.count(frozen) == 2, booted
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = os.environ | {
        "DPA_INSTANCE_PATH": str(tmp_path),
        "DPA_ENV": "production",
        "SECRET_KEY": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
    }
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "dpa_manager", "db", "current"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
