"""The second factor: one-time codes from an app (TOTP, RFC 6238), ten single-use recovery codes, and security keys
or passkeys (WebAuthn). Managers need one before they can act (MFA_REQUIRED_FOR_MANAGERS); client users may enrol.

The clock is passed in. A one-time code is accepted for the current 30-second step or the one on either side, and
never twice: the step of the last accepted code is kept, and taken with a conditional UPDATE.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import pyotp
import webauthn
from sqlalchemy import delete, exists, select, update
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import audit
from ..errors import Invalid
from ..extensions import db, rowcount
from ..links import use_link
from .models import RecoveryCode, SecurityKey, User

#: The length of a time step of the one-time codes, in seconds.
STEP_SECONDS = 30
#: How many recovery codes a user gets at a time.
RECOVERY_CODES = 10


def N_(text: str) -> str:
    """Mark a text for the catalogues; the views translate it."""
    return text


def _record(user: User, action: str, now: datetime, *, after: dict | None = None, actor: User | None = None) -> None:
    """Record an event of the user's second factor, by the user unless an `actor` did it."""
    audit.record(
        at=now,
        actor=actor or user,
        object_type="user",
        object_id=user.id,
        action=action,
        client_id=user.client_id,
        after=after,
    )


# --- One-time codes --------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def step_of(now: datetime) -> int:
    """The time step a moment falls in. Pure."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The six-digit code of a secret for a time step. Pure."""
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The step, among the current one and its neighbours and later than `after`, whose code `code` is; or None.
    Pure."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    current = step_of(now)
    for step in (current, current - 1, current + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(text: str) -> str:
    """A QR code of `text`, as an SVG document (drawn by ReportLab, which the PDFs use already)."""
    from reportlab.graphics import renderSVG  # only the enrolment page draws one
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    size = 220
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    out = io.StringIO()
    renderSVG.drawToFile(drawing, out)
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text).encode("utf-8")).decode("ascii")


def enable_totp(user: User, secret: str, code: str, *, now: datetime) -> list[str]:
    """Turn on one-time codes with a secret the user's app holds, shown by a code from it. For a first second
    factor, return the new recovery codes (shown once); a user who has one already keeps the codes they have."""
    step = matching_step(secret, code, now, None)
    if step is None:
        raise Invalid(N_("Die code klopt niet. Typ de zes cijfers die de app nu toont."), "code")
    first = not has_second_factor(user)
    user.totp_secret, user.totp_last_step = secret, step
    _record(user, "second_factor_added", now, after={"kind": "totp"})
    return new_recovery_codes(user, now=now) if first else []


