"""One truth in the legal chain: what the client is told is what the product applies and files."""

import base64
import io
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import time_machine
from flask import current_app
from pypdf import PdfReader

from dpa_manager import clock, rules
from dpa_manager.accounts.services import create_token
from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register

from .conftest import NOW, PASSWORD

#: Friday 27 November 2026, 23:59:59.95 in Brussels (CET, UTC+1).
FRIDAY_LATE = datetime(2026, 11, 27, 22, 59, 59, 950000, tzinfo=UTC)


def pdf_text(data: bytes) -> str:
    return " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def api_get(user, url):
    token = create_token(user, now=NOW)
    return current_app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})


def api_post(user, url, json, *, at):
    token = create_token(user, now=NOW)
    with time_machine.travel(at, tick=False):
        return current_app.test_client().post(url, json=json, headers={"Authorization": f"Bearer {token}"})


def announce(make_subprocessor, manager, **values):
    sp = make_subprocessor(**values)
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw telefonieplatform",
        actor=manager,
        now=NOW,
    )
    return changes.announce(change, actor=manager, now=NOW)


def test_a_message_accepted_after_midnight_keeps_the_later_deadline_everywhere(
    make_agreement, make_subprocessor, manager, inbox, login, make_user
):
    agreement = make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    # The message is composed at 23:59:59.95 on Friday; the server is slow and answers DATA at 00:00:00.003.
    inbox.delay = 0.1
    with time_machine.travel(FRIDAY_LATE, tick=False) as traveller:
        inbox.on_data = lambda: traveller.move_to(FRIDAY_LATE + timedelta(milliseconds=53))
        report = drain(now=clock.now)
    assert len(report.sent) == 1
    notice = db.session.get(Notice, notice_id)
    accepted = notice.delivered_at
    assert accepted == FRIDAY_LATE + timedelta(milliseconds=53)
    assert clock.as_brussels(accepted).date() == date(2026, 11, 28), "accepted on Saturday in Brussels"
    # The e-mail, composed on Friday, states Friday 4 December; from Saturday the rule gives Monday 7 December.
    stated = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    applied = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    assert notice.stated_closes_at == stated and notice.closes_at == applied
    message = db.session.query(OutboxMessage).filter_by(notice_id=notice_id, template="notice").one()
    assert message.stated_closes_at == stated

    (mail,) = inbox.messages
    text = mail.get_body(("plain",)).get_content()
    assert "vrijdag 4 december 2026" in mail["Subject"] and "vrijdag 4 december 2026" in text
    assert "05/12/2026 00:00" in text
    (attachment,) = [part for part in mail.iter_attachments() if part.get_filename().endswith(".ics")]
    (event,) = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 12, 4)  # an all-day event on the last day stated
    assert "05/12/2026 00:00" in str(event["DESCRIPTION"])

    api = api_get(manager, f"/api/v1/notices/{notice_id}").json
    assert api["stated_closes_at"] == "2026-12-04T23:00:00+00:00" and api["closes_at"] == "2026-12-07T23:00:00+00:00"
    evidence = pdf_text(login(manager).get(f"/notices/{notice_id}/evidence.pdf").data)
    assert "Sluiting vermeld aan de klant 05/12/2026 00:00:00" in evidence
    assert "Einde termijn (toegepast) 08/12/2026 00:00:00" in evidence
    assert "de latere sluiting geldt" in evidence

    client_user = make_user(client=agreement.client)
    browser = current_app.test_client()
    browser.post("/login", data={"email": client_user.email, "password": PASSWORD})
    portal = browser.get(f"/portal/notices/{notice_id}").text
    assert "08/12/2026 00:00" in portal  # what applies; never earlier than what the e-mail said


def test_an_email_stating_a_later_close_extends_a_window_opened_in_the_portal(
    make_agreement, make_subprocessor, manager, inbox, login, make_user
):
    agreement = make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    user = make_user(client=agreement.client)
    # The client opens the notice on Friday morning: the portal states Friday 4 December.
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=UTC), tick=False):
        login(user).get(f"/portal/notices/{notice_id}")
    notice = db.session.get(Notice, notice_id)
    assert notice.closes_at == notice.stated_closes_at == datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    # An e-mail that says Monday 7 December reaches the client afterwards: the later moment applies.
    from dpa_manager.notices.services import mark_delivered

    later = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    mark_delivered(notice_id, datetime(2026, 11, 28, 9, 0, tzinfo=UTC), stated_closes_at=later)
    db.session.commit()
    db.session.expire_all()
    assert notice.closes_at == notice.stated_closes_at == later
    assert notice.remind_at == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)


