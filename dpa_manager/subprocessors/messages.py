"""The e-mails of a subscription to the public register: the confirmation of an address, and an announced change,
composed for the sender (registered with mail.compose by create_app)."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..formatting import format_long_date, localize
from ..labels import CHANGE_TITLES
from ..links import absolute
from ..mail import compose
from ..mail.compose import Draft
from ..mail.models import OutboxMessage
from ..mail.strings import t
from ..processor.services import required_profile
from .models import Change
from .subscribers import RegisterSubscriber, confirm_token, unsubscribe_token


def _leave_link(subscriber: RegisterSubscriber) -> str:
    return absolute(f"/subverwerkers/uitschrijven/{unsubscribe_token(subscriber)}")


def compose_confirm(message: OutboxMessage, now: datetime) -> Draft:
    """The link that confirms the address (for a week); nothing is sent to it before."""
    subscriber = db.session.get_one(RegisterSubscriber, message.context["subscriber_id"])
    processor = required_profile()
    token = confirm_token(subscriber)
    return Draft(
        subject=t.subject_register_confirm.format(processor=processor.name),
        context={
            "processor": processor,
            "subscriber": subscriber,
            "link": absolute(f"/subverwerkers/abonneren/{token}"),
            "register": absolute("/subverwerkers"),
        },
        secrets=(token,),
    )


def compose_change(message: OutboxMessage, now: datetime) -> Draft:
    """An announced change of the register, with a link to leave in one click (List-Unsubscribe, RFC 8058)."""
    subscriber = db.session.get_one(RegisterSubscriber, message.context["subscriber_id"])
    change = db.session.get_one(Change, message.context["change_id"])
    processor = required_profile()
    leave = _leave_link(subscriber)
    kind = str(CHANGE_TITLES[change.kind])
    return Draft(
        subject=t.subject_register_change.format(processor=processor.name, kind=kind, sp=change.subprocessor.name),
        context={
            "processor": processor,
            "change": change,
            "kind": kind,
            "purpose": localize(change.subprocessor, "purpose"),
            "reason": localize(change, "reason"),
            "effective": format_long_date(change.effective_on),
            "register": absolute("/subverwerkers"),
            "leave": leave,
        },
        headers={"List-Unsubscribe": f"<{leave}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def register() -> None:
    """Let mail.compose compose the e-mails of subscriptions to the register."""
    compose.register("register_confirm", compose_confirm)
    compose.register("register_change", compose_change)
