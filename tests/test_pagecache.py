"""The portal list is rendered once and kept while nothing is recorded; every change that it shows is recorded."""
import re
from contextlib import contextmanager
from datetime import date, timedelta

import time_machine
from sqlalchemy import event, select, update

from dpa_manager import jobs, pagecache
from dpa_manager.extensions import db
from dpa_manager.mail.sender import drain
from dpa_manager.notices import services as notices
from dpa_manager.notices.models import Notice
from dpa_manager.subprocessors import services as register
from dpa_manager.subprocessors.models import SubProcessor

from .conftest import NOW, PASSWORD

#: The tables the portal's lists show, and the columns of them that no page shows (written without an event).
SHOWN = {"notices": {"delivered_at", "first_opened_at", "reminded_at"}, "assignments": set(),
         "subprocessors": set(), "interventions": set(), "changes": set(), "amendments": set()}
WRITE = re.compile(r"^\s*(?:insert\s+into|update|delete\s+from|copy)\s+\"?(\w+)\"?", re.I)


def _columns_set(statement: str) -> set[str]:
    found = re.search(r"\bset\s+(.*?)(?:\bwhere\b|\breturning\b|$)", statement, re.I | re.S)
    return {part.split("=")[0].strip().strip('"') for part in found.group(1).split(",")} if found else set()


@contextmanager
def unrecorded_writes():
    """Collect every committed transaction that wrote what the portal shows without appending an audit event."""
    pending: dict[int, dict] = {}
    problems: list[str] = []

    def after(conn, cursor, statement, parameters, context, executemany):
        match = WRITE.match(statement)
        if not match:
            return
        table = match.group(1).lower()
        seen = pending.setdefault(id(conn), {"wrote": [], "recorded": False})
        if table == "audit_head":
            seen["recorded"] = True
        elif table in SHOWN and not (statement.lstrip().lower().startswith("update")
                                     and _columns_set(statement) <= SHOWN[table]):
            seen["wrote"].append((cursor, " ".join(statement.split())[:150]))

    def commit(conn):
        seen = pending.pop(id(conn), None)
        if seen and not seen["recorded"]:  # a row count is known once a RETURNING statement's rows are read
            problems.extend(text for cursor, text in seen["wrote"] if cursor.rowcount != 0)

    def rollback(conn):
        pending.pop(id(conn), None)

    engine = db.engine
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        yield problems
    finally:
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)


def _list(http, query=""):
    page = http.get("/portal/subprocessors" + query)
    assert page.status_code == 200
    return page.text


def _announce(manager, make_subprocessor, name, **values):
    sp = make_subprocessor(name=name, **values)
    change = register.create_change(kind="add", subprocessor_id=sp.id, effective_on=date(2026, 12, 15),
                                    reason="Nieuw platform", actor=manager, now=NOW)
    return register.announce(change, actor=manager, now=NOW)


def test_every_change_the_portal_shows_is_recorded(app, inbox, login, make_agreement, make_subprocessor,
                                                     manager):
    """What the page cache rests on: no transaction changes a listed row without an audit event."""
    first, second = make_agreement("signed"), make_agreement("signed")
    with unrecorded_writes() as problems:
        ids = _announce(manager, make_subprocessor, "CloudTel SA")
        _announce(manager, make_subprocessor, "Nachtdienst BV")
        drain(now=lambda: NOW)
        mine = db.session.scalars(select(Notice).where(Notice.id.in_(ids)).order_by(Notice.id)).all()
        notices.mark_opened(mine[0], user=first.client.users[0], now=NOW + timedelta(minutes=5))
        notices.object_to(mine[0], user=first.client.users[0], reason="Liever niet", now=NOW + timedelta(hours=1))
        notices.resolve(mine[0], actor=manager, resolution="change_withdrawn", note="Afgesproken",
                        now=NOW + timedelta(hours=2))
        notices.approve(mine[1], user=second.client.users[0], now=NOW + timedelta(hours=1))
        jobs.sweep(NOW + timedelta(days=3))  # reminders
        jobs.sweep(NOW + timedelta(days=30))  # deemed approvals, then the changes take effect
    helper = make_subprocessor(name="Herstel NV", kind="incidental", status="active")  # set up as in use
    with unrecorded_writes() as more:
        register.log_intervention(helper, happened_on=date(2026, 12, 20), reason="Onderhoud", actor=manager,
                                  data_categories=["contact"], now=NOW + timedelta(days=30))
    assert db.session.scalar(select(Notice.state).where(Notice.id == mine[1].id)) == "approved"
    assert problems + more == [], "\n".join(problems + more)