def test_an_earlier_acceptance_recorded_later_moves_the_start_back_but_never_the_close_before_what_was_said(
    make_agreement, make_subprocessor, manager
):
    """A message sent twice: the notice counts from the earliest acceptance known; the client keeps what it read."""
    from dpa_manager.audit import history
    from dpa_manager.notices.services import mark_delivered

    make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    # The second copy is recorded first: accepted on Monday 30 November, it states Monday 7 December.
    second = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    told = rules.objection_closes_at(second, 7, "calendar")
    mark_delivered(notice_id, second, stated_closes_at=told)
    db.session.commit()
    # The first copy's acceptance, on Friday 27 November, is recorded afterwards.
    first = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    mark_delivered(notice_id, first, stated_closes_at=rules.objection_closes_at(first, 7, "calendar"))
    db.session.commit()
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert notice.delivered_at == notice.notified_at == first
    assert notice.closes_at == told  # the rule from Friday gives Friday 4 December, but Monday 7 was said
    assert [e.action for e in history("notice", notice_id)][-1] == "notified_earlier"
    # A later acceptance changes nothing.
    mark_delivered(notice_id, second + timedelta(days=1))
    db.session.commit()
    db.session.expire_all()
    assert notice.delivered_at == notice.notified_at == first and notice.closes_at == told


def test_an_informed_notice_also_counts_from_its_earliest_acceptance(make_agreement, make_subprocessor, manager):
    from dpa_manager.notices.services import mark_delivered

    make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager)
    later, earlier = datetime(2026, 11, 30, 9, 0, tzinfo=UTC), datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    db.session.execute(
        Notice.__table__.update()
        .where(Notice.id == notice_id)
        .values(state="informed", notified_at=later, delivered_at=later, needs_approval=False)
    )
    db.session.commit()
    mark_delivered(notice_id, earlier)
    db.session.commit()
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert notice.state == "informed" and notice.notified_at == notice.delivered_at == earlier


# --- Objections by any channel -------------------------------------------------------------------------------

EML = (
    b"From: Els Janssens <els@klant.example>\r\nTo: dpo@contactexpert.be\r\nDate: Fri, 27 Nov 2026 16:05:00 +0100\r\n"
    b"Subject: Bezwaar subverwerker CloudTel\r\n\r\nWij maken bezwaar: geen opnames buiten ons contract.\r\n"
)


def delivered_notice(make_agreement, make_subprocessor, manager, inbox, **values):
    agreement = make_agreement("signed")
    (notice_id,) = announce(make_subprocessor, manager, **values)
    drain(now=lambda: NOW)
    return agreement, db.session.get(Notice, notice_id)


def test_the_notice_email_says_how_to_object_and_replies_reach_the_dpo(
    make_agreement, make_subprocessor, manager, inbox
):
    delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    (mail,) = inbox.messages
    assert mail["From"].addresses[0].display_name == "ContactExpert NV"
    assert str(mail["Reply-To"]) == "dpo@contactexpert.be"
    text = mail.get_body(("plain",)).get_content()
    assert "door op deze e-mail te antwoorden" in text and "dpo@contactexpert.be" in text


def test_a_manager_records_an_objection_received_by_email_before_closing(
    make_agreement, make_subprocessor, manager, inbox, login
):
    agreement, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    received = NOW + timedelta(days=2)
    with time_machine.travel(received + timedelta(hours=1), tick=False):
        response = login(manager).post(
            f"/notices/{notice.id}/answer",
            data={
                "answer": "objection",
                "channel": "email",
                "received_at": clock.as_brussels(received).strftime("%Y-%m-%dT%H:%M"),
                "reason": "Geen opnames buiten ons contract.",
                "confirm": "y",
                "proof": (io.BytesIO(EML), "bezwaar.eml"),
            },
            content_type="multipart/form-data",
        )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert notice.state == "objected" and notice.decided_at == received and notice.answer_channel == "email"
    (proof,) = notice.proofs
    import hashlib

    assert proof.sha256 == hashlib.sha256(EML).hexdigest() and proof.size == len(EML)
    # The sweep after closing leaves it objected: the objection counted.
    from dpa_manager import jobs

    jobs.sweep(notice.closes_at + timedelta(minutes=1))
    db.session.expire_all()
    assert notice.state == "objected"
    evidence = pdf_text(login(manager).get(f"/notices/{notice.id}/evidence.pdf").data)
    assert "ontvangen per e-mail en geregistreerd" in evidence and proof.sha256 in evidence.replace(" ", "")
    assert login(manager).get(f"/notices/{notice.id}/proofs/{proof.id}").data == EML


