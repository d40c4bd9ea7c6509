"""The periodic jobs, and the one scheduler process that runs them.

Each job is short, selects its rows by state, and can run twice or in parallel without
doing anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from . import anchors, clock
from .amendments.services import apply_accepted_batch
from .changes.services import apply_due_batch, retire_unused
from .errors import Unavailable
from .extensions import db
from .intake import read_mailbox
from .mail import sender
from .mail.sender import SendReport, stop_on_sigterm
from .notices.services import close_due_batch, mail_listener, remind_batch

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    deemed_approved: int
    reminders: int
    applied: int
    amended: int = 0


def in_batches(step: Callable[[datetime], int], now: datetime) -> int:
    """Run `step` (one batch, changing the session without committing) until a batch finds nothing, committing
    after each batch: a sweep stopped half-way keeps the batches it finished, and the next run does the rest."""

    total = 0
    while moved := step(now):
        db.session.commit()
        total += moved
    db.session.commit()  # ends the transaction of the last, empty batch
    return total


def sweep(now: datetime) -> SweepReport:
    """Close due windows, queue due reminders, apply changes whose date has come and accepted amendments."""

    deemed_approved = in_batches(close_due_batch, now)
    reminders = in_batches(remind_batch, now)
    applied = in_batches(apply_due_batch, now)
    retire_unused(now)
    db.session.commit()
    report = SweepReport(
        deemed_approved=deemed_approved,
        reminders=reminders,
        applied=applied,
        amended=in_batches(apply_accepted_batch, now),
    )
    if report.deemed_approved or report.reminders or report.applied or report.amended:
        log.info("sweep: %s", report)
    return report


def drain(*, now: Callable[[], datetime] = clock.now, limit: int = 200) -> SendReport:
    """Drain the outbox once, telling the notices what the mail server accepted (sender.drain)."""
    return sender.drain(now=now, limit=limit, listener=mail_listener())


def send_mail() -> SendReport:
    """Drain the outbox once (the scheduler's job)."""
    return drain()


def anchor_audit() -> None:
    """Timestamp the head of the audit trail if it grew since its last anchor (the scheduler's job); commit it."""
    try:
        made = anchors.anchor(clock.now())
    except Unavailable:
        db.session.rollback()
        return  # logged; the next run tries again
    db.session.commit()
    if made is not None:
        log.info("audit anchored at event %s, timestamped %s", made.seq, made.stamped_at)


def read_bounces() -> None:
    """Read the IMAP bounce mailbox once (the scheduler's job, when BOUNCE_IMAP_HOST is set)."""
    report = read_mailbox()
    if report.recorded or report.left:
        log.info("bounce mailbox: %s recorded, %s left for the next run", len(report.recorded), report.left)


def run_scheduler(
    app, *, sweep_seconds: int, mail_seconds: int, jobs=("sweep", "send-mail", "audit-anchor", "bounce-imap")
) -> None:
    """Run the jobs at intervals until stopped (a BlockingScheduler: one per deployment is enough,
    more are safe)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def in_app(job):
        def run():
            with app.app_context():
                try:
                    job()
                except Exception:  # keep the scheduler alive; the next run tries again
                    log.exception("job %s failed", job.__name__)

        run.__name__ = job.__name__
        return run

    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    if "sweep" in jobs:
        scheduler.add_job(
            in_app(lambda: sweep(clock.now())),
            "interval",
            seconds=sweep_seconds,
            id="sweep",
            name="sweep",
            next_run_time=clock.now(),
        )
    if "send-mail" in jobs:
        scheduler.add_job(
            in_app(send_mail),
            "interval",
            seconds=mail_seconds,
            id="send-mail",
            name="send-mail",
            next_run_time=clock.now(),
        )

    if "audit-anchor" in jobs:
        scheduler.add_job(
            in_app(anchor_audit),
            "interval",
            minutes=app.config["AUDIT_ANCHOR_MINUTES"],
            id="audit-anchor",
            name="audit-anchor",
            next_run_time=clock.now(),
        )

    if "bounce-imap" in jobs and app.config.get("BOUNCE_IMAP_HOST") and app.config.get("BOUNCE_ADDRESS"):
        scheduler.add_job(
            in_app(read_bounces),
            "interval",
            minutes=app.config["BOUNCE_IMAP_MINUTES"],
            id="bounce-imap",
            name="bounce-imap",
            next_run_time=clock.now(),
        )

    # SIGTERM: the sender finishes the message in hand and stops; the process exits once the running jobs return.
    stop_on_sigterm(then=lambda: scheduler.shutdown(wait=False))
    log.info("scheduler: sweep every %ss, outbox every %ss", sweep_seconds, mail_seconds)
    scheduler.start()
