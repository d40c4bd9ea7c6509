"""Creating users and logging in."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask_babel import gettext as _

from .. import audit
from ..addresses import normalize_email
from ..clients.models import Client
from ..errors import Invalid
from ..extensions import db, rowcount
from ..i18n import LANGUAGES
from ..mail import outbox
from ..passwords import password_error
from ..rules import SALUTATIONS, name_error, salutation_error
from . import sessions
from .models import ApiToken, Role, User, spend_a_check


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == (email or "").strip().lower()))


def create_user(
    *, email: str, password: str, role: str, client_id: int | None, full_name: str = "", actor=None, now: datetime
) -> User:
    """Create a user; raise Invalid when a rule is broken. A client's first user becomes its administrator."""

    email = normalize_email(email)
    if role not in {r.value for r in Role}:
        raise Invalid(_("De rol is ‘manager’ of ‘client’."), "role")
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
    user.client_admin = role == Role.CLIENT and not _users_of(client_id)
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


# --- Invitations and password resets --------------------------------------------------------------

INVITE_SALT = "invite"
#: How long an invitation link works.
INVITE_MAX_AGE = 7 * 24 * 3600
RESET_SALT = "password-reset"
#: How long a link to reset a forgotten password works.
RESET_MAX_AGE = 3600


def _fingerprint(user: User) -> str:
    """A digest of the current password hash: once a password is set, old links stop working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def _serializer(salt: str):
    from flask import current_app  # the key of the app in use
    from itsdangerous import URLSafeTimedSerializer  # Flask's own dependency

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _link_token(user: User, salt: str) -> str:
    return _serializer(salt).dumps({"u": user.id, "f": _fingerprint(user)})


def _user_of_link(token: str, salt: str, max_age: int) -> tuple[User | None, str | None]:
    """Return (user, None) for a usable link, or (None, why not): 'expired', 'used' or 'invalid'."""
    from itsdangerous import BadSignature, SignatureExpired  # Flask's own dependency

    try:
        data = _serializer(salt).loads(token, max_age=max_age)
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


def invitation_token(user: User) -> str:
    return _link_token(user, INVITE_SALT)


def user_for_invitation(token: str) -> tuple[User | None, str | None]:
    """Return (user, None) for a usable invitation, or (None, why not): 'expired', 'used' or 'invalid'."""
    return _user_of_link(token, INVITE_SALT, INVITE_MAX_AGE)


def reset_token(user: User) -> str:
    return _link_token(user, RESET_SALT)


def user_for_reset(token: str) -> tuple[User | None, str | None]:
    """Return (user, None) for a usable password-reset link, or (None, why not): 'expired', 'used' or 'invalid'."""
    return _user_of_link(token, RESET_SALT, RESET_MAX_AGE)


def invite(
    client,
    *,
    email: str,
    full_name: str,
    actor,
    now: datetime,
    may_sign: bool = True,
    gets_notices: bool = True,
    client_admin: bool | None = None,
) -> User:
    """Create a client user without a usable password and e-mail an invitation to set one. The user may sign and
    receives notices unless told otherwise; the client's first user becomes its administrator. A client user who
    invites must be the client's administrator."""
    _may_manage(actor, client.id)
    if actor is not None and not actor.is_manager:
        invited = db.session.scalar(
            db.select(db.func.count())
            .select_from(User)
            .where(User.client_id == client.id, User.created_at > now - timedelta(days=1))
        )
        if (invited or 0) >= INVITES_PER_DAY:
            raise Invalid(
                _(
                    "Uw organisatie nodigde de voorbije 24 uur al %(num)s gebruikers uit; probeer het later opnieuw "
                    "of vraag het de verwerker.",
                    num=INVITES_PER_DAY,
                )
            )
    email = normalize_email(email)
    error = name_error(full_name or "")
    if error:
        raise Invalid(_(error), "full_name")
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise Invalid(_("Vul de naam in."), "full_name")
    if find_user(email):
        raise Invalid(_("Er bestaat al een gebruiker met dit e-mailadres."), "email")
    if client_admin is None:
        client_admin = not _users_of(client.id)
    user = User(
        email=email,
        role=Role.CLIENT.value,
        client_id=client.id,
        full_name=full_name[:200],
        created_at=now,
        client_admin=bool(client_admin),
        may_sign=bool(may_sign),
        gets_notices=bool(gets_notices),
    )
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; the invitation sets a real one
    db.session.add(user)
    db.session.flush()
    _queue_account_mail(user, "invite", now)
    audit.record(
        at=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        action="invited",
        client_id=client.id,
        after={"email": email, "client_id": client.id} | _rights(user),
    )
    return user


