"""The browser the e2e tests drive: Debian's Chromium, through Playwright."""

import os
import shutil
from pathlib import Path

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


#: axe-core, as `make test` installs it from npm (package.json).
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
#: The WCAG 2.1 rules at levels A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The widths every page is looked at: a desktop and a phone.
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}


def problems(page) -> list[str]:
    """What is wrong with the page as shown: axe-core's WCAG 2.1 A and AA violations (loaded into the page by the
    test's own evaluation, which the page's Content-Security-Policy does not govern), and a page wider than the
    window (horizontal scrolling)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations.map("
        "v => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))",
        WCAG,
    )
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        # the innermost elements that reach past the window's right edge, to say what to fix
        wide = page.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
            "window.innerWidth + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth "
            "+ 1)).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + "
            "String(e.className).split(' ').join('.') : ''))"
        )
        found.append(f"the page is {width[0]} px wide in a window of {width[1]} px: {', '.join(wide)}")
    return found


class Looks:
    """Looks at a page as its users will, at desktop and at phone width: a screenshot of each (kept in
    E2E_SCREENSHOTS, default screenshots/e2e/), and problems() at each. Failures are gathered and asserted at the
    end, so that one run lists them all."""

    def __init__(self):
        self.folder = Path(os.environ.get("E2E_SCREENSHOTS", "screenshots/e2e"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n = 0
        self.found: list[str] = []

    def __call__(self, page, name):
        self.n += 1
        before = page.viewport_size
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            self.found += [f"{name} ({label}, {page.url}): {p}" for p in problems(page)]
            page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}-{label}.png"), full_page=True)
        page.set_viewport_size(before)

    def assert_clean(self):
        assert not self.found, "\n".join(self.found)
