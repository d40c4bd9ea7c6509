"""Drafting, sending, signing and ending agreements, through the pages and the services."""

import hashlib

import pytest

from dpa_manager.accounts.models import User
from dpa_manager.agreements import services
from dpa_manager.agreements.models import Agreement
from dpa_manager.errors import Conflict, Invalid
from dpa_manager.extensions import db
from dpa_manager.processor.models import Service
from dpa_manager.rules import AgreementState

from .conftest import NOW

FORM = {
    "subject_matter": "Klantendienst voor consumenten",
    "starts_on": "2026-11-01",
    "ends_on": "",
    "nature_purpose": "Oproepen beantwoorden.",
    "data_types": ["identification", "contact"],
    "data_subjects": ["customers"],
    "end_choice": "delete",
    "window_days": "7",
    "window_unit": "calendar",
    "cap_total": "2500",
    "cap_other": "1000",
    "toms": "Versleuteling\nToegangsbeheer",
}


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


def form(setup, **overrides):
    service_id = db.session.scalar(db.select(Service.id).where(Service.code == "klantendienst"))
    return FORM | {"terms_version_id": str(setup.id), "services": [str(service_id)]} | overrides


def count():
    return db.session.scalar(db.select(db.func.count()).select_from(Agreement))


def test_new_agreement_form_starts_from_the_profile(as_manager, make_client):
    client = make_client()
    page = as_manager.get(f"/agreements/new?client_id={client.id}")
    assert page.status_code == 200
    assert 'name="window_days" required type="number" value="7"' in page.text
    assert 'value="2.500,00"' in page.text and 'value="1.000,00"' in page.text  # as Dutch writes an amount
    assert page.text.count("art. 9 AVG") == 1  # special categories are chosen once, among the kinds of data


def test_amounts_are_read_as_written_and_special_categories_are_one_choice(as_manager, make_client, setup):
    client = make_client()
    data = form(setup) | {"cap_total": "€ 3.250,50", "cap_other": "1 000", "data_types": ["contact", "special"]}
    response = as_manager.post(f"/agreements/new?client_id={client.id}", data=data)
    assert response.status_code == 302, response.text
    agreement = db.session.scalar(db.select(Agreement))
    assert (agreement.cap_total_cents, agreement.cap_other_cents) == (325_050, 100_000)
    assert agreement.special_categories and "special" in agreement.data_types
    edit = as_manager.get(f"/agreements/{agreement.id}/edit")
    assert 'value="3.250,50"' in edit.text


def test_manager_creates_and_edits_a_draft(as_manager, make_client, setup):
    client = make_client()
    response = as_manager.post(f"/agreements/new?client_id={client.id}", data=form(setup))
    assert response.status_code == 302
    agreement = db.session.scalar(db.select(Agreement))
    assert agreement.state == "draft" and agreement.cap_total_cents == 250_000
    assert [s.code for s in agreement.services] == ["klantendienst"]
    response = as_manager.post(
        f"/agreements/{agreement.id}/edit", data=form(setup, window_days="3", window_unit="working")
    )
    assert response.status_code == 302
    db.session.refresh(agreement)
    assert (agreement.window_days, agreement.window_unit) == (3, "working")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"ends_on": "2026-10-01"}, "De einddatum ligt vóór de begindatum."),
        ({"window_days": "0"}, "minstens 1 en hoogstens 90"),
        ({"window_days": "91"}, "minstens 1 en hoogstens 90"),
        ({"window_days": "zeven"}, "Ongeldig getal."),
        ({"cap_total": "-1"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_other": "-0.01"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_total": "1e30"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_total": "20000000.01"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_total": "Infinity"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_other": "-Infinity"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_total": "sNaN"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"cap_other": "NaN"}, "Een plafond is een bedrag van 0 tot 20.000.000 EUR"),
        ({"starts_on": "0001-01-01"}, "Geef een datum tussen 1900 en 2999"),
        ({"ends_on": "9999-12-31"}, "Geef een datum tussen 1900 en 2999"),
        ({"starts_on": ""}, "Vul de begindatum in."),
        ({"starts_on": "31/02/2026"}, "Ongeldige datum."),
        ({"data_types": ["bogus"]}, "ongeldige keuze voor dit veld"),
        ({"terms_version_id": "999"}, "Ongeldige keuze."),
    ],
)
def test_bad_agreement_input_saves_nothing(as_manager, make_client, setup, overrides, message):
    client = make_client()
    response = as_manager.post(f"/agreements/new?client_id={client.id}", data=form(setup, **overrides))
    assert response.status_code == 422
    assert message.lower() in response.text.lower(), response.text[-3000:]
    assert "Klantendienst voor consumenten" in response.text  # what was typed stays
    assert count() == 0


