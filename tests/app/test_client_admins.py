"""A client's administrator manages its users in the portal: invites colleagues, chooses who signs and who receives
the notices, and takes access away. Requests to sign go to those who may sign; notices to the contact address and
those who receive them. The e-mails as a real SMTP server received them."""

import re
from datetime import timedelta

from sqlalchemy import select

from dpa_manager import clock
from dpa_manager.accounts.models import User
from dpa_manager.accounts.services import INVITES_PER_DAY, create_token
from dpa_manager.agreements import services as agreements
from dpa_manager.agreements.models import Agreement
from dpa_manager.audit import AuditEvent
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.notices.models import Notice

from .conftest import NOW, PASSWORD
from .test_mail import announce


def test_the_first_user_of_a_client_administers_it_and_invites_a_colleague_who_may_not_sign(
    login, make_client, make_user, inbox
):
    client = make_client(name="Brouwerij De Klok BV")
    els = make_user(client=client, full_name="Els Janssens", email="els@klok.example")
    assert els.client_admin and els.may_sign and els.gets_notices
    http = login(els)
    page = http.get("/portal/users")
    assert page.status_code == 200 and "Gebruikers van Brouwerij De Klok BV" in page.text
    assert "Een collega uitnodigen" in page.text

    refused = http.post("/portal/users/invite", data={"full_name": "Marc", "email": "geen adres"})
    assert refused.status_code == 422 and db.session.scalar(select(User).where(User.full_name == "Marc")) is None
    invited = http.post(
        "/portal/users/invite", data={"full_name": "Marc Peeters", "email": "marc@klok.example", "gets_notices": "y"}
    )
    assert invited.status_code == 302
    marc = db.session.scalar(select(User).where(User.email == "marc@klok.example"))
    assert (marc.client_id, marc.client_admin, marc.may_sign, marc.gets_notices) == (client.id, False, False, True)
    drain(now=clock.now)
    (invitation,) = inbox.to("marc@klok.example")
    assert "wachtwoord" in invitation.get_body(("plain",)).get_content()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invited", AuditEvent.object_id == marc.id))
    assert event.actor_id == els.id and event.after["may_sign"] is False


def test_a_colleague_who_is_no_administrator_only_reads_the_list(login, make_client, make_user):
    client = make_client()
    els = make_user(client=client, full_name="Els Janssens")
    marc = make_user(client=client, full_name="Marc Peeters")
    http = login(marc)
    page = http.get("/portal/users")
    assert "Een collega uitnodigen" not in page.text and "Els Janssens" in page.text  # names the administrator
    assert http.post("/portal/users/invite", data={"full_name": "X", "email": "x@x.example"}).status_code == 403
    assert http.post(f"/portal/users/{els.id}/rights", data={}).status_code == 403
    assert http.post(f"/portal/users/{els.id}/disable", data={"confirm": "y"}).status_code == 403
    db.session.refresh(els)
    assert els.client_admin and els.active


def test_the_administrator_changes_rights_takes_access_away_and_keeps_their_own_right(
    login, make_client, make_user, http
):
    client, other = make_client(), make_client()
    els = make_user(client=client, full_name="Els Janssens")
    marc = make_user(client=client, full_name="Marc Peeters", email="marc@klant.example")
    stranger = make_user(client=other)
    page = login(els)
    assert page.post(f"/portal/users/{marc.id}/rights", data={"client_admin": "y", "may_sign": "y"}).status_code == 302
    db.session.refresh(marc)
    assert (marc.client_admin, marc.may_sign, marc.gets_notices) == (True, True, False)
    kept = page.post(f"/portal/users/{els.id}/rights", data={"may_sign": "y"}, follow_redirects=True)
    assert "eigen beheerdersrecht niet intrekken" in kept.text
    db.session.refresh(els)
    assert els.client_admin
    assert page.post(f"/portal/users/{stranger.id}/rights", data={}).status_code == 404
    assert page.post(f"/portal/users/{stranger.id}/disable", data={"confirm": "y"}).status_code == 404

    assert page.post(f"/portal/users/{marc.id}/disable", data={}).status_code == 302  # not confirmed: nothing
    db.session.refresh(marc)
    assert marc.active
    page.post(f"/portal/users/{marc.id}/disable", data={"confirm": "y"})
    db.session.refresh(marc)
    assert not marc.active
    page.post("/logout")
    refused = http.post("/login", data={"email": marc.email, "password": PASSWORD})
    assert refused.status_code != 302


