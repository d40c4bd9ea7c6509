"""Inviting a client's users from the client's page, inviting again, and choosing their rights; routes of clients.bp."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..clients import bp
from ..clients.forms import InviteForm
from ..clients.models import Client
from ..errors import ServiceError
from ..extensions import db
from ..web import ConfirmForm, flash_form_errors, manager_required, or_404, show_error
from .forms import RightsForm
from .models import User
from .services import invite as invite_user
from .services import reinvite as reinvite_user
from .services import set_rights


@bp.route("/<id:client_id>/invite", methods=["POST"])
@manager_required
def invite(client_id: int):
    """Invite a user of the client by e-mail to set a password."""
    client = or_404(db.session.get(Client, client_id))
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = invite_user(
                client, email=form.email.data, full_name=form.full_name.data, actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error)
        else:
            flash(
                _("%(email)s is uitgenodigd; de uitnodiging vertrekt met de volgende e-mailronde.", email=user.email),
                "success",
            )
    else:
        flash_form_errors(form)
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/<id:client_id>/users/<id:user_id>/reinvite", methods=["POST"])
@manager_required
def reinvite(client_id: int, user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.client_id != client_id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        reinvite_user(user, actor=current_user, now=clock.now())
        flash(_("Een nieuwe uitnodiging voor %(email)s staat klaar.", email=user.email), "success")
    else:
        flash(_("Vink aan om te bevestigen."), "error")
    return redirect(url_for("clients.show", client_id=client_id))


@bp.route("/<id:client_id>/users/<id:user_id>/rights", methods=["POST"])
@manager_required
def user_rights(client_id: int, user_id: int):
    """Choose what a user of the client may do: manage its users, sign for it, receive its notices."""
    user = db.session.get(User, user_id)
    if user is None or user.client_id != client_id:
        abort(404)
    form = RightsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("clients.show", client_id=client_id))
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
    return redirect(url_for("clients.show", client_id=client_id))
