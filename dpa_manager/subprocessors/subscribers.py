"""E-mail subscriptions to the public register: anyone (a client or not) asks for an e-mail at each announced
change, confirms the address from a link it receives (double opt-in), and leaves with one click (RFC 8058: the
e-mails carry List-Unsubscribe and List-Unsubscribe-Post).

An address is told nothing about whether it was subscribed already; a confirmation goes out at most once an hour
for an address, so that nobody can flood someone else's mailbox through the form.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .. import audit
from ..addresses import normalize_email
from ..db_types import UTCDateTime
from ..errors import Invalid
from ..extensions import Model, db, rowcount
from ..i18n import LANGUAGES
from ..mail import outbox

#: How long the link in a confirmation e-mail works.
CONFIRM_DAYS = 7
#: How long before another confirmation e-mail goes to the same address.
CONFIRM_PAUSE = timedelta(hours=1)


class RegisterSubscriber(Model):
    """An address that asked for an e-mail at each change of the register."""

    __tablename__ = "register_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: The language of its e-mails: the one the page was read in when it subscribed.
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the last confirmation e-mail was queued.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the address confirmed (the subscription counts from then); None: not (yet) confirmed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When it left; None: subscribed (once confirmed).
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RegisterSubscriber {self.id} {'active' if self.active else 'inactive'}>"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


def _confirming() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="register-subscription")


def _leaving() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="register-unsubscribe")


def confirm_token(subscriber: RegisterSubscriber) -> str:
    return _confirming().dumps({"s": subscriber.id, "e": subscriber.email})


def unsubscribe_token(subscriber: RegisterSubscriber) -> str:
    """The token of the subscriber's leave link: it works as long as the subscription exists, any number of times."""
    return _leaving().dumps({"s": subscriber.id})


def subscribe(email: str, *, language: str, now: datetime) -> None:
    """Ask for a subscription: a confirmation e-mail goes to the address unless it is subscribed already or got one
    less than an hour ago. Raise Invalid for an address that is not one."""
    email = normalize_email(email)
    subscriber = db.session.scalar(select(RegisterSubscriber).where(RegisterSubscriber.email == email))
    if subscriber is None:
        subscriber = RegisterSubscriber(email=email, language=language if language in LANGUAGES else "nl")
        subscriber.created_at = now
        db.session.add(subscriber)
        db.session.flush()
    elif subscriber.active:
        return
    if subscriber.confirm_sent_at is not None and now - subscriber.confirm_sent_at < CONFIRM_PAUSE:
        return
    subscriber.confirm_sent_at = now
    subscriber.language = language if language in LANGUAGES else subscriber.language
    outbox.enqueue(
        [
            outbox.row(
                key=f"register-confirm:{subscriber.id}:{now.isoformat()}",
                template="register_confirm",
                recipients=[email],
                language=subscriber.language,
                now=now,
                context={"subscriber_id": subscriber.id},
            )
        ]
    )


def confirm(token: str, *, now: datetime) -> RegisterSubscriber:
    """Confirm an address from its link (once it is confirmed, again changes nothing); raise Invalid for a link
    that is forged, expired or of an address that left since."""
    try:
        data = _confirming().loads(token, max_age=CONFIRM_DAYS * 24 * 3600)
    except SignatureExpired:
        raise Invalid(_("Deze bevestigingslink is verlopen; schrijf u opnieuw in.")) from None
    except BadSignature:
        raise Invalid(_("Deze bevestigingslink is ongeldig.")) from None
    subscriber = db.session.get(RegisterSubscriber, data.get("s") if isinstance(data, dict) else None)
    if subscriber is None or subscriber.email != data.get("e"):
        raise Invalid(_("Deze bevestigingslink is ongeldig."))
    if subscriber.active:
        return subscriber
    db.session.execute(
        update(RegisterSubscriber)
        .where(RegisterSubscriber.id == subscriber.id)
        .values(confirmed_at=now, unsubscribed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(subscriber)
    audit.record(at=now, actor=None, object_type="register_subscriber", object_id=subscriber.id, action="confirmed")
    return subscriber


def subscriber_of(token: str) -> RegisterSubscriber | None:
    """The subscriber a leave link names, or None for a forged one."""
    try:
        data = _leaving().loads(token)
    except BadSignature:
        return None
    return db.session.get(RegisterSubscriber, data.get("s")) if isinstance(data, dict) else None


def unsubscribe(subscriber: RegisterSubscriber, *, now: datetime) -> None:
    """End a subscription; again changes nothing."""
    result = db.session.execute(
        update(RegisterSubscriber)
        .where(RegisterSubscriber.id == subscriber.id, RegisterSubscriber.unsubscribed_at.is_(None))
        .values(unsubscribed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(subscriber)
    if rowcount(result):
        audit.record(
            at=now, actor=None, object_type="register_subscriber", object_id=subscriber.id, action="unsubscribed"
        )


def queue_change_mail(change_id: int, *, now: datetime) -> int:
    """Queue an e-mail about an announced change to every confirmed subscriber (in the change's transaction, once
    each: the key names change and subscriber); return how many."""
    rows = db.session.execute(
        select(RegisterSubscriber.id, RegisterSubscriber.email, RegisterSubscriber.language).where(
            RegisterSubscriber.confirmed_at.is_not(None), RegisterSubscriber.unsubscribed_at.is_(None)
        )
    ).all()
    outbox.enqueue(
        [
            outbox.row(
                key=f"register-change:{change_id}:{subscriber_id}",
                template="register_change",
                recipients=[email],
                language=language,
                now=now,
                context={"change_id": change_id, "subscriber_id": subscriber_id},
            )
            for subscriber_id, email, language in rows
        ]
    )
    return len(rows)
