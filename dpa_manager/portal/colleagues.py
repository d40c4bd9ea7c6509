"""A client's users, as its users see them: who signs for the client and who receives its notices. The client's
administrators invite colleagues, change their rights and disable their access; routes of portal.bp."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from .. import clock
from ..accounts.forms import RightsForm
from ..accounts.models import User
from ..accounts.services import disable, invite, set_rights
from ..errors import ServiceError
from ..extensions import db
from ..web import ConfirmForm, client_required, flash_form_errors, mark_refused, show_error
from . import bp


class ColleagueForm(RightsForm):
    full_name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul de naam in.")), Length(max=200)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(_l("Vul een e-mailadres in.")), Length(max=320)])


def _colleagues() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.client_id == current_user.client_id).order_by(User.active.desc(), User.full_name)
        )
    )


def _colleague(user_id: int) -> User:
    """A user of the same client, for its administrator; 404 for anyone else's, 403 for a user who is not one."""
    user = db.session.get(User, user_id)
    if user is None or user.client_id != current_user.client_id:
        abort(404)
    if not current_user.client_admin:
        abort(403)
    return user


@bp.route("/users")
@client_required
def colleagues():
    """The client's users and their rights; its administrators also invite and change them here."""
    form = ColleagueForm(formdata=None, may_sign=True, gets_notices=True)
    return render_template(
        "portal/colleagues.html",
        users=_colleagues(),
        form=form,
        rights=RightsForm(formdata=None),
        confirm=ConfirmForm(),
    )


@bp.route("/users/invite", methods=["POST"])
@client_required
def invite_colleague():
    if not current_user.client_admin:
        abort(403)
    form = ColleagueForm()
    if form.validate_on_submit():
        try:
            user = invite(
                current_user.client,
                email=form.email.data,
                full_name=form.full_name.data,
                **form.rights(),
                actor=current_user,
                now=clock.now(),
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(
                _("%(email)s is uitgenodigd en krijgt een e-mail om een wachtwoord te kiezen.", email=user.email),
                "success",
            )
            return redirect(url_for("portal.colleagues"))
    else:
        mark_refused()
    return render_template(
        "portal/colleagues.html",
        users=_colleagues(),
        form=form,
        rights=RightsForm(formdata=None),
        confirm=ConfirmForm(),
    ), 422


@bp.route("/users/<id:user_id>/rights", methods=["POST"])
@client_required
def colleague_rights(user_id: int):
    user = _colleague(user_id)
    form = RightsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("portal.colleagues"))
    try:
        set_rights(
            user,
            **form.rights(),
            actor=current_user,
            now=clock.now(),
        )
    except ServiceError as error:
        show_error(error)
    else:
        flash(_("De rechten van %(name)s zijn bewaard.", name=user.full_name), "success")
    return redirect(url_for("portal.colleagues"))


@bp.route("/users/<id:user_id>/disable", methods=["POST"])
@client_required
def disable_colleague(user_id: int):
    user = _colleague(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("portal.colleagues"))
    try:
        disable(user, actor=current_user, now=clock.now())
    except ServiceError as error:
        show_error(error)
    else:
        flash(_("%(name)s kan zich niet meer aanmelden.", name=user.full_name), "success")
    return redirect(url_for("portal.colleagues"))
