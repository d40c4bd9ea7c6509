"""The sealed copy of an agreement, e-mailed once it is signed or amended (registered with mail.compose by
create_app): the client then holds a copy the processor cannot change without it showing."""

from __future__ import annotations

from datetime import datetime

from ..accounts.models import User
from ..extensions import db
from ..links import absolute
from ..mail import compose
from ..mail.compose import Draft
from ..mail.models import OutboxMessage
from ..mail.strings import t
from ..processor.services import required_profile
from .document import reference
from .models import Agreement
from .services import pdf_of

TEMPLATE = "agreement_copy"


def compose_copy(message: OutboxMessage, now: datetime) -> Draft:
    """The stored sealed PDF as an attachment (sealed now if an amended agreement has none yet: stored once)."""
    agreement = db.session.get_one(Agreement, message.context["agreement_id"])
    data = pdf_of(agreement, now=now)
    processor = required_profile()
    names = {
        "reference": reference(agreement.id),
        "client": agreement.client.name,
        "processor": processor.name,
        "label": agreement.terms_version.label,
    }
    amended = agreement.concluded_by != "signatures"
    if message.context.get("party") == "processor":
        subject = t.subject_copy_processor
    else:
        subject = t.subject_copy_amended if amended else t.subject_copy_signed
    return Draft(
        subject=subject.format(**names),
        context={"processor": processor, "intro": (t.copy_amended if amended else t.copy_signed).format(**names)},
        attachments=[(t.copy_filename.format(**names), "application/pdf", data)],
    )


def compose_to_sign(message: OutboxMessage, now: datetime) -> Draft:
    """To a user of the client: the agreement waits for their signature, with a link to it in the portal."""
    agreement = db.session.get_one(Agreement, message.context["agreement_id"])
    user = db.session.get_one(User, message.context["user_id"])
    processor = required_profile()
    names = {"reference": reference(agreement.id), "client": agreement.client.name, "processor": processor.name}
    return Draft(
        subject=t.subject_to_sign.format(**names),
        context={
            "processor": processor,
            "user": user,
            "intro": t.to_sign_intro.format(**names),
            "link": absolute(f"/portal/agreements/{agreement.id}"),
        },
    )


def compose_client_signed(message: OutboxMessage, now: datetime) -> Draft:
    """To the processor's managers (in Dutch): the client signed, the agreement waits for a countersignature."""
    agreement = db.session.get_one(Agreement, message.context["agreement_id"])
    return Draft(
        subject=f"{agreement.client.name} ondertekende {reference(agreement.id)}: klaar om tegen te tekenen",
        context={
            "processor": required_profile(),
            "agreement": agreement,
            "client": agreement.client,
            "reference": reference(agreement.id),
            "signer": agreement.client_signer_name,
            "link": absolute(f"/agreements/{agreement.id}"),
        },
        reply_to_dpo=False,
    )


def register() -> None:
    """Let mail.compose compose the e-mails about agreements."""
    compose.register(TEMPLATE, compose_copy)
    compose.register("agreement_to_sign", compose_to_sign)
    compose.register("agreement_client_signed", compose_client_signed)
