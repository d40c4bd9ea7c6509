"""`make bench`: the work that grows with the number of clients, each figure against a reference in the same run.

Every figure is the median of several runs and is reported as a ratio to its reference, because
machines are noisy. Prints a table and writes bench/results.json.

    python bench/run.py [--scale 1] [--runs 5] [--postgres URL | --no-postgres] [--only pdf,fanout,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select, text, update  # noqa: E402

from bench import bare_pdf  # noqa: E402
from dpa_manager import create_app  # noqa: E402
from dpa_manager.extensions import db  # noqa: E402

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SECRET = "bench-secret-key-bench-secret-key-0123456789"


def median_seconds(action, *, runs: int, before=None) -> tuple[float, list[float]]:
    """Return the median wall time of `action` over `runs` runs (`before` prepares each run, untimed)."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def figure(
    name: str,
    database: str,
    scale: int,
    ours: float,
    reference_name: str,
    reference: float | None,
    *,
    higher_is_better: bool = False,
    max_ratio: float | None = None,
    min_ratio: float | None = None,
    max_seconds: float | None = None,
    unit: str = "s",
    note: str = "",
    extra: dict | None = None,
) -> dict:
    ratio = None if not reference else (ours / reference)
    ok = True
    if max_ratio is not None and ratio is not None:
        ok &= ratio <= max_ratio
    if min_ratio is not None and ratio is not None:
        ok &= ratio >= min_ratio
    if max_seconds is not None and unit == "s":
        ok &= ours <= max_seconds
    target = " and ".join(
        t
        for t in (
            f"≤ {max_ratio}×" if max_ratio is not None else "",
            f"≥ {min_ratio}×" if min_ratio is not None else "",
            f"≤ {max_seconds} s" if max_seconds is not None else "",
        )
        if t
    )
    return {
        "name": name,
        "database": database,
        "scale": scale,
        "ours": round(ours, 4),
        "unit": unit,
        "reference": reference_name,
        "reference_value": None if reference is None else round(reference, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "ok": bool(ok),
        "note": note,
        **(extra or {}),
    }


# --- Databases -------------------------------------------------------------------------------------


@contextmanager
def database(kind: str, postgres_url: str | None):
    """Yield an app on an empty database of `kind` (sqlite or postgresql), created for this run and dropped after."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="dpa-bench-")
        url = f"sqlite:///{folder}/bench.sqlite"
        cleanup = lambda: None  # noqa: E731
    else:
        import psycopg

        name = f"dpa_bench_{os.getpid()}_{int(time.time())}"
        admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = postgres_url.rsplit("/", 1)[0] + "/" + name

        def cleanup():
            with psycopg.connect(admin.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "MAIL_DEFAULT_SENDER": "noreply@contactexpert.be",
        }
    )
    try:
        with app.app_context():
            db.create_all()
            yield app, url
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


def seed(clients: int):
    """The demo processor, its terms and sub-processors, and `clients` synthetic clients with signed agreements."""
    from dpa_manager.demo import seed_demo, seed_synthetic

    seed_demo(now=NOW)
    if clients:
        seed_synthetic(clients, now=NOW)
    db.session.commit()  # the bench is the caller of the services: it commits, as a command does


def manager():
    from dpa_manager.accounts.models import User

    return db.session.scalar(select(User).where(User.role == "manager"))


def new_change(index: int):
    """Draft an addition of a new sub-processor used for every service."""
    from dpa_manager.changes import services as changes
    from dpa_manager.subprocessors import services as register

    sp = register.create_subprocessor(
        {
            "name": f"Bench {index} NV",
            "registration_number": "",
            "purpose": "Benchmarkdienst",
            "countries": ["BE"],
            "transfer_mechanism": None,
            "data_categories": ["contact"],
            "kind": "active_systematic",
            "website": "",
            "address": "Benchstraat 1\n1000 Brussel",
            "contact": "privacy@bench.example",
        },
        [],
        actor=None,
        now=NOW,
    )
    change = changes.create_change(
        kind="add", subprocessor_id=sp.id, effective_on=date(2027, 1, 15), reason="Benchmark", actor=manager(), now=NOW
    )
    db.session.commit()
    return change


# --- 1. The agreement PDF ----------------------------------------------------------------------------


def bench_pdf(args, results):
    from dpa_manager import pdf
    from dpa_manager.agreements import services as agreements
    from dpa_manager.agreements.document import signature_block
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.clock import today_in_brussels
    from dpa_manager.formatting import format_datetime_seconds
    from dpa_manager.subprocessors.models import Assignment, SubProcessor

    with database("sqlite", None) as (app, _):
        seed(1)
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.state == "signed").order_by(Agreement.id.desc())
        )
        have = db.session.scalar(  # those that apply now (the client's history holds ended ones too)
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.client_id == agreement.client_id, Assignment.until_on.is_(None))
        )
        for i in range(25 - have):  # 25 sub-processors in Annex IV
            sp = SubProcessor(
                name=f"Subverwerker {i + 1:02d} BV",
                purpose="Opslag en verwerking van opnames",
                countries=["BE", "NL", "DE"],
                data_categories=["contact"],
                kind="active_systematic",
                status="active",
                created_at=NOW,
                activated_on=NOW.date(),
            )
            db.session.add(sp)
            db.session.flush()
            db.session.add(Assignment(client_id=agreement.client_id, subprocessor_id=sp.id, from_on=NOW.date()))
        db.session.commit()
        day = today_in_brussels(NOW)
        agreements.document_of(agreement, day)  # freezes the document and its hash, as sending does

        def ours():
            document = agreements.build(agreement, day)
            return pdf.render(document, signature_block(agreement, format_datetime_seconds))

        data = ours()
        document = agreements.build(agreement, day)
        sig = signature_block(agreement, format_datetime_seconds)
        blocks = bare_pdf.flatten(document, [[s["party"], s["name"], s["role"], s["at"]] for s in sig["signatures"]])
        annex = next(a for a in document["annexes"] if a["number"] == "IV")
        tables = [i for i in annex["content"] if i["kind"] == "table"]  # one per sub-processor
        assert len(tables) == 25, len(tables)
        ours_s, _ = median_seconds(ours, runs=args.runs)
        bare_s, _ = median_seconds(lambda: bare_pdf.reportlab_bare(blocks), runs=args.runs)
        pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page")
        results.append(
            figure(
                "Agreement PDF (all articles, 4 annexes, 25 sub-processors, signature page)",
                "-",
                1,
                ours_s,
                "bare ReportLab, same content",
                bare_s,
                max_ratio=1.5,
                note=f"{len(data) // 1024} KiB, {pages} pages",
            )
        )
        page = bare_pdf.as_html(blocks)
        if bare_pdf.weasyprint_render(page) is None:
            results.append(
                figure(
                    "Agreement PDF against WeasyPrint",
                    "-",
                    1,
                    ours_s,
                    "WeasyPrint (not installed)",
                    None,
                    note="pip install -e '.[bench]' to compare",
                )
            )
        else:
            weasy_s, _ = median_seconds(lambda: bare_pdf.weasyprint_render(page), runs=max(3, args.runs // 2))
            results.append(
                figure(
                    "Agreement PDF against WeasyPrint (HTML of the same content)",
                    "-",
                    1,
                    ours_s,
                    "WeasyPrint",
                    weasy_s,
                    max_ratio=0.1,
                    note=f"WeasyPrint is {weasy_s / ours_s:.0f}× slower",
                )
            )


# --- 2. Fan-out: announcing one change to every signed agreement --------------------------------------------


def _notice_rows(change_id: int, agreements) -> tuple[list[dict], list[dict]]:
    from dpa_manager.mail import outbox

    notices = [
        {
            "change_id": change_id,
            "amendment_id": None,
            "agreement_id": aid,
            "client_id": cid,
            "needs_approval": True,
            "state": "awaiting_delivery",
            "window_days": 7,
            "window_unit": "calendar",
            "created_at": NOW,
        }
        for aid, cid in agreements
    ]
    mails = [
        outbox.row(
            key=f"bench:{change_id}:{aid}",
            template="notice",
            recipients=[f"c{cid}@x.example"],
            language="nl",
            client_id=cid,
            now=NOW,
        )
        for aid, cid in agreements
    ]
    return notices, mails


def raw_insert(notices: list[dict], mails: list[dict]) -> None:
    """The reference: the same rows with the driver's executemany, in one transaction, no application code."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        for table, rows in (("notices", notices), ("outbox", mails)):
            columns = list(rows[0])
            values = [
                tuple(json.dumps(v) if isinstance(v, (list, dict)) else v for v in (r[c] for c in columns))
                for r in rows
            ]
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", values
            )
        connection.commit()
    finally:
        connection.close()


