"""The register, changes and notices in the browser, for managers and client users."""

from datetime import UTC, date, timedelta

import pytest
import time_machine
from flask_babel import gettext
from sqlalchemy import func, select

from dpa_manager.changes import services as changes
from dpa_manager.extensions import db
from dpa_manager.i18n import force_locale
from dpa_manager.jobs import drain
from dpa_manager.links import notice_token
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register
from dpa_manager.subprocessors.models import Change, SubProcessor

from .conftest import NOW, PASSWORD

SP_FORM = {
    "name": "CloudTel SA",
    "registration_number": "BE0123",
    "purpose": "Telefonieplatform",
    "countries": "be, nl",
    "transfer_mechanism": "",
    "transfer_text": "",
    "data_categories": ["contact"],
    "kind": "active_systematic",
    "website": "https://cloudtel.example",
    "address": "Havenlaan 86\n1000 Brussel",
    "contact": "privacy@cloudtel.example",
}


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


def test_manager_registers_a_subprocessor(as_manager):
    response = as_manager.post("/subprocessors/new", data=SP_FORM)
    assert response.status_code == 302
    sp = db.session.scalar(select(SubProcessor))
    assert sp.countries == ["BE", "NL"] and sp.status == "proposed"
    page = as_manager.get("/subprocessors/")
    assert "CloudTel SA" in page.text and "Voorgesteld" in page.text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"countries": "BE, US"}, "doorgiftemechanisme verplicht"),
        ({"countries": "BE", "transfer_mechanism": "scc"}, "geen doorgiftemechanisme nodig"),
        ({"countries": "ZZ"}, "Onbekende landcode"),
        ({"data_categories": []}, "minstens één soort"),
        ({"website": "ftp://x"}, "http"),
        ({"name": ""}, "Vul de naam van de subverwerker in."),
        ({"name": "x" * 201}, "Hoogstens 200 tekens."),
    ],
)
def test_register_form_errors_keep_the_input(as_manager, change, message):
    response = as_manager.post("/subprocessors/new", data=SP_FORM | change)
    assert response.status_code == 422 and message in response.text
    assert "Telefonieplatform" in response.text
    assert db.session.scalar(select(func.count()).select_from(SubProcessor)) == 0


def test_draft_announce_and_follow_a_change(as_manager, make_agreement, make_subprocessor):
    make_agreement("signed"), make_agreement("signed")
    sp = make_subprocessor()
    response = as_manager.post(
        "/changes/new",
        data={
            "kind": "add",
            "subprocessor_id": sp.id,
            "replaces_id": 0,
            "effective_on": "2026-12-15",
            "reason": "Nieuw platform",
        },
    )
    assert response.status_code == 302
    change = db.session.scalar(select(Change))
    page = as_manager.get(f"/changes/{change.id}")
    assert "<strong>2</strong> ondertekende overeenkomsten worden getroffen" in page.text
    as_manager.post(f"/changes/{change.id}/announce", data={})
    assert db.session.get(Change, change.id).state == "draft"  # not confirmed
    response = as_manager.post(f"/changes/{change.id}/announce", data={"confirm": "y"}, follow_redirects=True)
    assert "Aangekondigd: 2 meldingen" in response.text
    assert "Wacht op levering" in response.text
    again = as_manager.post(f"/changes/{change.id}/announce", data={"confirm": "y"}, follow_redirects=True)
    assert "al aangekondigd" in again.text
    listing = as_manager.get("/changes/")
    assert "CloudTel SA" in listing.text
    dashboard = as_manager.get("/dashboard")
    assert "wachten op levering" in dashboard.text and "Klant" in dashboard.text


@pytest.mark.parametrize(
    "data, message",
    [
        ({"effective_on": "2020-01-01"}, "in het verleden"),
        ({"reason": ""}, "Geef de reden van de wijziging."),
        ({"kind": "replace", "replaces_id": 0}, "Kies de subverwerker die vervangen wordt."),
        ({"kind": "remove"}, "niet in gebruik"),
    ],
)
def test_bad_change_form(as_manager, make_subprocessor, data, message):
    sp = make_subprocessor()
    form = {
        "kind": "add",
        "subprocessor_id": sp.id,
        "replaces_id": 0,
        "effective_on": "2026-12-15",
        "reason": "Nieuw",
    } | data
    response = as_manager.post("/changes/new", data=form)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(func.count()).select_from(Change)) == 0


