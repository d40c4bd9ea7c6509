"""The e-mails about an account (the invitation of a new user, a link to reset a forgotten password), composed for
the sender (registered with mail.compose by create_app). Their links are secrets: the kept copy hides them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..clients.models import Client
from ..extensions import db
from ..links import absolute
from ..mail import compose
from ..mail.compose import Draft
from ..mail.models import OutboxMessage
from ..mail.strings import t
from ..processor.services import required_profile
from .models import User
from .services import invitation_token, reset_token


def compose_invite(message: OutboxMessage, now: datetime) -> Draft:
    """The invitation: who invites, and the link that sets the password (valid for a while, once)."""
    user = db.session.get_one(User, message.context["user_id"])
    processor = required_profile()
    token = invitation_token(user)
    return Draft(
        subject=t.subject_invite.format(processor=processor.name),
        context={"user": user, "client": user.client, "processor": processor, "link": absolute(f"/invite/{token}")},
        secrets=(token,),
    )


def compose_reset(message: OutboxMessage, now: datetime) -> Draft:
    """A link to choose a new password (valid for an hour from when the e-mail is composed, once)."""
    user = db.session.get_one(User, message.context["user_id"])
    processor = required_profile()
    token = reset_token(user)
    return Draft(
        subject=t.subject_reset.format(processor=processor.name),
        context={"user": user, "processor": processor, "link": absolute(f"/wachtwoord-vergeten/{token}")},
        secrets=(token,),
    )


def compose_account_notice(message: OutboxMessage, now: datetime) -> Draft:
    """What happened to the user's account, and when; whom to tell if it was not them."""
    user = db.session.get_one(User, message.context["user_id"])
    processor = required_profile()
    what = getattr(t, f"notice_{message.context['what']}")
    return Draft(
        subject=t.subject_account_notice.format(processor=processor.name, what=what),
        context={
            "user": user,
            "processor": processor,
            "what": what,
            "at": datetime.fromisoformat(message.context["at"]),
        },
    )


def addressee(message: OutboxMessage) -> tuple[str, str, str] | None:
    """Whom a message addresses, for its salutation: a message to one user addresses that user as they chose on
    their account page; a message to a client's addresses, its contact address among them, addresses the contact
    as the client's details say; any other (to several users, to a subscriber) nobody by name."""
    recipients = [address.lower() for address in message.recipients or []]
    if len(recipients) == 1:
        user = db.session.scalar(select(User).where(func.lower(User.email) == recipients[0]))
        if user is not None and (message.client_id is None or user.client_id in (None, message.client_id)):
            return user.salutation, user.salutation_name, user.full_name
    if message.client_id is not None:
        client = db.session.get(Client, message.client_id)
        if client is not None and client.contact_email.lower() in recipients:
            return client.salutation, client.salutation_name, client.contact_name
    return None


def register() -> None:
    """Let mail.compose compose the e-mails about accounts, and say whom each e-mail addresses."""
    compose.set_addressee(addressee)
    compose.register("invite", compose_invite)
    compose.register("password_reset", compose_reset)
    compose.register("account_notice", compose_account_notice)
