"""Amendments of the terms: announced with a comparison, 3 working days, and a new signed agreement on acceptance."""

from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import func, select

from dpa_manager import jobs
from dpa_manager.agreements import services as agreements
from dpa_manager.agreements.models import Agreement
from dpa_manager.amendments import services as amendments
from dpa_manager.errors import Conflict
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.terms.services import publish, save_draft
from dpa_manager.terms.text import to_text

from .conftest import NOW

UTC = UTC
#: Told on Saturday 21 November 2026: 3 working days are Monday 23 to Wednesday 25; the window
#: closes at midnight in Brussels after the Wednesday.
CLOSES = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
#: The new version's effective date in most tests: before the window closes.
EFFECTIVE = date(2026, 11, 23)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def parts(message):
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


@pytest.fixture
def new_version(setup, manager):
    """A published version 2027-01, in effect from Monday 23 November 2026: article 15 with a shorter breach
    deadline, a new article on AI tools."""
    return make_version(setup, manager, effective_on=EFFECTIVE)


def make_version(setup, manager, *, effective_on, label="2027-01"):
    old = "brengt hij de Verwerkingsverantwoordelijke daarvan zonder onredelijke vertraging op de hoogte, en uiterlijk"
    text = to_text(setup.articles)
    assert old in text
    text = text.replace(
        old, "brengt hij de Verwerkingsverantwoordelijke daarvan onverwijld op de hoogte, en uiterlijk", 1
    )
    text += (
        "\n\n# 24. Hulpmiddelen met artificiële intelligentie\n[dekt: ]\n"
        "De Verwerker gebruikt geen hulpmiddelen met artificiële intelligentie die persoonsgegevens van de "
        "Verwerkingsverantwoordelijke gebruiken om modellen te trainen."
    )
    version = save_draft(
        None, label=label, title=setup.title, effective_on=effective_on, text=text, actor=manager, now=NOW
    )
    return publish(version, actor=manager, now=NOW)


def announce(version, manager, **kwargs):
    return amendments.announce(
        version, summary="Kortere meldtermijn voor datalekken; AI-afspraak.", actor=manager, now=NOW, **kwargs
    )


def notice_of(amendment, agreement) -> Notice:
    return db.session.scalar(
        select(Notice).where(Notice.amendment_id == amendment.id, Notice.agreement_id == agreement.id)
    )


def current_agreement(client_id) -> Agreement:
    return db.session.scalar(select(Agreement).where(Agreement.client_id == client_id, Agreement.state == "signed"))


def test_every_signed_agreement_on_an_older_version_gets_a_notice(make_agreement, new_version, manager):
    signed = [make_agreement("signed") for _ in range(2)]
    make_agreement("draft")
    make_agreement("sent")
    amendment = announce(new_version, manager)
    rows = db.session.scalars(select(Notice).where(Notice.amendment_id == amendment.id)).all()
    assert sorted(n.agreement_id for n in rows) == sorted(a.id for a in signed)
    assert all(
        n.needs_approval and n.window_days == 3 and n.window_unit == "working" and n.change_id is None for n in rows
    )
    assert (
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == "amendment"))
        == 2
    )
    with pytest.raises(Conflict):
        announce(new_version, manager)


def test_only_a_published_version_can_be_announced(setup, manager, make_agreement):
    make_agreement("signed")
    draft = save_draft(
        None,
        label="concept",
        title="T",
        effective_on=date(2027, 1, 1),
        text=to_text(setup.articles),
        actor=manager,
        now=NOW,
    )
    with pytest.raises(Conflict):
        announce(draft, manager)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_the_email_carries_the_comparison_and_the_window_starts_at_delivery(
    make_agreement, new_version, manager, inbox
):
    agreement = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    (message,) = inbox.messages
    text, html = parts(message)
    assert message["Subject"] == (
        "Wijziging van de verwerkersovereenkomst (versie 2027-01): bezwaar mogelijk tot en "
        "met woensdag 25 november 2026"
    )
    assert "versie 2020-10 wordt vervangen door versie 2027-01" in text
    assert "Kortere meldtermijn voor datalekken" in text
    assert "binnen 3 werkdagen" in text
    # The changed words are marked in both parts; the new article is there in full.
    assert "[-zonder onredelijke vertraging-]" in text and "[+onverwijld+]" in text
    assert "zonder onredelijke vertraging</del>" in html and "onverwijld</ins>" in html
    assert "Artikel 24. Hulpmiddelen met artificiële intelligentie (nieuw)" in text
    assert "bezwaartermijn.ics" in [a.get_filename() for a in message.iter_attachments()]
    notice = notice_of(amendment, agreement)
    assert notice.state == "open" and notice.delivered_at == NOW and notice.closes_at == CLOSES