def bench_fanout(args, results, kind: str, postgres_url: str | None):
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.changes import services as changes
    from dpa_manager.mail.models import OutboxMessage
    from dpa_manager.notices.models import Notice

    clients = 10_000 * args.scale
    with database(kind, postgres_url) as (app, _):
        seed(clients)
        signed = db.session.execute(select(Agreement.id, Agreement.client_id).where(Agreement.state == "signed")).all()
        counter = iter(range(1, 1000))
        prepared = {}

        def prepare():
            prepared["change"] = new_change(next(counter))

        def ours():
            changes.announce(prepared["change"], actor=manager(), now=NOW)
            db.session.commit()

        ours_s, _ = median_seconds(ours, runs=args.runs, before=prepare)
        made = db.session.scalar(
            select(func.count()).select_from(Notice).where(Notice.change_id == prepared["change"].id)
        )

        def prepare_raw():
            change = new_change(next(counter))
            prepared["rows"] = _notice_rows(change.id, signed)

        raw_s, _ = median_seconds(lambda: raw_insert(*prepared["rows"]), runs=args.runs, before=prepare_raw)
        results.append(
            figure(
                f"Fan-out: announce one change to {len(signed):,} signed agreements (notices + outbox rows + audit)",
                kind,
                args.scale,
                ours_s,
                "executemany of the same notices and outbox rows",
                raw_s,
                max_ratio=3,
                max_seconds=2 * args.scale,
                note=f"{made:,} notices",
            )
        )
        db.session.execute(delete(OutboxMessage))
        db.session.commit()


