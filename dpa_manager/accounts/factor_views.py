"""The second step of a login, and enrolling a second factor (an authenticator app, security keys, recovery codes);
routes of accounts.bp.

After a correct password a user with a second factor is not signed in yet: the session holds who is half-way and
since when (PENDING_SECONDS), and this step signs them in. A manager without a second factor, while
MFA_REQUIRED_FOR_MANAGERS is on, reaches only the pages of their own account until one is enrolled
(require_second_factor).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, clock
from ..errors import Invalid
from ..extensions import db
from ..processor.services import get_profile
from ..security import device_for, limiter
from ..web import ConfirmForm, mark_refused, public, show_error, user_required
from . import bp, factors, sessions
from .forms import CodeForm, KeyNameForm
from .models import User
from .services import notify
from .signin import clear_session, sign_in

#: How long the second step may take after the password.
PENDING_SECONDS = 300
#: The pages a manager who must still enrol a second factor can reach.
OPEN_WITHOUT_SECOND_FACTOR = frozenset(
    {
        "static",
        "accounts.home",
        "accounts.login",
        "accounts.logout",
        "accounts.set_language",
        "accounts.account",
        "accounts.end_session",
        "accounts.end_all_sessions",
        "accounts.second_factor",
        "accounts.totp_setup",
        "accounts.recovery_codes",
        "accounts.key_options",
        "accounts.key_add",
        "accounts.new_codes",
        "health.healthz",
    }
)


def require_second_factor():
    """Send a manager who must enrol a second factor to the enrolment page, whatever page they asked for."""
    if request.endpoint in OPEN_WITHOUT_SECOND_FACTOR or request.path.startswith("/api/"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "access", None) == "public":
        return None
    if current_user.is_authenticated and factors.needs_second_factor(current_user, current_app.config):
        return redirect(url_for("accounts.second_factor"))  # the page says why
    return None


def begin_second_step(user: User, now: datetime, next_url: str | None) -> None:
    """Remember, in the session, that `user` gave the right password and must now give a second factor."""
    clear_session()
    session["pending"] = {"user": user.id, "email": user.email, "at": now.isoformat(), "next": next_url or ""}


def _pending(now: datetime) -> User | None:
    """The user half-way through a login, while the second step may still be taken."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    try:
        since = datetime.fromisoformat(str(pending.get("at")))
    except ValueError:
        return None
    if not since <= now < since + timedelta(seconds=PENDING_SECONDS):
        return None
    user = db.session.get(User, pending["user"])
    return user if user is not None and user.is_active else None


def pending_key() -> str:
    """The key under which failed second steps are counted: the account half-way through its login; from a
    browser where it signed in before, that browser's own count (security.device_for)."""
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return f"second-step-address:{request.remote_addr}"
    device = device_for(str(pending.get("email", "")))
    return f"second-step-device:{device}" if device else f"second-step:{pending.get('user')}"


def _second_step_failed(response) -> bool:
    """Whether a second step failed: refused outright, or answered with its failure recorded (_failed)."""
    return response.status_code >= 400 or bool(request.environ.get("dpa_manager.second_step_failed"))


def _signed_in(user: User, method: str, now: datetime):
    next_url = (session.get("pending") or {}).get("next") or url_for("accounts.home")
    sign_in(user, method, now)
    audit.record(
        at=now,
        actor=user,
        object_type="user",
        object_id=user.id,
        action="second_factor_passed",
        client_id=user.client_id,
        after={"kind": method},
    )
    return next_url


def _failed(user: User, kind: str, now: datetime) -> None:
    request.environ["dpa_manager.second_step_failed"] = True
    audit.record(
        at=now,
        actor=None,
        object_type="user",
        object_id=user.id,
        action="second_factor_failed",
        client_id=user.client_id,
        after={"kind": kind},
    )


