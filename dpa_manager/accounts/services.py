"""Creating users and logging in."""
import hashlib
import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from .. import audit
from ..errors import Invalid
from ..extensions import db
from .models import ApiToken, Role, User

MIN_PASSWORD_LENGTH = 12


def normalize_email(raw: str, field: str = "email") -> str:
    """Return the address in lower case, or raise Invalid naming `field`."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid("Dit is geen geldig e-mailadres.", field) from None


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == (email or "").strip().lower()))


def create_user(*, email: str, password: str, role: str, client_id: int | None, full_name: str = "",
                actor=None, now: datetime) -> User:
    """Create a user and commit; raise Invalid when a rule is broken."""
    from ..clients.models import Client

    email = normalize_email(email)
    if role not in {r.value for r in Role}:
        raise Invalid("De rol is 'manager' of 'client'.", "role")
    if role == Role.CLIENT and (client_id is None or db.session.get(Client, client_id) is None):
        raise Invalid("Een klantgebruiker hoort bij een bestaande klant.", "client_id")
    if role == Role.MANAGER and client_id is not None:
        raise Invalid("Een manager hoort niet bij een klant.", "client_id")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"Een wachtwoord telt minstens {MIN_PASSWORD_LENGTH} tekens.", "password")
    if find_user(email):
        raise Invalid("Er bestaat al een gebruiker met dit e-mailadres.", "email")
    user = User(email=email, role=role, client_id=client_id, full_name=full_name.strip(), created_at=now)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(at=now, actor=actor, object_type="user", object_id=user.id, action="created",
                 after={"email": email, "role": role, "client_id": client_id})
    db.session.commit()
    return user


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """Return the active user with these credentials, recording the attempt either way."""
    user = find_user(email)
    ok = user is not None and user.is_active and user.check_password(password)
    if ok:
        user.last_login_at = now
        db.session.flush()
    audit.record(at=now, actor=user if ok else None, object_type="user", object_id=user.id if user else None,
                 action="login" if ok else "login_failed",
                 after=None if ok else {"email": (email or "").strip().lower()[:320]})
    db.session.commit()
    return user if ok else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, *, label: str = "", now: datetime) -> str:
    """Create an API token for `user` and commit; return the token (shown once, stored hashed)."""
    token = "dpa_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), label=label[:100], created_at=now))
    audit.record(at=now, actor=user, object_type="user", object_id=user.id, action="token_created",
                 after={"label": label[:100]})
    db.session.commit()
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    """Return the active user a valid, unrevoked token belongs to."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _token_hash(token),
                                                      ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = now
    db.session.commit()
    return row.user
