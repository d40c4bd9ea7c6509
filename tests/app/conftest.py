"""Fixtures and factories: an app on a fresh database, users, clients and agreements."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import delete

from dpa_manager import create_app
from dpa_manager.accounts.services import create_user
from dpa_manager.agreements import services as agreements
from dpa_manager.changes import services as changes
from dpa_manager.clients.services import create_client
from dpa_manager.demo import PROFILE, SERVICES, TOMS, with_check_digits
from dpa_manager.extensions import db
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.processor.models import Service
from dpa_manager.processor.services import add_service, save_profile
from dpa_manager.subprocessors import services as register
from dpa_manager.terms.services import load_default_terms

from . import pki

#: A fixed moment for the tests: Saturday 21 November 2026, 10:00 UTC.
#: The apps of a run keep their instance folder (where an app without a configured seal makes a development one)
#: apart from the checkout's and from another run's: CI runs two passes at once, one of them years ahead.
os.environ.setdefault("DPA_INSTANCE_PATH", tempfile.mkdtemp(prefix="dpa-test-instance-"))

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
#: A SECRET_KEY that production accepts (random, long enough).
STRONG_SECRET = "Q5xT0YSD57BFdCif0Dut1x4cqdrhjjuzAtVVyjZTN2XNQDmqE0p99xPPB_yyVwwX"


#: When set (postgresql+psycopg://...), every test runs on that database instead of a SQLite file.
TEST_DATABASE_URL = os.environ.get("DPA_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def test_clock(request):
    """Start every test at NOW, with the clock running from there, so no test depends on the day it runs.

    A test travels further itself (time_machine.travel). Tests marked `wallclock` keep the real clock:
    they start other processes (a browser, gunicorn, schedulers), which read the real one.
    """
    if request.node.get_closest_marker("wallclock"):
        yield
        return
    with time_machine.travel(NOW, tick=True):
        yield


def pytest_collection_modifyitems(config, items):
    """Skip, saying why, what needs a part that is not here (PostgreSQL, Chromium)."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    for item in items:
        if "postgres" in item.keywords and not TEST_DATABASE_URL:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL: set DPA_TEST_DATABASE_URL=postgresql+psycopg://... (.ci/run does)"
                )
            )
        if "e2e" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="needs Debian's Chromium: apt-get install chromium (.ci/run does)"))


def pytest_sessionstart(session):
    """Compile the message catalogues that are newer than their compiled form (`make` does this too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parents[2] / "dpa_manager" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parent.parent.name))


def database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite'}"


class FreshClient(FlaskClient):
    """A test client whose requests do not share Flask-Login's cached user, Flask-Babel's locale or Flask-WTF's token.

    The tests keep one app context open, and Flask reuses it for requests, so what Flask-Login and
    Flask-Babel cache in `g` would otherwise outlive the request that set it.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
            g.pop("csrf_token", None)  # Flask-WTF's token of the request (signed from the session's)
        return super().open(*args, **kwargs)


def fresh_app(tmp_path, **config):
    """Yield an app on an empty test database (tables created, dropped after), inside its app context."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "WTF_CSRF_ENABLED": False,
            "BOUNCE_ADDRESS": "bounces@dpa-manager.localhost",
            # Managers act without a second factor here; tests/app/test_second_factor.py turns the rule on.
            "MFA_REQUIRED_FOR_MANAGERS": False,
        }
        | pki.seal_config()
        | config
    )
    app.test_client_class = FreshClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    yield from fresh_app(tmp_path)


@pytest.fixture
def http(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def setup(app):
    """The processor profile, its services and the default terms."""
    terms = load_default_terms(now=NOW)
    save_profile(PROFILE, actor=None, now=NOW)
    for code, name in SERVICES:
        add_service(code, name, actor=None, now=NOW)
    db.session.commit()  # a test is the caller of the services: it commits, as a request or a job does
    return terms


_counter = iter(range(1, 10_000))


@pytest.fixture
def make_client(setup):
    def make(**values):
        n = next(_counter)
        data = {
            "name": f"Klant {n}",
            "enterprise_number": with_check_digits(2_000_000 + n),
            "address": f"Straat {n}\n1000 Brussel",
            "language": "nl",
            "contact_email": f"klant{n}@example.be",
        }
        client = create_client(data | values, actor=None, now=NOW)
        db.session.commit()
        return client

    return make


@pytest.fixture
def make_user(app):
    def make(role="client", client=None, email=None, full_name="Test Gebruiker"):
        n = next(_counter)
        user = create_user(
            email=email or f"user{n}@example.be",
            password=PASSWORD,
            role=role,
            client_id=client.id if client else None,
            full_name=full_name,
            now=NOW,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def manager(make_user):
    return make_user(role="manager", full_name="An Manager")


def particulars(**overrides) -> dict:
    values = agreements.draft_defaults(date(2026, 11, 21)) | {
        "subject_matter": "Klantendienst voor consumenten",
        "starts_on": date(2026, 11, 1),
        "ends_on": None,
        "nature_purpose": "Oproepen beantwoorden en klachten opvolgen.",
        "data_types": ["identification", "contact"],
        "data_types_detail": "",
        "data_subjects": ["customers"],
        "data_subjects_detail": "",
        "special_categories": False,
        "toms": TOMS,
    }
    return values | overrides


def forget_agreement_copies() -> None:
    """Agreements made for a test's setup were sent and signed long before the test: their e-mails (the requests to
    sign, the managers' alerts, the sealed copies) went out then (test_signing_mail.py and test_seal.py follow
    them), and the test's outbox and inbox start without them."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.template.in_(AGREEMENT_MAIL)))


