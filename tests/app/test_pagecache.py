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
SHOWN = {
    "notices": {"delivered_at", "first_opened_at", "reminded_at"},
    "assignments": set(),
    "subprocessors": set(),
    "interventions": set(),
    "changes": set(),
    "amendments": set(),
}
CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
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
        elif table in SHOWN and not (
            statement.lstrip().lower().startswith("update") and _columns_set(statement) <= SHOWN[table]
        ):
            # PostgreSQL knows the row count now; SQLite knows it once a RETURNING statement's rows are read.
            count = cursor.rowcount
            seen["wrote"].append((lambda: cursor.rowcount if count == -1 else count, " ".join(statement.split())[:150]))

    def commit(conn):
        seen = pending.pop(id(conn), None)
        if seen and not seen["recorded"]:
            problems.extend(text for rows, text in seen["wrote"] if rows() != 0)

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
    change = register.create_change(
        kind="add",
        subprocessor_id=sp.id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    return register.announce(change, actor=manager, now=NOW)


def _browser(app, user):
    http = app.test_client()
    assert http.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return http


def _kept_and_fresh(browsers, at):
    """Return each user's list as served (perhaps kept), and as rendered afresh, at `at`."""
    with time_machine.travel(at, tick=False):
        served = [CSRF.sub("", _list(http)) for http in browsers]
        pagecache.cache().clear()
        fresh = [CSRF.sub("", _list(http)) for http in browsers]
        for http in browsers:
            _list(http)  # keep the fresh parts for the next step
    return served, fresh


def test_every_change_the_portal_shows_is_recorded_and_seen(app, inbox, make_agreement, make_subprocessor, manager):
    """What the page cache rests on: every transaction that changes a listed row appends an audit event, and
    after every step of two notices' lives each client's kept list equals its list rendered afresh."""
    helper = make_subprocessor(name="Herstel NV", kind="incidental", status="active")  # on every list
    first, second, third = make_agreement("signed"), make_agreement("signed"), make_agreement("signed")
    users = [first.client.users[0], second.client.users[0], third.client.users[0]]
    later = NOW + timedelta(days=30)
    mine = []
    app.permanent_session_lifetime = timedelta(days=60)  # the users stay logged in from step to step
    with time_machine.travel(NOW, tick=False):
        browsers = [_browser(app, user) for user in users]

    def step_announce():
        mine.extend(_announce(manager, make_subprocessor, "CloudTel SA"))
        _announce(manager, make_subprocessor, "Nachtdienst BV")

    steps = [
        (NOW, step_announce),
        (NOW, lambda: drain(now=lambda: NOW)),
        (
            NOW + timedelta(minutes=5),
            lambda: notices.mark_opened(db.session.get(Notice, mine[0]), user=users[0], now=NOW + timedelta(minutes=5)),
        ),
        (
            NOW + timedelta(hours=1),
            lambda: notices.object_to(
                db.session.get(Notice, mine[0]), user=users[0], reason="Liever niet", now=NOW + timedelta(hours=1)
            ),
        ),
        (
            NOW + timedelta(hours=2),
            lambda: notices.resolve(
                db.session.get(Notice, mine[0]),
                actor=manager,
                resolution="change_withdrawn",
                note="Afgesproken",
                now=NOW + timedelta(hours=2),
            ),
        ),
        (
            NOW + timedelta(hours=2),
            lambda: notices.approve(db.session.get(Notice, mine[1]), user=users[1], now=NOW + timedelta(hours=2)),
        ),
        (NOW + timedelta(days=3), lambda: jobs.sweep(NOW + timedelta(days=3))),  # reminders
        (later, lambda: jobs.sweep(later)),  # deemed approvals, then the changes take effect
        (
            later,
            lambda: register.log_intervention(
                helper,
                happened_on=date(2026, 12, 20),
                reason="Onderhoud",
                actor=manager,
                data_categories=["contact"],
                now=later,
            ),
        ),
    ]
    hits = 0
    for at, step in steps:
        with unrecorded_writes() as problems:
            step()
        assert problems == [], "\n".join(problems)
        before = pagecache.cache().hits
        served, fresh = _kept_and_fresh(browsers, at)
        hits += pagecache.cache().hits - before
        assert served == fresh, f"after {step}"
    assert db.session.scalar(select(Notice.state).where(Notice.id == mine[1])) == "approved"
    assert "Herstel NV" in fresh[2] and "Goedgekeurd door stilzwijgen" in fresh[2]
    assert hits >= len(steps)  # parts were kept across steps, not only rendered


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
        thanked = _list(http)  # with the flashed thanks: rendered, not kept
        assert "Goedgekeurd" in thanked and "Bedankt" in thanked
        again = _list(http)
        assert "Goedgekeurd" in again and "Bedankt" not in again

        db.session.execute(update(SubProcessor).where(SubProcessor.name == "CloudTel SA").values(name="Stil NV"))
        db.session.commit()  # a write without an audit event, which the services never make: not seen
        assert "Stil NV" not in _list(http)


def test_parts_are_kept_per_client_language_and_day(app, make_agreement, make_subprocessor, manager):
    first, second = make_agreement("signed"), make_agreement("signed")
    first_notice, _ = _announce(manager, make_subprocessor, "CloudTel SA")

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        dutch, other = _browser(app, first.client.users[0]), _browser(app, second.client.users[0])
        assert "Subverwerkers vandaag" in _list(dutch)
        assert other.post("/taal", data={"language": "fr", "next": "/portal/subprocessors"}).status_code == 302
        french = _list(other)
        assert "Sous-traitants ultérieurs actuels" in french and "Subverwerkers vandaag" not in french
        assert f"/portal/notices/{first_notice}" in _list(dutch) and f"/portal/notices/{first_notice}" not in french
        assert "Subverwerkers op" in _list(dutch, "?op=2026-11-01")
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert "Subverwerkers vandaag" in _list(_browser(app, first.client.users[0]))
    assert len(pagecache.cache()._parts) == 4


def test_the_cache_keeps_a_bounded_number_of_parts(app):
    kept = pagecache.PageCache(2)
    renders = []
    for key in ("a", "b", "a", "c", "b"):
        kept.part(key, lambda key=key: renders.append(key) or key, client_id=1)
    assert renders == ["a", "b", "c", "b"] and list(kept._parts) == ["c", "b"]


def test_a_size_of_zero_turns_the_cache_off(app):
    kept = pagecache.PageCache(0)
    renders = []
    for _ in range(3):
        assert kept.part("a", lambda: renders.append(1) or "<b>x</b>", client_id=1) == "<b>x</b>"
    assert len(renders) == 3 and not kept._parts


def test_the_kept_top_bar_gets_each_requests_token_return_path_and_name(app, make_agreement):
    first, second = make_agreement("signed"), make_agreement("signed")
    user = first.client.users[0]
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        one, other = _browser(app, user), _browser(app, second.client.users[0])
        page = _list(one, "?op=2026-11-01")
        assert 'name="next" value="/portal/subprocessors?op=2026-11-01"' in page
        assert "\x00" not in page and f"{user.full_name} · {first.client.name}</a>" in page
        with one.session_transaction() as session:
            token = session["csrf_token"]
        with other.session_transaction() as session:
            assert session.get("csrf_token") != token
        mine = re.search(r'name="csrf_token" value="([^"]+)"', _list(one)).group(1)
        theirs = re.search(r'name="csrf_token" value="([^"]+)"', _list(other)).group(1)
        assert mine != theirs  # each session's own token, though the bar around it was kept
        assert 'name="next" value="/portal/subprocessors?"' in _list(one)
        user.full_name = "Nieuwe Naam"
        db.session.commit()
        assert f"Nieuwe Naam · {first.client.name}</a>" in _list(one)
