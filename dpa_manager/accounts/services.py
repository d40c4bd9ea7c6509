"""Creating users and logging in."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _

from .. import audit
from ..addresses import normalize_email
from ..clients.models import Client
from ..errors import Invalid
from ..extensions import db, rowcount
from ..i18n import LANGUAGES
from ..mail import outbox
from ..passwords import password_error
from ..rules import name_error
from . import sessions
from .models import ApiToken, Role, User, spend_a_check


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == (email or "").strip().lower()))


def create_user(
    *, email: str, password: str, role: str, client_id: int | None, full_name: str = "", actor=None, now: datetime
) -> User:
    """Create a user; raise Invalid when a rule is broken."""

    email = normalize_email(email)
    if role not in {r.value for r in Role}:
        raise Invalid(_("De rol is 'manager' of 'client'."), "role")
    if role == Role.CLIENT and (client_id is None or db.session.get(Client, client_id) is None):
        raise Invalid(_("Een klantgebruiker hoort bij een bestaande klant."), "client_id")
    if role == Role.MANAGER and client_id is not None:
        raise Invalid(_("Een manager hoort niet bij een klant."), "client_id")
    error = name_error(full_name or "")
    if error:
        raise Invalid(_(error), "full_name")
    error = password_error(password or "", email=email, name=full_name)
    if error:
        raise Invalid(_(error), "password")
    if find_user(email):
        raise Invalid(_("Er bestaat al een gebruiker met dit e-mailadres."), "email")
    user = User(email=email, role=role, client_id=client_id, full_name=full_name.strip(), created_at=now)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        action="created",
        after={"email": email, "role": role, "client_id": client_id},
    )
    return user


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """Return the active user with these credentials, recording the attempt either way."""
    user = find_user(email)
    # The password is hashed whatever the account (unknown, disabled or not): every attempt takes as long, and the
    # time of an answer tells nobody which addresses have an account.
    matches = user.check_password(password) if user is not None else spend_a_check(password)
    ok = user is not None and user.is_active and matches
    if ok and user is not None:
        user.last_login_at = now
        db.session.flush()
    audit.record(
        at=now,
        actor=user if ok else None,
        object_type="user",
        object_id=user.id if user else None,
        action="login" if ok else "login_failed",
        after=None if ok else {"email": (email or "").strip().lower()[:320]},
    )
    return user if ok else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, *, label: str = "", now: datetime) -> str:
    """Create an API token for `user`; return the token (shown once, stored hashed)."""
    token = "dpa_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), label=label[:100], created_at=now))
    audit.record(
        at=now, actor=user, object_type="user", object_id=user.id, action="token_created", after={"label": label[:100]}
    )
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    """Return the active user a valid, unrevoked token belongs to."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = now
    return row.user


# --- Invitations -----------------------------------------------------------------------------------

INVITE_SALT = "invite"
#: How long an invitation link works.
INVITE_MAX_AGE = 7 * 24 * 3600