#: The e-mails about an agreement.
AGREEMENT_MAIL = ("agreement_copy", "agreement_to_sign", "agreement_client_signed")


@pytest.fixture
def make_agreement(app, manager, make_client, make_user):
    """Make an agreement in a given state: draft, sent, client_signed or signed."""

    def make(state="draft", client=None, **overrides):
        client = client or make_client()
        service_ids = [db.session.scalar(db.select(Service.id).where(Service.code == "klantendienst"))]
        agreement = agreements.create_draft(client, particulars(**overrides), service_ids, actor=manager, now=NOW)
        db.session.commit()
        if state == "draft":
            return agreement
        signer = client.users[0] if client.users else make_user(client=client, full_name="Els Janssens")
        agreements.send(agreement, actor=manager, now=NOW)
        forget_agreement_copies()
        db.session.commit()
        if state == "sent":
            return agreement
        agreements.client_sign(
            agreement, user=signer, full_name="Els Janssens", role="Zaakvoerder", authorised=True, now=NOW
        )
        forget_agreement_copies()
        db.session.commit()
        if state == "client_signed":
            return agreement
        agreements.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
        forget_agreement_copies()
        db.session.commit()
        return agreement

    return make


@pytest.fixture
def login(http):
    def do(user):
        response = http.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return http

    return do


# --- Sub-processors, notices and a real SMTP server ------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """A real SMTP server (aiosmtpd) on localhost that keeps what it accepts; it can go down and come back."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        #: What the server answers to DATA (a real one names its queue id).
        self.data_answer = "250 OK"
        #: The messages as the server received them, byte for byte.
        self.raw = []
        #: The envelope recipients (RCPT TO accepted) of each message, in the same order.
        self.envelopes = []
        #: The envelope sender (MAIL FROM: the return path) of each message, in the same order.
        self.senders = []
        self.lock = threading.Lock()
        self.controller = None
        #: Seconds the server waits before it answers DATA (a slow mail server).
        self.delay = 0.0
        #: Waits for the next DATA answers, one each, before `delay` applies again (a server that stalls once).
        self.delays = []
        #: Called while the server holds its answer to DATA (e.g. to move a test's clock past midnight).
        self.on_data = None
        #: Recipients the server refuses at RCPT, with its answer, e.g. {"x@example.be": "550 5.1.1 no such user"}.
        self.refuse = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        wait = self.delays.pop(0) if self.delays else self.delay
        if wait:
            import asyncio

            await asyncio.sleep(wait)
        if self.on_data is not None:
            self.on_data()
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.envelopes.append(sorted(envelope.rcpt_tos))
            self.senders.append(envelope.mail_from)
            self.messages.append(
                message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            )
        return self.data_answer

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def to(self, address: str):
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def inbox(app):
    box = Inbox()
    box.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=box.port, MAIL_TIMEOUT=5)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", box.port
    yield box
    box.stop()


@pytest.fixture
def make_subprocessor(setup):
    """Make a register entry; status 'active' puts it in use as if announced long ago."""

    def make(status="proposed", services=("klantendienst",), **values):
        data = {
            "name": "CloudTel SA",
            "registration_number": "BE0123456749",
            "purpose": "Telefonieplatform",
            "countries": ["BE", "NL"],
            "transfer_mechanism": None,
            "data_categories": ["contact", "call_recordings"],
            "kind": "active_systematic",
            "website": "https://cloudtel.example",
            "address": "Havenlaan 86\n1000 Brussel",
            "contact": "privacy@cloudtel.example",
        } | values
        sp = register.create_subprocessor(data, list(services), actor=None, now=NOW)
        if status != "proposed":
            sp.status, sp.activated_on = status, NOW.date()
        db.session.commit()
        return sp

    return make


@pytest.fixture
def announce_addition(make_subprocessor, manager):
    """Draft the addition of a new register entry and announce it to every signed agreement; return the change's
    id and the ids of its notices."""

    def announce() -> tuple[int, list[int]]:
        change = changes.create_change(
            kind="add",
            subprocessor_id=make_subprocessor().id,
            effective_on=date(2026, 12, 15),
            reason="Nieuw platform",
            actor=manager,
            now=NOW,
        )
        notice_ids = changes.announce(change, actor=manager, now=NOW)
        db.session.commit()
        return change.id, notice_ids

    return announce
