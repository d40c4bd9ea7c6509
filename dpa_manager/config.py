"""Defaults only: secrets and site settings come from instance/config.py or the environment."""

import os
from collections.abc import Callable
from typing import Any


class Defaults:
    SECRET_KEY = "dev-only-not-secret"
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_I18N_ENABLED = False  # WTForms' own Dutch messages (forms.BaseForm)
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "dpa@dpa-manager.localhost"
    #: Seconds before an SMTP connection attempt or command gives up.
    MAIL_TIMEOUT = 30
    #: Always deliver, also under TESTING (the tests use a real local SMTP server).
    MAIL_SUPPRESS_SEND = False
    #: Tries before a message is dead, and the backoff between them (doubling from the base).
    MAIL_MAX_ATTEMPTS = 8
    MAIL_RETRY_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    #: How long a sender holds a claimed message before another may take it over.
    MAIL_CLAIM_SECONDS = 300
    #: Where the manager alert on an objection goes; empty: every active manager.
    ALERT_EMAILS = ()
    #: The public address of the site, for links in e-mails.
    BASE_URL = "http://127.0.0.1:5000"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    #: The largest proof of an answer received outside the app (.eml, .pdf, image); requests that carry
    #: proofs may be this much larger than MAX_CONTENT_LENGTH (web.allow_proof_uploads).
    PROOF_MAX_BYTES = 10 * 1024 * 1024
    #: The largest file of clients to import (.csv or .xlsx).
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    #: The largest ZIP file of agreements signed outside the app (the table and the signed PDFs), as uploaded and
    #: unpacked; a processor with more splits its agreements over several files.
    IMPORT_ZIP_MAX_BYTES = 200 * 1024 * 1024
    #: "development" (local, cookies without Secure) or "production" (Secure cookies, a real SECRET_KEY required).
    DPA_ENV = "development"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: A session ends after this many minutes without a request (accounts.sessions), and this many hours after the
    #: login whatever happens.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    #: Failed-login protection: failed attempts counted per client address, and per account (the e-mail address
    #: given, known or not). Once over a limit, logins answer 429 with Retry-After until the window has passed;
    #: nothing is locked for good. A successful login does not count.
    LOGIN_RATE_LIMIT = "5 per minute; 30 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
    #: Managers must enrol a second factor (an app with one-time codes, or a security key) before they can act; the
    #: demo logins of `flask dpa seed-demo` are exempt (README, Security).
    MFA_REQUIRED_FOR_MANAGERS = True
    #: Failed second steps of a login, per account.
    MFA_RATE_LIMIT = "5 per 15 minutes; 20 per day"
    #: The WebAuthn relying party (a domain name, which browsers require) and the origin of the pages; None: the
    #: host and origin of BASE_URL.
    WEBAUTHN_RP_ID = None
    WEBAUTHN_ORIGIN = None
    #: Requests for a password-reset link, per client address and per address given.
    RESET_RATE_LIMIT = "5 per hour"
    #: Redis for the rate limiter's counters, shared by every worker; memory when not set.
    REDIS_URL = None
    #: A client's feed addresses stop working this many days after they were made (the portal says when, and makes
    #: new ones); None: they work until the client makes new ones.
    FEED_TOKEN_DAYS = None
    #: Clients shown per page in lists.
    PAGE_SIZE = 50
    #: The processor's seal on every document issued (seal.py): a PKCS#12 file and its passphrase, or a PKCS#11
    #: token (the library's path, the token's label, the key's and certificate's labels, the PIN). Production
    #: refuses to start without one; elsewhere the app makes a development seal in the instance folder.
    SEAL_PKCS12 = None
    SEAL_PKCS12_PASSWORD = None
    SEAL_PKCS11_MODULE = None
    SEAL_PKCS11_TOKEN = None
    SEAL_PKCS11_KEY = None
    SEAL_PKCS11_CERT = None
    SEAL_PKCS11_PIN = None
    #: Let pyHanko hash and the token sign the digest only (tokens without hash-and-sign mechanisms, e.g. SoftHSM
    #: with an EC key).
    SEAL_PKCS11_RAW = False
    #: The RFC 3161 time-stamping authority that timestamps every seal, and how long to wait for it.
    TSA_URL = None
    TSA_TIMEOUT_SECONDS = 10
    #: A PEM file with the root certificate(s) the time-stamping authority's certificate must chain to, for
    #: `audit-verify` to say the audit trail's anchors are trusted (without it: intact, trust not checked).
    TSA_TRUST_ROOTS = None
    #: A folder of root certificates (PEM or DER) that a client's own signing certificate (a Belgian eID, another
    #: qualified certificate) must chain to for a PDF signed in a PDF tool to count (agreements/qualified.py);
    #: unset: that way of signing is not offered. The project ships none: put there the roots you have checked.
    SIGNATURE_TRUST_ROOTS = None
    #: Whether to fetch revocation information (OCSP, CRL) when checking such a certificate.
    SIGNATURE_REVOCATION_CHECK = True
    #: How often the scheduler timestamps the head of the audit trail (when it grew since the last anchor).
    AUDIT_ANCHOR_MINUTES = 60
    #: Proxies in front of the app that set X-Forwarded-For and X-Forwarded-Proto (0: none, the app faces the
    #: clients). The client's address recorded with a signature and the HTTPS of a request depend on it.
    PROXY_HOPS = 0
    #: The envelope sender (return path) of every e-mail, as local@domain: each message goes out from
    #: local+<its number>-<signature>@domain, so that a bounce names the message it is about. The domain's mail
    #: exchanger must hand those addresses to `dpa bounce-server`, or deliver them to the IMAP mailbox below; a
    #: bounce that reaches neither is not seen. None: messages go out from their From address, and no bounce is
    #: matched to its message (production says so at start-up).
    BOUNCE_ADDRESS = None
    #: A permanent failure reported more than this many days after the acceptance is recorded, not acted on.
    BOUNCE_MAX_DAYS = 14
    #: An IMAP mailbox that receives the bounces (BOUNCE_IMAP_HOST unset: none is read). The scheduler reads it
    #: every BOUNCE_IMAP_MINUTES and deletes each message once it is recorded.
    BOUNCE_IMAP_HOST = None
    BOUNCE_IMAP_PORT = 993
    BOUNCE_IMAP_SSL = True
    BOUNCE_IMAP_USER = None
    BOUNCE_IMAP_PASSWORD = None
    BOUNCE_IMAP_FOLDER = "INBOX"
    BOUNCE_IMAP_MINUTES = 5


