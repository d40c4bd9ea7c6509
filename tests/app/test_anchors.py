"""Anchors of the audit trail: a rewritten and recomputed chain is caught after an anchor (proof outside the app).

The time-stamping authority is the tests' own, over HTTP on loopback (pki.py).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from flask import current_app
from sqlalchemy import delete, select, update

from dpa_manager import anchors, audit, jobs
from dpa_manager.anchors import AuditAnchor
from dpa_manager.audit import GENESIS, AuditEvent, AuditHead, event_hash
from dpa_manager.errors import Unavailable
from dpa_manager.extensions import db

from . import pki
from .conftest import NOW, free_port

FIELDS = ("seq", "at", "actor_id", "actor_label", "object_type", "object_id", "client_id", "action", "before", "after")


def some_events(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        audit.record(at=NOW, actor=None, object_type="notice", object_id=n, action="deemed_approved", after={"n": n})
    db.session.commit()


def rewrite_and_recompute(seq: int, **changes) -> None:
    """What someone with a copy of the database does: change an event, then recompute every hash after it."""
    if changes:
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(**changes))
    prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        row = {name: getattr(event, name) for name in FIELDS} | {"prev_hash": prev}
        event.prev_hash, event.hash = prev, event_hash(row)
        prev = event.hash
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev, seq=event.seq))
    db.session.commit()


def test_an_anchor_timestamps_the_head_once_and_the_chain_records_it(setup):
    some_events(3)
    seq, last_hash = db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).one()
    made = anchors.anchor(NOW)
    db.session.commit()
    assert made is not None and made.seq == seq and made.event_hash == last_hash
    recorded = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == seq + 1))
    assert recorded.action == "anchored" and recorded.object_id == seq
    assert anchors.anchor(NOW) is None  # nothing happened since but the anchor's own record
    some_events(1)
    assert anchors.anchor(NOW).seq == seq + 2
    db.session.commit()
    head = db.session.get(AuditHead, 1)
    (check,) = anchors.check([made], {made.seq: last_hash})
    assert check.intact and check.trusted is None and check.matches  # no TSA_TRUST_ROOTS: trust not checked
    current_app.config["TSA_TRUST_ROOTS"] = str(pki.authority().root)
    (check,) = anchors.check([made], {made.seq: head.last_hash})
    assert check.trusted is True


def test_a_rewritten_and_recomputed_chain_is_caught_after_an_anchor(setup, runner):
    some_events(5)
    first = anchors.anchor(NOW).seq
    db.session.commit()
    some_events(5, start=5)
    second = anchors.anchor(NOW).seq
    db.session.commit()
    current_app.config["TSA_TRUST_ROOTS"] = str(pki.authority().root)
    ok = runner.invoke(args=["dpa", "audit-verify"])
    assert ok.exit_code == 0, ok.output
    assert f"2 ankers kloppen; het laatste legt gebeurtenis {second} vast" in ok.output

    rewrite_and_recompute(first + 2, action="objected")  # after the first anchor, before the second
    assert audit.verify().ok  # the chain alone agrees with itself again
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1
    assert f"gebeurtenis {second} heeft nu een andere hash" in result.output
    assert f"de eerste die gewijzigd kan zijn is gebeurtenis {first + 1}" in result.output

    rewrite_and_recompute(1, action="objected")  # before the first anchor: caught there
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and "de eerste die gewijzigd kan zijn is gebeurtenis 1" in result.output


def test_a_changed_token_is_caught(setup, runner):
    some_events(2)
    made = anchors.anchor(NOW)
    db.session.commit()
    seq, token = made.seq, made.token
    changed = token[:-40] + bytes([token[-40] ^ 1]) + token[-39:]  # inside the authority's signature
    db.session.execute(update(AuditAnchor).where(AuditAnchor.seq == seq).values(token=changed))
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and f"het anker van gebeurtenis {seq}, dat de keten vermeldt" in result.output
    # Whoever also rewrites the chain's record of the anchor still has a token that is not the authority's.
    for cut in (changed, token[:30]):
        db.session.execute(update(AuditAnchor).where(AuditAnchor.seq == seq).values(token=cut))
        anchored = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "anchored"))
        record = dict(anchored.after) | {"token_sha256": hashlib.sha256(cut).hexdigest()}
        db.session.commit()
        rewrite_and_recompute(anchored.seq, after=record)
        result = runner.invoke(args=["dpa", "audit-verify"])
        assert result.exit_code == 1
        assert f"het anker van gebeurtenis {seq}" in result.output and "geen geldig tijdstempel" in result.output


def test_removed_anchors_or_events_are_caught(setup, runner):
    some_events(4)
    seq = anchors.anchor(NOW).seq
    db.session.commit()
    some_events(2, start=4)
    db.session.execute(delete(AuditAnchor))
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert (
        result.exit_code == 1 and f"het anker van gebeurtenis {seq}, dat de keten vermeldt, ontbreekt" in result.output
    )

    anchors.anchor(NOW)
    db.session.commit()
    kept = db.session.get(AuditHead, 1).seq
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq > seq - 2))  # cut the chain back before its anchors
    db.session.commit()
    rewrite_and_recompute(1)
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and "gebeurtenissen zijn verwijderd" in result.output, (kept, result.output)


def test_an_authority_that_does_not_answer_leaves_the_anchor_for_later(setup, caplog):
    some_events(1)
    current_app.config["TSA_URL"] = f"http://127.0.0.1:{free_port()}/tsa"
    current_app.extensions.pop("dpa_seal", None)
    with pytest.raises(Unavailable):
        anchors.anchor(NOW)
    db.session.rollback()
    jobs.anchor_audit()  # the scheduler's job: logs, does not fail
    assert db.session.scalar(select(AuditAnchor.id)) is None
    assert "audit anchor: no timestamp" in caplog.text


def test_the_command_anchors_and_says_so(setup, runner):
    some_events(2)
    before = db.session.get(AuditHead, 1).seq
    result = runner.invoke(args=["dpa", "audit-anchor"])
    assert result.exit_code == 0 and f"Anker gemaakt: gebeurtenis {before}," in result.output
    again = runner.invoke(args=["dpa", "audit-anchor"])
    assert "al verankerd tot gebeurtenis" in again.output
    assert db.session.scalar(select(AuditAnchor.seq)) == before


def test_the_public_register_shows_the_seal_and_the_latest_anchor(setup, http, tmp_path):
    some_events(3)
    made = anchors.anchor(NOW)
    db.session.commit()
    page = http.get("/subverwerkers")
    assert page.status_code == 200 and page.text.count('id="echtheid"') == 1
    assert "Echtheid" not in page.text.split("</title>")[0]
    fingerprint = current_app.extensions["dpa_seal"].fingerprint
    assert fingerprint in page.text and made.event_hash in page.text
    token = http.get(f"/subverwerkers/anker-{made.seq}.tsr")
    assert token.status_code == 200 and token.mimetype == "application/timestamp-reply"
    assert http.get(f"/subverwerkers/anker-{made.seq + 99}.tsr").status_code == 404
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    (tmp_path / "anchor.tsr").write_bytes(token.data)
    checked = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            made.event_hash,
            "-in",
            str(tmp_path / "anchor.tsr"),
            "-CAfile",
            str(pki.authority().root),
            "-untrusted",
            str(pki.authority().tsa_certificate),
        ],
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