# --- 3. The sweep ------------------------------------------------------------------------------------------


def _due_notices(due: int, filler: int) -> None:
    """Put `due` open notices whose window has closed, among `filler` settled ones, into the table."""
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.notices.models import Notice

    agreements = db.session.execute(
        select(Agreement.id, Agreement.client_id).where(Agreement.state == "signed").order_by(Agreement.id)
    ).all()
    total = due + filler
    changes = -(-total // len(agreements))
    change_ids = [new_change(i + 500).id for i in range(changes)]
    closed = NOW - timedelta(hours=1)
    n = 0
    for change_id in change_ids:
        rows = []
        for aid, cid in agreements:
            if n >= total:
                break
            is_due = n < due
            rows.append(
                {
                    "change_id": change_id,
                    "agreement_id": aid,
                    "client_id": cid,
                    "needs_approval": True,
                    "state": "open" if is_due else "approved",
                    "window_days": 7,
                    "window_unit": "calendar",
                    "created_at": NOW - timedelta(days=8),
                    "delivered_at": NOW - timedelta(days=8),
                    "notified_at": NOW - timedelta(days=8),
                    "closes_at": closed,
                    "remind_at": closed - timedelta(days=2),
                    "reminded_at": closed - timedelta(days=2),
                    "decided_at": None if is_due else closed - timedelta(days=3),
                    "applied_at": None if is_due else closed,
                }
            )
            n += 1
        for offset in range(0, len(rows), 10_000):
            db.session.execute(insert(Notice), rows[offset : offset + 10_000])
        db.session.commit()


def raw_sweep(now: datetime) -> int:
    """The reference: settle the due notices and queue their outcome e-mails with two set-based statements."""
    postgres = db.engine.dialect.name == "postgresql"
    recipients = "json_build_array(c.contact_email)" if postgres else "json_array(c.contact_email)"
    concat = "||"
    with db.engine.begin() as connection:
        ids = (
            connection.execute(
                text(
                    "UPDATE notices SET state = 'deemed_approved', decided_at = :now "
                    "WHERE state = 'open' AND closes_at <= :now RETURNING id"
                ),
                {"now": now},
            )
            .scalars()
            .all()
        )
        connection.execute(
            text(
                "INSERT INTO outbox (dedupe_key, message_id, template, context, recipients, language, "
                "client_id, notice_id, state, attempts, next_attempt_at, created_at) "
                f"SELECT 'raw:' {concat} n.id, '<raw.' {concat} n.id {concat} '@bench>', 'outcome', "
                f"'{{\"outcome\": \"deemed_approved\"}}', {recipients}, c.language, n.client_id, n.id, 'pending', 0, "
                ":now, :now FROM notices n JOIN clients c ON c.id = n.client_id "
                "WHERE n.state = 'deemed_approved' AND n.decided_at = :now"
            ),
            {"now": now},
        )
    return len(ids)


def query_plans(now: datetime) -> list[str]:
    """Return the plans of the sweep's claim (select the due ids) and of its guarded update."""
    from dpa_manager.notices.services import candidates_query, due_windows

    claim = candidates_query(*due_windows(now))
    sql = str(claim.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE notices"))
            return [row[0] for row in connection.execute(text("EXPLAIN " + sql))]
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        return [" ".join(str(c) for c in row[1:]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql))]


def bench_sweep(args, results, kind: str, postgres_url: str | None):
    from dpa_manager.audit import AuditEvent
    from dpa_manager.jobs import in_batches
    from dpa_manager.mail.models import OutboxMessage
    from dpa_manager.notices.models import Notice
    from dpa_manager.notices.services import close_due_batch

    due = 100_000
    filler = (1_000_000 - due) if args.scale > 1 else 0
    with database(kind, postgres_url) as (app, _):
        seed(10_000 * args.scale)
        _due_notices(due, filler)
        plan = query_plans(NOW)

        def reset():
            db.session.execute(
                update(Notice).where(Notice.state == "deemed_approved").values(state="open", decided_at=None)
            )
            db.session.execute(delete(OutboxMessage))
            db.session.commit()
            if kind == "postgresql":
                # Each run leaves 100,000 dead row versions behind; a server's autovacuum clears them
                # between sweeps (this machine's is off), so that no run pays for the one before.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE notices, outbox"))

        counts = []
        ours_s, _ = median_seconds(
            lambda: counts.append(in_batches(close_due_batch, NOW)), runs=args.runs, before=reset
        )
        assert counts[-1] == due, counts
        raw_counts = []
        raw_s, _ = median_seconds(lambda: raw_counts.append(raw_sweep(NOW)), runs=args.runs, before=reset)
        assert raw_counts[-1] == due
        table = db.session.scalar(select(func.count()).select_from(Notice))
        results.append(
            figure(
                f"Sweep: {due:,} due notices settled (state, outcome e-mail, audit) in a table of {table:,}",
                kind,
                args.scale,
                ours_s,
                "UPDATE + INSERT…SELECT of the same rows",
                raw_s,
                max_ratio=3,
                max_seconds=10,
                extra={"query_plan": plan},
            )
        )
        db.session.execute(delete(AuditEvent))
        db.session.commit()


# --- 4. The outbox -----------------------------------------------------------------------------------------


def bench_outbox(args, results):
    import smtplib

    from dpa_manager.changes import services as changes
    from dpa_manager.jobs import drain
    from dpa_manager.mail.models import OutboxAcceptance, OutboxMessage, OutboxRecipient
    from dpa_manager.mail.sender import _message

    count = 500
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "smtp_sink.py")], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    try:
        with database("sqlite", None) as (app, _):
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=10)
            app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", port
            seed(count)
            counter = iter(range(1, 100))
            state = {}

            def prepare():
                db.session.execute(delete(OutboxRecipient))
                db.session.execute(delete(OutboxAcceptance))
                db.session.execute(delete(OutboxMessage))
                db.session.commit()
                changes.announce(new_change(next(counter)), actor=manager(), now=NOW)
                db.session.commit()
                state["rows"] = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
                db.session.expunge_all()  # a job starts with an empty session; these stay readable for `raw`

            def ours():
                while drain(now=lambda: NOW, limit=1000).sent:
                    pass

            runs = max(3, args.runs // 2)
            ours_s, _ = median_seconds(ours, runs=runs, before=prepare)
            sent = db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
            )
            assert sent == len(state["rows"]), sent

            def raw():
                # The same messages, made by the same templates, sent by smtplib over one connection: no
                # database, no claim, no record of delivery.
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                    for row in state["rows"]:
                        smtp.sendmail("noreply@contactexpert.be", row.recipients, _message(row, NOW).message.as_bytes())

            raw_s, _ = median_seconds(raw, runs=runs, before=prepare)
            results.append(
                figure(
                    f"Outbox: {sent} notice e-mails delivered over one connection (messages/s)",
                    "sqlite",
                    1,
                    sent / ours_s,
                    "smtplib alone sending the same messages, one connection",
                    sent / raw_s,
                    min_ratio=0.5,
                    unit="msg/s",
                    note="both render each message from its template; the outbox also claims it, "
                    "records its acceptance and starts the notice's window: two commits each",
                )
            )
    finally:
        server.terminate()
        server.wait()


