"""A notice e-mail that bounced: the client was not told by that copy, and its window and silence count for nothing.

mail.bounces records the bounce and marks the addresses that failed for good; delivery_failed() then counts again
when the client was told (rules.told_by: the copies that did not bounce, and the portal) and moves the notice as
rules.after_bounce says: back to waiting for delivery, its deemed approval reversed, or its window counted from a
later copy. Every such move is audited, the managers are alerted, and a notice that waits again goes to the client's
other addresses.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import audit
from ..errors import Conflict, Invalid
from ..extensions import db, rowcount
from ..links import absolute
from ..mail import outbox
from ..mail.bounces import BounceListener, Retry, not_acted_words
from ..mail.models import OutboxAcceptance, OutboxMessage, OutboxRecipient
from ..rules import Copy, NoticeState, OutboxState, after_bounce, told_by
from .models import Notice
from .services import client_recipients, manager_addresses
from .subjects import notice_templates, subject_of


class NotYetSettled(Conflict, Retry):
    """The notice moved while the bounce was read: the bounce is not recorded; it is handed over again later."""


def _copies(notice_id: int) -> tuple[list[Copy], set[str]]:
    """Return every copy of the notice's e-mails that the server accepted, per address, and the addresses bounced."""
    templates = list(notice_templates())
    acceptances = db.session.execute(
        select(
            OutboxAcceptance.outbox_id,
            OutboxAcceptance.accepted_at,
            OutboxAcceptance.stated_closes_at,
            OutboxAcceptance.recipients,
        )
        .join(OutboxMessage, OutboxMessage.id == OutboxAcceptance.outbox_id)
        .where(OutboxMessage.notice_id == notice_id, OutboxMessage.template.in_(templates))
    ).all()
    states = {
        (outbox_id, address): state
        for outbox_id, address, state in db.session.execute(
            select(OutboxRecipient.outbox_id, OutboxRecipient.address, OutboxRecipient.state).where(
                OutboxRecipient.outbox_id.in_({a.outbox_id for a in acceptances})
            )
        )
    }
    copies = [
        Copy(a.accepted_at, a.stated_closes_at, states.get((a.outbox_id, address)) == "bounced")
        for a in acceptances
        for address in a.recipients
    ]
    return copies, {address for (_, address), state in states.items() if state == "bounced"}


def _on_its_way(notice_id: int) -> bool:
    """Tell whether an e-mail that tells the client of the notice is still waiting in the outbox."""
    return (
        db.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.notice_id == notice_id,
                OutboxMessage.template.in_(list(notice_templates())),
                OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            )
            .limit(1)
        )
        is not None
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _queue_copy(notice: Notice, key: str, to: list[str], now: datetime) -> None:
    """Queue the notice's own e-mail once more, to `to`, in the client's language (a new window when accepted)."""
    outbox.enqueue(
        [
            outbox.row(
                key=key,
                template=subject_of(notice).template,
                recipients=to,
                language=notice.client.language,
                client_id=notice.client_id,
                notice_id=notice.id,
                now=now,
            )
        ]
    )


def lock(notice_id: int) -> None:
    """Take the notice's row lock for the bounce's transaction (PostgreSQL; SQLite has one writer at a time)."""
    db.session.execute(select(Notice.id).where(Notice.id == notice_id).with_for_update())


def bounce_listener() -> BounceListener:
    """Return what mail.bounces tells the notices: which e-mails tell a client of a notice, and what to do."""
    return BounceListener(templates=notice_templates(), lock=lock, failed=delivery_failed)


def _resend_to(notice: Notice, bounced: set[str]) -> list[str]:
    """The client's addresses now, without those that bounced or were refused for good for this notice."""
    refused = {
        address.lower()
        for (address,) in db.session.execute(
            select(OutboxRecipient.address)
            .join(OutboxMessage, OutboxMessage.id == OutboxRecipient.outbox_id)
            .where(OutboxMessage.notice_id == notice.id, OutboxRecipient.state == "refused")
        )
    }
    gone = refused | {address.lower() for address in bounced}
    return sorted(a for a in set(client_recipients([notice.client_id])[notice.client_id]) if a.lower() not in gone)


