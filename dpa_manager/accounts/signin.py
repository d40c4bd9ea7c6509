"""Signing a user in: a new cookie session and a server session (accounts.sessions)."""

from __future__ import annotations

from datetime import datetime

from flask import request, session
from flask_login import login_user

from ..i18n import LANGUAGES
from ..security import remember_device
from . import sessions
from .models import User


def clear_session() -> None:
    """Start a new session, keeping only the chosen interface language."""
    language = session.get("language")
    session.clear()
    if language in LANGUAGES:
        session["language"] = language


def sign_in(user: User, method: str, now: datetime) -> None:
    """Start a new cookie session and a server session for `user`, keeping only the chosen interface language.
    `method` says how: password, or password and totp, recovery or webauthn."""
    clear_session()  # a new session at every login
    session.permanent = True  # the cookie goes with the browser; the server session decides how long it lasts
    session["signed_in_with"] = method  # recorded with a signature (web.signed_from)
    session["sid"] = sessions.start(
        user, method=method, ip=request.remote_addr or "", user_agent=request.user_agent.string or "", now=now
    )
    login_user(user)
    remember_device(user.email)
