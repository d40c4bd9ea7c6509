"""Telling people when they must act on an agreement: the signers when it is sent, the managers when the client
signed; the dashboard's list of agreements waiting for a countersignature; no sending to a client nobody can sign
for. The e-mails are read as a real SMTP server received them."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.accounts.models import User
from dpa_manager.agreements import services
from dpa_manager.agreements.models import Agreement
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage

from .conftest import NOW, PASSWORD


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_sending_e_mails_each_signer_in_their_language_with_a_link_that_leads_to_the_agreement(
    login, manager, make_client, make_user, make_agreement, inbox, http
):
    client = make_client(name="Boulangerie Dupont SA", language="fr")
    els = make_user(client=client, full_name="Els Janssens", email="els@dupont.example")
    marc = make_user(client=client, full_name="Marc Dupont", email="marc@dupont.example")
    marc.language = "en"
    gone = make_user(client=client, full_name="Oud Account", email="oud@dupont.example")
    gone.active = False
    db.session.commit()
    agreement = make_agreement(client=client)
    page = login(manager).get(f"/agreements/{agreement.id}")
    assert "els@dupont.example, marc@dupont.example" in page.text and "oud@dupont.example" not in page.text
    sent = http.post(f"/agreements/{agreement.id}/send", data={"confirm": "y"})
    assert sent.status_code == 302
    http.post("/logout")
    drain(now=clock.now)

    reference = f"VO-{agreement.id:05d}"
    assert sorted(m["To"] for m in inbox.messages) == ["els@dupont.example", "marc@dupont.example"]
    (french,) = inbox.to("els@dupont.example")
    (english,) = inbox.to("marc@dupont.example")
    assert french["Subject"] == f"Convention de sous-traitance {reference} de ContactExpert NV à signer"
    assert english["Subject"] == f"Data processing agreement {reference} from ContactExpert NV for signature"
    assert "els@dupont.example" in text_of(french) and "marc@dupont.example" in text_of(english)
    link = re.search(r"http://127\.0\.0\.1:5000(/portal/agreements/\d+)", text_of(french)).group(1)
    assert link == f"/portal/agreements/{agreement.id}"

    # followed without a session: the login page, which leads back to the agreement
    first = http.get(link)
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    signed_in = http.post(first.headers["Location"], data={"email": els.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == link
    assert reference in http.get(link).text


def test_the_client_signature_e_mails_the_managers_and_the_dashboard_lists_it(
    app, login, manager, make_client, make_user, make_agreement, inbox
):
    app.config["ALERT_EMAILS"] = ["dpo@contactexpert.example", "accounts@contactexpert.example"]
    client = make_client(name="Brouwerij De Klok BV")
    signer = make_user(client=client, full_name="Els Janssens")
    agreement = make_agreement("sent", client=client)
    drain(now=clock.now)
    inbox.messages.clear(), inbox.envelopes.clear()
    portal = login(signer)
    signed = portal.post(
        f"/portal/agreements/{agreement.id}",
        data={"full_name": "Els Janssens", "role": "Zaakvoerder", "authorised": "y"},
    )
    assert signed.status_code == 302
    portal.post("/logout")
    drain(now=clock.now)

    (alert,) = inbox.messages
    assert sorted(inbox.envelopes[0]) == ["accounts@contactexpert.example", "dpo@contactexpert.example"]
    reference = f"VO-{agreement.id:05d}"
    assert alert["Subject"] == f"Brouwerij De Klok BV ondertekende {reference}: klaar om tegen te tekenen"
    body = " ".join(text_of(alert).split())
    assert "Els Janssens ondertekende op" in body and f"/agreements/{agreement.id}" in body

    board = login(manager).get("/dashboard")
    assert "Wachten op tegentekening" in board.text
    assert f'href="/agreements/{agreement.id}">{reference}</a>' in board.text


def test_the_dashboard_lists_only_what_waits_for_a_countersignature(login, manager, make_agreement):
    waiting = make_agreement("client_signed")
    draft, sent, signed = make_agreement("draft"), make_agreement("sent"), make_agreement("signed")
    listed = services.waiting_countersignature(manager, 10)
    assert [a.id for a in listed] == [waiting.id]
    page = login(manager).get("/dashboard").text
    for other in (draft, sent, signed):
        assert f"VO-{other.id:05d}" not in page


def test_sending_to_a_client_without_users_is_refused_and_offers_an_invitation(
    login, manager, make_client, make_agreement, inbox
):
    client = make_client(name="Nieuwe Klant BV")
    agreement = make_agreement(client=client)
    http = login(manager)
    page = http.get(f"/agreements/{agreement.id}")
    assert "heeft geen actieve gebruiker die kan ondertekenen" in page.text and "Uitnodigen en versturen" in page.text

    before = outbox_count()
    refused = http.post(f"/agreements/{agreement.id}/send", data={"confirm": "y"}, follow_redirects=True)
    assert "Nieuwe Klant BV heeft geen actieve gebruiker die kan ondertekenen" in refused.text
    bad = http.post(
        f"/agreements/{agreement.id}/send",
        data={"confirm": "y", "invite_name": "Els Janssens", "invite_email": "geen-adres"},
        follow_redirects=True,
    )
    assert "e-mailadres" in bad.text.lower()
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).state == "draft" and outbox_count() == before
    assert db.session.scalar(select(User).where(User.client_id == client.id)) is None

    done = http.post(
        f"/agreements/{agreement.id}/send",
        data={"confirm": "y", "invite_name": "Els Janssens", "invite_email": "els@nieuweklant.example"},
        follow_redirects=True,
    )
    assert "krijgen een e-mail" in done.text
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).state == "sent"
    drain(now=clock.now)
    subjects = sorted(m["Subject"] for m in inbox.to("els@nieuweklant.example"))
    assert len(subjects) == 2
    assert subjects[0].startswith("Uitnodiging voor het portaal")
    assert subjects[1] == f"Verwerkersovereenkomst VO-{agreement.id:05d} van ContactExpert NV ter ondertekening"


def test_sending_again_after_a_recall_e_mails_again(make_agreement, manager, make_client, make_user):
    client = make_client()
    make_user(client=client)
    agreement = make_agreement(client=client)
    services.send(agreement, actor=manager, now=NOW)
    services.recall(agreement, actor=manager, now=NOW)
    services.send(agreement, actor=manager, now=NOW + timedelta(minutes=1))
    db.session.commit()
    keys = db.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.template == "agreement_to_sign")
    ).all()
    assert len(keys) == 2 and len(set(keys)) == 2
