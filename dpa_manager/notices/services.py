"""Everything that moves a notice: delivery, opening, objection, approval, resolution, silence."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, String, case, cast, delete, func, insert, literal, select, union, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import selectinload

from .. import audit, bulk
from ..accounts.models import User
from ..bulk import among
from ..clients.models import Client
from ..clients.services import matching as matching_clients
from ..db_types import UTCDateTime
from ..errors import Conflict, Invalid
from ..extensions import db, rowcount, table_of
from ..labels import NOTICE_STATES
from ..links import absolute
from ..mail import outbox
from ..mail.models import OutboxMessage, OutboxRecipient
from ..mail.outbox import given_up
from ..mail.sender import Listener
from ..paging import Page, counts_upto, page_of
from ..rules import (
    NOTICE_STATES_PENDING,
    RECORDED_CHANNELS,
    RESOLUTIONS,
    NoticeState,
    OutboxState,
    TransitionError,
    answer_error,
    applied_closes_at,
    check_notice_transition,
    objection_in_time,
    reminder_at,
)
from ..scoping import get_for, select_for
from .models import Notice, NoticeProof
from .subjects import by_kind, load_options, notice_templates, subject_of

#: Notices settled per transaction by the sweep.
BATCH = 5000


# --- Reading, always through the user's scope ------------------------------------------------


def get_notice(user: User, notice_id: int) -> Notice | None:
    """Return the notice if it exists and `user` may see it."""
    return get_for(user, Notice, notice_id)


def about(kind: str, subject_id: int):
    """Return the condition for the notices about one subject: its kind as registered ("change", …) and its id."""
    return getattr(Notice, by_kind(kind).column) == subject_id


def notices_select(
    user: User,
    *,
    client_id: int | None = None,
    state: str | None = None,
    of: tuple[str, int] | None = None,
    query: str = "",
):
    """The select of the notices the user may see, newest first, with the filters given: a client, a state, `of`
    a subject as (kind, id), and `query` for the clients whose name, number or e-mail match."""

    # What every list shows per row (the subject, the client), loaded with the list instead of row by row.
    stmt = select_for(user, Notice).order_by(Notice.id.desc()).options(*load_options(), selectinload(Notice.client))
    if client_id is not None:
        stmt = stmt.where(Notice.client_id == client_id)
    if state:
        stmt = stmt.where(Notice.state == state)
    if of is not None:
        stmt = stmt.where(about(*of))
    if query.strip():
        stmt = stmt.where(Notice.client_id.in_(matching_clients(query).with_only_columns(Client.id)))
    return stmt


def list_notices(
    user: User,
    *,
    client_id: int | None = None,
    state: str | None = None,
    of: tuple[str, int] | None = None,
    before_id: int | None = None,
    limit: int = 500,
) -> Sequence[Notice]:
    """Return the newest `limit` notices the user may see (older than `before_id` if given), with the filters given:
    a client, a state, and `of`, a subject as (kind, id)."""
    stmt = notices_select(user, client_id=client_id, state=state, of=of)
    if before_id is not None:
        stmt = stmt.where(Notice.id < before_id)
    return db.session.scalars(stmt.limit(limit)).all()


def notice_page(
    user: User,
    number: int,
    *,
    state: str | None = None,
    of: tuple[str, int] | None = None,
    query: str = "",
) -> Page[Notice]:
    """Return page `number` of the notices the user may see, newest first, with the filters given (see
    notices_select)."""
    stmt = notices_select(user, state=state, of=of, query=query)
    return page_of(stmt, number)


@dataclass
class Dashboard:
    """What a manager's overview shows: counts, and the first rows of each list that asks for action."""

    counts: dict[str, int]
    mail_counts: dict[str, int]
    objected: Sequence[Notice]
    awaiting: Sequence[Notice]
    closing: Sequence[Notice]
    dead: Sequence
    rows: int = 20  #: each list shows at most this many; the tiles link to the whole lists


DASHBOARD_ROWS = Dashboard.rows


def dashboard_of(user: User, now: datetime) -> Dashboard:
    """Return the manager's overview at `now`, in a fixed number of statements whatever the number of clients."""
    closing = notices_select(user, state=NoticeState.OPEN.value).where(Notice.closes_at <= now + timedelta(days=2))
    more = DASHBOARD_ROWS + 1  # one row more than shown tells whether the list goes on
    return Dashboard(
        counts=counts_by_state(),
        mail_counts=outbox.state_counts(),
        objected=list_notices(user, state=NoticeState.OBJECTED.value, limit=more),
        awaiting=list_notices(user, state=NoticeState.AWAITING_DELIVERY.value, limit=more),
        closing=db.session.scalars(closing.order_by(None).order_by(Notice.closes_at, Notice.id).limit(more)).all(),
        dead=outbox.given_up_list(more),
    )