def test_checklist_shows_on_the_agreement_page(as_manager, make_agreement):
    agreement = make_agreement(subject_matter="", toms="")
    page = as_manager.get(f"/agreements/{agreement.id}")
    assert "Checklist art. 28(3) AVG" in page.text
    assert page.text.count('class="missing"') == 2
    assert "Nog niet volledig" in page.text


def test_incomplete_agreement_cannot_be_sent_or_rendered(as_manager, make_agreement):
    agreement = make_agreement(data_types=[], toms="")
    response = as_manager.post(f"/agreements/{agreement.id}/send", data={"confirm": "y"}, follow_redirects=True)
    assert "onvolledig" in response.text
    assert "soorten persoonsgegevens" in response.text and "beveiligingsmaatregelen" in response.text
    db.session.refresh(agreement)
    assert agreement.state == "draft"
    response = as_manager.get(f"/agreements/{agreement.id}/pdf", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "ontbreekt: soorten persoonsgegevens" in response.text


def test_sending_needs_confirmation(as_manager, make_agreement):
    agreement = make_agreement()
    response = as_manager.post(f"/agreements/{agreement.id}/send", data={}, follow_redirects=True)
    assert "Vink aan om te bevestigen." in response.text
    db.session.refresh(agreement)
    assert agreement.state == "draft"


def test_the_whole_signing_story(as_manager, login, make_client, make_user, make_agreement):
    client = make_client(name="Brouwerij Zoë BV")
    signer = make_user(client=client, full_name="Els Janssens")
    agreement = make_agreement(client=client)

    as_manager.post(f"/agreements/{agreement.id}/send", data={"confirm": "y"})
    db.session.refresh(agreement)
    assert agreement.state == "sent" and len(agreement.body_sha256) == 64
    as_manager.post("/logout")

    portal = login(signer)
    listing = portal.get("/portal/")
    assert f"VO-{agreement.id:05d}" in listing.text and "Te ondertekenen" in listing.text
    page = portal.get(f"/portal/agreements/{agreement.id}")
    assert "Artikel 1." in page.text and "Bijlage IV" in page.text and agreement.body_sha256 in page.text
    refused = portal.post(f"/portal/agreements/{agreement.id}", data={"full_name": "Els", "role": "Zaakvoerder"})
    assert "Typ uw volledige naam" in refused.text or "Bevestig dat u mag ondertekenen." in refused.text
    db.session.refresh(agreement)
    assert agreement.client_signed_at is None
    response = portal.post(
        f"/portal/agreements/{agreement.id}",
        data={"full_name": "Els Janssens", "role": "Zaakvoerder", "authorised": "y"},
    )
    assert response.status_code == 302
    again = portal.post(
        f"/portal/agreements/{agreement.id}",
        data={"full_name": "Els Janssens", "role": "Zaakvoerder", "authorised": "y"},
    )
    assert again.status_code == 422 and "al ondertekend" in again.text
    portal.post("/logout")

    manager = db.session.scalar(db.select(User).where(User.role == "manager"))
    http = login(manager)
    response = http.post(
        f"/agreements/{agreement.id}/countersign",
        data={"full_name": "An Manager", "role": "Accountmanager", "authorised": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.state == "signed"
    assert agreement.signed_sha256 == hashlib.sha256(agreement.signed_pdf).hexdigest()
    page = http.get(f"/agreements/{agreement.id}")
    assert agreement.signed_sha256 in page.text and "Ondertekend door de klant" in page.text
    pdf = http.get(f"/agreements/{agreement.id}/pdf?download=1")
    assert pdf.data == agreement.signed_pdf
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_signing_a_draft_or_twice_is_refused(make_agreement, make_user, manager):
    draft = make_agreement()
    user = make_user(client=draft.client)
    with pytest.raises(Conflict):
        services.client_sign(draft, user=user, full_name="Els Janssens", role="Zaakvoerder", authorised=True, now=NOW)
    signed = make_agreement("signed")
    with pytest.raises(Conflict):
        services.client_sign(
            signed, user=signed.client.users[0], full_name="Els Janssens", role="Zaakvoerder", authorised=True, now=NOW
        )
    with pytest.raises(Conflict):
        services.countersign(signed, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)


def test_countersigning_before_the_client_is_refused(make_agreement, manager):
    agreement = make_agreement("sent")
    with pytest.raises(Conflict, match="pas nadat de klant"):
        services.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)


def test_only_the_clients_own_users_sign(make_agreement, make_user, make_client, manager):
    agreement = make_agreement("sent")
    stranger = make_user(client=make_client())
    for user in (stranger, manager):
        with pytest.raises(Conflict):
            services.client_sign(
                agreement, user=user, full_name="Els Janssens", role="Zaakvoerder", authorised=True, now=NOW
            )


def test_signature_needs_authority(make_agreement, make_user):
    agreement = make_agreement("sent")
    user = make_user(client=agreement.client)
    with pytest.raises(Invalid, match="vertegenwoordigen"):
        services.client_sign(
            agreement, user=user, full_name="Els Janssens", role="Zaakvoerder", authorised=False, now=NOW
        )


def test_a_client_user_never_sees_another_clients_agreement(login, make_agreement, make_user, make_client):
    theirs = make_agreement("sent")
    mine = make_agreement("sent")
    portal = login(make_user(client=mine.client))
    assert portal.get(f"/portal/agreements/{mine.id}").status_code == 200
    assert portal.get(f"/portal/agreements/{theirs.id}").status_code == 404
    assert portal.get(f"/agreements/{theirs.id}/pdf").status_code == 404
    assert (
        portal.post(
            f"/portal/agreements/{theirs.id}",
            data={"full_name": "Els Janssens", "role": "Zaakvoerder", "authorised": "y"},
        ).status_code
        == 404
    )
    db.session.refresh(theirs)
    assert theirs.client_signed_at is None


def test_client_users_do_not_see_drafts(login, make_agreement, make_user):
    draft = make_agreement()
    portal = login(make_user(client=draft.client))
    assert portal.get(f"/portal/agreements/{draft.id}").status_code == 404
    assert portal.get(f"/agreements/{draft.id}/pdf").status_code == 404
    assert f"VO-{draft.id:05d}" not in portal.get("/portal/").text


def test_unknown_agreement_is_404(as_manager):
    for url in ("/agreements/999", "/agreements/999/edit", "/agreements/999/pdf", "/agreements/999/document"):
        assert as_manager.get(url).status_code == 404
    assert as_manager.post("/agreements/999/send", data={"confirm": "y"}).status_code == 404
    assert as_manager.get("/agreements/new?client_id=999").status_code == 404


def test_recall_takes_a_sent_agreement_back_to_draft(as_manager, make_agreement):
    agreement = make_agreement("sent")
    as_manager.post(f"/agreements/{agreement.id}/recall", data={"confirm": "y"})
    db.session.refresh(agreement)
    assert agreement.state == "draft" and agreement.snapshot is None


def test_recall_after_the_client_signed_is_refused(make_agreement, manager):
    agreement = make_agreement("client_signed")
    with pytest.raises(Conflict):
        services.recall(agreement, actor=manager, now=NOW)


def test_a_sent_agreement_cannot_be_edited(as_manager, make_agreement, setup):
    agreement = make_agreement("sent")
    response = as_manager.post(
        f"/agreements/{agreement.id}/edit", data=form(setup, subject_matter="Anders"), follow_redirects=True
    )
    assert "Alleen een concept kan nog wijzigen." in response.text
    db.session.refresh(agreement)
    assert agreement.subject_matter == "Klantendienst voor consumenten"


def test_a_new_signed_agreement_supersedes_the_old_one(make_agreement, make_client):
    client = make_client()
    old = make_agreement("signed", client=client)
    new = make_agreement("signed", client=client)
    db.session.expire_all()
    assert db.session.get(Agreement, old.id).state == "superseded"
    assert db.session.get(Agreement, new.id).state == "signed"


def test_terminating_needs_confirmation_and_keeps_the_pdf(as_manager, make_agreement):
    agreement = make_agreement("signed")
    pdf_before = agreement.signed_pdf
    as_manager.post(f"/agreements/{agreement.id}/terminate", data={})
    db.session.refresh(agreement)
    assert agreement.state == "signed"
    as_manager.post(f"/agreements/{agreement.id}/terminate", data={"confirm": "y"})
    db.session.refresh(agreement)
    assert agreement.state == AgreementState.TERMINATED and agreement.signed_pdf == pdf_before
    assert as_manager.get(f"/agreements/{agreement.id}/pdf").data == pdf_before


def test_history_lists_every_step(as_manager, make_agreement):
    agreement = make_agreement("signed")
    page = as_manager.get(f"/agreements/{agreement.id}")
    for step in ("Aangemaakt", "Verstuurd ter ondertekening", "Ondertekend door de klant", "Tegengetekend"):
        assert step in page.text


def test_agreement_list_filters_by_state(as_manager, make_agreement):
    draft, signed = make_agreement(), make_agreement("signed")
    page = as_manager.get("/agreements/?state=signed")
    assert f"VO-{signed.id:05d}" in page.text and f"VO-{draft.id:05d}" not in page.text
    assert as_manager.get("/agreements/?state=bogus").status_code == 200


def test_the_countersignature_applies_the_annex_as_sent_and_no_entry_put_in_use_since(
    make_agreement, make_subprocessor, manager
):
    """Annex IV is frozen when the agreement is sent: a register entry put in use before the countersignature (an
    import, a change announced to the signed agreements) does not join this client's list without its own notice."""
    from dpa_manager.subprocessors.services import applying_on

    listed = make_subprocessor(status="active", name="In Bijlage NV")
    agreement = make_agreement("client_signed")
    later = make_subprocessor(status="active", name="Later In Gebruik NV")
    services.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
    db.session.commit()
    names = [sp.name for sp in applying_on(agreement.client_id, NOW.date())]
    assert names == ["In Bijlage NV"] and later.name not in names
    assert agreement.snapshot["annex_subprocessor_ids"] == [listed.id]


def test_each_state_shows_one_badge(login, manager, make_client, make_user, make_agreement):
    """One agreement in one state carries one badge, saying what is to be done: the client sees 'Te ondertekenen'
    and then 'Wacht op tegentekening', the manager 'Ter ondertekening' and then 'Tegentekenen'."""
    client = make_client()
    user = make_user(client=client)
    waiting, signed_by_client = make_agreement("sent", client=client), make_agreement("client_signed", client=client)
    http = login(user)
    portal = http.get("/portal/").text
    http.post("/logout")
    rows = {a.id: portal.split(f"VO-{a.id:05d}")[1].split("</tr>")[0] for a in (waiting, signed_by_client)}
    assert rows[waiting.id].count('class="badge') == 1 and "Te ondertekenen" in rows[waiting.id]
    assert rows[signed_by_client.id].count('class="badge') == 1
    assert "Wacht op tegentekening" in rows[signed_by_client.id]
    listing = login(manager).get("/agreements/").text
    rows = {a.id: listing.split(f"VO-{a.id:05d}")[1].split("</tr>")[0] for a in (waiting, signed_by_client)}
    assert rows[waiting.id].count('class="badge') == 1 and "Ter ondertekening" in rows[waiting.id]
    assert rows[signed_by_client.id].count('class="badge') == 1 and "Tegentekenen" in rows[signed_by_client.id]