def _flag(value: str) -> bool:
    """A yes-or-no setting; anything but the usual spellings is refused, so that a typo ("ture") never turns a
    protection off quietly."""
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{value!r} is neither true nor false (1/0, true/false, yes/no, on/off)")


#: Environment variables read at start-up, and how each is parsed.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _flag),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", _flag),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "BASE_URL": ("BASE_URL", str),
    "DPA_ENV": ("DPA_ENV", str),
    "REDIS_URL": ("REDIS_URL", str),
    **{name: (name, str) for name in ("SEAL_PKCS12", "SEAL_PKCS12_PASSWORD", "TSA_URL")},
    **{f"SEAL_PKCS11_{part}": (f"SEAL_PKCS11_{part}", str) for part in ("MODULE", "TOKEN", "KEY", "CERT", "PIN")},
    "TSA_TIMEOUT_SECONDS": ("TSA_TIMEOUT_SECONDS", int),
    "SEAL_PKCS11_RAW": ("SEAL_PKCS11_RAW", _flag),
    "TSA_TRUST_ROOTS": ("TSA_TRUST_ROOTS", str),
    "AUDIT_ANCHOR_MINUTES": ("AUDIT_ANCHOR_MINUTES", int),
    "FEED_TOKEN_DAYS": ("FEED_TOKEN_DAYS", int),
    "MFA_REQUIRED_FOR_MANAGERS": ("MFA_REQUIRED_FOR_MANAGERS", _flag),
    **{name: (name, str) for name in ("WEBAUTHN_RP_ID", "WEBAUTHN_ORIGIN")},
    "SIGNATURE_TRUST_ROOTS": ("SIGNATURE_TRUST_ROOTS", str),
    "SIGNATURE_REVOCATION_CHECK": ("SIGNATURE_REVOCATION_CHECK", _flag),
    "PROXY_HOPS": ("PROXY_HOPS", int),
    **{name: (name, str) for name in ("BOUNCE_ADDRESS", "BOUNCE_IMAP_HOST", "BOUNCE_IMAP_USER")},
    **{name: (name, str) for name in ("BOUNCE_IMAP_PASSWORD", "BOUNCE_IMAP_FOLDER")},
    "BOUNCE_IMAP_PORT": ("BOUNCE_IMAP_PORT", int),
    "BOUNCE_IMAP_SSL": ("BOUNCE_IMAP_SSL", _flag),
    "BOUNCE_IMAP_MINUTES": ("BOUNCE_IMAP_MINUTES", int),
    "BOUNCE_MAX_DAYS": ("BOUNCE_MAX_DAYS", int),
}


def from_environment(environ=os.environ) -> dict:
    """Return the settings given in the environment; refuse, naming it, a value that does not parse."""
    settings = {}
    for name, (key, parse) in ENVIRONMENT.items():
        if environ.get(name):
            try:
                settings[key] = parse(environ[name])
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
    return settings
