"""Changes to the register (an entry added, replaced or ended): drafted, announced to every client it concerns
with a notice and a window, cancelled, applied per client once its date has come and the client did not object."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..agreements.models import Agreement, agreement_services
from ..bulk import claim_batch
from ..clients.models import Client
from ..clients.services import matching as matching_clients
from ..clock import today_in_brussels
from ..errors import Conflict, Invalid
from ..extensions import db, rowcount
from ..labels import CHANGE_VERBS
from ..links import absolute
from ..localized import clean_translations
from ..mail.compose import compose
from ..mail.models import OutboxMessage
from ..notices.models import Notice
from ..notices.services import client_recipients, create_notices, queue_mails, withdraw_pending
from ..paging import Page, count_upto, page_of
from ..rules import (
    CHANGE_TRANSITIONS,
    NOTICE_STATES_THAT_APPLY,
    AgreementState,
    ChangeState,
    NoticeState,
    SubProcessorStatus,
    notice_needs_approval,
    sources,
)
from ..subprocessors.models import Assignment, Change, SubProcessor
from ..subprocessors.services import leaving
from ..subprocessors.subscribers import queue_change_mail
from ..web import is_id

#: The longest reason of a change (the form says the same).
REASON_MAX = 10_000


def changes_select():
    """The select of the changes, newest first, with the entries they name."""
    return (
        select(Change)
        .options(selectinload(Change.subprocessor), selectinload(Change.replaces))
        .order_by(Change.id.desc())
    )


def change_page(number: int) -> Page[Change]:
    """Return page `number` of the changes, newest first, with the entries they name."""
    return page_of(changes_select(), number)


def notice_tallies(change_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Return, per change, its notices in all, awaiting delivery and objected, each counted up to COUNT_CAP + 1.

    The counts of every state are on the change's own page; a list of changes shows what asks for action.
    """

    def upto(change_id: int, *where) -> int:
        return count_upto(select(literal(1)).where(Notice.change_id == change_id, *where))

    return {
        change_id: {
            "all": upto(change_id),
            "awaiting_delivery": upto(change_id, Notice.state == "awaiting_delivery"),
            "objected": upto(change_id, Notice.state == "objected"),
        }
        for change_id in change_ids
    }


# --- Changes -----------------------------------------------------------------------------------------


CHANGE_KINDS = CHANGE_VERBS  # the kinds a change may have, with the words the form offers


