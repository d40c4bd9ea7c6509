"""`make run` as a new user starts it, on ports of its own: a manager announces a change in the browser, the
development mail server keeps the notice e-mail, and the client follows its links, which lead to the port `make
run` serves on, through the login to the notice, at phone width."""

import os
import re
import signal
import subprocess
import time
import urllib.request
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from ..conftest import free_port
from .conftest import Looks

ROOT = Path(__file__).resolve().parents[3]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"waited {seconds} s for {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def mail_to(folder: Path, address: str, containing: str):
    """The first message kept by the development mail server to `address` whose text contains `containing`."""
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        if address in str(message["To"]) and containing in text:
            return text
    return None


@pytest.fixture
def make_run(tmp_path):
    """`make run PORT=… MAIL_PORT=…` with its own instance folder (its SQLite database, its mail folder); stopped
    with its mail server and scheduler at the end."""
    port, mail_port = free_port(), free_port()
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BASE_URL", "MAIL_PORT", "SECRET_KEY")}
    env |= {"DPA_INSTANCE_PATH": str(instance)}
    log = (tmp_path / "make-run.log").open("wb")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"MAIL_PORT={mail_port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/login") or process.poll() is not None, 180, "make run")
        assert process.poll() is None, (tmp_path / "make-run.log").read_text()
        yield port, instance
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.mark.wallclock
def test_e_mail_links_lead_to_the_port_make_run_serves_on(make_run, browser):
    port, instance = make_run
    url = f"http://127.0.0.1:{port}"
    shot = Looks()

    manager = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE").new_page()
    manager.goto(f"{url}/login")
    manager.fill("input[name=email]", "manager@contactexpert.be")
    manager.fill("input[name=password]", "demo-manager-2026")
    manager.click("main button[type=submit]")
    manager.wait_for_url(re.compile(r".*/dashboard"))
    manager.goto(f"{url}/changes/new")
    voicecloud = manager.eval_on_selector(
        "select[name=subprocessor_id]", "s => [...s.options].find(o => o.text.includes('VoiceCloud')).value"
    )
    manager.select_option("select[name=subprocessor_id]", value=voicecloud)
    manager.fill("input[name=effective_on]", (date.today() + timedelta(days=45)).isoformat())
    manager.fill("textarea[name=reason]", "Automatische transcriptie voor een snellere opvolging")
    manager.click("main form button.primary")
    manager.wait_for_url(re.compile(r".*/changes/\d+$"))
    assert "Wie de melding krijgt" in manager.content() and "Brouwerij De Klok BV" in manager.content()
    shot(manager, "make-run-draft-change")
    change_url = manager.url
    manager.goto(f"{change_url}/preview/fr")
    assert "Madame, Monsieur," in manager.content() or "Chère Madame" in manager.content()
    shot(manager, "make-run-change-preview-fr")
    manager.goto(change_url)
    manager.check("form.confirm input[name=confirm]")
    manager.click("form.confirm button.primary")
    manager.wait_for_load_state()
    assert "Aangekondigd" in manager.content()

    # the scheduler `make run` started sends it; the development mail server keeps it under instance/mail/
    text = wait_for(lambda: mail_to(instance / "mail", "els@deklok.example", "/portal/notices/"), 60, "the notice")
    portal_link = re.search(r"http://\S+/portal/notices/\d+", text).group(0)
    direct_link = re.search(r"http://\S+/n/\S+", text).group(0)
    assert portal_link.startswith(f"{url}/") and direct_link.startswith(f"{url}/")

    client = browser.new_context(viewport={"width": 360, "height": 780}, locale="nl-BE").new_page()
    client.goto(portal_link)  # not signed in: the login, which leads back to the notice
    assert "/login" in client.url
    client.fill("input[name=email]", "els@deklok.example")
    client.fill("input[name=password]", "demo-deklok-2026")
    client.click("main button[type=submit]")
    client.wait_for_url(re.compile(r".*/portal/notices/\d+$"))
    assert "VoiceCloud Inc." in client.content()
    shot(client, "make-run-notice-from-e-mail")

    stranger = browser.new_context(viewport={"width": 360, "height": 780}, locale="nl-BE").new_page()
    stranger.goto(direct_link)  # the signed link of the e-mail: a GET only asks, the button opens the notice once
    shot(stranger, "make-run-signed-link")
    stranger.click("main button.primary")
    stranger.wait_for_load_state()
    assert "VoiceCloud Inc." in stranger.content()
    shot(stranger, "make-run-notice-by-signed-link")
    shot.assert_clean()
