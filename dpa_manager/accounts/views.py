from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import clock
from ..extensions import db, login_manager
from ..security import limiter
from ..web import public, user_required
from . import bp
from .forms import LoginForm
from .models import User
from .services import authenticate


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("notices.dashboard" if current_user.is_manager else "portal.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, now=clock.now())
        if user is None:
            flash("E-mailadres of wachtwoord klopt niet.", "error")
        else:
            session.clear()  # a new session at every login
            session.permanent = True  # ends after SESSION_IDLE_MINUTES without a request
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@user_required
def logout():
    logout_user()
    session.clear()
    flash("U bent afgemeld.", "info")
    return redirect(url_for("accounts.login"))