def create_change(
    *,
    kind: str,
    subprocessor_id,
    replaces_id=None,
    effective_on,
    reason: str,
    actor,
    now: datetime,
    translations: dict | None = None,
) -> Change:
    """Draft a change. Refuses unknown or retired sub-processors and past dates."""
    if kind not in CHANGE_KINDS:
        raise Invalid(_("Kies toevoegen, vervangen of stopzetten."), "kind")
    sp = db.session.get(SubProcessor, subprocessor_id) if is_id(subprocessor_id) else None
    if sp is None:
        raise Invalid(_("Onbekende subverwerker."), "subprocessor_id")
    if sp.status == SubProcessorStatus.RETIRED:
        raise Invalid(_("%(name)s is niet meer in gebruik.", name=sp.name), "subprocessor_id")
    old = None
    if kind == "replace":
        old = db.session.get(SubProcessor, replaces_id) if is_id(replaces_id) else None
        if old is None:
            raise Invalid(_("Kies de subverwerker die vervangen wordt."), "replaces_id")
        if old.id == sp.id:
            raise Invalid(_("Een subverwerker kan zichzelf niet vervangen."), "replaces_id")
        if old.status != SubProcessorStatus.ACTIVE:
            raise Invalid(
                _("%(name)s is niet in gebruik en kan dus niet vervangen worden.", name=old.name), "replaces_id"
            )
    elif replaces_id is not None:
        raise Invalid(_("Alleen een vervanging noemt een subverwerker die vervangen wordt."), "replaces_id")
    if kind in ("add", "replace") and sp.status != SubProcessorStatus.PROPOSED:
        raise Invalid(
            _("%(name)s is al in gebruik; een toevoeging gaat over een nieuwe subverwerker.", name=sp.name),
            "subprocessor_id",
        )
    if kind == "remove" and sp.status != SubProcessorStatus.ACTIVE:
        raise Invalid(
            _("%(name)s is niet in gebruik en kan dus niet stopgezet worden.", name=sp.name), "subprocessor_id"
        )
    if not isinstance(effective_on, date):
        raise Invalid(_("Vul de geplande ingangsdatum in (JJJJ-MM-DD)."), "effective_on")
    if effective_on < today_in_brussels(now):
        raise Invalid(_("De ingangsdatum ligt in het verleden."), "effective_on")
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) < 3:
        raise Invalid(_("Geef de reden van de wijziging."), "reason")
    if len(reason) > REASON_MAX:
        raise Invalid(_("Hoogstens %(num)s tekens.", num=REASON_MAX), "reason")
    involved = [sp.id] + ([old.id] if old else [])
    busy = db.session.scalar(
        select(Change.id)
        .where(
            Change.state.in_((ChangeState.DRAFT, ChangeState.ANNOUNCED)),
            Change.effective_on >= today_in_brussels(now),
            or_(Change.subprocessor_id.in_(involved), Change.replaces_id.in_(involved)),
        )
        .limit(1)
    )
    if busy is not None:
        raise Invalid(_("Voor deze subverwerker loopt al wijziging %(change)s.", change=busy), "subprocessor_id")
    try:
        translated = clean_translations(translations or {}, ("reason",), max_length=REASON_MAX)
    except ValueError as error:
        raise Invalid(_("Een vertaling is te lang of geen tekst."), str(error)) from None
    change = Change(
        kind=kind,
        subprocessor_id=sp.id,
        replaces_id=old.id if old else None,
        effective_on=effective_on,
        reason=reason,
        translations=translated,
        state=ChangeState.DRAFT,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="change",
        object_id=change.id,
        action="created",
        after={
            "kind": kind,
            "subprocessor_id": sp.id,
            "replaces_id": change.replaces_id,
            "effective_on": effective_on.isoformat(),
            "reason": reason,
            "translations": translated,
        },
    )
    return change


def affected_agreements(change: Change) -> Sequence[tuple[int, int, int, str, str]]:
    """Return (agreement id, client id, window days, window unit, language) of every signed agreement the change
    touches."""
    return db.session.execute(_affected(change).order_by(Agreement.id)).all()


def affected_count(change: Change) -> int:
    """Return the number of signed agreements the change touches (what announcing it would notify)."""
    return db.session.scalar(select(func.count()).select_from(_affected(change).subquery())) or 0


#: What a preview of a notice e-mail shows instead of the links to the notice (each real e-mail has its own).
PREVIEW_LINK = "[…]"


def reached_page(change: Change, number: int, query: str = "", per_page: int | None = None) -> Page:
    """Page `number` of the clients a draft change would reach, by name: rows of (agreement id, client id, window
    days, window unit, language, client name, enterprise number), those of the clients that match `query` (their
    name, number or e-mail, as the client list searches)."""
    stmt = _affected(change).add_columns(Client.name, Client.enterprise_number).order_by(Client.name, Agreement.id)
    if query.strip():
        stmt = stmt.where(Agreement.client_id.in_(matching_clients(query).with_only_columns(Client.id)))
    return page_of(stmt, number, per_page, scalars=False)


