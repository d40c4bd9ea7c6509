"""Every page a manager, a client or the public opens, at 10,000 and at 100,000 clients.

For each size: the demo data with that many synthetic clients (`seed-demo --clients N`), three changes
announced to all of them (3 N notices: one change delivered and open, one deemed approved, one awaiting
delivery), then each page requested through Flask's test client, a few times to warm up and RUNS times
measured. A page meets its targets when its median is under 50 ms, its 99th percentile under 150 ms, and
its median time and its size at the larger size are within 1.5× of those at the smaller.
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import timedelta
from urllib.parse import quote_plus

from sqlalchemy import select, update

from dpa_manager.demo import synthetic_name
from dpa_manager.extensions import db

#: The targets of every page: median and 99th percentile in seconds, growth from the smaller size to the larger.
#: A median that grows by less than NOISE_S counts as not grown (a page of 1 ms that takes 1.6 ms has not).
MEDIAN_S, P99_S, GROWTH, NOISE_S = 0.050, 0.150, 1.5, 0.002
TARGET = "median < 50 ms, p99 < 150 ms, time and size ≤ 1.5× from the smaller size"
WARM = 3


def prepare(now, clients: int, announce_change, manager) -> dict:
    """Seed `clients` synthetic clients, announce three changes to all; return the ids the page paths need."""
    from dpa_manager import rules
    from dpa_manager.accounts.models import User
    from dpa_manager.accounts.services import create_token
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.demo import seed_synthetic
    from dpa_manager.jobs import in_batches
    from dpa_manager.mail.models import OutboxMessage
    from dpa_manager.notices.models import Notice
    from dpa_manager.notices.services import close_due_batch

    seed_synthetic(clients, now=now)
    db.session.commit()
    changes = [announce_change(index) for index in (1, 2, 3)]
    told = now - timedelta(days=1)
    deemed = now - timedelta(days=30)
    for change_id, at in ((changes[0], told), (changes[1], deemed)):
        notices = select(Notice.id).where(Notice.change_id == change_id).scalar_subquery()
        db.session.execute(
            update(Notice)
            .where(Notice.change_id == change_id)
            .values(
                state="open",
                notified_at=at,
                delivered_at=at,
                closes_at=rules.objection_closes_at(at, 7, "calendar"),
                remind_at=None,
            )
        )
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.notice_id.in_(notices)).values(state="sent", sent_at=at)
        )
    db.session.commit()
    in_batches(close_due_batch, now)  # the second change's windows closed in silence
    user = db.session.scalar(select(User).where(User.role == "client").order_by(User.id.desc()))
    notice = db.session.scalar(select(Notice).where(Notice.client_id == user.client_id, Notice.change_id == changes[0]))
    agreement = db.session.scalar(select(Agreement.id).where(Agreement.client_id == user.client_id))
    message = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.notice_id == notice.id))
    from dpa_manager.subprocessors.models import Change

    sp_id = db.session.get(Change, changes[0]).subprocessor_id
    token = create_token(manager(), label="bench", now=now)
    db.session.commit()
    return {
        "changes": changes,
        "client_id": user.client_id,
        "client_email": user.email,
        "notice_id": notice.id,
        "agreement_id": agreement,
        "message_id": message,
        "sp_id": sp_id,
        "token": token,
    }


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(who, label, path) of every page measured; `who` is manager, client, public or api."""
    c1, c2, c3 = ids["changes"]
    return [
        ("manager", "dashboard", "/dashboard"),
        ("manager", "clients", "/clients/"),
        ("manager", "clients, searched", f"/clients/?q={quote_plus(synthetic_name(1234))}"),
        ("manager", "clients, searched, no match", "/clients/?q=Nergens+te+vinden"),
        ("manager", "one client", f"/clients/{ids['client_id']}"),
        ("manager", "agreements", "/agreements/"),
        ("manager", "agreements, signed", "/agreements/?state=signed"),
        ("manager", "one agreement", f"/agreements/{ids['agreement_id']}"),
        ("manager", "notices", "/notices/"),
        *[("manager", f"notices, {state}", f"/notices/?state={state}") for state in _notice_states()],
        ("manager", "one notice", f"/notices/{ids['notice_id']}"),
        ("manager", "changes", "/changes/"),
        ("manager", "one change (open)", f"/changes/{c1}"),
        ("manager", "one change (deemed approved)", f"/changes/{c2}"),
        ("manager", "one change (awaiting delivery)", f"/changes/{c3}"),
        ("manager", "register", "/subprocessors/"),
        ("manager", "one sub-processor", f"/subprocessors/{ids['sp_id']}"),
        ("manager", "audit", "/audit/"),
        ("manager", "outbox", "/outbox/"),
        ("manager", "outbox, pending", "/outbox/?state=pending"),
        ("manager", "one outbox message", f"/outbox/{ids['message_id']}"),
        ("manager", "terms", "/terms/"),
        ("client", "portal", "/portal/"),
        ("client", "portal sub-processors", "/portal/subprocessors"),
        ("client", "portal notice", f"/portal/notices/{ids['notice_id']}"),
        ("client", "portal history", "/portal/audit"),
        ("public", "public register", "/subverwerkers"),
        ("public", "public register feed", "/subverwerkers.atom"),
        ("api", "API clients", "/api/v1/clients"),
        ("api", "API notices", "/api/v1/notices"),
        ("api", "API sub-processors", "/api/v1/subprocessors"),
        ("api", "API a client's sub-processors", f"/api/v1/clients/{ids['client_id']}/subprocessors"),
        ("api", "API one change", f"/api/v1/changes/{c1}"),
    ]