# --- 5. The portal page under gunicorn ------------------------------------------------------------------------


def bench_portal(args, results):
    from dpa_manager.accounts.models import User
    from dpa_manager.agreements.models import Agreement
    from dpa_manager.changes import services as changes
    from dpa_manager.demo import SYNTHETIC_PASSWORD
    from dpa_manager.subprocessors.models import Assignment, SubProcessor

    with database("sqlite", None) as (app, url):
        seed(10 * args.scale)
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.state == "signed").order_by(Agreement.id.desc())
        )
        user = db.session.scalar(select(User).where(User.client_id == agreement.client_id))
        have = db.session.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.client_id == agreement.client_id)
        )
        for i in range(200 - have):
            sp = SubProcessor(
                name=f"Subverwerker {i + 1:03d} BV",
                purpose="Opslag",
                countries=["BE"],
                data_categories=["contact"],
                kind="active_systematic",
                status="active",
                created_at=NOW,
                activated_on=NOW.date(),
            )
            db.session.add(sp)
            db.session.flush()
            db.session.add(Assignment(client_id=agreement.client_id, subprocessor_id=sp.id, from_on=NOW.date()))
        db.session.commit()
        for i in range(20):
            changes.announce(new_change(i + 900), actor=manager(), now=NOW)
        db.session.commit()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=1)
        from dpa_manager.notices.models import Notice
        from dpa_manager.notices.services import mark_delivered

        for notice_id in db.session.scalars(select(Notice.id).where(Notice.client_id == agreement.client_id)):
            mark_delivered(notice_id, NOW)
        db.session.commit()
        email = user.email
    # The database file outlives the app context (the temporary folder stays until the process ends).
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, PYTHONPATH=str(ROOT))
    load = ["--seconds", str(args.load_seconds), "--email", email, "--password", SYNTHETIC_PASSWORD]
    with gunicorn(env) as port:
        portal = run_load(port, "/portal/subprocessors", load)
        hello = run_load(port, "/bench/hello", load)
    # Rendered at every request (there is no page cache). Eight threads share two workers, so its latency is
    # mostly queueing: the figure is for reading; each page's own targets are in the page table (bench_pages).
    results.append(
        figure(
            "Portal page (200 sub-processors, 20 open notices), gunicorn 2 workers (requests/s)",
            "sqlite",
            args.scale,
            portal["rps"],
            "hello-world route, same app and server",
            hello["rps"],
            unit="req/s",
            note=f"p99 {portal['p99_ms']:.0f} ms (hello {hello['p99_ms']:.0f} ms); "
            f"{portal['requests']} requests, {portal['errors']} errors",
            extra={"p99_ms": portal["p99_ms"], "hello_p99_ms": hello["p99_ms"]},
        )
        | {"target": "no errors (for reading)", "ok": portal["errors"] == 0}
    )