def preview_notice(change: Change, language: str, *, now: datetime):
    """The notice e-mail of a draft change as a reached client reading `language` would get it if announced now
    (one that reads it when there is one, else the first reached), composed for real inside a savepoint that is
    then rolled back: nothing is kept. None when the change reaches nobody."""
    first = _affected(change).order_by(Agreement.id).limit(1)
    sample = db.session.execute(first.where(Client.language == language)).first() or db.session.execute(first).first()
    if sample is None:
        return None
    agreement_id, client_id, days, unit, _language = sample
    savepoint = db.session.begin_nested()
    try:
        ((notice_id, _client),) = create_notices(
            [
                {
                    "change_id": change.id,
                    "agreement_id": agreement_id,
                    "client_id": client_id,
                    "needs_approval": notice_needs_approval(change.kind, change.subprocessor.kind),
                    "state": NoticeState.AWAITING_DELIVERY.value,
                    "window_days": days,
                    "window_unit": unit,
                    "created_at": now,
                }
            ]
        )
        message = OutboxMessage(
            template="notice",
            language=language,
            recipients=client_recipients([client_id])[client_id],
            client_id=client_id,
            notice_id=notice_id,
            context={},
        )
        rendered = compose(message, now)
    finally:
        savepoint.rollback()
    # the links to a notice that is not kept would lead nowhere, or once its number is used again, elsewhere
    links = re.compile(re.escape(absolute("/")) + rf"(portal/notices/{notice_id}\b|n/[^\s\"<>]+)")
    rendered.text = links.sub(PREVIEW_LINK, rendered.text)
    rendered.html = links.sub(PREVIEW_LINK, rendered.html)
    return client_id, rendered


def _affected(change: Change):
    stmt = (
        select(Agreement.id, Agreement.client_id, Agreement.window_days, Agreement.window_unit, Client.language)
        .join(Client, Client.id == Agreement.client_id)
        .where(Agreement.state == AgreementState.SIGNED.value)
    )
    if change.kind == "remove":
        stmt = stmt.where(
            exists().where(
                Assignment.client_id == Agreement.client_id,
                Assignment.subprocessor_id == change.subprocessor_id,
                Assignment.until_on.is_(None),
            )
        )
    else:
        sp_services = [s.id for s in change.subprocessor.services]
        if sp_services:
            stmt = stmt.where(
                exists().where(
                    agreement_services.c.agreement_id == Agreement.id, agreement_services.c.service_id.in_(sp_services)
                )
            )
    return stmt


