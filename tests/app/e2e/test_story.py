"""The whole story in a real browser: Debian's Chromium driven by Playwright against a live server.

Every page the story shows is looked at on a desktop and on a phone (conftest.Looks): a screenshot of each, kept
in E2E_SCREENSHOTS (default: screenshots/e2e/), axe-core's WCAG 2.1 A and AA rules, and no horizontal scrolling.
"""

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from dpa_manager import create_app, jobs
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.notices.models import Notice

from ..conftest import Inbox, free_port
from .conftest import Looks

pytestmark = [pytest.mark.e2e, pytest.mark.wallclock]


@pytest.fixture
def live(tmp_path):
    """The app on a SQLite file, served by a real HTTP server in a thread, with a real SMTP server. The story's
    manager signs in with a password alone; test_second_factor.py signs in with a second factor."""
    yield from serve(tmp_path, MFA_REQUIRED_FOR_MANAGERS=False)


def serve(tmp_path, host="127.0.0.1", **config):
    """Serve the app as `live` does, on `host` (a name for pages that need one, such as WebAuthn's)."""
    inbox = Inbox()
    inbox.start()
    port = free_port()
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.sqlite'}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": inbox.port,
            "BASE_URL": f"http://{host}:{port}",
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
        | config
    )
    with app.app_context():
        db.create_all()
        from dpa_manager import clock
        from dpa_manager.accounts.services import create_user
        from dpa_manager.demo import PROFILE, SERVICES
        from dpa_manager.processor.services import add_service, save_profile
        from dpa_manager.terms.services import load_default_terms

        now = clock.now()
        load_default_terms(now=now)
        save_profile(PROFILE, actor=None, now=now)
        for code, name in SERVICES:
            add_service(code, name, actor=None, now=now)
        create_user(
            email="manager@contactexpert.be",
            password="e2e-manager-pass",
            role="manager",
            client_id=None,
            full_name="An Peeters",
            now=now,
        )
        db.session.commit()  # the server's threads read it through their own sessions
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield {"app": app, "url": f"http://{host}:{port}", "inbox": inbox}
        server.shutdown()
        db.session.remove()
        db.engine.dispose()
    inbox.stop()


def login(page, url, email, password):
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def deliver(live):
    """The outbox job, as the scheduler runs it."""
    from dpa_manager import clock

    drain(now=clock.now)


def link_in(message, pattern):
    text = message.get_body(("plain",)).get_content()
    return re.search(pattern, text).group(0)


def make_silent_client(live):
    """A second client with a signed agreement, who will say nothing."""
    from dpa_manager import clock
    from dpa_manager.accounts.services import create_user, find_user
    from dpa_manager.agreements import services as agreements
    from dpa_manager.clients.services import create_client
    from dpa_manager.demo import TOMS, with_check_digits
    from dpa_manager.processor.models import Service

    now = clock.now()
    client = create_client(
        {
            "name": "Stille Klant NV",
            "enterprise_number": with_check_digits(5_555_555),
            "address": "Kaai 1\n2000 Antwerpen",
            "language": "nl",
            "contact_email": "privacy@stille.example",
        },
        actor=None,
        now=now,
    )
    manager = find_user("manager@contactexpert.be")
    user = create_user(
        email="jan@stille.example",
        password="stille-klant-pass",
        role="client",
        client_id=client.id,
        full_name="Jan Stil",
        now=now,
    )
    values = agreements.draft_defaults(now.date()) | {
        "subject_matter": "Klantendienst",
        "starts_on": now.date(),
        "ends_on": None,
        "nature_purpose": "Oproepen",
        "data_types": ["contact"],
        "data_types_detail": "",
        "data_subjects": ["customers"],
        "data_subjects_detail": "",
        "special_categories": False,
        "toms": TOMS,
    }
    service = db.session.scalar(select(Service.id).where(Service.code == "klantendienst"))
    agreement = agreements.create_draft(client, values, [service], actor=manager, now=now)
    agreements.send(agreement, actor=manager, now=now)
    agreements.client_sign(agreement, user=user, full_name="Jan Stil", role="Zaakvoerder", authorised=True, now=now)
    agreements.countersign(agreement, user=manager, full_name="An Peeters", role="Accountmanager", now=now)
    db.session.commit()
    return client