def _notice_states() -> list[str]:
    from dpa_manager.rules import NoticeState

    return [state.value for state in NoticeState]


def measure(app, ids: dict, runs: int, password: str) -> dict[str, dict]:
    """Request every page; return {label: {median, p99, bytes, status}} in seconds and bytes."""
    from dpa_manager.demo import MANAGER

    clients = {"manager": app.test_client(), "client": app.test_client(), "public": app.test_client()}
    _login(clients["manager"], MANAGER[0], MANAGER[1])
    _login(clients["client"], ids["client_email"], password)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {ids['token']}"}
    # What this process made so far (the data) leaves the garbage collector's sight, as a server worker's
    # start-up does (dpa_manager/gunicorn_conf.py); the requests' own garbage is still collected.
    gc.collect()
    gc.freeze()
    figures = {}
    for who, label, path in pages(ids):
        client = api if who == "api" else clients[who]
        extra = headers if who == "api" else {}
        times, size, status = [], 0, 0
        for round_ in range(WARM + runs):
            start = time.perf_counter()
            response = client.get(path, headers=extra)
            elapsed = time.perf_counter() - start
            size, status = len(response.get_data()), response.status_code
            if round_ >= WARM:
                times.append(elapsed)
        times.sort()
        figures[label] = {
            "who": who,
            "path": path,
            "median": statistics.median(times),
            "p99": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
            "bytes": size,
            "status": status,
        }
    gc.unfreeze()
    return figures


def _login(client, email: str, password: str) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code in (302, 303), (email, response.status_code)


#: Answers that are not among the issue's pages and state exact counts by contract: the API's one change gives
#: the exact number of its notices in each state, which takes longer the more notices it has (an index-only
#: count). They have the time targets, not the growth target; the table says so.
EXACT_COUNTS = frozenset({"API one change"})


def verdict(small: dict, large: dict, label: str = "") -> bool:
    """Whether a page meets its targets at both sizes."""
    grows_within = (
        label in EXACT_COUNTS
        or large["median"] <= GROWTH * small["median"]
        or large["median"] - small["median"] < NOISE_S
    )
    return (
        small["status"] == large["status"] == 200
        and max(small["median"], large["median"]) < MEDIAN_S
        and max(small["p99"], large["p99"]) < P99_S
        and grows_within
        and large["bytes"] <= GROWTH * small["bytes"]
    )
