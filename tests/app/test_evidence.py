"""The evidence file of a notice, read back with pypdf; one-off interventions of incidental sub-processors."""

import hashlib
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from dpa_manager import jobs
from dpa_manager.changes import services as changes
from dpa_manager.errors import Invalid
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.subprocessors.services import interventions_for, log_intervention, sync_assignments

from .conftest import NOW


def test_the_evidence_file_tells_the_whole_story(login, make_agreement, make_subprocessor, manager, inbox):
    agreement = make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw telefonieplatform",
        actor=manager,
        now=NOW,
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    drain(now=lambda: NOW)
    from dpa_manager.notices.models import Notice

    closes = db.session.get(Notice, notice_id).closes_at
    jobs.sweep(closes)
    response = login(manager).get(f"/notices/{notice_id}/evidence.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    for expected in (
        f"Bewijsdossier melding {notice_id}",
        agreement.client.name,
        "CloudTel SA",
        "Nieuw telefonieplatform",
        "7 kalenderdagen",
        "21/11/2026 11:00:00",  # accepted by the server (Brussels)
        f"<dpa.notice.{notice_id}@dpa-manager.localhost>",
        "01/12/2026 00:00:00",
        "Geen bezwaar ontvangen",
        "Goedgekeurd door stilzwijgen",
        "art. 52–53 Gerechtelijk Wetboek",
        "Nieuwe subverwerker CloudTel SA",
        "deemed_approved",
        "delivered",
    ):
        assert expected in text, expected
    from sqlalchemy import select

    from dpa_manager.audit import AuditEvent

    last = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.object_id == notice_id, AuditEvent.object_type == "notice")
        .order_by(AuditEvent.seq.desc())
    )
    assert last.hash[:20] in text.replace(" ", "")


def test_the_evidence_file_embeds_the_message_as_taken_the_article_and_the_proofs_and_is_sealed(
    login, make_agreement, make_subprocessor, manager, inbox
):
    from dpa_manager.notices.models import Notice
    from dpa_manager.notices.services import Proof, record_answer

    from .test_seal import validate

    make_agreement("signed")
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    (notice_id,) = changes.announce(change, actor=manager, now=NOW)
    db.session.commit()
    inbox.data_answer = "250 2.0.0 Ok: queued as 4Xq7Lz1bJcz9"
    drain(now=lambda: NOW)
    letter = b"%PDF-1.4 brief van de klant"
    record_answer(
        db.session.get(Notice, notice_id),
        answer="objection",
        reason="Geen doorgifte buiten de EER",
        received_at=NOW + timedelta(hours=2),
        channel="letter",
        proofs=[Proof("brief.pdf", letter)],
        actor=manager,
        now=NOW + timedelta(hours=3),
    )
    db.session.commit()
    response = login(manager).get(f"/notices/{notice_id}/evidence.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join("".join(p.extract_text() for p in reader.pages).split())
    (received,) = inbox.raw
    eml = reader.attachments[f"melding-{notice_id}.eml"][0]
    assert eml == received  # the bytes the mail server took
    assert hashlib.sha256(eml).hexdigest()[:16] in text.replace(" ", "")
    assert "250 2.0.0 Ok: queued as 4Xq7Lz1bJcz9" in text
    assert "systeemklok van" in text
    assert "Grondslag van de termijn: artikel 10 (Subverwerkers)" in text
    assert "binnen 7 kalenderdagen na die kennisgeving bezwaar maken" in text
    (proof,) = db.session.get(Notice, notice_id).proofs
    assert reader.attachments[f"bewijs-{proof.id}-brief.pdf"] == [letter]
    _, status = validate(response.data)
    assert status.bottom_line and status.coverage.name == "ENTIRE_FILE"


def test_a_client_user_gets_only_their_own_evidence(login, make_agreement, make_subprocessor, manager):
    mine = make_agreement("signed")
    make_agreement("signed")  # another client's
    sp = make_subprocessor()
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15), reason="Nieuw", actor=manager, now=NOW
    )
    ids = changes.announce(change, actor=manager, now=NOW)
    from dpa_manager.notices.models import Notice

    own = [i for i in ids if db.session.get(Notice, i).client_id == mine.client_id][0]
    other = [i for i in ids if i != own][0]
    http = login(mine.client.users[0])
    assert http.get(f"/notices/{own}/evidence.pdf").status_code == 200
    assert http.get(f"/notices/{other}/evidence.pdf").status_code == 404


def test_interventions_are_logged_and_shown_to_the_clients_concerned(login, make_agreement, make_subprocessor, manager):
    concerned = make_agreement("signed")
    tech = make_subprocessor(status="active", name="TechFix BV", kind="incidental", services=())
    sync_assignments(concerned, date(2026, 11, 1))
    db.session.commit()
    later = make_agreement("signed")  # its list starts after the visit
    with pytest.raises(Invalid):
        log_intervention(
            make_subprocessor(status="active", name="Systematisch NV"),
            happened_on=date(2026, 11, 10),
            reason="Onderhoud",
            data_categories=["contact"],
            actor=manager,
            now=NOW,
        )
    with pytest.raises(Invalid):
        log_intervention(
            tech,
            happened_on=NOW.date() + timedelta(days=1),
            reason="Onderhoud",
            data_categories=["contact"],
            actor=manager,
            now=NOW,
        )
    http = login(manager)
    response = http.post(
        f"/subprocessors/{tech.id}/interventions",
        data={
            "happened_on": "2026-11-10",
            "reason": "Vervanging van een defecte server",
            "data_categories": ["contact"],
        },
        follow_redirects=True,
    )
    assert "Tussenkomst geregistreerd" in response.text
    assert [i.reason for i in interventions_for(concerned.client_id)] == ["Vervanging van een defecte server"]
    assert interventions_for(later.client_id) == []
    http.post("/logout")
    page = login(concerned.client.users[0]).get("/portal/subprocessors")
    assert "Vervanging van een defecte server" in page.text
