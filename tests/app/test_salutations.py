"""E-mails address people as they chose: a user on their account page, a client's contact in the client's details
("Geachte mevrouw Janssens", "Beste Els", "Chère Madame Dupont"); a message to nobody in particular addresses
nobody by name. Read as a real SMTP server received them."""

import pytest
from sqlalchemy import select

from dpa_manager import clock
from dpa_manager.accounts.services import create_token
from dpa_manager.agreements import services as agreements
from dpa_manager.audit import AuditEvent
from dpa_manager.clients.imports import import_clients, read_table
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db
from dpa_manager.jobs import drain

from .conftest import NOW
from .test_mail import announce, parts


@pytest.fixture
def call_api(http, manager, setup):
    token = create_token(manager, now=NOW)
    db.session.commit()
    return lambda method, url, json: http.open(
        url, method=method, json=json, headers={"Authorization": f"Bearer {token}"}
    )


def first_line(message) -> str:
    text, _html, _attachments = parts(message)
    return text.splitlines()[0]


def test_a_user_chooses_on_the_account_page_how_e_mails_address_them(login, make_client, make_user, inbox, http):
    user = make_user(client=make_client(), full_name="Els Janssens", email="els@klant.example")
    page = login(user)
    account = page.get("/account")
    assert "E-mails aan u beginnen nu met: Geachte Els Janssens," in account.text

    refused = page.post("/account/salutation", data={"salutation": "ms", "salutation_name": ""})
    assert refused.status_code == 422 and "Vul de naam in die bij de aanspreking hoort" in refused.text
    db.session.refresh(user)
    assert (user.salutation, user.salutation_name) == ("full_name", "")

    saved = page.post("/account/salutation", data={"salutation": "ms", "salutation_name": "Janssens"})
    assert saved.status_code == 302
    assert "Geachte mevrouw Janssens," in page.get("/account").text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "salutation_set"))
    assert event.after == {"salutation": "ms", "salutation_name": "Janssens"}

    page.post("/logout")
    http.post("/wachtwoord-vergeten", data={"email": user.email})
    drain(now=clock.now)
    (reset,) = inbox.to("els@klant.example")
    assert first_line(reset) == "Geachte mevrouw Janssens,"


def test_a_notice_addresses_the_clients_contact_in_the_clients_language(
    login, manager, make_client, make_agreement, make_subprocessor, inbox
):
    dutch = make_client(contact_email="els@klok.example", contact_name="Els Janssens")
    french = make_client(language="fr", contact_email="dpo@dupont.example", contact_name="Anne Dupont")
    english = make_client(language="en", contact_email="dpo@bright.example", contact_name="Sam Bright")
    for client in (dutch, french, english):
        make_agreement("signed", client=client)
    admin = login(manager)
    form = {k: getattr(dutch, k) for k in ("name", "address", "language", "contact_email", "contact_name")}
    edited = admin.post(
        f"/clients/{dutch.id}/edit",
        data=form
        | {"enterprise_number": dutch.enterprise_number, "salutation": "first_name", "salutation_name": "Els"},
    )
    assert edited.status_code == 302
    french.salutation, french.salutation_name = "ms", "Dupont"
    db.session.commit()
    assert "Beste Els," in admin.get(f"/clients/{dutch.id}").text
    assert "Chère Madame Dupont," in admin.get(f"/clients/{french.id}").text

    announce(make_subprocessor, manager)
    db.session.commit()
    drain(now=clock.now)
    contacts = ("dpo@bright.example", "dpo@dupont.example", "els@klok.example")
    greetings = {a: first_line(m) for m in inbox.messages for a in contacts if a in m["To"]}
    assert greetings["dpo@bright.example"] == "Dear Sam Bright,"
    assert greetings["dpo@dupont.example"] == "Chère Madame Dupont,"
    assert greetings["els@klok.example"] == "Beste Els,"


def test_a_message_to_several_users_without_the_contact_addresses_nobody_by_name(
    manager, make_client, make_user, make_agreement, inbox
):
    client = make_client(contact_name="Els Janssens")
    make_user(client=client, full_name="Marc Peeters", email="marc@klant.example")
    make_user(client=client, full_name="Lies Maes", email="lies@klant.example")
    agreement = make_agreement(client=client)
    agreements.send(agreement, actor=manager, now=NOW)
    db.session.commit()
    drain(now=clock.now)
    # the request to sign goes to each user on their own, by name
    assert {first_line(m) for m in inbox.messages} == {"Geachte Marc Peeters,", "Geachte Lies Maes,"}


def test_the_api_and_the_import_take_the_contacts_salutation(call_api, make_client):
    created = call_api("POST", "/api/v1/clients", {
        "name": "Brouwerij De Klok BV", "enterprise_number": "0427073974", "address": "Markt 1\n9000 Gent",
        "language": "nl", "contact_email": "privacy@deklok.example", "contact_name": "Els Janssens",
        "salutation": "ms", "salutation_name": "Janssens",
    })  # fmt: skip
    assert created.status_code == 201, created.json
    assert (created.json["salutation"], created.json["salutation_name"]) == ("ms", "Janssens")
    change = {"salutation": "first_name", "salutation_name": " "}
    refused = call_api("PATCH", f"/api/v1/clients/{created.json['id']}", change)
    assert refused.status_code == 422 and refused.json["field"] == "salutation_name"
    assert db.session.get(Client, created.json["id"]).salutation == "ms"

    rows = read_table(
        "klanten.csv",
        b"name;enterprise_number;address;language;contact_email;contact_name;salutation;salutation_name\n"
        b"Zon NV;0403.199.702;Kaai 1, Gent;nl;dpo@zon.example;Els Maes;first_name;Els\n"
        b"Maan NV;0403.170.701;Kaai 2, Gent;nl;dpo@maan.example;Jan Peeters;mr;\n",
    )
    checked = import_clients(rows, actor=None, now=NOW, source="klanten.csv")
    assert not checked[0].errors and "Vul de naam in" in checked[1].errors["salutation_name"]
