"""Response headers, cookie settings, the production start-up check, and rate limits."""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import secrets
from collections import Counter
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .passwords import repeats_one_part
from .text import redact_logs

#: Secret keys that must never run in production.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "dev-only-not-secret",
        "test-secret",
        "secret",
        "changeme",
        "change-me",
        "dev",
        "development",
        "please-change-me",
        "",
    }
)
MIN_SECRET_LENGTH = 32
#: The least a SECRET_KEY must carry, estimated from how often each of its characters occurs (secret_bits).
MIN_SECRET_BITS = 128
#: The two values DPA_ENV may take (in any case).
ENVIRONMENTS = ("production", "development")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def client_address() -> str:
    """The client's address as the limits count it: an IPv4 address, or the /64 network of an IPv6 one (a single
    subscriber holds a whole /64, and would otherwise have as many addresses as it likes)."""
    address = get_remote_address() or ""
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address


limiter = Limiter(key_func=client_address, default_limits=[])

#: The cookie by which a browser where an account signed in before is known to the login limits (a device
#: cookie): its failed attempts are counted apart, so that someone who exhausts an account's limit from elsewhere
#: does not lock its owner out of their own browser.
DEVICE_COOKIE = "dpa_device"
DEVICE_DAYS = 180


def _device_serializer():
    from flask import current_app  # the key of the app in use
    from itsdangerous import URLSafeTimedSerializer  # Flask's own dependency

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="device")


def device_for(email: str) -> str | None:
    """The nonce of this browser's device cookie when it was given at a login of `email`, or None."""
    from itsdangerous import BadSignature  # Flask's own dependency

    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _device_serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("e") == email and isinstance(data.get("n"), str):
        return data["n"]
    return None


def remember_device(email: str) -> None:
    """Have the answer to this request give the browser a device cookie for `email` (set by configure's hook)."""
    request.environ["dpa_manager.device_for"] = email


def _set_device_cookie(response):
    email = request.environ.get("dpa_manager.device_for")
    if email and response.status_code < 400:
        value = _device_serializer().dumps({"e": email, "n": secrets.token_urlsafe(16)})
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_DAYS * 86400,
            path="/login",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
    return response


def login_account() -> str:
    """The key under which failed logins are counted per account: the address given, known or not (so that a
    limit reached says nothing about whether an account exists); from a browser where that account signed in
    before, that browser's own count instead."""
    email = " ".join(str(request.form.get("email", "")).split()).lower()[:320]
    device = device_for(email)
    return f"login-device:{device}" if device else f"login-account:{email}"


def reset_account() -> str:
    """The key under which requests for a password-reset link are counted per address given."""
    return "reset-account:" + " ".join(str(request.form.get("email", "")).split()).lower()[:320]


def failed_login(response) -> bool:
    """Whether a login attempt failed (a successful one redirects and is not counted)."""
    return response.status_code != 302


class InsecureSecretKey(RuntimeError):
    """Refuse to start in production with a missing, known or guessable SECRET_KEY."""


class UnknownEnvironment(RuntimeError):
    """Refuse to start with a DPA_ENV other than production or development."""


def secret_bits(key: str) -> float:
    """Estimate the randomness of a key in bits: its length times the Shannon entropy of its characters. A key of
    one character repeated carries 0, a hex string about 4 bits a character, a URL-safe token about 6; a key that
    is a shorter part over and over counts as that part. Pure."""
    if not key:
        return 0.0
    if repeats_one_part(key):
        return secret_bits(next(key[:n] for n in range(1, len(key)) if key == key[:n] * (len(key) // n)))
    counts = Counter(key)
    per_character = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_character * len(key)


def environment_of(value) -> str:
    """Return DPA_ENV as 'production' or 'development' (given in any case, around spaces); refuse anything else,
    so that a misspelt production never starts as development with its key and cookies."""
    name = str(value or "").strip().lower()
    if name not in ENVIRONMENTS:
        raise UnknownEnvironment(
            f"DPA_ENV is {value!r}: set it to 'production' (a real site) or 'development' (a local test), nothing else."
        )
    return name


def check_production(app: Flask) -> None:
    """Settle DPA_ENV to one of its two values, and in production refuse a SECRET_KEY that is missing, short, a
    known default or of low randomness."""
    app.config["DPA_ENV"] = environment_of(app.config.get("DPA_ENV"))
    if app.config["DPA_ENV"] != "production":
        return
    key = str(app.config.get("SECRET_KEY") or "")
    if key in KNOWN_DEFAULT_SECRETS or len(key) < MIN_SECRET_LENGTH or secret_bits(key) < MIN_SECRET_BITS:
        raise InsecureSecretKey(
            "SECRET_KEY is missing, too short, a known default or not random enough. With DPA_ENV=production set "
            f"SECRET_KEY to a random value of at least {MIN_SECRET_LENGTH} characters, e.g. "
            'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    if not app.config.get("REDIS_URL"):
        app.logger.warning(
            "REDIS_URL is not set: the login limits are counted in each worker's memory, so with several workers an "
            "address or an account gets that many times the attempts, and a restart forgets them (README, Security)."
        )
    if not app.config.get("BOUNCE_ADDRESS"):
        app.logger.warning(
            "BOUNCE_ADDRESS is not set: e-mails go out from their From address and no bounce is matched to its "
            "message, so a notice whose e-mail bounces counts as delivered (README, Bounces)."
        )


#: How deeply a JSON body may nest; no body of the API nests more than four levels.
MAX_JSON_DEPTH = 32
_SURROGATES = re.compile("[\ud800-\udfff]")


def _bad_text(value) -> bool:
    """Tell whether text carries a NUL, bytes that were not UTF-8 (decoded as U+FFFD) or a lone surrogate (which
    JSON may escape, and no database stores), or whether JSON nests deeper than MAX_JSON_DEPTH."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or "\ufffd" in item or _SURROGATES.search(item):
                return True
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return True
            parts = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((part, depth + 1) for part in parts)
    return False


def refuse_bad_text():
    """Answer 400 to a request whose parameters, form or JSON are not clean UTF-8 text, whatever the transfer
    encoding of its body (a chunked body has no Content-Length, and is read all the same)."""
    from flask import abort

    try:
        unquote_to_bytes(request.query_string).decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
    if any(_bad_text(v) for v in request.args.values()):
        abort(400)
    if request.mimetype == "application/x-www-form-urlencoded":
        raw = request.get_data(cache=True)  # the form is then parsed from this copy
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            abort(400)
    if any(_bad_text(v) for v in request.form.values()):
        abort(400)
    if request.is_json:
        raw = request.get_data(cache=True)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            abort(400)
        try:
            data = request.get_json(silent=True, cache=True)
        except RecursionError:  # nested beyond what the parser follows
            abort(400)
        if _bad_text(data):
            abort(400)


def configure(app: Flask) -> None:
    """Set cookie flags, security headers, the rate limiter and the logs' redaction on the app."""
    redact_logs(app.logger, logging.getLogger("werkzeug"))
    app.after_request(_set_device_cookie)
    production = app.config.get("DPA_ENV") == "production"
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        app.config[key] = production or bool(app.config.get(key))
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    app.before_request(refuse_bad_text)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