def test_the_whole_story(live, browser):
    url, inbox, shot = live["url"], live["inbox"], Looks()
    manager = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE").new_page()
    client = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE").new_page()

    # A manager creates a client and invites its user.
    login(manager, url, "manager@contactexpert.be", "e2e-manager-pass")
    manager.goto(f"{url}/clients/new")
    manager.fill("#name", "Brouwerij Zoë BV")
    manager.fill("#enterprise_number", "0427.073.974")
    manager.fill("#address", "Marktplein 12\n9000 Gent")
    manager.fill("#contact_email", "privacy@zoe.example")
    manager.click("main button[type=submit]")
    shot(manager, "client-created")
    manager.fill("form[action$='/invite'] #full_name", "Els Janssens")
    manager.fill("form[action$='/invite'] #email", "els@zoe.example")
    manager.click("form[action$='/invite'] button")
    assert "is uitgenodigd" in manager.content()
    deliver(live)
    invitation = inbox.to("els@zoe.example")[-1]
    client.goto(link_in(invitation, r"http://127\.0\.0\.1:\d+/invite/\S+"))
    client.fill("#password", "de-klok-slaat-twaalf")
    client.fill("#confirm", "de-klok-slaat-twaalf")
    shot(client, "client-user-sets-password")
    client.click("main button[type=submit]")

    # ... and drafts, checks and sends the agreement.
    manager.click("text=Nieuwe overeenkomst")
    manager.fill("#subject_matter", "Klantendienst voor bierliefhebbers")
    manager.fill("#nature_purpose", "Vragen beantwoorden en klachten opvolgen.")
    manager.check("input[name=services] >> nth=1")
    manager.check("input[name=data_types][value=identification]")
    manager.check("input[name=data_types][value=contact]")
    manager.check("input[name=data_types][value=call_recordings]")
    manager.check("input[name=data_subjects][value=customers]")
    manager.fill("#toms", "Versleuteling\nToegangsbeheer met MFA")
    shot(manager, "agreement-form")
    manager.click("text=Concept bewaren")
    assert "Checklist art. 28(3) AVG" in manager.content() and "ontbreekt" not in manager.content()
    shot(manager, "agreement-checklist")
    manager.check("input[name=confirm]")
    manager.click("text=Versturen ter ondertekening")
    assert "Ter ondertekening" in manager.content()

    # The client user signs in the browser.
    login(client, url, "els@zoe.example", "de-klok-slaat-twaalf")
    client.click("text=VO-00001")
    assert "Artikel 10. Subverwerkers" in client.content()
    client.fill("#full_name", "Els Janssens")
    client.fill("#role", "Zaakvoerder")
    client.check("#authorised")
    shot(client, "client-signs")
    client.click("button:has-text('Ondertekenen')")
    assert "u hebt de overeenkomst ondertekend" in client.content()

    # The manager countersigns: the signed PDF is stored.
    manager.reload()
    manager.fill("#full_name", "An Peeters")
    manager.fill("#role", "Accountmanager")
    manager.check("#authorised")
    manager.click("button:has-text('Tegentekenen')")
    assert "SHA-256 ondertekende PDF" in manager.content()
    shot(manager, "agreement-signed")

    # A second client with a signed agreement, who will stay silent.
    make_silent_client(live)

    # The manager registers a new sub-processor and announces it.
    manager.goto(f"{url}/subprocessors/new")
    manager.fill("#name", "VoiceCloud Inc.")
    manager.fill("#purpose", "Automatische transcriptie van gesprekken")
    manager.fill("#address", "1 Harbor Street, Wilmington, DE 19801, United States")
    manager.fill("#contact", "privacy@voicecloud.example")
    manager.fill("#countries", "IE, US")
    manager.select_option("#transfer_mechanism", "scc")
    manager.check("input[name=data_categories][value=call_recordings]")
    manager.check("input[name=data_categories][value=contact]")
    manager.click("button:has-text('Bewaren')")
    manager.click("text=Toevoeging of vervanging opstellen")
    effective = (date.today() + timedelta(days=20)).isoformat()
    manager.fill("#effective_on", effective)
    manager.fill("#reason", "Gesprekken sneller en beter opvolgen.")
    manager.click("button:has-text('Opstellen')")
    assert "<strong>2</strong> ondertekende overeenkomsten worden getroffen" in manager.content()
    manager.check("input[name=confirm] >> nth=0")
    manager.click("button:has-text('Aankondigen')")
    shot(manager, "change-announced")

    # The notification arrives at the SMTP server; the client follows its link.
    deliver(live)
    notification = inbox.to("els@zoe.example")[-1]
    assert notification["Subject"].startswith("Nieuwe subverwerker VoiceCloud Inc.")
    assert any(part.get_filename() == "bezwaartermijn.ics" for part in notification.iter_attachments())
    client.goto(link_in(notification, r"http://127\.0\.0\.1:\d+/portal/notices/\d+"))
    assert "Bezwaartermijn" in client.content() and "resterend" in client.content()
    assert "Gespreksopnames en chatberichten" in client.content()
    shot(client, "client-reads-notice")
    client.fill("#reason", "Wij willen geen gespreksopnames in de Verenigde Staten.")
    client.click("button:has-text('Bezwaar maken')")
    assert "Uw bezwaar is ontvangen" in client.content()
    shot(client, "client-objected")

    # Time passes: the sweep settles the silent client's window.
    with live["app"].app_context():
        silent = db.session.scalar(select(Notice).where(Notice.state == "open"))
        jobs.sweep(silent.closes_at + timedelta(seconds=1))
        db.session.expire_all()
        assert db.session.get(Notice, silent.id).state == "deemed_approved"
        states = sorted(n.state for n in db.session.scalars(select(Notice)))
        assert states == ["deemed_approved", "objected"]

    # The manager sees the objection and resolves it.
    manager.goto(f"{url}/dashboard")
    assert "Wij willen geen gespreksopnames" in manager.content()
    shot(manager, "dashboard-with-objection")
    manager.click("table.list a >> nth=0")
    manager.check("input[name=resolution][value=change_withdrawn]")
    manager.check("form:has(input[name=resolution]) input[name=confirm]")
    manager.fill("#note", "Telefonisch besproken; voor deze klant zetten we VoiceCloud niet in.")
    manager.click("button:has-text('Afhandelen')")
    assert "Het bezwaar is afgehandeld" in manager.content()
    shot(manager, "objection-resolved")
    deliver(live)
    assert any("bezwaar afgehandeld" in m["Subject"] for m in inbox.to("els@zoe.example"))

    # The client's user prefers French: the menu switches the interface, and it stays so.
    client.goto(f"{url}/portal/subprocessors")
    client.select_option("form.language select", "fr")
    client.click("form.language button")
    assert 'lang="fr"' in client.content() and "Sous-traitants ultérieurs" in client.content()
    client.goto(f"{url}/portal/")
    assert "Conventions de sous-traitance" in client.content()
    shot(client, "client-in-french")

    # The pages a manager and a client read every day, and the public ones, each looked at as the rest were.
    for path, name in [
        ("/dashboard", "dashboard"),
        ("/clients/", "clients"),
        ("/agreements/", "agreements"),
        ("/agreements/new", "new-agreement-pick-client"),
        ("/subprocessors/", "register"),
        ("/changes/", "changes"),
        ("/notices/", "notices"),
        ("/audit/", "audit-trail"),
        ("/clients/import", "client-import"),
        ("/agreements/import", "agreement-import"),
        ("/subprocessors/import", "register-import"),
        ("/account", "manager-account"),
    ]:
        manager.goto(f"{url}{path}")
        shot(manager, name)
    client.goto(f"{url}/portal/subprocessors")
    shot(client, "client-subprocessors-in-french")
    client.goto(f"{url}/portal/users")
    shot(client, "client-colleagues-in-french")
    client.goto(f"{url}/portal/feeds")
    client.click("button[data-copy=feed-ics]")
    client.wait_for_function("document.getElementById('feed-ics-status').textContent.length > 0")
    shot(client, "client-feeds-in-french")
    anonymous = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE").new_page()
    for path, name in [("/login", "login"), ("/subverwerkers", "public-register")]:
        anonymous.goto(f"{url}{path}")
        shot(anonymous, name)
    shot.assert_clean()
