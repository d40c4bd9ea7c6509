"""A manager enrols a security key and an app, and signs in with each, in a real browser: Debian's Chromium with its
virtual authenticator (the DevTools WebAuthn domain) standing in for the key, and the page's own script."""

import re

import pyotp
import pytest

from .conftest import Looks
from .test_story import login, serve

pytestmark = [pytest.mark.e2e, pytest.mark.wallclock]


@pytest.fixture
def live_on_localhost(tmp_path):
    """WebAuthn needs a domain name: the site is served as http://localhost (a secure context for browsers)."""
    yield from serve(tmp_path, host="localhost", MFA_REQUIRED_FOR_MANAGERS=True)


def test_a_manager_enrols_a_key_and_an_app_and_signs_in_with_each(live_on_localhost, browser):
    url = live_on_localhost["url"]
    shots = Looks()
    context = browser.new_context(locale="nl-BE")
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    login(page, url, "manager@contactexpert.be", "e2e-manager-pass")
    page.wait_for_url(re.compile(r".*/account/tweede-factor$"))  # a manager without one is sent to enrol
    assert "Als manager hebt u een tweede factor nodig" in page.content()
    shots(page, "mfa-required")
    page.fill("#name", "Virtuele sleutel")
    page.click("button[data-webauthn=register]")
    page.wait_for_url(re.compile(r".*/nieuwe-codes$"))
    codes = page.locator("ul.codes li").all_inner_texts()
    assert len(codes) == 10
    shots(page, "mfa-recovery-codes")
    page.click("text=Ik heb ze bewaard")
    assert "Virtuele sleutel" in page.content()
    # The app too: read the secret from the page, as one types it into an app.
    page.click("text=App instellen")
    secret = page.locator("code.mono").inner_text().replace(" ", "")
    shots(page, "mfa-app")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    assert "De app is ingesteld. Uw herstelcodes blijven dezelfde." in page.content()
    # Sign out, and in again with the key.
    page.click("button:has-text('Afmelden')")
    login(page, url, "manager@contactexpert.be", "e2e-manager-pass")
    page.wait_for_url(re.compile(r".*/login/tweede-stap$"))
    shots(page, "mfa-second-step")
    page.click("button[data-webauthn=login]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    # And with a recovery code, in a fresh browser.
    other = browser.new_context(locale="nl-BE").new_page()
    login(other, url, "manager@contactexpert.be", "e2e-manager-pass")
    other.wait_for_url(re.compile(r".*/login/tweede-stap$"))
    other.fill("#code", codes[0])
    other.click("main form button[type=submit]")
    other.wait_for_url(re.compile(r".*/dashboard$"))
    shots.assert_clean()