@bp.route("/login/tweede-stap", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["MFA_RATE_LIMIT"],
    methods=["POST"],
    key_func=pending_key,
    deduct_when=_second_step_failed,
)
@public
def second_step():
    """A code from the app, or a recovery code; or a security key (through the script of the page)."""
    now = clock.now()
    user = _pending(now)
    if user is None:
        flash(_("Meld u opnieuw aan: de tweede stap moet binnen 5 minuten na het wachtwoord volgen."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        code = form.code.data
        method = (
            "totp"
            if factors.verify_totp(user, code, now=now)
            else "recovery"
            if factors.use_recovery_code(user, code, now=now)
            else None
        )
        if method is not None:
            return redirect(_signed_in(user, method, now))
        _failed(user, "code", now)  # answered 200, as a wrong password is: the failed attempt is recorded
        form.code.errors = [_("Die code klopt niet, of werd al gebruikt.")]
    return render_template(
        "accounts/second_step.html",
        form=form,
        has_app=bool(user.totp_secret),
        has_keys=bool(factors.keys_of(user)),
    )


@bp.route("/login/sleutel/opties", methods=["POST"])
@public
def login_key_options():
    """The challenge for a security key of the user half-way through the login."""
    user = _pending(clock.now())
    if user is None or not factors.keys_of(user):
        return jsonify(error=_("Meld u opnieuw aan.")), 400
    options, challenge = factors.authentication_options(user, rp_id=factors.relying_party(current_app.config)[0])
    session["webauthn_challenge"] = base64.b64encode(challenge).decode("ascii")
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/login/sleutel", methods=["POST"])
@limiter.limit(lambda: current_app.config["MFA_RATE_LIMIT"], key_func=pending_key, deduct_when=_second_step_failed)
@public
def login_key():
    """Check the security key's signature and sign the user in."""
    now = clock.now()
    user = _pending(now)
    challenge = session.pop("webauthn_challenge", None)
    if user is None or not challenge:
        return jsonify(error=_("Meld u opnieuw aan.")), 400
    rp_id, origin = factors.relying_party(current_app.config)
    credential = request.get_json(silent=True) if request.is_json else None
    if not isinstance(credential, dict):
        return jsonify(error=_("De sleutel werd niet aanvaard.")), 400
    if not factors.verify_key(
        user, credential, challenge=base64.b64decode(challenge), rp_id=rp_id, origin=origin, now=now
    ):
        _failed(user, "webauthn", now)  # answered 200 (with the error), so that the failed attempt is recorded
        return jsonify(error=_("De sleutel werd niet aanvaard."))
    return jsonify(next=_signed_in(user, "webauthn", now))


# --- Enrolling -------------------------------------------------------------------------------------------


def _enrolled(method: str, now: datetime) -> None:
    """After a second factor was added: end every other session of the user (one opened with the password alone,
    perhaps by someone who knew it, must not become a session with a second factor), and count this one, which
    has just shown the factor, as signed in with it."""
    current = g.get("user_session")
    sessions.end_all(current_user, reason="ended", now=now, keep=current.id if current is not None else None)
    if current is not None:
        current.method = method
        session["signed_in_with"] = method
    notify(current_user, "second_factor_added", now)


def _may_remove_last(user: User) -> bool:
    """Whether the user may be left without a second factor."""
    config = current_app.config
    return not (user.is_manager and config["MFA_REQUIRED_FOR_MANAGERS"] and not user.mfa_exempt)


def _factor_count(user: User) -> int:
    return (1 if user.totp_secret else 0) + len(factors.keys_of(user))


@bp.route("/account/tweede-factor")
@user_required
def second_factor():
    return render_template(
        "accounts/second_factor.html",
        keys=factors.keys_of(current_user),
        codes_left=factors.recovery_codes_left(current_user),
        required=factors.needs_second_factor(current_user, current_app.config),
        confirm=ConfirmForm(),
        key_form=KeyNameForm(),
    )


@bp.route("/account/tweede-factor/app", methods=["GET", "POST"])
@user_required
def totp_setup():
    """Show a new secret as a QR code, and turn it on once the app gives a code for it."""
    if current_user.totp_secret:
        flash(_("De app is al ingesteld. Zet ze eerst uit om een nieuwe in te stellen."), "info")
        return redirect(url_for("accounts.second_factor"))
    secret = session.get("totp_pending")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["totp_pending"] = factors.new_totp_secret()
    form = CodeForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            codes = factors.enable_totp(current_user, secret, form.code.data, now=now)
        except Invalid as error:
            show_error(Invalid(_(error.message), "code"), form)
        else:
            session.pop("totp_pending", None)
            _enrolled("totp", now)
            if codes:  # the first second factor: its recovery codes, shown once
                return render_template("accounts/recovery_codes.html", codes=codes, first=True)
            flash(_("De app is ingesteld. Uw herstelcodes blijven dezelfde."), "success")
            return redirect(url_for("accounts.second_factor"))
    profile = get_profile()
    uri = factors.provisioning_uri(secret, email=current_user.email, issuer=profile.name if profile else "dpa_manager")
    return render_template("accounts/totp_setup.html", form=form, secret=secret, qr=factors.qr_data_uri(uri))


@bp.route("/account/tweede-factor/app/uit", methods=["POST"])
@user_required
def totp_remove():
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    elif _factor_count(current_user) <= 1 and not _may_remove_last(current_user):
        flash(_("Een manager heeft minstens één tweede factor nodig; stel eerst een andere in."), "error")
    else:
        factors.remove_totp(current_user, now=clock.now())
        notify(current_user, "second_factor_removed", clock.now())
        flash(_("De app met eenmalige codes is uitgezet."), "success")
    return redirect(url_for("accounts.second_factor"))


@bp.route("/account/tweede-factor/herstelcodes", methods=["POST"])
@user_required
def recovery_codes():
    """Make ten new recovery codes (the old ones stop working) and show them once."""
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("accounts.second_factor"))
    if not factors.has_second_factor(current_user):
        flash(_("Herstelcodes horen bij een tweede factor; stel er eerst een in."), "error")
        return redirect(url_for("accounts.second_factor"))
    codes = factors.new_recovery_codes(current_user, now=clock.now())
    return render_template("accounts/recovery_codes.html", codes=codes, first=False)


@bp.route("/account/sleutels/opties", methods=["POST"])
@user_required
def key_options():
    """The options for the browser to make a new credential for this user."""
    rp_id, _origin = factors.relying_party(current_app.config)
    profile = get_profile()
    options, challenge = factors.registration_options(
        current_user, rp_id=rp_id, rp_name=profile.name if profile else "dpa_manager"
    )
    session["webauthn_challenge"] = base64.b64encode(challenge).decode("ascii")
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/account/sleutels", methods=["POST"])
@user_required
def key_add():
    """Keep the credential the browser made; the body is {"name": ..., "credential": {...}}."""
    challenge = session.pop("webauthn_challenge", None)
    data = request.get_json(silent=True)
    if not challenge or not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        return jsonify(error=_("Begin opnieuw: de registratie is verlopen of onvolledig.")), 400
    rp_id, origin = factors.relying_party(current_app.config)
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    first = not factors.has_second_factor(current_user)
    now = clock.now()
    try:
        factors.add_key(
            current_user,
            data["credential"],
            challenge=base64.b64decode(challenge),
            name=name,
            rp_id=rp_id,
            origin=origin,
            now=now,
        )
    except Invalid as error:
        mark_refused()  # nothing of the request is kept
        return jsonify(error=_(error.message)), 422
    _enrolled("webauthn", now)
    if first:  # the first factor comes with recovery codes, made and shown once on the next page
        session["codes_due"] = True
        return jsonify(next=url_for("accounts.new_codes"))
    flash(_("De sleutel is geregistreerd."), "success")
    return jsonify(next=url_for("accounts.second_factor"))


@bp.route("/account/tweede-factor/nieuwe-codes")
@user_required
def new_codes():
    """The recovery codes that come with a first security key: made when this page is first shown after it, and
    shown once."""
    if not session.pop("codes_due", False):
        return redirect(url_for("accounts.second_factor"))
    codes = factors.new_recovery_codes(current_user, now=clock.now())
    return render_template("accounts/recovery_codes.html", codes=codes, first=True)


@bp.route("/account/sleutels/<id:key_id>/verwijderen", methods=["POST"])
@user_required
def key_remove(key_id: int):
    own = [k.id for k in factors.keys_of(current_user)]
    if key_id not in own:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    elif _factor_count(current_user) <= 1 and not _may_remove_last(current_user):
        flash(_("Een manager heeft minstens één tweede factor nodig; stel eerst een andere in."), "error")
    else:
        factors.remove_key(current_user, key_id, now=clock.now())
        notify(current_user, "second_factor_removed", clock.now())
        flash(_("De sleutel is verwijderd."), "success")
    return redirect(url_for("accounts.second_factor"))