def setup_notice(make_agreement, make_subprocessor, manager, deliver=True):
    agreement = make_agreement("signed")
    sp = make_subprocessor(
        countries=["BE", "US"], transfer_mechanism="adequacy", data_categories=["contact", "call_recordings"]
    )
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    if deliver:
        notices.mark_delivered(notice_id, NOW)
        db.session.commit()
    return agreement, db.session.get(Notice, notice_id)


def test_client_sees_the_notice_with_countdown(login, make_agreement, make_subprocessor, manager):
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        http = login(agreement.client.users[0])
        page = http.get(f"/portal/notices/{notice.id}")
        overview = http.get("/portal/")
    assert "9 dagen en 12 uur" in page.text and "resterend" in page.text
    assert "01/12/2026 00:00" in page.text and "tot en met maandag 30 november 2026" in page.text
    assert "Contactgegevens" in page.text and "Gespreksopnames" not in page.text  # only what the agreement has
    assert "BE, US" in page.text and "Adequaatheidsbesluit" in page.text
    assert "Meldingen die op uw antwoord wachten" in overview.text


def test_client_objects_through_the_form(login, make_agreement, make_subprocessor, manager):
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        http = login(agreement.client.users[0])
        refused = http.post(f"/portal/notices/{notice.id}/objection", data={"reason": ""})
        assert refused.status_code == 422 and "Geef de reden van uw bezwaar." in refused.text
        reloaded = http.get(f"/portal/notices/{notice.id}/objection")  # the refused form's page, reloaded
        assert reloaded.status_code == 303 and reloaded.headers["Location"] == f"/portal/notices/{notice.id}"
        response = http.post(
            f"/portal/notices/{notice.id}/objection",
            data={"reason": "Geen doorgifte naar de VS"},
            follow_redirects=True,
        )
    assert "Uw bezwaar is ontvangen" in response.text
    assert "Geen doorgifte naar de VS" in response.text and "Bezwaar maken" not in response.text
    assert db.session.get(Notice, notice.id).state == "objected"
    # the window's end, worded by tense: still to come when the client objected, past once it is
    assert "Termijn sluit" in response.text and "Termijn sloot" not in response.text
    with time_machine.travel(notice.closes_at + timedelta(minutes=1), tick=False):
        later = login(agreement.client.users[0]).get(f"/portal/notices/{notice.id}")
    assert "Termijn sloot" in later.text and "Termijn sluit" not in later.text


def test_approval_needs_the_checkbox(login, make_agreement, make_subprocessor, manager):
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        http = login(agreement.client.users[0])
        refused = http.post(f"/portal/notices/{notice.id}/approval", data={})
        assert refused.status_code == 422 and "Vink aan om goed te keuren." in refused.text
        http.post(f"/portal/notices/{notice.id}/approval", data={"confirm": "y"})
    assert db.session.get(Notice, notice.id).state == "approved"


def test_after_closing_the_notice_is_read_only(login, make_agreement, make_subprocessor, manager):
    from dpa_manager import jobs

    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    jobs.sweep(notice.closes_at)
    http = login(agreement.client.users[0])
    page = http.get(f"/portal/notices/{notice.id}")
    assert "Goedgekeurd door stilzwijgen" in page.text and "Bezwaar maken" not in page.text
    with force_locale("fr"):  # a notification: the state agrees with it in French
        assert gettext("Goedgekeurd door stilzwijgen") == "Approuvée tacitement"
    response = http.post(f"/portal/notices/{notice.id}/objection", data={"reason": "Te laat ingediend"})
    assert response.status_code == 422 and "niet meer open" in response.text


def test_client_list_today_and_on_a_past_date(login, make_agreement, make_subprocessor, manager):
    from dpa_manager import jobs

    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    jobs.sweep(notice.closes_at)
    from datetime import datetime

    jobs.sweep(datetime(2026, 12, 15, 12, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 20, 12, tzinfo=UTC), tick=False):
        http = login(agreement.client.users[0])
        today = http.get("/portal/subprocessors")
        before = http.get("/portal/subprocessors?op=2026-12-01")
        bad = http.get("/portal/subprocessors?op=gisteren")
    assert "CloudTel SA" in today.text.split("<h2>Meldingen</h2>")[0]
    assert "geen subverwerkers" in before.text.split("<h2>Meldingen</h2>")[0]
    assert bad.status_code == 200 and "Geef een datum tussen 1900 en 2999, als JJJJ-MM-DD." in bad.text
    assert "15/12/2026" in today.text  # the history