def notices_by_id(ids: Sequence[int]) -> Sequence[Notice]:
    """Return the notices with these ids, by id."""
    return (
        db.session.scalars(select(Notice).where(among(Notice.id, list(ids))).order_by(Notice.id)).all() if ids else []
    )


def exact_counts_by_state(of: tuple[str, int]) -> dict[str, int]:
    """Return the exact number of a subject's notices in each state that has any (for the API)."""
    rows = db.session.execute(select(Notice.state, func.count()).where(about(*of)).group_by(Notice.state))
    return {state: n for state, n in rows}


def counts_by_state(of: tuple[str, int] | None = None) -> dict[str, int]:
    """Return the number of notices in each state (of one subject, or of all), each counted up to COUNT_CAP + 1."""
    where = [] if of is None else [about(*of)]
    return counts_upto(Notice.state, [s.value for s in NoticeState], where)


def client_recipients(client_ids) -> dict[int, list[str]]:
    """Return, per client, its contact address and the addresses of its active users who receive notices."""
    ids = list(set(client_ids))
    result: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return result
    for offset in range(0, len(ids), 5000):
        chunk = ids[offset : offset + 5000]
        for client_id, email in db.session.execute(
            select(Client.id, Client.contact_email).where(among(Client.id, chunk))
        ):
            result[client_id].append(email)
        for user_client_id, email in db.session.execute(
            select(User.client_id, User.email).where(
                among(User.client_id, chunk), User.active.is_(True), User.gets_notices.is_(True)
            )
        ):
            if user_client_id is not None:  # the users of these clients all have one
                result[user_client_id].append(email)
    return result


def client_languages(client_ids) -> dict[int, str]:
    ids = list(set(client_ids))
    return dict(db.session.execute(select(Client.id, Client.language).where(among(Client.id, ids))).all())


def manager_addresses() -> list[str]:
    configured = list(current_app.config.get("ALERT_EMAILS") or ())
    return configured or list(
        db.session.scalars(select(User.email).where(User.role == "manager", User.active.is_(True)))
    )


def outcome_row(notice_id: int, client_id: int, language: str, outcome: str, recipients, now: datetime) -> dict:
    return outbox.row(
        key=f"outcome:{notice_id}:{outcome}",
        template="outcome",
        recipients=recipients,
        language=language,
        client_id=client_id,
        notice_id=notice_id,
        now=now,
        context={"outcome": outcome},
    )


# --- The window starts: delivery or first opening ----------------------------------------------


def _start_window(notice: Notice, at: datetime, stated: datetime | None) -> dict:
    """Return the values that start the notice's window at `at` (or inform, without a window).

    `stated` is the closing moment the client was told, if any: the window applied is never shorter.
    """
    if not notice.needs_approval:
        return {"state": NoticeState.INFORMED.value, "notified_at": at}
    closes_at = applied_closes_at(at, notice.window_days, notice.window_unit, stated)
    return {
        "state": NoticeState.OPEN.value,
        "notified_at": at,
        "closes_at": closes_at,
        "stated_closes_at": stated or closes_at,
        "remind_at": reminder_at(at, closes_at),
    }


def _told(notice: Notice, at: datetime, column: str, actor, action: str, stated: datetime | None = None) -> bool:
    """Record that the client was told (delivery or opening), starting the window the first time (then True).

    A later statement of a later closing moment (an e-mail composed before the window started by an opening,
    accepted after) extends an open window to it: the client is never held to less than it read.
    """
    if notice.state == NoticeState.AWAITING_DELIVERY:
        values = _start_window(notice, at, stated) | {column: at}
        result = db.session.execute(
            update(Notice)
            .where(Notice.id == notice.id, Notice.state == NoticeState.AWAITING_DELIVERY.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            after = {
                "state": values["state"],
                "notified_at": at.isoformat(),
                "closes_at": values.get("closes_at") and values["closes_at"].isoformat(),
            }
            if values.get("stated_closes_at") is not None:
                after["stated_closes_at"] = values["stated_closes_at"].isoformat()
            audit.record(
                at=at,
                actor=actor,
                object_type="notice",
                object_id=notice.id,
                client_id=notice.client_id,
                action=action,
                before={"state": "awaiting_delivery"},
                after=after,
            )
            db.session.expire(notice)
            return True
        db.session.expire(notice)
    column_attr = getattr(Notice, column)
    db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, column_attr.is_(None))
        .values({column: at})
        .execution_options(synchronize_session=False)
    )
    if stated is not None:
        _extend_to_stated(notice, stated, at)
    db.session.expire(notice)
    return False


