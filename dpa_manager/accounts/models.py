"""Users: the processor's managers and the clients' users."""

import enum
import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, LargeBinary, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model

_hasher = PasswordHasher()


#: The hash of a random password nobody knows (it was thrown away), with argon2-cffi's default parameters.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$VJ+ugPVdyyaJGHE1ZLbm0g$gOvxYi8gSeVgJr+vrZDKlzx5pKY3KFvY401Jb1qyvaI"


@cache
def _dummy_hash() -> str:
    """A hash of a password nobody has, with the same parameters as every stored one: DUMMY_HASH, or one made once
    should the library's defaults have changed."""
    return _hasher.hash(secrets.token_urlsafe(32)) if _hasher.check_needs_rehash(DUMMY_HASH) else DUMMY_HASH


def spend_a_check(password: str) -> bool:
    """Check a password against a hash no account has, taking as long as a real check; always False."""
    try:
        _hasher.verify(_dummy_hash(), password or "")
    except (VerifyMismatchError, InvalidHashError):
        pass
    return False


class Role(enum.StrEnum):
    MANAGER = "manager"
    CLIENT = "client"


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('manager', 'client')", name="role_known"),
        CheckConstraint(
            "(role = 'client' AND client_id IS NOT NULL) OR (role = 'manager' AND client_id IS NULL)",
            name="client_users_have_a_client",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the login name.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    #: How the e-mails to this user address them (rules.SALUTATIONS), and the name that goes with it.
    salutation: Mapped[str] = mapped_column(String(12), default="full_name", server_default="full_name")
    salutation_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: The one client a client user belongs to; None for managers.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: A client user who manages the client's users: invites colleagues, chooses who signs and who gets notices.
    client_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: A client user who may sign agreements for the client (and is asked to, by e-mail, when one is sent).
    may_sign: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: A client user who receives the client's notices by e-mail (the client's contact address always does).
    gets_notices: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The interface language the user chose (nl, fr, en); None: the client's language, else the browser's.
    language: Mapped[str | None] = mapped_column(String(2))
    #: The second factor by one-time codes (RFC 6238): the shared secret (base32) once confirmed, and the last time
    #: step a code was accepted for (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: Let a manager act without a second factor although MFA_REQUIRED_FOR_MANAGERS is on: the demo logins only
    #: (`flask dpa seed-demo`); README, Security.
    mfa_exempt: Mapped[bool] = mapped_column(default=False)

    client = relationship("Client", back_populates="users")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False


class ApiToken(Model):
    """A bearer token for the JSON API; it acts as its user. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"


class UserSession(Model):
    """A signed-in browser. The session cookie carries a random token; only its SHA-256 is kept here, and a
    request is signed in only while its row is open and neither idle nor too old (accounts.sessions)."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('logout', 'ended', 'everywhere', 'password', 'disabled', 'expired')",
            name="end_reason_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The last request, kept to the minute (accounts.sessions.TOUCH_SECONDS).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    #: How the user signed in: password, or password and a second factor (totp, recovery, webauthn).
    method: Mapped[str] = mapped_column(String(20), default="password")
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class RecoveryCode(Model):
    """One of a user's ten single-use codes for when the second factor is out of reach; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityKey(Model):
    """A WebAuthn credential of a user (a security key, or a passkey on a phone or computer)."""

    __tablename__ = "security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SecurityKey {self.id} user={self.user_id}>"