# --- 6. Every page at two sizes ----------------------------------------------------------------------------


def bench_pages(args, results, kind, postgres_url):
    """Every page at each size of --page-clients; one row per page with both sizes (bench/pages.py)."""
    from bench import pages
    from dpa_manager.changes import services as changes
    from dpa_manager.demo import SYNTHETIC_PASSWORD

    sizes = [int(n) for n in args.page_clients.split(",")]
    measured = {}
    for size in sizes:
        with database(kind, postgres_url) as (app, url):
            started = time.perf_counter()
            seed(0)

            def announce(index):
                change = new_change(index)
                changes.announce(change, actor=manager(), now=NOW)
                db.session.commit()
                return change.id

            ids = pages.prepare(NOW, size, announce, manager)
            if kind == "postgresql":  # this server's autovacuum is off; a production server's is on
                db.session.commit()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
            print(f"pages: {size:,} clients seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            # A second app on the same database: each request then has an app context (g, session) of its
            # own, as under a server, instead of sharing the one this data was made in.
            served = create_app(dict(app.config) | {"SQLALCHEMY_DATABASE_URI": url})
            measured[size] = pages.measure(served, ids, args.page_runs, SYNTHETIC_PASSWORD)
            with served.app_context():
                db.engine.dispose()
    small, large = measured[sizes[0]], measured[sizes[-1]]
    for label in small:
        a, b = small[label], large[label]
        results.append(
            {
                "name": f"Page: {label} ({a['path']})",
                "label": label,
                "database": kind,
                "scale": 1,
                "kind": "page",
                "sizes": sizes,
                "ours": round(b["median"], 4),
                "unit": "s",
                "reference": f"the same page at {sizes[0]:,} clients",
                "reference_value": round(a["median"], 4),
                "ratio": round(b["median"] / a["median"], 3) if a["median"] else None,
                "target": pages.TARGET,
                "ok": pages.verdict(a, b, label),
                "note": "exact counts by contract: time targets only" if label in pages.EXACT_COUNTS else "",
                "small": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in a.items()},
                "large": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in b.items()},
            }
        )