def _extend_to_stated(notice: Notice, stated: datetime, at: datetime) -> None:
    """Extend an open window that closes before `stated`, a closing moment the client was told."""
    current = db.session.execute(
        select(Notice.closes_at, Notice.notified_at).where(
            Notice.id == notice.id, Notice.state == NoticeState.OPEN.value
        )
    ).first()
    if current is None or current.closes_at >= stated:
        return
    result = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.OPEN.value, Notice.closes_at < stated)
        .values(closes_at=stated, stated_closes_at=stated, remind_at=reminder_at(current.notified_at, stated))
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) == 1:
        audit.record(
            at=at,
            actor=None,
            object_type="notice",
            object_id=notice.id,
            client_id=notice.client_id,
            action="window_extended",
            before={"closes_at": current.closes_at.isoformat()},
            after={"closes_at": stated.isoformat(), "why": "stated in the notice e-mail"},
        )


def mark_delivered(notice_id: int, accepted_at: datetime, *, stated_closes_at: datetime | None = None) -> None:
    """The mail server accepted the notification: start the window if it has not started.

    `stated_closes_at` is the closing moment the accepted message states; the window applied is the later
    of it and the rule's from the moment of acceptance. An acceptance earlier than the one the notice counts
    from (a message sent twice, the first acceptance recorded last) moves the start of an open window back to
    it; the window still never closes before a moment the client was told.
    """
    # locked and read as committed: a bounce being recorded for the notice is waited for, and seen
    notice = db.session.get(Notice, notice_id, with_for_update=True, populate_existing=True)
    if notice is None:
        return
    if not _told(notice, accepted_at, "delivered_at", None, "delivered", stated_closes_at):
        _earliest_acceptance(notice, accepted_at)  # told before: this acceptance may be the earliest


def unsent_reason(template: str, notice_id: int, now: datetime) -> str | None:
    """Return why a claimed e-mail about a notice must not go out any more, or None (checked when sending).

    A reminder says the window is still open: it is dropped once the notice has been answered or closed. A notice
    whose subject was cancelled before its e-mail went out is not announced at all. An outcome is dropped when a
    bounce sent its notice back (waiting for delivery, or open) before it went out.
    """
    templates = notice_templates()
    if template not in ("reminder", "outcome", *templates):
        return None
    state, closes_at = db.session.execute(select(Notice.state, Notice.closes_at).where(Notice.id == notice_id)).one()
    if template in templates:  # the announcement itself: dropped once the change was withdrawn
        return "not sent: the notice was withdrawn before it went out" if state == "withdrawn" else None
    if template == "outcome":  # an outcome a bounce undid (the notice waits, or its window runs, again)
        undone = state in (NoticeState.AWAITING_DELIVERY, NoticeState.OPEN)
        return f"not sent: the notice is {state} again since a bounce" if undone else None
    if state != "open":
        return f"not sent: the notice is no longer open ({state})"
    if closes_at is not None and closes_at <= now:
        return "not sent: the window has closed"
    return None


def mail_listener() -> Listener:
    """Return what the sender tells the notices: an acceptance of a notice e-mail, and what may no longer go out."""
    return Listener(
        templates=notice_templates(),
        accepted=lambda notice_id, at, stated: mark_delivered(notice_id, at, stated_closes_at=stated),
        obsolete=unsent_reason,
    )


def _earliest_acceptance(notice: Notice, at: datetime) -> None:
    db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.delivered_at > at)
        .values(delivered_at=at)
        .execution_options(synchronize_session=False)
    )
    current = db.session.execute(
        select(Notice.notified_at, Notice.closes_at, Notice.stated_closes_at).where(
            Notice.id == notice.id, Notice.state == NoticeState.OPEN.value, Notice.notified_at > at
        )
    ).first()
    if current is not None:
        closes_at = applied_closes_at(
            at,
            notice.window_days,
            notice.window_unit,
            max(current.stated_closes_at or current.closes_at, current.closes_at),
        )
        result = db.session.execute(
            update(Notice)
            .where(
                Notice.id == notice.id,
                Notice.state == NoticeState.OPEN.value,
                Notice.notified_at == current.notified_at,
            )
            .values(notified_at=at, closes_at=closes_at, remind_at=reminder_at(at, closes_at))
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            audit.record(
                at=at,
                actor=None,
                object_type="notice",
                object_id=notice.id,
                client_id=notice.client_id,
                action="notified_earlier",
                before={"notified_at": current.notified_at.isoformat(), "closes_at": current.closes_at.isoformat()},
                after={
                    "notified_at": at.isoformat(),
                    "closes_at": closes_at.isoformat(),
                    "why": "an earlier acceptance of the notice e-mail was recorded",
                },
            )
    informed = db.session.execute(  # a notice that only informs has no window: its moment of being told moves
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.INFORMED.value, Notice.notified_at > at)
        .values(notified_at=at)
        .returning(Notice.id)
        .execution_options(synchronize_session=False)
    ).first()
    if informed is not None:
        audit.record(
            at=at,
            actor=None,
            object_type="notice",
            object_id=notice.id,
            client_id=notice.client_id,
            action="notified_earlier",
            after={"notified_at": at.isoformat(), "why": "an earlier acceptance of the notice e-mail was recorded"},
        )
    db.session.expire(notice)