def test_silence_moves_the_agreement_to_the_new_version_with_an_amendment_record(
    make_agreement, new_version, manager, inbox
):
    old = make_agreement("signed")
    old_pdf = agreements.pdf_of(old, now=NOW)
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    assert jobs.sweep(CLOSES - timedelta(seconds=1)).amended == 0
    assert current_agreement(old.client_id).id == old.id

    report = jobs.sweep(CLOSES)
    assert report.deemed_approved == 1 and report.amended == 1
    db.session.expire_all()
    assert notice.state == "deemed_approved" and notice.applied_at == CLOSES
    new = current_agreement(old.client_id)
    assert new.id != old.id and new.terms_version_id == new_version.id and new.amended_from_id == old.id
    assert old.state == "superseded" and old.ended_at == CLOSES
    assert agreements.pdf_of(old, now=CLOSES) == old_pdf  # the old signed PDF is kept as it was
    # How it came about: not signed, accepted by silence under this notice, in force from the acceptance.
    assert new.concluded_by == "silence" and new.effective_at == CLOSES and notice.amended_agreement_id == new.id
    assert new.client_signed_at is None and new.processor_signed_at is None
    text = " ".join(pdf_text(agreements.pdf_of(new, now=CLOSES)).split())
    assert "versie 2027-01" in text and "onverwijld op de hoogte" in text and "Hulpmiddelen met artificiële" in text
    # An amendment record, never a signature page.
    assert "elektronisch ondertekend" not in text and "Beide partijen hebben" not in text
    assert "Wijzigingsakte" in text and "niet door de partijen ondertekend" in text
    assert "Stilzwijgend aanvaard: de verwerker ontving geen bezwaar" in text
    assert f"Melding nr. {notice.id}" in text and "Aanvaard door de mailserver 21/11/2026 11:00:00" in text
    assert "Bezwaartermijn 3 werkdagen" in text and "Termijn sloot op 26/11/2026 00:00:00" in text
    assert "Grondslag: artikel 20 van de gewijzigde overeenkomst (Wijziging van de Voorwaarden)" in text
    assert "Oorspronkelijke handtekeningen" in text and f"overeenkomst VO-{old.id:05d}" in text
    assert "Els Janssens" in text and "gelden niet als handtekening" in text
    assert new.signed_sha256 and new.body_sha256

    # Running the sweep again changes nothing.
    assert jobs.sweep(CLOSES + timedelta(hours=1)).amended == 0
    assert (
        db.session.scalar(select(func.count()).select_from(Agreement).where(Agreement.client_id == old.client_id)) == 2
    )
    drain(now=lambda: CLOSES)
    outcome = [m for m in inbox.messages if "aanvaard door stilzwijgen" in m["Subject"]]
    assert outcome and "versie 2027-01" in parts(outcome[0])[0]
    assert "ondertekende" not in parts(outcome[0])[0] and "Dat is geen handtekening" in parts(outcome[0])[0]