def delivery_failed(notice_id: int, bounce_id: int, addresses: list[str], now: datetime, ignored: str | None) -> str:
    """Act on the copies of a notice e-mail that failed for good to reach `addresses`; return what was done.

    With `ignored` (why the bounce is not acted on: mail.bounces.NOT_ACTED) the notice is left alone and the
    managers are only told. Runs in the bounce's transaction, the notice's row locked (lock()). Raises NotYetSettled
    when the notice changed under it (the caller rolls the bounce back and receives it again later).
    """
    notice = db.session.get_one(Notice, notice_id)
    db.session.refresh(notice)  # as the lock found it
    before = {"state": notice.state, "notified_at": _iso(notice.notified_at), "closes_at": _iso(notice.closes_at)}
    effect, resent_to, reason, on_its_way = "kept", [], None, False
    was_applied = notice.applied_at
    outcome = None
    copies: list[Copy] = []
    bounced: set[str] = set()
    if ignored is not None:
        effect, reason = "ignored", not_acted_words(ignored)
    elif notice.state not in (NoticeState.OPEN, NoticeState.DEEMED_APPROVED, NoticeState.INFORMED):
        effect = "untouched"  # answered, withdrawn, or still waiting: the bounce changes nothing
    elif subject_of(notice).cancelled(notice):
        effect = "cancelled"  # a withdrawn change is not announced again
    else:
        copies, bounced = _copies(notice_id)
        told, stated = told_by(copies, notice.first_opened_at)
        outcome = after_bounce(
            state=notice.state,
            needs_approval=notice.needs_approval,
            notified_at=notice.notified_at,
            decided_at=notice.decided_at,
            days=notice.window_days,
            unit=notice.window_unit,
            told=told,
            stated=stated,
        )
    if outcome is not None:
        target, values = outcome
        reached = [c.accepted_at for c in copies if not c.bounced]
        values = values | {"state": target.value, "delivered_at": min(reached) if reached else None}
        reversing = notice.state == NoticeState.DEEMED_APPROVED and target != NoticeState.DEEMED_APPROVED
        if reversing:
            values["applied_at"] = None
        if reversing or target == NoticeState.AWAITING_DELIVERY:  # a new round: its own reminder and outcome
            values["delivery_round"] = Notice.delivery_round + 1
            values["reminded_at"] = None
        applied_as_read = Notice.applied_at.is_(None) if was_applied is None else Notice.applied_at == was_applied
        try:
            with db.session.begin_nested():  # the move and what undoing the deemed approval takes, or neither
                result = db.session.execute(
                    update(Notice)
                    .where(
                        Notice.id == notice.id,
                        Notice.state == notice.state,
                        Notice.notified_at == notice.notified_at,
                        applied_as_read,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(result) != 1:
                    raise NotYetSettled("the notice changed while its bounce was read")
                if reversing and was_applied is not None:
                    subject_of(notice).undo(notice, actor=None, now=now)
        except NotYetSettled:
            raise
        except Conflict as error:  # e.g. the amended agreement it produced has been replaced since
            effect, reason = "not_reversed", str(error.args[0] if error.args else error)
        else:
            if target == NoticeState.AWAITING_DELIVERY:
                effect = "reversed" if reversing else "waiting"
            elif reversing:
                effect = "reopened"
            else:
                effect = "moved" if notice.needs_approval else "moved_informed"
            audit.record(
                at=now,
                actor=None,
                object_type="notice",
                object_id=notice.id,
                client_id=notice.client_id,
                action="delivery_failed",
                before=before,
                after={
                    "state": target.value,
                    "notified_at": _iso(values["notified_at"]),
                    "closes_at": _iso(values.get("closes_at")),
                    "bounce": bounce_id,
                    "addresses": sorted(addresses),
                },
            )
            if reversing:
                audit.record(
                    at=now,
                    actor=None,
                    object_type="notice",
                    object_id=notice.id,
                    client_id=notice.client_id,
                    action="deemed_approval_reversed",
                    before={"state": "deemed_approved"},
                    after={"state": target.value, "was_applied": _iso(was_applied), "why": "bounce"},
                )
        db.session.expire(notice)
        db.session.refresh(notice)
    if effect in ("waiting", "reversed"):
        on_its_way = _on_its_way(notice_id)
        resent_to = [] if on_its_way else _resend_to(notice, bounced)
        if resent_to:
            _queue_copy(notice, f"notice:{notice_id}:resend:{bounce_id}", resent_to, now)
    # one alert per bounce acted on; of those not acted on, one per notice and reason (whoever knows the return path
    # could send any number)
    key = f"bounce-ignored:{notice_id}:{ignored}" if ignored else f"bounce:{bounce_id}"
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return EFFECT_WORDS[effect].format(
            addresses=", ".join(sorted(addresses)), notice=notice_id, to="", reason=reason or ""
        )
    outbox.enqueue(
        [
            outbox.row(
                key=key,
                template="bounce_alert",
                recipients=manager_addresses(),
                language="nl",
                client_id=notice.client_id,
                notice_id=notice_id,
                now=now,
                context={
                    "bounce": bounce_id,
                    "addresses": sorted(addresses),
                    "effect": effect,
                    "resent_to": resent_to,
                    "on_its_way": on_its_way,
                    "reason": reason,
                    "was": before,
                    "was_applied": _iso(was_applied),
                    "state": notice.state,
                    "closes_at": _iso(notice.closes_at),
                    "notified_at": _iso(notice.notified_at),
                    "manager_link": absolute(f"/notices/{notice_id}"),
                },
            )
        ]
    )
    return EFFECT_WORDS[effect].format(
        addresses=", ".join(sorted(addresses)),
        notice=notice_id,
        to=", ".join(resent_to) or ("een kopie is al onderweg" if on_its_way else "geen ander adres"),
        reason=reason or "",
    )


#: What a bounce did to its notice, in a sentence (kept with the bounce; the alert says it at length).
EFFECT_WORDS = {
    "kept": "{addresses} niet bereikt; melding {notice} bereikte de klant langs een ander adres of het portaal",
    "untouched": "{addresses} niet bereikt; melding {notice} werd al beantwoord of ingetrokken, of wacht nog: "
    "niets gewijzigd",
    "cancelled": "{addresses} niet bereikt; de wijziging van melding {notice} werd ingetrokken: niets gewijzigd",
    "ignored": "{addresses} niet bereikt volgens het bericht, maar niet toegepast op melding {notice}: {reason}",
    "moved": "{addresses} niet bereikt; de termijn van melding {notice} loopt vanaf een latere kopie of de opening "
    "in het portaal",
    "moved_informed": "{addresses} niet bereikt; melding {notice} bereikte de klant pas met een latere kopie of de "
    "opening in het portaal",
    "waiting": "{addresses} niet bereikt; melding {notice} wacht opnieuw op levering, verstuurd naar: {to}",
    "reversed": "{addresses} niet bereikt; de goedkeuring door stilzwijgen van melding {notice} is ongedaan "
    "gemaakt, verstuurd naar: {to}",
    "reopened": "{addresses} niet bereikt; de goedkeuring door stilzwijgen van melding {notice} was voorbarig: "
    "de termijn loopt vanaf een latere kopie of de opening in het portaal",
    "not_reversed": "{addresses} niet bereikt; melding {notice} kon niet automatisch teruggezet worden: {reason}",
}


def resend(notice: Notice, *, actor, now: datetime) -> list[str]:
    """Send a notice that waits for delivery again, to the client's addresses as they are now (a manager corrected
    one), without those that bounced or were refused for good for it; return them. The new copy's acceptance
    starts the window. Refused while an e-mail of the notice still waits in the outbox."""
    if not getattr(actor, "is_manager", False):
        raise Conflict(_("Alleen een manager verstuurt een melding opnieuw."))
    lock(notice.id)
    db.session.refresh(notice)
    if notice.state != NoticeState.AWAITING_DELIVERY:
        raise Conflict(_("Deze melding wacht niet op levering: er valt niets opnieuw te versturen."))
    if subject_of(notice).cancelled(notice):
        raise Conflict(_("De wijziging van deze melding werd ingetrokken: ze wordt niet meer verstuurd."))
    if _on_its_way(notice.id):
        raise Conflict(_("Een e-mail van deze melding wacht nog in de outbox; ze gaat zo dadelijk."))
    bounced = _copies(notice.id)[1]
    to = _resend_to(notice, bounced)
    if not to:
        raise Invalid(
            _(
                "De klant heeft geen adres waarop deze melding niet terugkwam of geweigerd werd. Verbeter eerst het "
                "contactadres van de klant of voeg een gebruiker toe."
            )
        )
    sent_before = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.notice_id == notice.id, OutboxMessage.template == subject_of(notice).template)
    )
    _queue_copy(notice, f"notice:{notice.id}:manual:{sent_before}", to, now)
    audit.record(
        at=now,
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        client_id=notice.client_id,
        action="resent",
        after={"recipients": to},
    )
    return to
