"""Response headers, cookie settings, the production start-up check, and rate limits."""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: Secret keys that must never run in production.
KNOWN_DEFAULT_SECRETS = frozenset({"dev-only-not-secret", "test-secret", "secret", "changeme", "change-me", "dev",
                                   "development", "please-change-me", ""})
MIN_SECRET_LENGTH = 32

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "form-action 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
])

limiter = Limiter(key_func=get_remote_address, default_limits=[])


class InsecureSecretKey(RuntimeError):
    """Refuse to start in production with a missing or known SECRET_KEY."""


def check_production(app: Flask) -> None:
    """In production (DPA_ENV=production) refuse a missing, short or well-known SECRET_KEY."""
    if app.config.get("DPA_ENV") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if key in KNOWN_DEFAULT_SECRETS or len(key) < MIN_SECRET_LENGTH:
        raise InsecureSecretKey(
            "SECRET_KEY is missing, too short or a known default. With DPA_ENV=production set SECRET_KEY to a "
            f"random value of at least {MIN_SECRET_LENGTH} characters, e.g. "
            "python3 -c \"import secrets; print(secrets.token_urlsafe(48))\"")


def configure(app: Flask) -> None:
    """Set cookie flags, security headers and the rate limiter on the app."""
    production = app.config.get("DPA_ENV") == "production"
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        app.config[key] = production or bool(app.config.get(key))
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
