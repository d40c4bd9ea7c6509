"""The audit trail: every decision leaves a trace that no one can quietly rewrite."""

import threading

from sqlalchemy import delete, func, select, update

from dpa_manager import audit
from dpa_manager.audit import AuditEvent, AuditHead, verify
from dpa_manager.extensions import db

from .conftest import NOW, PASSWORD


def test_every_state_change_is_chained(make_agreement):
    make_agreement("signed")
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    actions = [e.action for e in events]
    for expected in ("created", "sent", "client_signed", "signed"):
        assert expected in actions
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert verify().ok and verify().checked == len(events)


def test_logins_and_failed_logins_are_recorded(http, manager):
    http.post("/login", data={"email": manager.email, "password": "wrong-password!"})
    http.post("/login", data={"email": manager.email, "password": PASSWORD})
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user"))]
    assert "login_failed" in actions and "login" in actions


def test_verify_names_the_first_tampered_event(runner, make_agreement):
    make_agreement("signed")
    victim = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client_signed"))
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == victim.id)
        .values(after={"name": "Iemand Anders", "role": "Zaakvoerder"})
    )
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1
    assert f"event {victim.id}" in result.output and "content does not match" in result.output


def test_verify_notices_a_deleted_event(runner, make_agreement):
    make_agreement("signed")
    middle = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sent"))
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == middle.id))
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and "missing" in result.output


def test_verify_notices_events_cut_from_the_end(runner, make_agreement):
    make_agreement("signed")
    last = db.session.scalar(select(func.max(AuditEvent.seq)))
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == last))
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and "at the end are missing" in result.output


def test_verify_notices_a_rewritten_chain_without_its_head(runner, make_agreement):
    make_agreement("signed")
    first = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 1))
    row = {
        c: getattr(first, c)
        for c in (
            "seq",
            "at",
            "actor_id",
            "actor_label",
            "object_type",
            "object_id",
            "client_id",
            "action",
            "before",
            "after",
            "prev_hash",
        )
    }
    row["after"] = {"forged": True}
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == first.id).values(after=row["after"], hash=audit.event_hash(row))
    )
    db.session.commit()
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 1 and "seq 2" in result.output and "previous hash" in result.output


def test_a_clean_trail_passes(runner, make_agreement):
    make_agreement("signed")
    result = runner.invoke(args=["dpa", "audit-verify"])
    assert result.exit_code == 0 and "in orde" in result.output


def test_concurrent_writers_keep_one_chain(app, manager):
    def write(n):
        with app.app_context():
            for i in range(20):
                audit.record(at=NOW, actor=None, object_type="test", object_id=n * 100 + i, action="tick")
                db.session.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify()
    assert result.ok, result.problem
    assert db.session.get(AuditHead, 1).seq == result.checked


def test_managers_read_and_filter_the_trail(login, manager, make_agreement):
    agreement = make_agreement("signed")
    http = login(manager)
    page = http.get("/audit/", headers={"Accept-Language": "nl"})
    assert "Audittrail" in page.text
    # Words for people, not the internal codes (those stay in the filter's option values only).
    assert "Ondertekend door de klant" in page.text and "Overeenkomst" in page.text
    assert ">client_signed<" not in page.text and ">agreement " not in page.text
    filtered = http.get(f"/audit/?object_type=agreement&action=signed&object_id={agreement.id}")
    assert filtered.text.count("<tr>") == 2  # header and one event
    assert http.get("/audit/?object_id=abc&page=-3").status_code == 200  # left out, and the first page
    refused = http.get("/audit/?since=garbage")
    assert refused.status_code == 400 and "Geef een datum tussen 1900 en 2999, als JJJJ-MM-DD." in refused.text


def test_client_users_read_only_their_own_agreements_and_notices(login, make_agreement):
    mine, theirs = make_agreement("signed"), make_agreement("signed")
    http = login(mine.client.users[0])
    page = http.get("/portal/audit", headers={"Accept-Language": "nl"})
    assert f"Overeenkomst {mine.id}" in page.text and f"Overeenkomst {theirs.id}" not in page.text
    assert "Aangemeld" not in page.text.split("<tbody>")[-1]  # user events are not part of the client's trail


def test_a_batch_of_like_events_hashes_as_each_event_alone():
    """The sweep's shortcut (one canonical text per kind of event, its holes filled in) gives the same hashes."""
    from datetime import timedelta

    from dpa_manager.audit import _hashes, event_hash

    shared = ({"state": "open"}, {"state": "deemed_approved", "note": '100% "zeker" \u00e9\u00e8 \x00 \\ %s'})
    rows = []
    for seq in range(1, 41):
        rows.append(
            {
                "at": NOW + timedelta(microseconds=seq % 3),
                "actor_id": None if seq % 5 else 7,
                "actor_label": "systeem" if seq % 5 else "jan@example.be",
                "object_type": "notice",
                "object_id": seq * 1000 if seq % 7 else None,
                "client_id": None if seq % 4 == 0 else seq,
                "action": "deemed_approved" if seq % 6 else "%(x)s",
                "before": shared[0],
                "after": shared[1] if seq % 9 else {"state": "approved", "by": ["a", 1, None]},
                "seq": seq,
                "prev_hash": audit.GENESIS,
            }
        )
    _hashes(rows)
    prev = audit.GENESIS
    for row in rows:
        assert row["prev_hash"] == prev and row["hash"] == event_hash(row)
        prev = row["hash"]


def recorded_keys() -> set[str]:
    """Every key written into an event's before or after anywhere in the code: literal dicts handed to
    audit.record (or put in the events of record_many), and the field lists whose values events record."""
    import ast
    from pathlib import Path

    import dpa_manager
    from dpa_manager.agreements.services import PARTICULARS
    from dpa_manager.clients.services import CLIENT_FIELDS
    from dpa_manager.processor.services import PROFILE_FIELDS
    from dpa_manager.subprocessors.services import SUBPROCESSOR_FIELDS

    keys = set(PARTICULARS) | set(CLIENT_FIELDS) | set(PROFILE_FIELDS) | set(SUBPROCESSOR_FIELDS) | {"services"}
    for path in Path(dpa_manager.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg in ("before", "after") and isinstance(node.value, ast.Dict):
                keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_key_an_event_records_has_words(app):
    from dpa_manager.audit_words import KEYS, form_labels

    keys = recorded_keys()
    labels = form_labels()
    assert len(keys) > 40
    assert sorted(k for k in keys if k not in KEYS and k not in labels) == []


def test_the_audit_page_says_what_happened_in_words(login, manager, make_agreement, announce_addition):
    from dpa_manager.notices.services import mark_delivered

    make_agreement("signed")
    _, (notice_id,) = announce_addition()
    mark_delivered(notice_id, NOW)
    db.session.commit()
    page = login(manager).get("/audit/?object_type=notice").text
    assert "Status: Bezwaartermijn loopt; Verwittigd op: 21/11/2026 11:00; Einde termijn: 01/12/2026 00:00" in page
    assert "{&#34;" not in page and '{"' not in page and "awaiting_delivery" not in page
    changes = login(manager).get("/audit/?object_type=change").text
    created = changes.split("<td>Aangemaakt</td>")[1].split("</tr>")[0]
    assert ": Toevoeging;" in created and "add" not in created
