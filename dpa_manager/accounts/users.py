"""The managers' pages on users: every account, one account with its API tokens, disabling and enabling; routes of
accounts.bp."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..paging import page_of
from ..web import ConfirmForm, manager_required, or_404, page_arg, show_error
from . import bp, factors
from .models import ApiToken, User
from .services import disable, enable, notify, revoke_token, tokens_of


@bp.route("/users/")
@manager_required
def users():
    """Every account, managers first, with a search on name and address."""
    query = " ".join(request.args.get("q", "").split())[:200]
    stmt = select(User).options(joinedload(User.client)).order_by(User.role.desc(), User.email)
    if query:
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(User.email.like(like, escape="\\"), func.lower(User.full_name).like(like, escape="\\")))
    return render_template("accounts/users.html", users=page_of(stmt, page_arg()), query=query)


@bp.route("/users/<id:user_id>")
@manager_required
def user(user_id: int):
    shown = or_404(db.session.get(User, user_id))
    return render_template(
        "accounts/user.html",
        shown=shown,
        tokens=tokens_of(shown),
        has_second_factor=factors.has_second_factor(shown),
        confirm=ConfirmForm(),
    )


@bp.route("/users/<id:user_id>/disable", methods=["POST"])
@manager_required
def disable_user(user_id: int):
    shown = or_404(db.session.get(User, user_id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        try:
            disable(shown, actor=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error)
        else:
            flash(_("%(email)s is uitgeschakeld: afgemeld, tokens ingetrokken.", email=shown.email), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.route("/users/<id:user_id>/enable", methods=["POST"])
@manager_required
def enable_user(user_id: int):
    shown = or_404(db.session.get(User, user_id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        enable(shown, actor=current_user, now=clock.now())
        flash(_("%(email)s kan zich weer aanmelden.", email=shown.email), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.route("/users/<id:user_id>/second-factor/reset", methods=["POST"])
@manager_required
def reset_second_factor(user_id: int):
    """Wipe the second factor of a user who lost it (not one's own: that is done on one's account page)."""
    shown = or_404(db.session.get(User, user_id))
    if shown.id == current_user.id:
        flash(_("Uw eigen tweede factor beheert u op de pagina Mijn account."), "error")
    elif not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        now = clock.now()
        factors.reset(shown, actor=current_user, now=now)
        notify(shown, "second_factor_reset", now)
        flash(
            _("De tweede factor van %(email)s is gewist; de gebruiker is overal afgemeld.", email=shown.email),
            "success",
        )
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.route("/users/<id:user_id>/tokens/<id:token_id>/revoke", methods=["POST"])
@manager_required
def revoke_user_token(user_id: int, token_id: int):
    shown = or_404(db.session.get(User, user_id))
    if db.session.scalar(select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.user_id == shown.id)) is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        revoke_token(shown, token_id, now=clock.now(), actor=current_user)
        flash(_("Het token is ingetrokken en werkt niet meer."), "success")
    return redirect(url_for("accounts.user", user_id=user_id))