def _fingerprint(user: User) -> str:
    """A digest of the current password hash: once a password is set, old links stop working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def invitation_token(user: User) -> str:
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT).dumps(
        {"u": user.id, "f": _fingerprint(user)}
    )


def user_for_invitation(token: str) -> tuple[User | None, str | None]:
    """Return (user, None) for a usable invitation, or (None, why not): 'expired', 'used' or 'invalid'."""
    from flask import current_app
    from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

    try:
        data = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT).loads(
            token, max_age=INVITE_MAX_AGE
        )
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.is_active:
        return None, "invalid"
    if data.get("f") != _fingerprint(user):
        return None, "used"
    return user, None


def invite(client, *, email: str, full_name: str, actor, now: datetime) -> User:
    """Create a client user without a usable password and e-mail an invitation to set one."""
    email = normalize_email(email)
    error = name_error(full_name or "")
    if error:
        raise Invalid(_(error), "full_name")
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise Invalid(_("Vul de naam in."), "full_name")
    if find_user(email):
        raise Invalid(_("Er bestaat al een gebruiker met dit e-mailadres."), "email")
    user = User(email=email, role=Role.CLIENT.value, client_id=client.id, full_name=full_name[:200], created_at=now)
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; the invitation sets a real one
    db.session.add(user)
    db.session.flush()
    _queue_invitation(user, client, now)
    audit.record(
        at=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        action="invited",
        client_id=client.id,
        after={"email": email, "client_id": client.id},
    )
    return user


def _queue_invitation(user: User, client, now: datetime) -> None:

    count = db.session.scalar(
        db.select(db.func.count())
        .select_from(outbox.OutboxMessage)
        .where(outbox.OutboxMessage.dedupe_key.like(f"invite:{user.id}:%"))
    )
    outbox.enqueue(
        [
            outbox.row(
                key=f"invite:{user.id}:{count + 1}",
                template="invite",
                recipients=[user.email],
                language=client.language,
                client_id=client.id,
                now=now,
                context={"user_id": user.id},
            )
        ]
    )


def reinvite(user: User, *, actor, now: datetime) -> None:
    """Send a new invitation to a client user."""
    if user.is_manager:
        raise Invalid(_("Alleen klantgebruikers worden uitgenodigd."))
    _queue_invitation(user, user.client, now)
    audit.record(
        at=now, actor=actor, object_type="user", object_id=user.id, action="reinvited", client_id=user.client_id
    )


def accept_invitation(token: str, password: str, *, now: datetime) -> User:
    """Set the password of an invited user; the link works once. Commit."""
    user, problem = user_for_invitation(token)
    if user is None:
        raise Invalid(
            {
                "expired": _("Deze uitnodiging is verlopen; vraag een nieuwe aan."),
                "used": _("Deze uitnodiging werd al gebruikt."),
            }.get(problem or "", _("Deze uitnodiging is ongeldig."))
        )
    error = password_error(password, email=user.email, name=user.full_name)
    if error:
        raise Invalid(_(error), "password")
    result = db.session.execute(
        db.update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=_hash(password))
    )
    if rowcount(result) != 1:
        raise Invalid(_("Deze uitnodiging werd al gebruikt."))
    sessions.end_all(user, reason="password", now=now)
    audit.record(
        at=now, actor=user, object_type="user", object_id=user.id, action="password_set", client_id=user.client_id
    )
    db.session.expire(user)
    return user


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Change the user's own password, given the current one, and end every session of the user (the caller opens
    a new one for the browser that asked)."""
    if not user.check_password(current or ""):
        raise Invalid(_("Het huidige wachtwoord klopt niet."), "current")
    error = password_error(new or "", email=user.email, name=user.full_name)
    if error:
        raise Invalid(_(error), "password")
    if user.check_password(new):
        raise Invalid(_("Kies een ander wachtwoord dan het huidige."), "password")
    user.set_password(new)
    ended = sessions.end_all(user, reason="password", now=now)
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action="password_changed",
        client_id=user.client_id,
        after={"sessions": ended},
    )


def _hash(password: str) -> str:
    probe = User()
    probe.set_password(password)
    return probe.password_hash


# --- API tokens ------------------------------------------------------------------------------------


def tokens_of(user: User) -> Sequence[ApiToken]:
    return db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()


def revoke_token(user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the user's own tokens."""
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise Invalid(_("Onbekend token."))
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            at=now,
            actor=user,
            object_type="user",
            object_id=user.id,
            action="token_revoked",
            after={"token_id": token.id},
        )
    return token


# --- Preferences -----------------------------------------------------------------------------------


def set_language(user: User, language: str) -> None:
    """Keep the user's interface language (a code of i18n.LANGUAGES)."""
    if language not in LANGUAGES:
        raise Invalid(_("Kies een taal uit de lijst."), "language")
    if user.language != language:
        user.language = language