def mark_opened(notice: Notice, *, user: User, now: datetime) -> None:
    """A user of the client opened the notice in the portal: start the window if not yet started."""
    if user.is_manager or user.client_id != notice.client_id:
        return
    if notice.first_opened_at is None:
        db.session.refresh(notice, with_for_update=True)  # a bounce being recorded for the notice is waited for
        _told(notice, now, "first_opened_at", user, "opened")


# --- The client's answer ----------------------------------------------------------------------


def _decide(notice: Notice, target: NoticeState, *, user: User, now: datetime, values: dict) -> None:
    if user.is_manager or user.client_id != notice.client_id:
        raise Conflict(_("Alleen een gebruiker van de klant kan op deze melding antwoorden."))
    if notice.state != NoticeState.OPEN:
        raise Conflict(_("Deze melding is niet meer open (%(state)s).", state=str(NOTICE_STATES[notice.state]).lower()))
    if notice.closes_at is None or not objection_in_time(now, notice.closes_at):
        raise Conflict(_("De bezwaartermijn is afgelopen."))
    result = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.OPEN.value, Notice.closes_at > now)
        .values(state=target.value, decided_at=now, decided_by_id=user.id, **values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze melding werd intussen afgesloten; laad de pagina opnieuw."))
    db.session.expire(notice)


def object_to(notice: Notice, *, user: User, reason: str, now: datetime) -> Notice:
    """Record the client's objection, tell the client and alert the managers."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise Invalid(_("Geef de reden van uw bezwaar."), "reason")
    if len(reason) > 5000:
        raise Invalid(_("De reden is te lang (hoogstens 5000 tekens)."), "reason")
    _decide(notice, NoticeState.OBJECTED, user=user, now=now, values={"objection_reason": reason})
    client = notice.client
    outbox.enqueue(
        [
            outcome_row(
                notice.id,
                client.id,
                client.language,
                "objection_received",
                client_recipients([client.id])[client.id],
                now,
            ),
            outbox.row(
                key=f"alert:{notice.id}",
                template="alert",
                recipients=manager_addresses(),
                language="nl",
                client_id=client.id,
                notice_id=notice.id,
                now=now,
                context={"manager_link": absolute(f"/notices/{notice.id}")},
            ),
        ]
    )
    audit.record(
        at=now,
        actor=user,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="objected",
        before={"state": "open"},
        after={"state": "objected", "reason": reason},
    )
    return notice


def approve(notice: Notice, *, user: User, now: datetime) -> Notice:
    """Record the client's explicit approval (for an amendment: move the agreement to the new terms, which only a
    user who may sign for the client can accept)."""
    if notice.amendment_id is not None and not user.is_manager and not user.may_sign:
        raise Conflict(
            _(
                "Nieuwe voorwaarden aanvaarden mag alleen wie voor uw organisatie mag ondertekenen; een beheerder "
                "van uw organisatie kan u dat recht geven."
            )
        )
    _decide(notice, NoticeState.APPROVED, user=user, now=now, values={})
    subject_of(notice).approved(notice, from_state=NoticeState.OPEN, actor=user, now=now)
    client = notice.client
    outbox.enqueue(
        [outcome_row(notice.id, client.id, client.language, "approved", client_recipients([client.id])[client.id], now)]
    )
    audit.record(
        at=now,
        actor=user,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="approved",
        before={"state": "open"},
        after={"state": "approved"},
    )
    return notice


# --- Answers that reach the processor outside the app ------------------------------------------------

#: What a proof may be: the e-mail as received (.eml), a PDF (a scanned letter, a printed mail) or an image.
PROOF_TYPES = {
    ".eml": ("message/rfc822", None),
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}


@dataclass
class Proof:
    """An uploaded document that proves an answer: its name as uploaded and its bytes."""

    filename: str
    data: bytes


def _checked_proof(proof: Proof, limit: int) -> tuple[str, str]:
    """Return (clean file name, content type) of a proof, or raise Invalid saying what is wrong with it."""
    import email
    import os
    from email import policy

    name = os.path.basename((proof.filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    extension = os.path.splitext(name)[1].lower()
    if extension not in PROOF_TYPES:
        raise Invalid(_("Een bewijsstuk is een .eml-, .pdf-, .png- of .jpg-bestand."), "proof")
    if not proof.data:
        raise Invalid(_("Het bewijsstuk %(name)s is leeg.", name=name), "proof")
    if len(proof.data) > limit:
        raise Invalid(
            _("Het bewijsstuk %(name)s is te groot (hoogstens %(mb)s MB).", name=name, mb=limit // (1024 * 1024)),
            "proof",
        )
    content_type, magic = PROOF_TYPES[extension]
    if magic is not None and not proof.data.startswith(magic):
        raise Invalid(_("%(name)s is geen geldig %(kind)s-bestand.", name=name, kind=extension[1:].upper()), "proof")
    if magic is None:
        message = email.message_from_bytes(proof.data, policy=policy.compat32)
        if not (message.get("From") and message.get("Date")):
            raise Invalid(_("%(name)s is geen e-mailbericht (.eml met From en Date).", name=name), "proof")
    return name, content_type


def record_answer(
    notice: Notice,
    *,
    actor: User,
    answer: str,
    channel: str,
    received_at,
    reason: str = "",
    proofs: Sequence[Proof] = (),
    now: datetime,
) -> Notice:
    """Record an objection or approval that reached the processor outside the app.

    It counts when it was received before the window closed, whenever it is recorded. An objection
    recorded after the sweep deemed the notice approved reverses that outcome: the change stops applying
    to the client, with its own audit event and e-mails.
    """
    if not actor.is_manager:
        raise Conflict(_("Alleen een manager registreert een antwoord dat buiten de app binnenkwam."))
    if answer not in ("objection", "approval"):
        raise Invalid(_("Kies bezwaar of goedkeuring."), "answer")
    if channel not in RECORDED_CHANNELS:
        raise Invalid(_("Kies hoe het antwoord binnenkwam: e-mail, brief, telefoon of anders."), "channel")
    if not isinstance(received_at, datetime) or received_at.tzinfo is None:
        raise Invalid(_("Geef het ogenblik van ontvangst (datum en uur)."), "received_at")
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if answer == "objection" and len(reason) < 3:
        raise Invalid(_("Geef de reden van het bezwaar zoals de klant ze gaf."), "reason")
    if len(reason) > 5000:
        raise Invalid(_("De reden is te lang (hoogstens 5000 tekens)."), "reason")
    proofs = list(proofs or [])
    if not proofs and channel != "phone":
        raise Invalid(_("Voeg het bewijs toe: de e-mail (.eml), de brief (.pdf) of een foto."), "proof")
    if channel == "phone" and len(reason) < 3:
        raise Invalid(_("Noteer wie belde en wat er gezegd werd."), "reason")
    limit = current_app.config["PROOF_MAX_BYTES"]
    checked = [_checked_proof(proof, limit) for proof in proofs]
    if not notice.needs_approval:
        raise Conflict(_("Deze melding is ter informatie: er valt niets goed te keuren of te weigeren."))
    if notice.state == NoticeState.AWAITING_DELIVERY or notice.notified_at is None:
        raise Conflict(_("Deze melding is nog niet bij de klant geraakt: de termijn is nog niet begonnen."))
    if notice.state not in (NoticeState.OPEN, NoticeState.DEEMED_APPROVED):
        raise Conflict(_("Deze melding is niet meer open (%(state)s).", state=str(NOTICE_STATES[notice.state]).lower()))
    error = answer_error(received_at, now=now, announced_at=notice.created_at, closes_at=notice.closes_at)
    if error:
        raise Invalid(_(error), "received_at")
    source = NoticeState(notice.state)
    target = NoticeState.OBJECTED if answer == "objection" else NoticeState.APPROVED
    check_notice_transition(source, target)
    values = {
        "state": target.value,
        "decided_at": received_at,
        "decided_by_id": None,
        "answer_channel": channel,
        "answer_recorded_at": now,
        "answer_recorded_by_id": actor.id,
    }
    if answer == "objection":
        values["objection_reason"] = reason
    reversing = source == NoticeState.DEEMED_APPROVED and target == NoticeState.OBJECTED
    if reversing:
        values["applied_at"] = None
    # What to undo is decided from the row as this UPDATE finds it: if the sweep applied the change in between,
    # the guard fails and the manager tries again, instead of leaving an applied change behind an objection.
    was_applied = notice.applied_at
    applied_as_read = Notice.applied_at.is_(None) if was_applied is None else Notice.applied_at == was_applied
    result = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == source.value, Notice.closes_at > received_at, applied_as_read)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze melding werd intussen gewijzigd; laad de pagina opnieuw."))
    db.session.expire(notice)
    for (name, content_type), proof in zip(checked, proofs, strict=True):
        db.session.add(
            NoticeProof(
                notice_id=notice.id,
                client_id=notice.client_id,
                filename=name,
                content_type=content_type,
                size=len(proof.data),
                sha256=hashlib.sha256(proof.data).hexdigest(),
                data=proof.data,
                created_at=now,
                created_by_id=actor.id,
            )
        )
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="objection_recorded" if answer == "objection" else "approval_recorded",
        before={"state": source.value},
        after={
            "state": target.value,
            "received_at": received_at.isoformat(),
            "channel": channel,
            "reason": reason or None,
            "proofs": [{"name": p.filename, "sha256": p.sha256, "size": p.size} for p in notice.proofs],
        },
    )
    client = notice.client
    recipients = client_recipients([client.id])[client.id]
    if reversing:
        _reverse_deemed_approval(notice, was_applied, actor=actor, now=now)  # refused: nothing of it is kept
        outcome = "reversed"
    else:
        outcome = "objection_received" if answer == "objection" else "approved"
    mails = [outcome_row(notice.id, client.id, client.language, outcome, recipients, now)]
    if answer == "objection":
        mails.append(
            outbox.row(
                key=f"alert:{notice.id}",
                template="alert",
                recipients=manager_addresses(),
                language="nl",
                client_id=client.id,
                notice_id=notice.id,
                now=now,
                context={"manager_link": absolute(f"/notices/{notice.id}"), "reversed": reversing},
            )
        )
    outbox.enqueue(mails)
    if target == NoticeState.APPROVED:
        subject_of(notice).approved(notice, from_state=source, actor=actor, now=now)
    return notice


def _reverse_deemed_approval(notice: Notice, was_applied: datetime | None, *, actor: User, now: datetime) -> None:
    """Undo what the deemed approval did for this client: the change stops applying."""
    audit.record(
        at=now,
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="deemed_approval_reversed",
        before={"state": "deemed_approved"},
        after={"state": "objected", "was_applied": was_applied.isoformat() if was_applied else None},
    )
    if was_applied is not None:
        subject_of(notice).undo(notice, actor=actor, now=now)


def resolve(notice: Notice, *, actor: User, resolution: str, note: str, now: datetime) -> Notice:
    """Resolve an objection (rules.RESOLUTIONS) and tell the client."""
    if not actor.is_manager:
        raise Conflict(_("Alleen een manager handelt bezwaren af."))
    if resolution not in RESOLUTIONS:
        raise Invalid(_("Kies hoe het bezwaar is afgehandeld."), "resolution")
    target = RESOLUTIONS[resolution][0]
    try:
        check_notice_transition(notice.state, target)
    except TransitionError:
        raise Conflict(_("Alleen een melding met een bezwaar kan afgehandeld worden.")) from None
    result = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.OBJECTED.value)
        .values(
            state=target.value,
            resolution=resolution,
            resolution_note=(note or "").strip()[:5000],
            resolved_at=now,
            resolved_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze melding werd intussen gewijzigd; laad de pagina opnieuw."))
    db.session.expire(notice)
    client = notice.client
    outbox.enqueue(
        [outcome_row(notice.id, client.id, client.language, "resolved", client_recipients([client.id])[client.id], now)]
    )
    audit.record(
        at=now,
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="resolved",
        before={"state": "objected"},
        after={"state": target.value, "resolution": resolution},
    )
    return notice


def withdraw_pending(of: tuple[str, int], *, actor: User, now: datetime) -> list[int]:
    """Withdraw every notice of a cancelled subject (kind, id) that still waits; tell the clients who were told."""
    pending = [s.value for s in NOTICE_STATES_PENDING]
    rows = db.session.execute(
        update(Notice)
        .where(about(*of), Notice.state.in_(pending))
        .values(state=NoticeState.WITHDRAWN.value, resolution="cancelled", resolved_at=now, resolved_by_id=actor.id)
        .returning(Notice.id, Notice.client_id, Notice.notified_at)
    ).all()
    told = [(nid, cid) for nid, cid, notified in rows if notified is not None]
    queue_outcomes([nid for nid, _ in told], "cancelled", now)
    audit.record_many(
        [
            dict(
                at=now,
                actor=actor,
                object_type="notice",
                object_id=nid,
                client_id=cid,
                action="withdrawn",
                after={"state": "withdrawn", "resolution": "cancelled"},
            )
            for nid, cid, _ in rows
        ]
    )
    return [nid for nid, _, _ in rows]


def queue_outcomes(notice_ids: list[int], outcome: str, now: datetime) -> None:
    """Queue the outcome e-mail of each notice with one INSERT ... SELECT.

    The same rows as row(key=f"outcome:{id}:{outcome}", template="outcome", ...) for each notice, with the
    client's contact address and its active users' addresses as recipients and the client's language;
    written by the database in one statement, because a sweep settles thousands of notices at once.
    """
    if not notice_ids:
        return

    # a notice sent back by a bounce may reach the same outcome again, in a later round: another message
    later_round = case((Notice.delivery_round > 0, literal(".r") + cast(Notice.delivery_round, String)), else_="")
    key = literal("outcome:") + cast(Notice.id, String) + literal(f":{outcome}") + later_round
    mid = literal("<dpa.outcome.") + cast(Notice.id, String) + literal(f".{outcome}") + later_round
    mid = mid + literal(f"@{outbox.domain()}>")
    table = table_of(OutboxMessage)
    for offset in range(0, len(notice_ids), 5000):
        chunk = among(Notice.id, notice_ids[offset : offset + 5000])
        clients = select(Notice.client_id).where(chunk)
        addresses = union(
            select(Client.id.label("client_id"), Client.contact_email.label("email")).where(Client.id.in_(clients)),
            select(User.client_id.label("client_id"), User.email.label("email")).where(
                User.client_id.in_(clients), User.active.is_(True), User.gets_notices.is_(True)
            ),
        ).subquery()
        if db.engine.dialect.name == "postgresql":
            listed = select(
                addresses.c.client_id,
                func.json_agg(aggregate_order_by(addresses.c.email, addresses.c.email)).label("recipients"),
            )
        else:  # SQLite aggregates in the order of its (sorted) input
            ordered = select(addresses).order_by(addresses.c.client_id, addresses.c.email).subquery()
            listed = select(ordered.c.client_id, func.json(func.json_group_array(ordered.c.email)).label("recipients"))
            addresses = ordered
        per_client = listed.group_by(addresses.c.client_id).subquery()
        rows = (
            select(
                key,
                mid,
                literal("outcome"),
                literal({"outcome": outcome}, JSON),
                per_client.c.recipients,
                Client.language,
                Notice.client_id,
                Notice.id,
                literal(OutboxState.PENDING.value),
                literal(0),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
            )
            .join(Client, Client.id == Notice.client_id)
            .join(per_client, per_client.c.client_id == Notice.client_id)
            .where(chunk)
        )
        db.session.execute(
            insert(table).from_select(
                [
                    "dedupe_key",
                    "message_id",
                    "template",
                    "context",
                    "recipients",
                    "language",
                    "client_id",
                    "notice_id",
                    "state",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                rows,
            )
        )


# --- The sweep --------------------------------------------------------------------------------


def due_windows(now: datetime):
    """Return the condition and order of the open notices whose window has closed (the sweep's claim).

    The order is the one of the (state, closes_at) index, so that the database reads only the due rows.
    """
    return (Notice.state == NoticeState.OPEN.value, Notice.closes_at <= now), (Notice.closes_at, Notice.id)


def candidates_query(where, order):
    """Return the select of the next BATCH ids matching `where`, in `order` (what _claim takes; bench explains it)."""
    return bulk.batch_candidates(Notice, list(where), list(order), BATCH)


def _claim(where, order, values: dict):
    """Move up to BATCH notices matching `where` with one guarded UPDATE; return (id, client_id) of those moved.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent sweepers take different rows;
    on SQLite the database lock serialises writers, and the repeated condition keeps a row from moving twice.
    """
    return bulk.claim_batch(Notice, list(where), list(order), values, [Notice.id, Notice.client_id], BATCH)


def close_due_batch(now: datetime) -> int:
    """Settle one batch of open notices whose window has closed as deemed approved, with their outcome e-mails;
    return how many (0: none left). The job commits each batch (jobs.in_batches)."""
    where, order = due_windows(now)
    moved = _claim(where, order, {"state": NoticeState.DEEMED_APPROVED.value, "decided_at": now})
    if not moved:
        return 0
    queue_outcomes([nid for nid, _ in moved], "deemed_approved", now)
    before, after = {"state": "open"}, {"state": "deemed_approved"}  # shared: converted once per batch
    audit.record_many(
        [
            dict(
                at=now,
                actor=None,
                object_type="notice",
                object_id=nid,
                client_id=cid,
                action="deemed_approved",
                before=before,
                after=after,
            )
            for nid, cid in moved
        ]
    )
    return len(moved)


def remind_batch(now: datetime) -> int:
    """Queue the reminders of one batch of open notices whose reminder time has come (each once); return how
    many (0: none left). The job commits each batch."""
    where = (
        Notice.state == NoticeState.OPEN.value,
        Notice.remind_at <= now,
        Notice.reminded_at.is_(None),
        Notice.closes_at > now,
    )
    claimed = bulk.claim_batch(
        Notice,
        list(where),
        [Notice.remind_at, Notice.id],
        {"reminded_at": now},
        [Notice.id, Notice.client_id, Notice.delivery_round],
        BATCH,
    )
    if not claimed:
        return 0
    moved = [(nid, cid) for nid, cid, _ in claimed]
    # a notice that a bounce sent back has its reminder again in its new round: another message
    queue_mails(moved, key="reminder", template="reminder", now=now, rounds={nid: r for nid, _, r in claimed if r})
    return len(moved)


def queue_mails(
    notices: Sequence[tuple[int, int]],
    *,
    key: str,
    template: str,
    now: datetime,
    languages: dict[int, str] | None = None,
    rounds: dict[int, int] | None = None,
) -> None:
    """Queue one e-mail of `template` about each notice (id, client id), keyed f"{key}:{id}" (f"{key}:{id}.r{round}"
    in a later round, see Notice.delivery_round), to the client's contact and active users in the client's language
    (given, or read here)."""
    rounds = rounds or {}
    client_ids = {cid for _, cid in notices}
    recipients = client_recipients(client_ids)
    languages = languages if languages is not None else client_languages(client_ids)
    outbox.enqueue(
        [
            outbox.row(
                key=f"{key}:{nid}" + (f".r{rounds[nid]}" if rounds.get(nid) else ""),
                template=template,
                recipients=recipients[cid],
                language=languages[cid],
                client_id=cid,
                notice_id=nid,
                now=now,
            )
            for nid, cid in notices
        ]
    )


def create_notices(rows: list[dict]) -> list[tuple[int, int]]:
    """Insert notices in bulk; return (id, client_id) per row, in order."""
    if not rows:
        return []
    table = table_of(Notice)
    if db.engine.dialect.name == "postgresql":  # ids first, then the rows by COPY: a fan-out writes thousands
        rows = [{"id": notice_id, **row} for notice_id, row in zip(bulk.next_ids(table, len(rows)), rows, strict=True)]
        bulk.insert_rows(table, rows)
        return [(row["id"], row["client_id"]) for row in rows]
    return [
        tuple(r)
        for r in db.session.execute(
            insert(table).returning(table.c.id, table.c.client_id, sort_by_parameter_order=True), rows
        )
    ]


# --- Dead letters back in the queue --------------------------------------------------------------------------


def client_templates() -> frozenset[str]:
    """Return the templates of messages to a client's contacts (a re-queue sends them to its addresses as they are
    now): each subject's notice e-mail, the reminder and the outcome."""
    return notice_templates() | {"reminder", "outcome"}


