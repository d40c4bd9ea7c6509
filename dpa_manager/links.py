"""Absolute links for e-mails, and signed links that open one notice without logging in."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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