def print_pages(results: list[dict]) -> None:
    rows = [r for r in results if r.get("kind") == "page"]
    if not rows:
        return
    small, large = rows[0]["sizes"][0], rows[0]["sizes"][-1]
    print()
    print(
        f"{'page':<44} {'db':<10} {f'median/p99/KiB at {small:,}':>26} {f'median/p99/KiB at {large:,}':>28} "
        f"{'time×':>6} {'size×':>6}  ok"
    )
    for r in rows:
        a, b = r["small"], r["large"]
        cell = lambda f: f"{f['median'] * 1000:6.1f} {f['p99'] * 1000:6.1f} ms {f['bytes'] / 1024:7.1f}"  # noqa: E731
        growth = b["bytes"] / a["bytes"] if a["bytes"] else 0
        label = r["label"]
        status = "" if a["status"] == b["status"] == 200 else f" HTTP {a['status']}/{b['status']}"
        print(
            f"{label[:44]:<44} {r['database']:<10} {cell(a):>26} {cell(b):>28} {r['ratio'] or 0:6.2f} {growth:6.2f}  "
            f"{'yes' if r['ok'] else 'NO'}{status}"
        )


@contextmanager
def gunicorn(env: dict):
    """Run the app under gunicorn with 2 sync workers, as `make serve` does; yield its port."""
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "python:dpa_manager.gunicorn_conf",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        _wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait()