def requeue(message_ids: list[int] | None, *, actor, now: datetime) -> list[int]:
    """Put given-up messages back in the queue (all of them with None), with their Message-ID.

    Given up: the whole message (dead), or some of its recipients (refused for good) while others accepted it.
    A message to a client goes to the client's addresses as they are now (the manager may have corrected
    them), except those that already accepted it; its attempts start again. A sent message whose refused
    addresses are all no longer the client's has nobody left to try: those addresses are dropped from it
    (audited), and it is no longer given up. Returns the ids re-queued; ids that were not given up are left alone.
    """

    stmt = select(OutboxMessage).where(given_up()).order_by(OutboxMessage.id)
    if message_ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(message_ids)))
    rows = db.session.scalars(stmt).all()
    to_clients = client_templates()
    recipients = client_recipients({m.client_id for m in rows if m.client_id and m.template in to_clients})
    answers: defaultdict[int, dict[str, tuple[str, str | None]]] = defaultdict(dict)
    for outbox_id, address, state, reply in db.session.execute(
        select(OutboxRecipient.outbox_id, OutboxRecipient.address, OutboxRecipient.state, OutboxRecipient.reply).where(
            OutboxRecipient.outbox_id.in_([m.id for m in rows])
        )
    ):
        answers[outbox_id][address] = (state, reply)
    done = []
    for message in rows:
        # an address that accepted the message, bounced or not, is not sent it again: a bounce stays on record
        accepted = {a for a, (state, _) in answers[message.id].items() if state in ("accepted", "bounced")}
        refused = {a: reply for a, (state, reply) in answers[message.id].items() if a not in accepted}
        current = set(message.recipients)
        if message.client_id and message.template in to_clients and recipients.get(message.client_id):
            current = set(recipients[message.client_id])
        to = sorted(current | (accepted & set(message.recipients)))
        if not set(to) - accepted:
            # Nobody left to send it to: every address it was refused for is no longer the client's. The message
            # was delivered to the others; the refused addresses are dropped from it, and the trail says so.
            if refused and message.state == OutboxState.SENT:
                db.session.execute(
                    delete(OutboxRecipient).where(
                        OutboxRecipient.outbox_id == message.id,
                        OutboxRecipient.state.not_in(("accepted", "bounced")),
                    )
                )
                db.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(recipients=to, last_error=None)
                    .execution_options(synchronize_session=False)
                )
                audit.record(
                    at=now,
                    actor=actor,
                    object_type="outbox",
                    object_id=message.id,
                    client_id=message.client_id,
                    action="addresses_dropped",
                    before={"recipients": message.recipients, "refused": refused},
                    after={"recipients": to},
                )
            continue
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.state == message.state,
                OutboxMessage.attempts == message.attempts,
            )
            .values(
                state=OutboxState.PENDING,
                attempts=0,
                next_attempt_at=now,
                claimed_until=None,
                claim_token=None,
                recipients=to,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            db.session.execute(
                delete(OutboxRecipient).where(
                    OutboxRecipient.outbox_id == message.id,
                    OutboxRecipient.state.not_in(("accepted", "bounced")),
                )
            )
            done.append(message.id)
            audit.record(
                at=now,
                actor=actor,
                object_type="outbox",
                object_id=message.id,
                client_id=message.client_id,
                action="requeued",
                before={
                    "state": message.state,
                    "last_error": message.last_error,
                    "recipients": message.recipients,
                    "refused": refused,
                },
                after={"state": OutboxState.PENDING, "recipients": to, "already_accepted": sorted(accepted)},
            )
    return done