def test_manager_resolves_an_objection_in_the_browser(as_manager, make_agreement, make_subprocessor, manager, inbox):
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    notices.object_to(notice, user=agreement.client.users[0], reason="Liever niet", now=NOW)
    page = as_manager.get(f"/notices/{notice.id}")
    assert "Bezwaar afhandelen" in page.text and "Liever niet" in page.text
    response = as_manager.post(f"/notices/{notice.id}", data={"resolution": "bogus"})
    assert response.status_code == 422 and "ongeldige keuze" in response.text.lower()
    unconfirmed = as_manager.post(f"/notices/{notice.id}", data={"resolution": "change_withdrawn", "note": "Zo"})
    assert unconfirmed.status_code == 422 and "Vink aan om te bevestigen." in unconfirmed.text
    assert db.session.get(Notice, notice.id).state == "objected"  # nothing changed without the confirmation
    as_manager.post(
        f"/notices/{notice.id}", data={"resolution": "change_withdrawn", "note": "Afgesproken", "confirm": "y"}
    )
    assert db.session.get(Notice, notice.id).state == "withdrawn"
    drain()  # the view queued it at the test's clock, which runs
    (resolved,) = [m for m in inbox.to(agreement.client.contact_email) if "afgehandeld" in m["Subject"]]
    text = " ".join(resolved.get_body(("plain",)).get_content().split())
    assert "Uw bezwaar is afgehandeld: de wijziging is voor u ingetrokken; deze subverwerker wordt niet" in text


def test_signed_link_works_once_and_a_get_changes_nothing(http, make_agreement, make_subprocessor, manager):
    _, notice = setup_notice(make_agreement, make_subprocessor, manager, deliver=False)
    token = notice_token(notice.id)
    for _ in range(3):  # a mail scanner may fetch the link any number of times
        offer = http.get(f"/n/{token}")
        assert offer.status_code == 200 and "Melding openen" in offer.text and "CloudTel SA" not in offer.text
    assert offer.headers["Referrer-Policy"] == "no-referrer"
    opened = http.post(f"/n/{token}", data={"confirm": "y"})
    assert opened.status_code == 200 and "CloudTel SA" in opened.text and "Aanmelden" in opened.text
    assert db.session.get(Notice, notice.id).state == "awaiting_delivery"  # reading by link tells nothing
    again = http.post(f"/n/{token}", data={"confirm": "y"})
    assert again.status_code == 404 and "al gebruikt" in again.text
    assert http.get(f"/n/{token}").status_code == 404
    assert http.get("/n/forged-token").status_code == 404
    other = notice_token(notice.id)
    with time_machine.travel(NOW + timedelta(days=40)):
        expired = http.get(f"/n/{other}")
    assert expired.status_code == 404 and "verlopen" in expired.text


def test_signed_link_takes_a_logged_in_client_user_to_the_portal(login, make_agreement, make_subprocessor, manager):
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    http = login(agreement.client.users[0])
    response = http.get(f"/n/{notice_token(notice.id)}")
    assert response.status_code == 302 and response.headers["Location"] == f"/portal/notices/{notice.id}"


def test_annex_iv_lists_what_applies(make_agreement, make_subprocessor):
    make_subprocessor(status="active", name="Actief Platform NV")
    make_subprocessor(status="active", name="Andere Dienst NV", services=("telemarketing",))
    agreement = make_agreement("signed")
    import io

    from pypdf import PdfReader

    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(agreement.signed_pdf)).pages).split())
    assert "Actief Platform NV" in text and "Andere Dienst NV" not in text
    assert [s.name for s in register.applying_on(agreement.client_id, NOW.date())] == ["Actief Platform NV"]