def test_only_those_who_may_sign_are_asked_and_can_sign(login, manager, make_client, make_user, make_agreement, inbox):
    client = make_client()
    els = make_user(client=client, full_name="Els Janssens", email="els@klant.example")
    marc = make_user(client=client, full_name="Marc Peeters", email="marc@klant.example")
    marc.may_sign = False
    db.session.commit()
    agreement = make_agreement(client=client)
    agreements.send(agreement, actor=manager, now=NOW)
    db.session.commit()
    drain(now=clock.now)
    assert [m["To"] for m in inbox.messages] == ["els@klant.example"]

    http = login(marc)
    page = http.get(f"/portal/agreements/{agreement.id}")
    assert "U mag niet ondertekenen voor uw organisatie" in page.text and 'name="authorised"' not in page.text
    refused = http.post(
        f"/portal/agreements/{agreement.id}",
        data={"full_name": "Marc Peeters", "role": "Bediende", "authorised": "y"},
    )
    assert refused.status_code == 422
    db.session.refresh(agreement)
    assert agreement.client_signed_at is None

    els.may_sign = False
    db.session.commit()
    draft = make_agreement(client=client)
    http.post("/logout")
    admin = login(manager)
    assert "geen actieve gebruiker die kan ondertekenen" in admin.get(f"/agreements/{draft.id}").text
    admin.post(f"/agreements/{draft.id}/send", data={"confirm": "y"})
    assert db.session.get(Agreement, draft.id).state == "draft"


def test_notices_go_to_the_contact_address_and_to_those_who_receive_them(
    make_client, make_user, make_agreement, make_subprocessor, manager, inbox
):
    client = make_client(contact_email="privacy@klant.example")
    make_user(client=client, email="els@klant.example")
    quiet = make_user(client=client, email="marc@klant.example")
    quiet.gets_notices = False
    db.session.commit()
    make_agreement("signed", client=client)
    announce(make_subprocessor, manager)
    db.session.commit()
    drain(now=clock.now)
    (notice,) = inbox.messages
    assert sorted(re.split(r",\s*", notice["To"])) == ["els@klant.example", "privacy@klant.example"]


def test_a_manager_chooses_the_rights_on_the_client_page_and_through_the_api(login, manager, make_client, make_user):
    client = make_client()
    els = make_user(client=client, full_name="Els Janssens")
    http = login(manager)
    assert "Beheert de gebruikers" in http.get(f"/clients/{client.id}").text
    http.post(f"/clients/{client.id}/users/{els.id}/rights", data={"gets_notices": "y"})
    db.session.refresh(els)
    assert (els.client_admin, els.may_sign, els.gets_notices) == (False, False, True)
    token = create_token(manager, now=NOW)
    db.session.commit()
    created = http.post(
        f"/api/v1/clients/{client.id}/users",
        json={"email": "lies@klant.example", "full_name": "Lies Maes", "client_admin": True, "may_sign": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    assert (created.json["client_admin"], created.json["may_sign"], created.json["gets_notices"]) == (True, False, True)


def test_an_outcome_by_silence_reaches_only_those_who_receive_notices(
    make_client, make_user, make_agreement, make_subprocessor, manager, inbox
):
    from dpa_manager import jobs  # the sweep records the deemed approval and queues its outcome

    client = make_client(contact_email="privacy@klant.example")
    make_user(client=client, email="els@klant.example")
    quiet = make_user(client=client, email="marc@klant.example")
    quiet.gets_notices = False
    db.session.commit()
    make_agreement("signed", client=client)
    announce(make_subprocessor, manager)
    db.session.commit()
    drain(now=clock.now)
    notice = db.session.scalar(select(Notice).where(Notice.client_id == client.id))
    inbox.messages.clear()
    jobs.sweep(notice.closes_at + timedelta(minutes=1))
    drain(now=lambda: notice.closes_at + timedelta(minutes=2))
    assert inbox.messages and all("marc@klant.example" not in m["To"] for m in inbox.messages)
    assert any("els@klant.example" in m["To"] for m in inbox.messages)


def test_the_first_active_user_becomes_administrator_and_invitations_are_limited(login, make_client, make_user):
    client = make_client()
    gone = make_user(client=client, full_name="Oud Account")
    gone.active, gone.client_admin = False, False
    db.session.commit()
    els = make_user(client=client, full_name="Els Janssens")
    assert els.client_admin  # the disabled one does not count
    http = login(els)
    for n in range(INVITES_PER_DAY - 2):  # two users were made today already
        assert (
            http.post("/portal/users/invite", data={"full_name": f"C {n}", "email": f"c{n}@k.example"}).status_code
            == 302
        )
    refused = http.post("/portal/users/invite", data={"full_name": "Eén te veel", "email": "te@veel.example"})
    assert refused.status_code == 422 and "de voorbije 24 uur al 20 gebruikers" in refused.text
    assert db.session.scalar(select(User).where(User.email == "te@veel.example")) is None