def _users_of(client_id: int | None) -> int:
    """How many active users the client has (its first active one becomes its administrator)."""
    return (
        db.session.scalar(
            db.select(db.func.count()).select_from(User).where(User.client_id == client_id, User.active.is_(True))
        )
        or 0
    )


#: How many users a client's administrators may invite in 24 hours: the invitations go out from the processor's
#: domain, and the limit keeps a hijacked account from sending more (managers have no limit).
INVITES_PER_DAY = 20


def _rights(user: User) -> dict:
    return {"client_admin": user.client_admin, "may_sign": user.may_sign, "gets_notices": user.gets_notices}


def _may_manage(actor, client_id: int) -> None:
    """A manager manages every client's users; a client user only their own client's, as its administrator."""
    if actor is None or getattr(actor, "is_manager", False):
        return
    if not (actor.client_admin and actor.active and actor.client_id == client_id):
        raise Invalid(_("Alleen een beheerder van de klant kan zijn gebruikers beheren."))


def set_rights(user: User, *, client_admin: bool, may_sign: bool, gets_notices: bool, actor, now: datetime) -> None:
    """Choose what a client user may do: manage the client's users, sign for the client, receive its notices.
    Nobody takes their own administrator right away (the client would keep no one to manage its users)."""
    if user.is_manager:
        raise Invalid(_("Alleen gebruikers van een klant hebben deze rechten."))
    _may_manage(actor, user.client_id or 0)
    if actor is not None and actor.id == user.id and user.client_admin and not client_admin:
        raise Invalid(_("U kunt uw eigen beheerdersrecht niet intrekken; laat een andere beheerder dat doen."))
    before = _rights(user)
    user.client_admin, user.may_sign, user.gets_notices = bool(client_admin), bool(may_sign), bool(gets_notices)
    if _rights(user) == before:
        return
    audit.record(
        at=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        action="rights_changed",
        client_id=user.client_id,
        before=before,
        after=_rights(user),
    )


def _queue_account_mail(user: User, template: str, now: datetime, context: dict | None = None) -> None:
    """Queue an e-mail about the user's account to the user, in the user's language."""
    prefix = f"{template}:{user.id}:"
    count = db.session.scalar(
        db.select(db.func.count())
        .select_from(outbox.OutboxMessage)
        .where(outbox.OutboxMessage.dedupe_key.like(f"{prefix}%"))
    )
    language = user.language or (user.client.language if user.client else None) or "nl"
    outbox.enqueue(
        [
            outbox.row(
                key=f"{prefix}{count + 1}",
                template=template,
                recipients=[user.email],
                language=language,
                client_id=user.client_id,
                now=now,
                context={"user_id": user.id} | (context or {}),
            )
        ]
    )


#: What an account notice tells the user happened to their account (accounts/messages.py has the words).
NOTICES = (
    "password_changed",
    "password_reset",
    "second_factor_added",
    "second_factor_removed",
    "second_factor_reset",
    "disabled",
)


def notify(user: User, what: str, now: datetime) -> None:
    """E-mail the user that something happened to their account (ASVS: a change of credentials is told to the
    owner, who can act if it was not them)."""
    if what not in NOTICES:
        raise ValueError(what)
    _queue_account_mail(user, "account_notice", now, {"what": what, "at": now.isoformat()})


def reinvite(user: User, *, actor, now: datetime) -> None:
    """Send a new invitation to a client user."""
    if user.is_manager:
        raise Invalid(_("Alleen klantgebruikers worden uitgenodigd."))
    _queue_account_mail(user, "invite", now)
    audit.record(
        at=now, actor=actor, object_type="user", object_id=user.id, action="reinvited", client_id=user.client_id
    )