def test_cli_sweep_send_mail_and_token(runner, make_agreement, make_subprocessor, manager, inbox, http):
    _, notice = setup_notice(make_agreement, make_subprocessor, manager, deliver=False)
    result = runner.invoke(args=["dpa", "send-mail"])
    assert result.exit_code == 0 and "Verstuurd: 1" in result.output
    result = runner.invoke(args=["dpa", "sweep"])
    assert result.exit_code == 0 and "Stilzwijgend goedgekeurd: 0" in result.output
    result = runner.invoke(args=["dpa", "create-token", manager.email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert http.get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    result = runner.invoke(args=["dpa", "create-token", "niemand@example.be"])
    assert result.exit_code != 0 and "geen actieve gebruiker" in result.output


def test_the_register_names_data_categories_and_history_uses_words(as_manager, make_subprocessor):
    sp = make_subprocessor()
    page = as_manager.get(f"/subprocessors/{sp.id}", headers={"Accept-Language": "nl"}).text
    assert "Contactgegevens (adres, telefoon, e-mail)" in page and "call_recordings" not in page


def test_a_used_or_expired_link_leads_through_the_login_back_to_the_notice(http, make_agreement, make_subprocessor,
                                                                          manager):  # fmt: skip
    agreement, notice = setup_notice(make_agreement, make_subprocessor, manager)
    token = notice_token(notice.id)
    http.post(f"/n/{token}", data={"confirm": "y"})
    used = http.get(f"/n/{token}")
    login_url = f"/login?next=/portal/notices/{notice.id}"
    assert used.status_code == 404 and "werkt één keer en werd al gebruikt" in used.text
    assert f'href="{login_url}"' in used.text
    unused = notice_token(notice.id)
    with time_machine.travel(NOW + timedelta(days=40)):
        expired = http.get(f"/n/{unused}")
    assert "werkte 30 dagen en is verlopen" in expired.text and f'href="{login_url}"' in expired.text
    forged = http.get("/n/forged-token")
    assert "ongeldig" in forged.text and f"next=/portal/notices/{notice.id}" not in forged.text
    signed_in = http.post(login_url, data={"email": agreement.client.users[0].email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == f"/portal/notices/{notice.id}"
    assert http.get(f"/n/{token}").headers["Location"] == f"/portal/notices/{notice.id}"  # signed in: straight there


def test_a_draft_change_lists_whom_it_reaches_and_previews_the_e_mail_in_each_language(
    as_manager, app, make_agreement, make_client, make_subprocessor, manager
):
    app.config["PAGE_SIZE"] = 2
    french = make_client(name="Boulangerie Dupont SA", language="fr", contact_name="Anne Dupont")
    french.salutation, french.salutation_name = "ms", "Dupont"
    db.session.commit()
    for client in (make_client(name="Brouwerij De Klok BV"), make_client(name="Bakkerij Maes"), french):
        make_agreement("signed", client=client)
    make_agreement("draft")  # not signed: not reached
    change = changes.create_change(
        kind="add",
        subprocessor_id=make_subprocessor().id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    db.session.commit()
    page = as_manager.get(f"/changes/{change.id}")
    assert "Wie de melding krijgt" in page.text
    assert (
        "Bakkerij Maes" in page.text and "Boulangerie Dupont SA" in page.text and "Brouwerij De Klok" not in page.text
    )
    assert "7 kalenderdagen" in page.text and "Volgende" in page.text  # two per page here: a second page
    assert "Brouwerij De Klok BV" in as_manager.get(f"/changes/{change.id}?page=2").text
    found = as_manager.get(f"/changes/{change.id}?q=klok")
    assert "Brouwerij De Klok BV" in found.text and "Bakkerij Maes" not in found.text
    assert "Geen klant gevonden" in as_manager.get(f"/changes/{change.id}?q=nergens").text

    outbox_before = db.session.scalar(select(func.count()).select_from(Notice))
    preview = as_manager.get(f"/changes/{change.id}/preview/fr")
    assert preview.status_code == 200 and "Boulangerie Dupont SA" in preview.text
    assert "Chère Madame Dupont," in preview.text and "CloudTel SA" in preview.text and "[…]" in preview.text
    assert "/portal/notices/" not in preview.text and "/n/" not in preview.text
    dutch = as_manager.get(f"/changes/{change.id}/preview/nl")
    assert "Nieuw platform" in dutch.text and "bezwaar" in dutch.text
    english = as_manager.get(f"/changes/{change.id}/preview/en")  # no client reads English: one reached, in English
    assert english.status_code == 200 and "deemed approved" in english.text and "leest deze taal" in english.text
    # nothing was kept, and nothing was sent
    assert db.session.scalar(select(func.count()).select_from(Notice)) == outbox_before == 0
    assert db.session.get(Change, change.id).state == "draft"
    assert as_manager.get(f"/changes/{change.id}/preview/de").status_code == 404

    changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    announced = as_manager.get(f"/changes/{change.id}/preview/nl", follow_redirects=True)
    assert "Alleen een wijziging in voorbereiding heeft een voorbeeld" in announced.text
    assert "Wie de melding krijgt" not in as_manager.get(f"/changes/{change.id}").text