def test_an_accepted_amendment_takes_effect_on_the_versions_date_not_before(setup, make_agreement, manager, inbox):
    later = make_version(setup, manager, effective_on=date(2027, 1, 1))
    old = make_agreement("signed")
    amendment = announce(later, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    report = jobs.sweep(CLOSES)
    assert report.deemed_approved == 1 and report.amended == 0  # accepted, not yet in effect
    assert current_agreement(old.client_id).id == old.id
    new_year = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 January 2027, 00:00 in Brussels
    assert jobs.sweep(new_year - timedelta(seconds=1)).amended == 0
    assert jobs.sweep(new_year + timedelta(minutes=5)).amended == 1
    db.session.expire_all()
    new = current_agreement(old.client_id)
    # No gap and no overlap: the old one ends when the new one begins, at the version's effective date.
    assert new.effective_at == new_year and old.ended_at == new_year and notice.amended_agreement_id == new.id


def test_an_agreement_without_an_amendment_clause_is_not_amended_by_silence(setup, make_agreement, manager):
    with_clause = make_agreement("signed", terms_version_id=setup.id)
    no_clause = to_text(setup.articles).replace("[dekt: amendments]", "[dekt: ]")
    assert no_clause != to_text(setup.articles)
    bare = publish(
        save_draft(
            None,
            label="zonder-beding",
            title=setup.title,
            effective_on=date(2020, 10, 6),
            text=no_clause,
            actor=manager,
            now=NOW,
        ),
        actor=manager,
        now=NOW,
    )
    without = make_agreement("signed", terms_version_id=bare.id)
    version = make_version(setup, manager, effective_on=EFFECTIVE)
    assert amendments.agreements_to_sign_anew(version) == 1
    amendment = announce(version, manager)
    assert [n.agreement_id for n in db.session.scalars(select(Notice).where(Notice.amendment_id == amendment.id))] == [
        with_clause.id
    ]
    assert current_agreement(without.client_id).id == without.id


def test_an_explicit_acceptance_applies_on_the_effective_date(make_agreement, new_version, manager, inbox, login):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    user = old.client.users[0]
    page = login(user).get(f"/portal/notices/{notice.id}")
    assert page.status_code == 200
    assert "Wat verandert, artikel per artikel" in page.text and "<del>zonder onredelijke vertraging</del>" in page.text
    response = login(user).post(f"/portal/notices/{notice.id}/approval", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert notice.state == "approved" and notice.applied_at is None  # accepted on Saturday, in effect on Monday
    monday = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert jobs.sweep(monday + timedelta(minutes=1)).amended == 1
    db.session.expire_all()
    assert notice.applied_at is not None and current_agreement(old.client_id).effective_at == monday
    new = current_agreement(old.client_id)
    assert new.terms_version_id == new_version.id
    assert new.concluded_by == "acceptance"
    text = pdf_text(agreements.pdf_of(new, now=NOW))
    assert "Uitdrukkelijk aanvaard door Els Janssens" in text and "elektronisch ondertekend" not in text


def test_an_objection_waits_for_the_manager_and_changes_nothing(make_agreement, new_version, manager, inbox):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    notices.object_to(
        notice,
        user=old.client.users[0],
        reason="Wij willen eerst overleg over artikel 19.",
        now=NOW + timedelta(hours=1),
    )
    assert jobs.sweep(CLOSES + timedelta(days=3)).amended == 0
    assert current_agreement(old.client_id).id == old.id
    drain(now=lambda: NOW + timedelta(hours=1))
    alert = [m for m in inbox.messages if m["Subject"].startswith("Bezwaar van")]
    assert alert and "tegen de voorwaarden 2027-01" in alert[0]["Subject"]
    # The manager settles it: the client withdrew the objection, so the agreement moves.
    notices.resolve(notice, actor=manager, resolution="objection_withdrawn", note="Na overleg", now=CLOSES)
    assert jobs.sweep(CLOSES + timedelta(minutes=1)).amended == 1
    assert current_agreement(old.client_id).terms_version_id == new_version.id


def test_a_withdrawn_amendment_leaves_the_agreement_alone(make_agreement, new_version, manager, inbox):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    notices.object_to(notice, user=old.client.users[0], reason="Niet akkoord.", now=NOW + timedelta(hours=1))
    notices.resolve(notice, actor=manager, resolution="change_withdrawn", note="", now=NOW + timedelta(hours=2))
    jobs.sweep(CLOSES + timedelta(days=1))
    assert current_agreement(old.client_id).id == old.id and notice.state == "withdrawn"


def test_the_manager_announces_from_the_version_page(make_agreement, new_version, manager, login):
    make_agreement("signed")
    http = login(manager)
    page = http.get(f"/terms/{new_version.id}")
    assert "1 ondertekende overeenkomst staat op een oudere versie met een wijzigingsbeding" in page.text
    refused = http.post(
        f"/terms/{new_version.id}/announce", data={"summary": "x", "window_days": "3", "window_unit": "working"}
    )
    assert refused.status_code == 302 and amendments.amendment_of(new_version) is None
    bad = http.post(
        f"/terms/{new_version.id}/announce", data={"window_days": "900", "window_unit": "working", "confirm": "y"}
    )
    assert bad.status_code == 302 and amendments.amendment_of(new_version) is None
    done = http.post(
        f"/terms/{new_version.id}/announce",
        data={"summary": "Nieuw", "window_days": "3", "window_unit": "working", "confirm": "y"},
        follow_redirects=True,
    )
    assert "is aangekondigd aan 1 klant." in done.text
    assert amendments.amendment_of(new_version) is not None
    listing = http.get(f"/notices/?amendment_id={amendments.amendment_of(new_version).id}")
    assert "Nieuwe voorwaarden, versie 2027-01" in listing.text


def test_the_evidence_file_of_an_amendment_notice(make_agreement, new_version, manager, inbox, login):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    notice = notice_of(amendment, old)
    response = login(manager).get(f"/notices/{notice.id}/evidence.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "versie 2020-10 wordt versie" in text and "2027-01" in text
    assert "Geen bezwaar ontvangen" in text and "amendment" in text


def test_an_objection_recorded_after_a_deemed_acceptance_restores_the_old_agreement(
    make_agreement, new_version, manager, inbox, login
):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    jobs.sweep(CLOSES)
    db.session.expire_all()
    new = current_agreement(old.client_id)
    assert new.id != old.id and old.state == "superseded"
    # The client's e-mail objection arrived an hour before closing; the manager records it the next day.
    with time_machine.travel(CLOSES + timedelta(days=1), tick=False):
        notices.record_answer(
            notice,
            actor=manager,
            answer="objection",
            channel="phone",
            received_at=CLOSES - timedelta(hours=1),
            reason="Mevrouw Janssens belde: niet akkoord.",
            now=CLOSES + timedelta(days=1),
        )
    db.session.expire_all()
    assert notice.state == "objected" and notice.applied_at is None
    assert new.state == "annulled" and old.state == "signed" and old.ended_at is None
    assert current_agreement(old.client_id).id == old.id
    page = login(manager).get(f"/agreements/{new.id}")
    assert "Vervallen" in page.text
    drain(now=lambda: CLOSES + timedelta(days=1))
    revoked = [m for m in inbox.messages if "aanvaarding door stilzwijgen herroepen" in m["Subject"]]
    assert revoked and "is vervallen" in parts(revoked[0])[0]
    # Nothing applies it again while the objection stands.
    assert jobs.sweep(CLOSES + timedelta(days=2)).amended == 0


def test_an_objection_cannot_undo_an_acceptance_whose_agreement_was_amended_again(
    setup, make_agreement, manager, inbox
):
    first = make_version(setup, manager, effective_on=EFFECTIVE)
    old = make_agreement("signed")
    one = announce(first, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    second = publish(
        save_draft(
            None,
            label="2027-06",
            title=setup.title,
            effective_on=EFFECTIVE,
            text=to_text(first.articles) + "\n\n# 25. Nog een artikel\n[dekt: ]\nTekst.",
            actor=manager,
            now=NOW,
        ),
        actor=manager,
        now=NOW,
    )
    two = amendments.announce(second, summary="", actor=manager, now=CLOSES + timedelta(hours=1))
    drain(now=lambda: CLOSES + timedelta(hours=1))
    jobs.sweep(CLOSES + timedelta(days=10))
    db.session.expire_all()
    assert current_agreement(old.client_id).terms_version_id == second.id
    notice = notice_of(one, old)
    with pytest.raises(Conflict):
        notices.record_answer(
            notice,
            actor=manager,
            answer="objection",
            channel="phone",
            received_at=CLOSES - timedelta(hours=1),
            reason="Niet akkoord.",
            now=CLOSES + timedelta(days=11),
        )
    db.session.rollback()  # as the request that called it would
    assert notice.state == "deemed_approved" and current_agreement(old.client_id).terms_version_id == second.id
    assert two is not None


def test_an_approval_by_letter_after_the_sweep_makes_the_record_say_so(make_agreement, new_version, manager, inbox):
    old = make_agreement("signed")
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    jobs.sweep(CLOSES)
    new = current_agreement(old.client_id)
    assert "Stilzwijgend aanvaard" in " ".join(pdf_text(agreements.pdf_of(new, now=CLOSES)).split())
    notices.record_answer(
        notice,
        actor=manager,
        answer="approval",
        channel="letter",
        received_at=CLOSES - timedelta(hours=5),
        reason="",
        proofs=[notices.Proof("akkoord.pdf", b"%PDF-1.4 akkoord")],
        now=CLOSES + timedelta(days=1),
    )
    db.session.expire_all()
    assert notice.state == "approved" and new.concluded_by == "acceptance" and new.state == "signed"
    text = " ".join(pdf_text(agreements.pdf_of(new, now=CLOSES + timedelta(days=1))).split())
    assert "Uitdrukkelijk aanvaard door de verwerkingsverantwoordelijke, per brief" in text
    assert "Stilzwijgend aanvaard" not in text


def test_only_a_user_who_may_sign_accepts_new_terms_anyone_of_the_client_may_object(
    make_agreement, make_user, new_version, manager, login
):
    old = make_agreement("signed")
    reader = make_user(client=old.client, full_name="Marc Peeters")
    reader.may_sign = False
    db.session.commit()
    amendment = announce(new_version, manager)
    drain(now=lambda: NOW)
    notice = notice_of(amendment, old)
    http = login(reader)
    page = http.get(f"/portal/notices/{notice.id}")
    assert "Nieuwe voorwaarden aanvaarden mag alleen wie" in page.text and 'name="confirm"' not in page.text
    refused = http.post(f"/portal/notices/{notice.id}/approval", data={"confirm": "y"})
    assert refused.status_code in (302, 409, 422)
    db.session.expire_all()
    assert notice.state == "open"
    objected = http.post(f"/portal/notices/{notice.id}/objection", data={"reason": "Eerst bespreken"})
    assert objected.status_code == 302
    db.session.expire_all()
    assert notice.state == "objected"