def verify_totp(user: User, code: str, *, now: datetime) -> bool:
    """Accept a one-time code once: a code already used, or an older one, is refused."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        return False
    taken = db.session.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        return False  # another request took this code first
    user.totp_last_step = step
    return True


def _forget_codes_without_factor(user: User) -> None:
    """Recovery codes stand in for a second factor: without one left, they go too."""
    if not has_second_factor(user):
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remove_totp(user: User, *, now: datetime) -> None:
    user.totp_secret, user.totp_last_step = None, None
    _forget_codes_without_factor(user)
    _record(user, "second_factor_removed", now, after={"kind": "totp"})


# --- Recovery codes --------------------------------------------------------------------------------------


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode("ascii", "ignore")).hexdigest()


def new_recovery_codes(user: User, *, now: datetime) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES new ones; return them (only their hashes are kept)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from paper
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    codes = [f"{c[:5]}-{c[5:]}" for c in codes]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c), created_at=now) for c in codes)
    _record(user, "recovery_codes_made", now)
    return codes


def use_recovery_code(user: User, code: str, *, now: datetime) -> bool:
    """Accept one of the user's unused recovery codes, once."""
    if len(_normal(code)) != 10:
        return False
    taken = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(taken) == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(db.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- Whether a user has, or needs, a second factor ----------------------------------------------------------


def has_second_factor(user: User) -> bool:
    if user.totp_secret:
        return True
    return bool(db.session.scalar(select(exists().where(SecurityKey.user_id == user.id))))


def needs_second_factor(user: User, config) -> bool:
    """Whether a user must enrol a second factor before acting: a manager, while MFA_REQUIRED_FOR_MANAGERS is on,
    unless exempt (the demo logins)."""
    if not user.is_manager or not config["MFA_REQUIRED_FOR_MANAGERS"] or user.mfa_exempt:
        return False
    return not has_second_factor(user)


# --- Security keys and passkeys (WebAuthn) ------------------------------------------------------------------


def relying_party(config) -> tuple[str, str]:
    """The relying party's id (a domain name: browsers refuse an IP address) and the origin pages come from, as
    WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN say or else as BASE_URL gives them."""
    base = urlsplit(config["BASE_URL"])
    return (
        config.get("WEBAUTHN_RP_ID") or base.hostname or "localhost",
        config.get("WEBAUTHN_ORIGIN") or f"{base.scheme}://{base.netloc}",
    )


def keys_of(user: User) -> list[SecurityKey]:
    return list(db.session.scalars(select(SecurityKey).where(SecurityKey.user_id == user.id).order_by(SecurityKey.id)))


def registration_options(user: User, *, rp_id: str, rp_name: str) -> tuple[str, bytes]:
    """The options for the browser to make a new credential (as JSON), and the challenge to check it against."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=f"dpa-user-{user.id}".encode(),
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=k.credential_id) for k in keys_of(user)],
    )
    return webauthn.options_to_json(options), options.challenge


def add_key(
    user: User, credential, *, challenge: bytes, name: str, rp_id: str, origin: str, now: datetime
) -> SecurityKey:
    """Keep a new credential the browser made for the options of `challenge`; raise Invalid when it does not hold."""
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise Invalid(N_("De sleutel kon niet geregistreerd worden; probeer het opnieuw."), "credential") from error
    if db.session.scalar(select(exists().where(SecurityKey.credential_id == verified.credential_id))):
        raise Invalid(N_("Deze sleutel is al geregistreerd."), "credential")
    key = SecurityKey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(" ".join((name or "").split()) or "Sleutel")[:100],
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    _record(user, "second_factor_added", now, after={"kind": "webauthn", "name": key.name})
    return key


def authentication_options(user: User, *, rp_id: str) -> tuple[str, bytes]:
    """The options for the browser to sign a challenge with one of the user's credentials (JSON), and the
    challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=k.credential_id) for k in keys_of(user)],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), options.challenge


def verify_key(user: User, credential: dict, *, challenge: bytes, rp_id: str, origin: str, now: datetime) -> bool:
    """Check a signature the browser made with one of the user's credentials for `challenge`, once: the challenge
    is spent (a copy of an older session cookie still holds it), and the key's counter moves on only from the
    value it was read at."""
    try:
        raw_id = webauthn.base64url_to_bytes(str(credential["rawId"]))
    except (ValueError, TypeError, KeyError):
        return False
    if not use_link("webauthn:" + base64.b64encode(challenge).decode("ascii"), now):
        return False  # this challenge was answered before
    key = db.session.scalar(
        select(SecurityKey).where(SecurityKey.user_id == user.id, SecurityKey.credential_id == raw_id)
    )
    if key is None:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return False
    moved = db.session.execute(
        update(SecurityKey)
        .where(SecurityKey.id == key.id, SecurityKey.sign_count == key.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(moved) == 1


def reset(user: User, *, actor: User, now: datetime) -> None:
    """Wipe a user's second factor (app, keys, recovery codes), for one who lost it; their sessions end, and a
    manager enrols a new one at the next login."""
    from . import sessions  # sessions imports nothing of this module

    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(delete(SecurityKey).where(SecurityKey.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = sessions.end_all(user, reason="ended", now=now)
    _record(user, "second_factor_reset", now, after={"sessions": ended}, actor=actor)


def remove_key(user: User, key_id: int, *, now: datetime) -> bool:
    key = db.session.scalar(select(SecurityKey).where(SecurityKey.id == key_id, SecurityKey.user_id == user.id))
    if key is None:
        return False
    db.session.delete(key)
    db.session.flush()
    _forget_codes_without_factor(user)
    _record(user, "second_factor_removed", now, after={"kind": "webauthn", "name": key.name})
    return True
