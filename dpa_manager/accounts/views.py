"""Pages for signing in and out, accepting an invitation, API tokens and the language choice."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .. import clock
from ..errors import ServiceError
from ..extensions import login_manager
from ..i18n import LANGUAGES
from ..mail.compose import salutation_text
from ..security import failed_login, limiter, login_account, reset_account
from ..web import ConfirmForm, or_404, public, show_error, user_required
from . import bp, factors, sessions
from .factor_views import begin_second_step
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SalutationForm, SetPasswordForm, TokenForm
from .services import (
    accept_invitation,
    authenticate,
    change_password,
    create_token,
    request_reset,
    reset_password,
    revoke_token,
    set_salutation,
    tokens_of,
    user_for_invitation,
    user_for_reset,
)
from .services import (
    set_language as store_language,
)
from .signin import clear_session, sign_in


@login_manager.user_loader
def load_user(user_id: str):
    """The user of the session cookie, while its server session lasts (accounts.sessions)."""
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 10:
        return None
    found = sessions.live(
        int(user_id), str(session.get("sid") or ""), limits=sessions.Limits.of(current_app.config), now=clock.now()
    )
    if found is None:
        return None
    user, g.user_session = found
    return user


def _safe_next(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None  # browsers read a backslash as a slash and drop tabs: "/<backslash>host" is another site
    return target


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("notices.dashboard" if current_user.is_manager else "portal.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=failed_login)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=login_account,
    deduct_when=failed_login,
)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        now = clock.now()
        user = authenticate(form.email.data, form.password.data, now=now)
        if user is None:
            flash(_("E-mailadres of wachtwoord klopt niet."), "error")
        elif factors.has_second_factor(user):
            begin_second_step(user, now, _safe_next(request.args.get("next")))
            return redirect(url_for("accounts.second_step"))
        else:
            sign_in(user, "password", now)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@user_required
def logout():
    current = g.get("user_session")
    if current is not None:
        sessions.end(current, reason="logout", now=clock.now())
    logout_user()
    clear_session()
    flash(_("U bent afgemeld."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    """Set a password from an invitation link; a GET only shows the form."""
    refused = {
        "expired": _("Deze uitnodiging is verlopen. Vraag uw contactpersoon om een nieuwe."),
        "used": _("Deze uitnodiging werd al gebruikt. Meld u aan met uw wachtwoord."),
        None: _("Deze uitnodiging is ongeldig."),
    }
    done = _("Uw wachtwoord is ingesteld. Meld u nu aan.")
    return _password_link_page(
        token, user_for_invitation, accept_invitation, refused, _("Uitnodiging niet bruikbaar"), done, "set_password"
    )


def _password_link_page(token: str, find, choose, refused: dict, title: str, done: str, template: str):
    """The page of a link that sets a password (an invitation, a reset): the form, or why the link is of no use
    (404); a password chosen leads to the login. Kept out of caches and referrers: the URL holds the secret."""
    user, problem = find(token)
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    if user is None:
        text = refused.get(problem, refused[None])
        return render_template("error.html", code=404, title=title, text=text), 404, headers
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            choose(token, form.password.data, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(done, "success")
            return redirect(url_for("accounts.login"))
    return render_template(f"accounts/{template}.html", form=form, user=user), 200, headers


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"], key_func=reset_account)
@public
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same whether the address has an account or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data, now=clock.now())
        flash(
            _(
                "Als er een actief account bestaat voor %(email)s, vertrekt er een e-mail met een link om een nieuw "
                "wachtwoord te kiezen. De link is 1 uur geldig.",
                email=" ".join(form.email.data.split()),
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/wachtwoord-vergeten/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    """Choose a new password from a reset link; a GET only shows the form."""
    refused = {
        "expired": _("Deze link is verlopen. Vraag een nieuwe aan."),
        "used": _("Deze link werd al gebruikt. Vraag zo nodig een nieuwe aan."),
        None: _("Deze link is ongeldig."),
    }
    done = _("Uw nieuwe wachtwoord is ingesteld; al uw sessies zijn afgemeld. Meld u nu aan.")
    return _password_link_page(
        token, user_for_reset, reset_password, refused, _("Link niet bruikbaar"), done, "reset_password"
    )


@bp.route("/account", methods=["GET", "POST"])
@user_required
def account():
    """The user's own account: the password, the sessions that are open, the API tokens."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            change_password(current_user, form.current.data, form.password.data, now=now)
        except ServiceError as error:
            show_error(error, form)
        else:
            sign_in(current_user._get_current_object(), session.get("signed_in_with", "password"), now)
            flash(_("Uw wachtwoord is gewijzigd. Al uw andere sessies zijn afgemeld."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, _salutation_form())


def _salutation_form(submitted: bool = False) -> SalutationForm:
    if submitted:
        return SalutationForm()
    form = SalutationForm(formdata=None)
    form.salutation.data, form.salutation_name.data = current_user.salutation, current_user.salutation_name
    return form


def greeting_of(user) -> str:
    return salutation_text(user.salutation, user.salutation_name, user.full_name)


def _account_page(form, salutation_form):
    limits = sessions.Limits.of(current_app.config)
    return (
        render_template(
            "accounts/account.html",
            form=form,
            salutation_form=salutation_form,
            greeting=greeting_of(current_user),
            open_sessions=sessions.open_sessions(current_user, limits=limits, now=clock.now()),
            this_session=g.get("user_session"),
            device=sessions.device,
            has_second_factor=factors.has_second_factor(current_user),
            confirm=ConfirmForm(),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/account/salutation", methods=["POST"])
@user_required
def salutation():
    """Choose how e-mails address the user."""
    form = _salutation_form(submitted=True)
    if form.validate_on_submit():
        try:
            set_salutation(current_user, form.salutation.data, form.salutation_name.data, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(
                _("Bewaard. E-mails spreken u voortaan zo aan: %(greeting)s", greeting=greeting_of(current_user)),
                "success",
            )
            return redirect(url_for("accounts.account"))
    return _account_page(ChangePasswordForm(formdata=None), form)


@bp.route("/account/sessions/<id:session_id>/end", methods=["POST"])
@user_required
def end_session(session_id: int):
    own = or_404(sessions.open_one(current_user, session_id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        sessions.end_one(current_user, own, now=clock.now())
        flash(_("Die sessie is afgemeld."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/sessions/end-all", methods=["POST"])
@user_required
def end_all_sessions():
    """Log out everywhere, this browser included."""
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("accounts.account"))
    sessions.log_out_everywhere(current_user, now=clock.now())
    logout_user()
    clear_session()
    flash(_("U bent overal afgemeld."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@user_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = create_token(current_user, label=form.label.data, now=clock.now())
        form = TokenForm(formdata=None)
    return (
        render_template(
            "accounts/tokens.html",
            tokens=tokens_of(current_user),
            form=form,
            new_token=new_token,
            confirm=ConfirmForm(),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/account/tokens/<id:token_id>/revoke", methods=["POST"])
@user_required
def revoke(token_id: int):
    if token_id not in {t.id for t in tokens_of(current_user)}:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        revoke_token(current_user, token_id, now=clock.now())
        flash(_("Het token is ingetrokken en werkt niet meer."), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/taal", methods=["POST"])
@public
def set_language():
    """Choose the interface language: kept in the session, and on the user when someone is logged in."""
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        flash(_("Kies een taal uit de lijst."), "error")
    else:
        session["language"] = language
        if current_user.is_authenticated:
            store_language(current_user, language)
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.home"))