def request_reset(email: str, *, now: datetime) -> None:
    """E-mail a link to choose a new password to the active user with this address; for any other address do
    nothing (the page answers the same either way)."""
    user = find_user(email)
    if user is None or not user.is_active:
        audit.record(
            at=now,
            actor=None,
            object_type="user",
            object_id=None,
            action="password_reset_requested",
            after={"email": " ".join((email or "").split()).lower()[:320]},
        )  # recorded all the same: the request takes about as long, and an attempt on unknown addresses shows
        return
    _queue_account_mail(user, "password_reset", now)
    audit.record(
        at=now,
        actor=None,
        object_type="user",
        object_id=user.id,
        action="password_reset_requested",
        client_id=user.client_id,
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
    _set_password_once(user, password, "password_set", _("Deze uitnodiging werd al gebruikt."), now)
    return user


def reset_password(token: str, password: str, *, now: datetime) -> User:
    """Set a new password from a reset link, which works once, and end every session of the user."""
    user, problem = user_for_reset(token)
    if user is None:
        raise Invalid(
            {
                "expired": _("Deze link is verlopen. Vraag een nieuwe aan."),
                "used": _("Deze link werd al gebruikt. Vraag zo nodig een nieuwe aan."),
            }.get(problem or "", _("Deze link is ongeldig."))
        )
    _set_password_once(
        user, password, "password_reset", _("Deze link werd al gebruikt. Vraag zo nodig een nieuwe aan."), now
    )
    return user


def _set_password_once(user: User, password: str, action: str, used: str, now: datetime) -> None:
    """Set the password a link was made for, only if it is still the one the link saw; end the user's sessions."""
    error = password_error(password, email=user.email, name=user.full_name)
    if error:
        raise Invalid(_(error), "password")
    result = db.session.execute(
        db.update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=_hash(password))
    )
    if rowcount(result) != 1:
        raise Invalid(used)
    ended = sessions.end_all(user, reason="password", now=now)
    if action == "password_reset":
        notify(user, "password_reset", now)
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action=action,
        client_id=user.client_id,
        after={"sessions": ended} if ended else None,
    )
    db.session.expire(user)


def set_salutation(user: User, style: str, name: str, *, now: datetime) -> None:
    """Choose how the e-mails to the user address them (rules.SALUTATIONS)."""
    style, name = style or "full_name", " ".join((name or "").split())
    error = salutation_error(style, name)
    if error:
        raise Invalid(_(error), "salutation" if style not in SALUTATIONS else "salutation_name")
    before = {"salutation": user.salutation, "salutation_name": user.salutation_name}
    user.salutation, user.salutation_name = style, name
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action="salutation_set",
        client_id=user.client_id,
        before=before,
        after={"salutation": style, "salutation_name": name},
    )


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
    notify(user, "password_changed", now)
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


# --- Disabling -------------------------------------------------------------------------------------


def disable(user: User, *, actor, now: datetime) -> None:
    """Disable a user: no login, every session ended and every API token revoked at once. A manager cannot disable
    their own account, nor the last active manager."""
    if actor is not None and actor.id == user.id:
        raise Invalid(_("U kunt uw eigen account niet uitschakelen."))
    if user.is_manager and actor is not None and not actor.is_manager:
        raise Invalid(_("Alleen een manager kan een manager uitschakelen."))
    if not user.is_manager:
        _may_manage(actor, user.client_id or 0)
    if not user.active:
        return
    if user.is_manager and _active_managers() <= 1:
        raise Invalid(_("Dit is de laatste actieve manager; schakel eerst een andere in."))
    user.active = False
    ended = sessions.end_all(user, reason="disabled", now=now)
    notify(user, "disabled", now)
    revoked = db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        at=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        action="disabled",
        client_id=user.client_id,
        after={"sessions": ended, "tokens": rowcount(revoked)},
    )


def enable(user: User, *, actor, now: datetime) -> None:
    """Let a disabled user log in again (with their password; revoked tokens stay revoked)."""
    if user.active:
        return
    user.active = True
    audit.record(at=now, actor=actor, object_type="user", object_id=user.id, action="enabled", client_id=user.client_id)


def _active_managers() -> int:
    """How many managers are active, their rows locked until the transaction ends (on PostgreSQL): two managers
    disabling each other at once cannot both pass the count."""
    return len(
        db.session.scalars(
            db.select(User.id).where(User.role == Role.MANAGER.value, User.active.is_(True)).with_for_update()
        ).all()
    )


# --- API tokens ------------------------------------------------------------------------------------


def tokens_of(user: User) -> Sequence[ApiToken]:
    return db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()


def revoke_token(user: User, token_id: int, *, now: datetime, actor: User | None = None) -> ApiToken:
    """Revoke one of the user's tokens: by the user, or by a manager (`actor`)."""
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise Invalid(_("Onbekend token."))
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            at=now,
            actor=actor or user,
            object_type="user",
            object_id=user.id,
            action="token_revoked",
            client_id=user.client_id,
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
