"""Absolute links for e-mails, and signed links that work once and expire."""

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .bulk import conflict_insert
from .db_types import UTCDateTime
from .extensions import Model, db

NOTICE_LINK_SALT = "notice-link"
#: How long a signed notice link works.
NOTICE_LINK_MAX_AGE = 30 * 24 * 3600


def absolute(path: str) -> str:
    """Return `path` on the site's public address (BASE_URL)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=NOTICE_LINK_SALT)


def notice_token(notice_id: int) -> str:
    return _serializer().dumps({"n": notice_id})


def notice_from_token(token: str) -> tuple[int | None, str | None]:
    """Return (notice id, None) for a good token, or (None, why not)."""
    try:
        data = _serializer().loads(token, max_age=NOTICE_LINK_MAX_AGE)
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    notice_id = data.get("n") if isinstance(data, dict) else None
    return (notice_id, None) if isinstance(notice_id, int) else (None, "invalid")


def notice_named(token: str) -> int | None:
    """The notice a link names, however old the link (its signature checked): to lead its reader to the notice
    after signing in once the link no longer opens it. None for a forged or garbled link."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    notice_id = data.get("n") if isinstance(data, dict) else None
    return notice_id if isinstance(notice_id, int) else None


# --- Links that work once ------------------------------------------------------------------------


class UsedLink(Model):
    """A signed link that has been used; it does not work a second time."""

    __tablename__ = "used_links"

    #: SHA-256 of the token, never the token itself.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<UsedLink {self.token_hash[:8]}>"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_used(token: str) -> bool:
    return db.session.get(UsedLink, _digest(token)) is not None


def use_link(token: str, now: datetime) -> bool:
    """Spend a link; return False if it was spent before (the request commits, and a second request that spends
    it at the same moment waits for the first and finds it spent)."""
    spent = db.session.execute(
        conflict_insert(UsedLink)
        .values(token_hash=_digest(token), used_at=now)
        .on_conflict_do_nothing()
        .returning(UsedLink.token_hash)
    ).first()
    return spent is not None  # a row comes back only when this request spent the link