def test_the_guard_sees_an_unrecorded_write(app, make_agreement, make_subprocessor, manager):
    make_agreement("signed")
    (notice_id,) = _announce(manager, make_subprocessor, "CloudTel SA")
    with unrecorded_writes() as problems:
        db.session.execute(update(Notice).where(Notice.id == notice_id).values(first_opened_at=NOW))
        db.session.commit()  # a column no page shows
        assert problems == []
        db.session.execute(update(SubProcessor).values(name="Stil NV"))
        db.session.commit()
    assert len(problems) == 1 and problems[0].lower().startswith("update subprocessors set name")


def test_the_list_is_rendered_again_after_each_recorded_change(login, make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    (notice_id,) = _announce(manager, make_subprocessor, "CloudTel SA")
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        http = login(agreement.client.users[0])
        kept = pagecache.cache()
        assert "Wacht op levering" in _list(http)
        hits = kept.hits
        assert "Wacht op levering" in _list(http) and kept.hits == hits + 1  # served as rendered

        notices.mark_delivered(notice_id, NOW)
        db.session.commit()
        assert "Wacht op levering" not in _list(http) and "Bezwaartermijn loopt" in _list(http)
        assert http.post(f"/portal/notices/{notice_id}/approval", data={"confirm": "y"}).status_code == 302
        assert "Goedgekeurd" in _list(http)

        db.session.execute(update(SubProcessor).where(SubProcessor.name == "CloudTel SA").values(name="Stil NV"))
        db.session.commit()  # a write without an audit event, which the services never make: not seen
        assert "Stil NV" not in _list(http)


def test_parts_are_kept_per_client_language_and_day(app, make_agreement, make_subprocessor, manager):
    first, second = make_agreement("signed"), make_agreement("signed")
    first_notice, _ = _announce(manager, make_subprocessor, "CloudTel SA")

    def browser(user):
        http = app.test_client()
        assert http.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        return http

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        dutch, other = browser(first.client.users[0]), browser(second.client.users[0])
        assert "Subverwerkers vandaag" in _list(dutch)
        assert other.post("/taal", data={"language": "fr", "next": "/portal/subprocessors"}).status_code == 302
        french = _list(other)
        assert "Sous-traitants ultérieurs actuels" in french and "Subverwerkers vandaag" not in french
        assert f"/portal/notices/{first_notice}" in _list(dutch) and f"/portal/notices/{first_notice}" not in french
        assert "Subverwerkers op" in _list(dutch, "?op=2026-11-01")
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert "Subverwerkers vandaag" in _list(browser(first.client.users[0]))
    assert len(pagecache.cache()._parts) == 4


def test_the_cache_keeps_a_bounded_number_of_parts(app):
    kept = pagecache.PageCache(2)
    renders = []
    for key in ("a", "b", "a", "c", "b"):
        kept.part(key, lambda: renders.append(key) or key)
    assert renders == ["a", "b", "c", "b"] and list(kept._parts) == ["c", "b"]


def test_a_size_of_zero_turns_the_cache_off(app):
    kept = pagecache.PageCache(0)
    renders = []
    for _ in range(3):
        assert kept.part("a", lambda: renders.append(1) or "<b>x</b>") == "<b>x</b>"
    assert len(renders) == 3 and not kept._parts