def run_load(port: int, path: str, options: list[str]) -> dict:
    """Drive `path` with the load generator in its own process; return its figures."""
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--port", str(port), "--path", path, *options]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def _answers(url: str) -> bool:
    """Return whether the PostgreSQL server of `url` accepts a connection (else the PostgreSQL figures are skipped)."""
    try:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        psycopg.connect(admin.replace("postgresql+psycopg", "postgresql"), connect_timeout=3).close()
        return True
    except Exception as error:  # no driver, no server: say so and go on with SQLite
        print(f"PostgreSQL at {url} does not answer ({error}); its figures are skipped.", file=sys.stderr)
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 20) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


# --- Report ------------------------------------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    print_pages(results)
    results = [r for r in results if r.get("kind") != "page"]
    print()
    print(f"{'benchmark':<92} {'db':<10} {'ours':>12} {'reference':>12} {'ratio':>7}  {'target':<18} ok")
    for r in results:
        ours = f"{r['ours']:.3f} {r['unit']}" if r["unit"] == "s" else f"{r['ours']:.0f} {r['unit']}"
        ref = (
            ""
            if r["reference_value"] is None
            else (f"{r['reference_value']:.3f} s" if r["unit"] == "s" else f"{r['reference_value']:.0f}")
        )
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        name = r["name"] + (f" [×{r['scale']}]" if r["scale"] > 1 else "")
        print(
            f"{name[:92]:<92} {r['database']:<10} {ours:>12} {ref:>12} {ratio:>7}  {r['target']:<18} "
            f"{'yes' if r['ok'] else 'NO'}"
        )
        if r.get("note"):
            print(f"    {r['note']}  (reference: {r['reference']})")
        for line in r.get("query_plan", []):
            print(f"    plan: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="1: the issue's sizes; 10: ten times the data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--load-seconds", type=float, default=5)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DPA_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", default="pdf,fanout,sweep,outbox,portal,pages")
    parser.add_argument("--page-clients", default="10000,100000", help="the two sizes of the page table")
    parser.add_argument("--page-runs", type=int, default=30, help="requests measured per page and size")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    only = set(args.only.split(","))
    kinds = ["sqlite"] + ([] if args.no_postgres or not _answers(args.postgres) else ["postgresql"])
    results: list[dict] = []
    if "pdf" in only:
        bench_pdf(args, results)
    for kind in kinds:
        if "fanout" in only:
            bench_fanout(args, results, kind, args.postgres)
        if "sweep" in only:
            bench_sweep(args, results, kind, args.postgres)
    if "outbox" in only:
        bench_outbox(args, results)
    if "portal" in only:
        bench_portal(args, results)
    if "pages" in only:
        for kind in kinds:
            bench_pages(args, results, kind, args.postgres)
    print_table(results)
    output = Path(args.output)
    previous = json.loads(output.read_text()) if output.exists() else {}
    runs = {k: v for k, v in (previous.get("runs") or {}).items()}
    runs[f"scale_{args.scale}"] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs_per_figure": args.runs,
        "results": results,
    }
    output.write_text(json.dumps({"runs": runs}, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {output}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