def announce(change: Change, *, actor, now: datetime) -> list[int]:
    """Announce a drafted change: one notice per affected signed agreement, each with its e-mail."""
    result = db.session.execute(
        update(Change)
        .where(Change.id == change.id, Change.state == ChangeState.DRAFT)
        .values(state=ChangeState.ANNOUNCED, announced_at=now, announced_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze wijziging is al aangekondigd of ingetrokken."))
    db.session.expire(change)
    if change.subprocessor.status == SubProcessorStatus.RETIRED or (
        change.replaces is not None and change.replaces.status != SubProcessorStatus.ACTIVE
    ):
        raise Conflict(_("De register-status van de betrokken subverwerkers is intussen veranderd."))
    needs = notice_needs_approval(change.kind, change.subprocessor.kind)
    affected = affected_agreements(change)
    created = create_notices(
        [
            {
                "change_id": change.id,
                "agreement_id": agreement_id,
                "client_id": client_id,
                "needs_approval": needs,
                "state": NoticeState.AWAITING_DELIVERY.value,
                "window_days": days,
                "window_unit": unit,
                "created_at": now,
            }
            for agreement_id, client_id, days, unit, _ in affected
        ]
    )
    languages = {client_id: language for _, client_id, _, _, language in affected}
    queue_mails(created, key="notice", template="notice", now=now, languages=languages)
    queue_change_mail(change.id, now=now)  # and, for information, to whoever subscribed to the public register
    audit.record(
        at=now,
        actor=actor,
        object_type="change",
        object_id=change.id,
        action="announced",
        before={"state": ChangeState.DRAFT},
        after={"state": ChangeState.ANNOUNCED, "notices": len(created)},
    )
    return [notice_id for notice_id, _ in created]


def cancel(change: Change, *, actor, now: datetime) -> list[int]:
    """Cancel a change that has not taken effect anywhere; withdraw its waiting notices.

    Cancel and apply serialise on the change: the cancel first takes the change (a guarded UPDATE, which on
    PostgreSQL locks its row; the apply job locks the same row before it applies), then looks whether it took
    effect anywhere. Either the cancel wins and nothing applies, or the apply wins and the cancel is refused.
    """
    result = db.session.execute(
        update(Change)
        .where(Change.id == change.id, Change.state.in_(sources(CHANGE_TRANSITIONS, ChangeState.CANCELLED)))
        .values(state=ChangeState.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze wijziging is al ingetrokken."))
    applied = db.session.scalar(
        select(Notice.id).where(Notice.change_id == change.id, Notice.applied_at.is_not(None)).limit(1)
    )
    if applied is not None:
        raise Conflict(_("Deze wijziging is voor sommige klanten al ingegaan en kan niet meer ingetrokken worden."))
    withdrawn = withdraw_pending(("change", change.id), actor=actor, now=now)
    audit.record(
        at=now,
        actor=actor,
        object_type="change",
        object_id=change.id,
        action="cancelled",
        after={"state": ChangeState.CANCELLED, "withdrawn_notices": len(withdrawn)},
    )
    db.session.expire(change)
    return withdrawn


def apply_due_batch(now: datetime) -> int:
    """Let the changes whose date has come take effect for one batch of clients whose notice allows it; return how
    many notices were applied (0: none left). Idempotent; the job commits each batch."""
    today = today_in_brussels(now)
    applies = [s.value for s in NOTICE_STATES_THAT_APPLY]
    due_changes = select(Change.id).where(Change.state == ChangeState.ANNOUNCED, Change.effective_on <= today)
    due = and_(
        Notice.applied_at.is_(None),
        Notice.change_id.in_(due_changes),
        or_(
            Notice.state.in_(applies),
            and_(Notice.needs_approval.is_(False), Notice.state == NoticeState.AWAITING_DELIVERY.value),
        ),
    )
    if db.engine.dialect.name == "postgresql":
        # Take the due changes first, in every batch's transaction (see cancel): a change being cancelled
        # is waited for, and once cancelled it no longer matches `due`.
        db.session.scalars(due_changes.order_by(Change.id).with_for_update()).all()
    moved = claim_batch(
        Notice, [due], [Notice.id], {"applied_at": now}, [Notice.id, Notice.client_id, Notice.change_id], 2000
    )
    if not moved:
        return 0
    by_change: dict[int, list[tuple[int, int]]] = {}
    for notice_id, client_id, change_id in moved:
        assert change_id is not None  # `due` selects notices of changes
        by_change.setdefault(change_id, []).append((notice_id, client_id))
    for change_id, notices in by_change.items():
        _apply(db.session.get_one(Change, change_id), [c for _, c in notices], today)
    audit.record_many(
        [
            dict(
                at=now,
                actor=None,
                object_type="notice",
                object_id=nid,
                client_id=cid,
                action="applied",
                after={"on": today.isoformat()},
            )
            for nid, cid, _ in moved
        ]
    )
    return len(moved)


def retire_unused(now: datetime) -> None:
    """Retire the register entries that no client uses any more since their change took effect. The job commits."""
    _retire_unused(today_in_brussels(now), now)


def _apply(change: Change, client_ids: list[int], today: date) -> None:
    """Change the lists of these clients as the change says, from today."""
    ending = change.subprocessor_id if change.kind == "remove" else change.replaces_id
    if ending is not None:
        db.session.execute(
            update(Assignment)
            .where(
                Assignment.subprocessor_id == ending,
                Assignment.client_id.in_(client_ids),
                Assignment.until_on.is_(None),
            )
            .values(until_on=today, ended_by_change_id=change.id)
        )
    if change.kind in ("add", "replace"):
        have = set(
            db.session.scalars(
                select(Assignment.client_id).where(
                    Assignment.subprocessor_id == change.subprocessor_id,
                    Assignment.client_id.in_(client_ids),
                    Assignment.until_on.is_(None),
                )
            )
        )
        new = [cid for cid in client_ids if cid not in have]
        if new:
            db.session.execute(
                insert(Assignment),
                [
                    {
                        "client_id": cid,
                        "subprocessor_id": change.subprocessor_id,
                        "from_on": today,
                        "until_on": None,
                        "change_id": change.id,
                        "ended_by_change_id": None,
                    }
                    for cid in new
                ],
            )
        db.session.execute(
            update(SubProcessor)
            .where(SubProcessor.id == change.subprocessor_id, SubProcessor.status == SubProcessorStatus.PROPOSED)
            .values(status=SubProcessorStatus.ACTIVE, activated_on=today)
        )


def unapply_for_client(change: Change, client_id: int, *, actor, now: datetime) -> None:
    """Stop a change applying to one client from today (an objection received in time, recorded late).

    The sub-processor it brought in stops applying; for a replacement, the one it replaced applies again
    (back in use if it had been retired).
    """
    today = today_in_brussels(now)
    ended: Sequence[int] = []
    if change.kind in ("add", "replace"):
        ended = db.session.scalars(
            update(Assignment)
            .where(
                Assignment.client_id == client_id,
                Assignment.change_id == change.id,
                Assignment.subprocessor_id == change.subprocessor_id,
                Assignment.until_on.is_(None),
            )
            .values(until_on=today)
            .returning(Assignment.id)
        ).all()
    restored = None
    if change.kind == "replace":
        still = db.session.scalar(
            select(Assignment.id).where(
                Assignment.client_id == client_id,
                Assignment.subprocessor_id == change.replaces_id,
                Assignment.until_on.is_(None),
            )
        )
        if still is None:
            db.session.add(
                Assignment(
                    client_id=client_id,
                    subprocessor_id=change.replaces_id,
                    from_on=today,
                    until_on=None,
                    change_id=None,
                )
            )
            restored = change.replaces_id
            # In use again, for this client only: new agreements never get it (see active_for_services).
            back = rowcount(
                db.session.execute(
                    update(SubProcessor)
                    .where(SubProcessor.id == change.replaces_id, SubProcessor.status == SubProcessorStatus.RETIRED)
                    .values(status=SubProcessorStatus.ACTIVE, retired_on=None)
                )
            )
            if back:
                audit.record(
                    at=now,
                    actor=actor,
                    object_type="subprocessor",
                    object_id=change.replaces_id,
                    action="back_in_use",
                    before={"status": SubProcessorStatus.RETIRED},
                    after={"status": SubProcessorStatus.ACTIVE, "for_client": client_id},
                )
    audit.record(
        at=now,
        actor=actor,
        object_type="change",
        object_id=change.id,
        client_id=client_id,
        action="unapplied",
        after={"on": today.isoformat(), "ended_assignments": list(ended), "restored_subprocessor": restored},
    )


def _retire_unused(today: date, now: datetime) -> None:
    """Retire every sub-processor that a removal or replacement in effect has taken away from every client."""
    taken_away = leaving(today)
    still_used = exists().where(Assignment.subprocessor_id == SubProcessor.id, Assignment.until_on.is_(None))
    retired = db.session.scalars(
        update(SubProcessor)
        .where(SubProcessor.status == SubProcessorStatus.ACTIVE, SubProcessor.id.in_(taken_away), ~still_used)
        .values(status=SubProcessorStatus.RETIRED, retired_on=today)
        .returning(SubProcessor.id)
    ).all()
    audit.record_many(
        [
            dict(
                at=now,
                actor=None,
                object_type="subprocessor",
                object_id=sp_id,
                action="retired",
                before={"status": SubProcessorStatus.ACTIVE},
                after={"status": SubProcessorStatus.RETIRED, "on": today.isoformat()},
            )
            for sp_id in retired
        ]
    )
