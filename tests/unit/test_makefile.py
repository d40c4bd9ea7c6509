"""`make run` tells the app where it serves: links in e-mails and feed URLs follow its port and host."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned(*args: str, env: dict | None = None) -> str:
    """What `make run` would run, without running it."""
    result = subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("BASE_URL", "MAIL_PORT")} | (env or {}),
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    ("args", "base_url", "mail_port"),
    [
        ((), "http://127.0.0.1:5000", "8025"),
        (("PORT=5101",), "http://127.0.0.1:5101", "8025"),
        (("HOST=0.0.0.0", "PORT=8000", "MAIL_PORT=2600"), "http://127.0.0.1:8000", "2600"),
        (("HOST=localhost",), "http://localhost:5000", "8025"),
    ],
)
def test_links_follow_the_address_make_run_serves_on(args, base_url, mail_port):
    plan = planned(*args)
    assert f"export BASE_URL='{base_url}' MAIL_PORT='{mail_port}'" in plan
    assert re.search(rf"dev-mail-server --port {mail_port} ", plan)


def test_a_base_url_given_in_the_environment_wins():
    assert "export BASE_URL='https://dpa.example.be'" in planned(env={"BASE_URL": "https://dpa.example.be"})
