"""Sessions kept on the server: who is signed in where, and until when.

At login the session cookie receives a random token; the database keeps only its SHA-256, with the user, the
browser and the times. A request is signed in only while that row is open and the session is neither idle longer
than SESSION_IDLE_MINUTES nor older than SESSION_MAX_HOURS. Logout, "log out everywhere", ending one session from
the account page, a password change and disabling the user close rows, so that a cookie kept from before opens
nothing any more.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from .. import audit
from ..extensions import db
from .models import User, UserSession

#: The last request of a session is written at most this often; a session may end up to this much before
#: SESSION_IDLE_MINUTES have passed since the very last request.
TOUCH_SECONDS = 60


@dataclass(frozen=True)
class Limits:
    """How long a session lasts: without a request, and at most."""

    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, config) -> Limits:
        idle, lifetime = config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]
        return cls(idle=timedelta(minutes=idle), lifetime=timedelta(hours=lifetime))


def ends_at(created_at: datetime, last_seen_at: datetime, limits: Limits) -> datetime:
    """The moment a session stops: idle for too long, or too old, whichever comes first. Pure."""
    return min(last_seen_at + limits.idle, created_at + limits.lifetime)


#: Browsers and systems as a User-Agent names them, in the order they must be looked for (Edge's also says
#: Chrome, Chrome's also says Safari).
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python", "Python"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str) -> str:
    """Name the browser and system of a User-Agent for a person ("Firefox on Windows"), or "" when unknown. Pure."""
    browser = next((name for mark, name in _BROWSERS if mark in (user_agent or "")), "")
    system = next((name for mark, name in _SYSTEMS if mark in (user_agent or "")), "")
    return " · ".join(part for part in (browser, system) if part)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(user: User, *, method: str, ip: str, user_agent: str, now: datetime) -> str:
    """Open a session for `user`; return the token for the cookie (kept here only as its hash)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            last_seen_at=now,
            method=method,
            ip=(ip or "")[:45],
            user_agent=" ".join((user_agent or "").split())[:300],
        )
    )
    return token


@cache
def _user_and_session():
    """The user (with the client: every page of a client user names it and speaks its language) and the open
    session of a cookie, in one statement built once (it runs at every signed-in request; built at the first, when
    every model is mapped)."""
    return (
        select(User, UserSession)
        .options(joinedload(User.client))
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.ended_at.is_(None),
        )
    )


def live(user_id: int, token: str, *, limits: Limits, now: datetime) -> tuple[User, UserSession] | None:
    """Return the user and the session of a cookie while the session lasts and the user is active, or None; note
    the request on the session (at most every TOUCH_SECONDS)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(_user_and_session(), {"user_id": user_id, "token_hash": _hash(token)}).first()
    if row is None:
        return None
    user, current = row
    if not user.is_active or now >= ends_at(current.created_at, current.last_seen_at, limits):
        return None
    if (now - current.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        current.last_seen_at = now
    return user, current


def end(current: UserSession, *, reason: str, now: datetime) -> None:
    """Close one session."""
    if current.ended_at is None:
        current.ended_at, current.end_reason = now, reason


def end_all(user: User, *, reason: str, now: datetime, keep: int | None = None) -> int:
    """Close every open session of `user` (but `keep`, the one making the request, when given); return how many."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    result = db.session.execute(
        stmt.values(ended_at=now, end_reason=reason), execution_options={"synchronize_session": False}
    )
    db.session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(user: User, *, limits: Limits, now: datetime) -> Sequence[UserSession]:
    """The user's sessions that still last, the most recently used first."""
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .where(UserSession.created_at > now - limits.lifetime, UserSession.last_seen_at > now - limits.idle)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [s for s in rows if now < ends_at(s.created_at, s.last_seen_at, limits)]


def open_one(user: User, session_id: int) -> UserSession | None:
    """One of the user's own sessions that is not closed, or None."""
    return db.session.scalar(
        select(UserSession).where(
            UserSession.id == session_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None)
        )
    )


def end_one(user: User, current: UserSession, *, now: datetime) -> None:
    """Close one of the user's own sessions from the account page; record it."""
    end(current, reason="ended", now=now)
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action="session_ended",
        client_id=user.client_id,
        after={"session": current.id},
    )


def log_out_everywhere(user: User, *, now: datetime) -> int:
    """Close all of the user's sessions, this one too; record it."""
    count = end_all(user, reason="everywhere", now=now)
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action="logged_out_everywhere",
        client_id=user.client_id,
        after={"sessions": count},
    )
    return count
