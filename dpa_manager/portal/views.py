from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from .. import clock
from ..agreements import services
from ..agreements.document import reference
from ..agreements.forms import SignatureForm
from ..errors import ServiceError
from ..extensions import db
from ..rules import AgreementState
from ..web import client_required, or_404, show_error
from . import bp


def _client_agreement(agreement_id: int):
    """Return one of the user's client's agreements that has been sent, or 404."""
    agreement = or_404(services.get_agreement(current_user, agreement_id))
    if agreement.state == AgreementState.DRAFT:
        return or_404(None)
    return agreement


@bp.route("/")
@client_required
def index():
    agreements = [a for a in services.list_agreements(current_user) if a.state != AgreementState.DRAFT]
    return render_template("portal/index.html", agreements=agreements, client=current_user.client)


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
@client_required
def agreement(agreement_id: int):
    agreement = _client_agreement(agreement_id)
    form = SignatureForm()
    if form.validate_on_submit():
        try:
            services.client_sign(agreement, user=current_user, full_name=form.full_name.data, role=form.role.data,
                                 authorised=form.authorised.data, now=clock.now())
        except ServiceError as error:
            db.session.rollback()
            show_error(error, form)
        else:
            flash("Bedankt: u hebt de overeenkomst ondertekend. De verwerker tekent ze nu tegen.", "success")
            return redirect(url_for("portal.agreement", agreement_id=agreement.id))
    elif not form.is_submitted():
        form.full_name.data = current_user.full_name
    return render_template("portal/agreement.html", agreement=agreement, form=form, document=services.document_of(agreement, clock.today_in_brussels(clock.now())),
                           reference=reference(agreement.id))
