"""The browser the e2e tests drive: Debian's Chromium, through Playwright."""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        # Chromium hangs under libfaketime (the suite's run at a date ahead): it runs on the real clock.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, env=env)
        yield chromium
        chromium.close()