def test_an_objection_recorded_after_the_sweep_reverses_the_deemed_approval(
    make_agreement, make_subprocessor, manager, inbox
):
    from dpa_manager import jobs
    from dpa_manager.subprocessors.services import applying_on

    agreement, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    closes = notice.closes_at
    jobs.sweep(closes)
    # The change takes effect on its date for this client.
    jobs.sweep(datetime(2026, 12, 15, 9, tzinfo=UTC))
    db.session.expire_all()
    assert notice.state == "deemed_approved" and notice.applied_at is not None
    assert [sp.name for sp in applying_on(agreement.client_id, date(2026, 12, 15))] == ["CloudTel SA"]
    # A letter, received a second before closing, is recorded a month later.
    received = closes - timedelta(seconds=1)
    recorded_at = datetime(2026, 12, 20, 9, tzinfo=UTC)
    letter = b"%PDF-1.4\n% a scanned letter\n"
    response = api_post(
        manager,
        f"/api/v1/notices/{notice.id}/objection",
        {
            "reason": "Wij maken bezwaar.",
            "received_at": received.isoformat(),
            "channel": "letter",
            "proofs": [{"filename": "brief.pdf", "content_base64": base64.b64encode(letter).decode()}],
        },
        at=recorded_at,
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "objected" and response.json["answer_channel"] == "letter"
    db.session.expire_all()
    assert notice.state == "objected" and notice.applied_at is None and notice.decided_at == received
    assert applying_on(agreement.client_id, date(2026, 12, 21)) == []  # the change no longer applies
    from dpa_manager.audit import history

    assert "deemed_approval_reversed" in [e.action for e in history("notice", notice.id)]
    drain(now=lambda: recorded_at)
    subjects = [m["Subject"] for m in inbox.messages]
    assert any("goedkeuring door stilzwijgen herroepen" in s for s in subjects), subjects
    assert any(s.startswith("Bezwaar van ") for s in subjects)
    # Running the jobs again does not bring the change back.
    jobs.sweep(recorded_at + timedelta(days=1))
    db.session.expire_all()
    assert notice.state == "objected" and applying_on(agreement.client_id, date(2026, 12, 22)) == []


def test_an_answer_received_after_closing_is_refused_and_changes_nothing(
    make_agreement, make_subprocessor, manager, inbox
):
    from dpa_manager import jobs

    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    jobs.sweep(notice.closes_at)
    response = api_post(
        manager,
        f"/api/v1/notices/{notice.id}/objection",
        {"reason": "Te laat.", "received_at": notice.closes_at.isoformat(), "channel": "phone"},
        at=notice.closes_at + timedelta(days=1),
    )
    assert response.status_code == 422 and "na het sluiten" in response.json["error"]
    db.session.expire_all()
    assert notice.state == "deemed_approved" and notice.answer_channel is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channel": "fax"}, "channel"),
        ({"received_at": "gisteren"}, "received_at"),
        ({"received_at": "2026-11-22T10:00:00"}, "received_at"),  # no time zone
        ({"proofs": []}, "proof"),  # an e-mail needs its proof
        ({"proofs": [{"filename": "x.exe", "content_base64": "TVo="}]}, "proof"),
        ({"proofs": [{"filename": "x.pdf", "content_base64": "bm90IGEgcGRm"}]}, "proof"),
        ({"proofs": [{"filename": "x.eml", "content_base64": "bm90IGFuIGVtYWls"}]}, "proof"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_bad_recorded_answer_is_refused_with_its_field(
    make_agreement, make_subprocessor, manager, inbox, body, field
):
    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    good = {
        "reason": "Bezwaar per mail.",
        "received_at": (NOW + timedelta(hours=1)).isoformat(),
        "channel": "email",
        "proofs": [{"filename": "bezwaar.eml", "content_base64": base64.b64encode(EML).decode()}],
    }
    response = api_post(manager, f"/api/v1/notices/{notice.id}/objection", good | body, at=NOW + timedelta(hours=2))
    assert response.status_code == 422 and response.json["field"] == field, response.json
    db.session.expire_all()
    assert notice.state == "open" and not notice.proofs


# --- Incidental sub-processors stay incidental -----------------------------------------------------------------

US_RECORDINGS = {
    "name": "VoiceCloud Inc.",
    "purpose": "Onderhoud van de opnameserver",
    "countries": ["US"],
    "transfer_mechanism": "scc",
    "data_categories": ["call_recordings"],
    "kind": "incidental",
    "services": ["klantendienst"],
    "address": "1 Harbor Street, Wilmington, US",
    "contact": "privacy@voicecloud.example",
}


@pytest.mark.parametrize(
    "values, words",
    [
        ({}, "buiten de EER (US)"),
        ({"countries": ["BE"], "transfer_mechanism": None, "data_categories": ["special"]}, "bijzondere categorieën"),
    ],
)
def test_an_entry_outside_the_eea_or_with_special_data_cannot_be_incidental(setup, manager, login, values, words):
    from dpa_manager.subprocessors.models import SubProcessor

    body = US_RECORDINGS | values
    response = api_post(manager, "/api/v1/subprocessors", body, at=NOW)
    assert response.status_code == 422 and response.json["field"] == "kind"
    assert words in response.json["error"] and "gewone bezwaartermijn" in response.json["error"]
    form = {
        "name": body["name"],
        "purpose": body["purpose"],
        "countries": ", ".join(body["countries"]),
        "transfer_mechanism": body["transfer_mechanism"] or "",
        "transfer_text": "",
        "data_categories": body["data_categories"],
        "kind": "incidental",
        "website": "",
        "address": body["address"],
        "contact": body["contact"],
    }
    page = login(manager).post("/subprocessors/new", data=form)
    assert page.status_code == 422 and "gewone bezwaartermijn" in page.text
    assert db.session.query(SubProcessor).count() == 0
    assert api_post(manager, "/api/v1/subprocessors", body | {"kind": "active_systematic"}, at=NOW).status_code == 201


def test_an_informational_notice_never_invites_an_objection(make_agreement, make_subprocessor, manager, inbox):
    delivered_notice(make_agreement, make_subprocessor, manager, inbox, kind="incidental", name="Onderhoud BV")
    (mail,) = inbox.messages
    for part in (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()):
        assert "bezwaar" not in part.lower(), part


# --- Names and long texts ---------------------------------------------------------------------------------------

# Direction overrides are taken out of every text at input instead (test_outgoing.py).
BAD_NAMES = ["Klant NV\r\nBcc: iedereen@example.com", "Klant\nNV", "Klant\tNV", "x" * 201]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_with_line_breaks_is_refused_at_every_entry_point(
    name, setup, manager, login, make_client, make_agreement
):
    from dpa_manager.accounts.models import User
    from dpa_manager.clients.models import Client
    from dpa_manager.processor.models import ProcessorProfile, Service
    from dpa_manager.subprocessors.models import SubProcessor

    from .test_clients import VALID
    from .test_processor_pages import PROFILE_FORM

    http = login(manager)
    counts = lambda: [db.session.query(m).count() for m in (Client, SubProcessor, Service, User)]  # noqa: E731
    before = counts()
    assert http.post("/clients/new", data=VALID | {"name": name}).status_code == 422
    sp_form = {
        "name": name,
        "purpose": "Telefonie",
        "countries": "BE",
        "transfer_mechanism": "",
        "transfer_text": "",
        "data_categories": ["contact"],
        "kind": "active_systematic",
        "website": "",
        "address": "Straat 1",
        "contact": "privacy@example.be",
    }
    assert http.post("/subprocessors/new", data=sp_form).status_code == 422
    api = api_post(
        manager,
        "/api/v1/subprocessors",
        {
            "name": name,
            "purpose": "Telefonie",
            "countries": ["BE"],
            "data_categories": ["contact"],
            "kind": "active_systematic",
            "address": "Straat 1",
            "contact": "privacy@example.be",
        },
        at=NOW,
    )
    assert api.status_code == 422 and api.json["field"] == "name"
    assert http.post("/processor/", data=PROFILE_FORM | {"name": name}).status_code == 422
    assert db.session.query(ProcessorProfile).one().name == "ContactExpert NV"
    http.post("/processor/services", data={"code": "chat", "name": name})
    client = make_client()
    http.post(f"/clients/{client.id}/invite", data={"email": "nieuw@example.be", "full_name": name})
    assert counts() == [before[0] + 1, before[1], before[2], before[3]]  # only make_client's client
    sent = make_agreement("client_signed")
    http.post(
        f"/agreements/{sent.id}/countersign", data={"full_name": name, "role": "Accountmanager", "authorised": "y"}
    )
    db.session.expire_all()
    assert sent.state == "sent"


def test_a_long_objection_and_a_long_reason_fit_the_evidence_file(
    make_agreement, make_subprocessor, manager, inbox, login, make_user
):
    agreement = make_agreement("signed")
    sp = make_subprocessor()
    reason = ("Een lange reden met veel woorden. " * 300)[:10_000]
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason=reason, actor=manager, now=NOW
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    report = drain(now=lambda: NOW)
    assert report.sent, report
    (mail,) = inbox.messages
    (raw,) = inbox.raw
    assert max(len(line) for line in raw.splitlines()) <= 998  # RFC 5321/5322 line limits
    assert reason[:200] in mail.get_body(("plain",)).get_content()
    user = agreement.client.users[0]
    objection = ("Wij maken bezwaar omdat " + "de gegevens het land niet mogen verlaten " * 200)[:4900]
    response = login(user).post(f"/portal/notices/{notice_id}/objection", data={"reason": objection})
    assert response.status_code == 302
    evidence = login(manager).get(f"/notices/{notice_id}/evidence.pdf")
    assert evidence.status_code == 200
    text = pdf_text(evidence.data)
    assert text.count("de gegevens het land niet mogen verlaten") >= 100


# --- The default terms and the annexes, complete ---------------------------------------------------------------

ELEMENTS = {
    # element: (Dutch, French, English) phrases the shipped terms must contain
    "deletion or return, both printed": (
        (
            "bezorgt alle persoonsgegevens terug",
            "wist alle persoonsgegevens",
            "bestaande kopieën",
            "bevestigt de Verwerkingsverantwoordelijke schriftelijk",
            "tot opslag van de persoonsgegevens verplicht",
        ),
        (
            "restitue toutes les données",
            "efface toutes les données",
            "copies existantes",
            "confirme par écrit",
            "conserver les données",
        ),
        (
            "returns all personal data",
            "deletes all personal data",
            "existing copies",
            "confirms to the Controller in writing",
            "requires it to store the personal data",
        ),
    ),
    "breach within the profile's hours, and what the notice contains": (
        (
            "uiterlijk binnen {breach_notice_hours} uur",
            "aard van de inbreuk",
            "bij benadering",
            "contactgegevens van de functionaris",
            "waarschijnlijke gevolgen",
            "maatregelen die de Verwerker",
            "in stappen",
        ),
        (
            "dans les {breach_notice_hours} heures",
            "nature de la violation",
            "nombre approximatif",
            "coordonnées du délégué",
            "conséquences probables",
            "mesures prises ou proposées",
            "de manière échelonnée",
        ),
        (
            "within {breach_notice_hours} hours",
            "nature of the breach",
            "approximate number",
            "contact details of the data protection officer",
            "likely consequences",
            "measures taken or proposed",
            "in phases",
        ),
    ),
    "audits and inspections, the supervisory authority, reasonable notice": (
        (
            "inspecties in zijn lokalen",
            "onafhankelijke controleur",
            "redelijke termijn vooraf",
            "bevoegde toezichthoudende autoriteit",
        ),
        (
            "inspections dans ses locaux",
            "auditeur indépendant",
            "préavis raisonnable",
            "autorité de contrôle compétente",
        ),
        ("inspections at its premises", "independent auditor", "reasonable notice", "competent supervisory authority"),
    ),
    "precedence": (("gaan deze Voorwaarden voor",), ("les présentes Conditions prévalent",), ("these Terms prevail",)),
    "working days defined": (
        ('Een "werkdag" is elke dag van maandag tot en met vrijdag',),
        ("Un « jour ouvrable » est tout jour du lundi au vendredi",),
        ('A "working day" is any day from Monday to Friday',),
    ),
    "suspension and termination": (
        ("verwerking dan opschorten", "kan de Overeenkomst beëindigen"),
        ("suspendre le traitement", "peut résilier la Convention"),
        ("suspend the processing", "may terminate the Agreement"),
    ),
    "copy of a sub-processor's agreement": (
        ("kopie van de overeenkomst met een subverwerker",),
        ("copie du contrat conclu avec un sous-traitant ultérieur",),
        ("copy of its agreement with a sub-processor",),
    ),
    "forwarding data-subject requests": (
        ("stuurt elk verzoek", "onverwijld door"),
        ("transmet sans délai",),
        ("forwards to the Controller without delay",),
    ),
    "flow-down and liability agree": (
        (
            "volledig aansprakelijk",
            "binnen de grenzen van artikel 19",
            "aansprakelijk zoals voor zijn eigen nakoming (artikel 11)",
        ),
        ("pleinement responsable", "dans les limites de l'article 19"),
        ("fully liable", "within the limits of Article 19"),
    ),
    "other supervisory authorities not excluded": (
        ("doet geen afbreuk aan de bevoegdheid van de Gegevensbeschermingsautoriteit",),
        ("ne porte pas atteinte à la compétence de l'Autorité de protection des données",),
        ("does not affect the competence of the Data Protection Authority",),
    ),
    "silence is approval within the window; incidental is not notified": (
        ("binnen {objection_window}", "geacht te zijn goedgekeurd", "incidenteel"),
        ("dans un délai de {objection_window}", "réputée approuvée", "occasionnelle"),
        ("within {objection_window}", "deemed approved", "incidentally"),
    ),
    "caps, gross negligence or fraud, Dutch prevails": (
        ("{liability_cap_total}", "{liability_cap_other}", "zware fout of bedrog", "Nederlandse tekst voorrang"),
        ("{liability_cap_total}", "{liability_cap_other}", "faute grave ou de son dol", "texte néerlandais prévaut"),
        ("{liability_cap_total}", "{liability_cap_other}", "gross negligence or fraud", "Dutch text prevails"),
    ),
    "amendment by notice and silence, objection keeps the current version": (
        ("ten minste drie werkdagen", "geldt de nieuwe versie als aanvaard", "blijft de huidige versie"),
        ("au moins trois jours ouvrables", "réputée acceptée", "version actuelle continue de s'appliquer"),
        ("at least three working days", "deemed accepted", "current version continues to apply"),
    ),
}


@pytest.mark.parametrize("element", sorted(ELEMENTS))
@pytest.mark.parametrize("index, language", [(0, "nl"), (1, "fr"), (2, "en")])
def test_the_default_terms_contain_each_element_in_each_language(element, index, language):
    from dpa_manager.terms.services import default_terms

    text = " ".join(a["body"] for a in default_terms(language)["articles"])
    text = " ".join(text.split())
    for phrase in ELEMENTS[element][index]:
        assert phrase in text, (language, element, phrase)
    assert "Uitsluitend de Belgische autoriteiten" not in text


def test_the_default_terms_cover_the_checklist_and_have_an_amendment_clause(setup):
    from dpa_manager.terms.services import default_terms, missing_coverage

    assert missing_coverage(setup.articles) == []
    assert setup.amendment_article is not None and setup.amendment_article.title == "Wijziging van de Voorwaarden"
    numbers = {language: [a["number"] for a in default_terms(language)["articles"]] for language in ("nl", "fr", "en")}
    assert numbers["nl"] == numbers["fr"] == numbers["en"]


def test_the_annexes_name_parties_retention_and_each_subprocessors_particulars(
    make_agreement, make_subprocessor, make_client
):
    from dpa_manager.agreements import services as agreements

    make_subprocessor(
        status="active",
        name="Datacenter Noord BV",
        countries=["NL", "US"],
        transfer_mechanism="scc",
        data_categories=["contact", "financial", "call_recordings"],
        address="Datalaan 3\n9723 Groningen",
        contact="security@dcnoord.example",
    )
    client = make_client(contact_name="Els Janssens", contact_role="DPO")
    agreement = make_agreement(
        "signed",
        client=client,
        data_types=["identification", "contact", "financial"],
        retention="Twaalf maanden na het laatste contact",
    )
    text = pdf_text(agreements.pdf_of(agreement, now=NOW))
    start = text.index("Bijlage I. Lijst van partijen")
    annex_i = text[start : text.index("Bijlage II. Beschrijving", start)]
    for expected in (
        "Contactpersoon Els Janssens (DPO)",
        "Contactpersoon An Peeters (Accountmanager)",
        "Ondertekend door Els Janssens (Zaakvoerder)",
        "Ondertekend door An Manager (Accountmanager)",
        "Datum van ondertekening 21/11/2026 11:00:00",
    ):
        assert expected in annex_i, expected
    assert "Bewaring Twaalf maanden na het laatste contact" in text
    annex_iv = text[text.index("Bijlage IV.") :]
    for expected in (
        "Datacenter Noord BV",
        "Adres Datalaan 3 9723 Groningen",
        "Contact security@dcnoord.example",
        "Verwerkingslocaties NL, US",
        "Modelcontractbepalingen (SCC)",
        "Contactgegevens (adres, telefoon, e-mail); Financiële gegevens (rekeningnummer, facturen)",
    ):
        assert expected in annex_iv, expected
    assert "Gespreksopnames" not in annex_iv  # not among this client's data


@pytest.mark.parametrize("days, unit", [(6, "calendar"), (2, "working")])
def test_a_window_too_short_to_object_in_practice_is_refused_everywhere(days, unit, make_client, manager, setup, login):
    from dpa_manager.agreements import services as agreements
    from dpa_manager.amendments import services as amendments
    from dpa_manager.errors import Invalid

    from .conftest import particulars
    from .test_processor_pages import PROFILE_FORM

    with pytest.raises(Invalid) as refused:
        agreements.create_draft(
            make_client(), particulars(window_days=days, window_unit=unit), [], actor=manager, now=NOW
        )
    assert "7 kalenderdagen of 3 werkdagen" in refused.value.message and refused.value.field == "window_days"
    page = login(manager).post(
        "/processor/", data=PROFILE_FORM | {"default_window_days": str(days), "default_window_unit": unit}
    )
    assert page.status_code == 422 and "in de praktijk geen" in page.text
    with pytest.raises(Invalid):
        amendments.announce(setup, summary="", window_days=days, window_unit=unit, actor=manager, now=NOW)


# --- Everything sent to a client in the client's language ------------------------------------------------------


def test_a_french_client_reads_translated_free_texts_and_the_dutch_ones_marked(
    make_agreement, make_subprocessor, make_client, manager, inbox, login, make_user
):
    from dpa_manager.agreements import services as agreements

    client = make_client(language="fr", name="Assurances Lumière SA")
    agreement = make_agreement(
        "signed",
        client=client,
        translations={
            "fr": {"subject_matter": "Service clientèle pour les assurés", "nature_purpose": "Répondre aux appels."}
        },
    )
    text = pdf_text(agreements.pdf_of(agreement, now=NOW))
    assert "Service clientèle pour les assurés" in text and "Répondre aux appels." in text
    assert "Klantendienst [en néerlandais]" in text  # the service has no French name
    cover = text[: text.index("Article 1.")]
    assert "Ces données n'existent qu'en néerlandais" in cover and "Annexe III (mesures)" in cover
    sp = make_subprocessor(purpose_fr="Plateforme téléphonique")
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw telefonieplatform",
        translations={"reason_fr": "Nouvelle plateforme"},
        actor=manager,
        now=NOW,
    )
    changes.announce(change, actor=manager, now=NOW)
    drain(now=lambda: NOW)
    (mail,) = inbox.messages
    body = mail.get_body(("plain",)).get_content()
    assert "Service\u202f: Plateforme téléphonique" in body and "Motif\u202f: Nouvelle plateforme" in body
    assert "Telefonieplatform" not in body
    (ics,) = [a for a in mail.iter_attachments() if a.get_content_type() == "text/calendar"]
    assert ics.get_filename() == "delai-opposition.ics"
    portal = current_app.test_client()
    user = make_user(client=client)
    portal.post("/login", data={"email": user.email, "password": PASSWORD})
    notice = db.session.query(Notice).filter_by(agreement_id=agreement.id).one()
    page = portal.get(f"/portal/notices/{notice.id}").text
    assert "Plateforme téléphonique" in page and "Nouvelle plateforme" in page


# --- Smaller untruths -------------------------------------------------------------------------------------------


def test_a_reminder_whose_notice_was_answered_is_not_sent(make_agreement, make_subprocessor, manager, inbox):
    from dpa_manager import jobs
    from dpa_manager.notices import services as notices

    agreement, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    jobs.sweep(notice.remind_at)  # the reminder is queued
    reminder = db.session.query(OutboxMessage).filter_by(notice_id=notice.id, template="reminder").one()
    notices.object_to(
        notice,
        user=agreement.client.users[0],
        reason="Geen nieuwe subverwerker.",
        now=notice.remind_at + timedelta(minutes=1),
    )
    before = len(inbox.messages)
    report = drain(now=lambda: notice.remind_at + timedelta(minutes=2))
    db.session.expire_all()
    assert reminder.state == "cancelled" and "no longer open" in reminder.last_error
    assert not any("Herinnering" in m["Subject"] for m in inbox.messages[before:])
    assert reminder.id not in report.sent


def test_a_decided_notice_shows_no_countdown_and_the_last_day_counts_minutes(
    make_agreement, make_subprocessor, manager, inbox, login
):
    from dpa_manager.notices import services as notices

    agreement, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    with time_machine.travel(notice.closes_at - timedelta(hours=3, minutes=20), tick=False):
        page = login(manager).get(f"/notices/{notice.id}").text
    assert "3 uur en 20 minuten</strong> resterend" in page
    notices.object_to(notice, user=agreement.client.users[0], reason="Neen.", now=NOW + timedelta(hours=1))
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        page = login(manager).get(f"/notices/{notice.id}").text
    assert "resterend" not in page and "termijn tot" in page


def test_the_client_list_and_the_public_register_explain_their_dates(make_agreement, make_subprocessor, login):
    sp = make_subprocessor(status="active")
    sp.activated_on = date(2025, 1, 10)
    db.session.commit()
    agreement = make_agreement("signed")
    browser = current_app.test_client()
    browser.post("/login", data={"email": agreement.client.users[0].email, "password": PASSWORD})
    page = browser.get("/portal/subprocessors").text
    assert "21/11/2026" in page and "Voor u sinds" in page and "publieke register" in page
    public = current_app.test_client().get("/subverwerkers").text
    assert "10/01/2025" in public and "In gebruik sinds" in public and "in zijn portaal" in public


# --- What a review of the change found ----------------------------------------------------------------------------


def test_an_objection_recorded_against_a_notice_read_before_the_sweep_applied_it_is_refused(
    make_agreement, make_subprocessor, manager, inbox
):
    from sqlalchemy import text

    from dpa_manager import jobs
    from dpa_manager.errors import Conflict
    from dpa_manager.notices import services as notices

    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    jobs.sweep(notice.closes_at)
    assert notice.state == "deemed_approved" and notice.applied_at is None  # loaded before the change applies
    with db.engine.begin() as other:  # the apply job commits in the meantime
        other.execute(
            text("UPDATE notices SET applied_at = :at WHERE id = :id"),
            {"at": datetime(2026, 12, 15, 9, tzinfo=UTC), "id": notice.id},
        )
    with pytest.raises(Conflict):
        notices.record_answer(
            notice,
            actor=manager,
            answer="objection",
            channel="phone",
            received_at=notice.closes_at - timedelta(hours=1),
            reason="Niet akkoord, zei ze.",
            now=notice.closes_at + timedelta(days=20),
        )
    db.session.expire_all()
    assert notice.state == "deemed_approved" and notice.applied_at is not None


def test_a_reversed_replacement_keeps_the_old_subprocessor_for_that_client_only(
    make_agreement, make_subprocessor, manager, inbox, make_client
):
    from dpa_manager import jobs
    from dpa_manager.agreements import services as agreements
    from dpa_manager.notices import services as notices
    from dpa_manager.subprocessors.services import applying_on

    objector = make_agreement("signed")
    old = make_subprocessor(status="active", name="OudTel NV")
    db.session.execute(
        register.insert(register.Assignment),
        [{"client_id": objector.client_id, "subprocessor_id": old.id, "from_on": date(2026, 1, 1)}],
    )
    db.session.commit()
    new = make_subprocessor(name="NieuwTel NV")
    change = changes.create_change(
        kind="replace",
        subprocessor_id=new.id,
        replaces_id=old.id,
        effective_on=date(2026, 12, 15),
        reason="Vervanging",
        actor=manager,
        now=NOW,
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    drain(now=lambda: NOW)
    notice = db.session.get(Notice, notice_id)
    jobs.sweep(notice.closes_at)
    jobs.sweep(datetime(2026, 12, 15, 9, tzinfo=UTC))
    db.session.expire_all()
    assert old.status == "retired"
    notices.record_answer(
        notice,
        actor=manager,
        answer="objection",
        channel="phone",
        received_at=notice.closes_at - timedelta(hours=1),
        reason="Mevrouw belde: wij houden OudTel.",
        now=datetime(2026, 12, 16, 9, tzinfo=UTC),
    )
    db.session.expire_all()
    assert [sp.name for sp in applying_on(objector.client_id, date(2026, 12, 17))] == ["OudTel NV"]
    later = make_agreement("draft", client=make_client())
    annex = agreements.subprocessors_for(later, date(2026, 12, 17))
    assert [sp["name"] for sp in annex] == ["NieuwTel NV"]  # a new agreement never gets the one that was replaced


@pytest.mark.parametrize("received", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_moment_of_receipt_out_of_range_is_refused(make_agreement, make_subprocessor, manager, inbox, received):
    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    response = api_post(
        manager,
        f"/api/v1/notices/{notice.id}/objection",
        {"reason": "Bezwaar.", "received_at": received, "channel": "phone"},
        at=NOW + timedelta(hours=2),
    )
    assert response.status_code == 422 and response.json["field"] == "received_at"


@pytest.mark.parametrize(
    "local, words", [("0001-01-01T00:00", "bestaand ogenblik"), ("2027-03-28T02:30", "twee keer of niet")]
)
def test_the_form_refuses_a_moment_that_does_not_exist_in_brussels(
    make_agreement, make_subprocessor, manager, inbox, login, local, words
):
    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    response = login(manager).post(
        f"/notices/{notice.id}/answer",
        data={"answer": "objection", "channel": "phone", "received_at": local, "reason": "Belde.", "confirm": "y"},
    )
    assert response.status_code == 422 and words in response.text


def test_a_proof_with_any_file_name_downloads(make_agreement, make_subprocessor, manager, inbox, login):
    _, notice = delivered_notice(make_agreement, make_subprocessor, manager, inbox)
    notice_id = notice.id
    from dpa_manager.notices import services as notices

    notices.record_answer(
        notice,
        actor=manager,
        answer="objection",
        channel="letter",
        received_at=NOW + timedelta(hours=1),
        reason="Per brief.",
        proofs=[notices.Proof('bezwaar—Łódź "kopie".pdf', b"%PDF-1.4 brief")],
        now=NOW + timedelta(hours=2),
    )
    (proof,) = db.session.get(Notice, notice_id).proofs
    response = login(manager).get(f"/notices/{notice_id}/proofs/{proof.id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 brief"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_a_notice_withdrawn_before_its_email_went_out_is_not_announced(
    make_agreement, make_subprocessor, manager, inbox
):
    make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    changes.announce(change, actor=manager, now=NOW)
    changes.cancel(change, actor=manager, now=NOW + timedelta(minutes=1))
    drain(now=lambda: NOW + timedelta(minutes=2))
    assert inbox.messages == []
    (message,) = db.session.query(OutboxMessage).filter_by(template="notice").all()
    assert message.state == "cancelled" and "withdrawn" in message.last_error


def test_the_processors_capacity_reads_in_the_clients_language_or_is_marked_dutch(
    make_agreement, make_client, manager, login
):
    from dpa_manager.agreements import services as agreements

    client = make_client(language="fr")
    agreement = make_agreement("client_signed", client=client)
    page = login(manager).get(f"/agreements/{agreement.id}")
    assert "Hoedanigheid in het Frans" in page.text
    login(manager).post(
        f"/agreements/{agreement.id}/countersign",
        data={
            "full_name": "An Manager",
            "role": "Accountmanager",
            "role_fr": "Gestionnaire de compte",
            "authorised": "y",
        },
    )
    db.session.expire_all()
    assert agreement.state == "signed"
    text = pdf_text(agreements.pdf_of(agreement, now=NOW))
    assert "Qualité Gestionnaire de compte" in text and "Signé par An Manager (Gestionnaire de compte)" in text
    other = make_agreement("signed", client=make_client(language="en"))
    assert "Capacity Accountmanager [in Dutch]" in pdf_text(agreements.pdf_of(other, now=NOW))
