"""The invitation e-mail of a new user, composed for the sender (registered with mail.compose by create_app)."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..links import absolute
from ..mail import compose
from ..mail.compose import Draft
from ..mail.models import OutboxMessage
from ..mail.strings import t
from ..processor.services import required_profile
from .models import User
from .services import invitation_token


def compose_invite(message: OutboxMessage, now: datetime) -> Draft:
    """The invitation: who invites, and the link that sets the password (valid for a while, once)."""
    user = db.session.get_one(User, message.context["user_id"])
    processor = required_profile()
    return Draft(
        subject=t.subject_invite.format(processor=processor.name),
        context={
            "user": user,
            "client": user.client,
            "processor": processor,
            "link": absolute(f"/invite/{invitation_token(user)}"),
        },
    )


def register() -> None:
    """Let mail.compose compose the invitation e-mails."""
    compose.register("invite", compose_invite)
