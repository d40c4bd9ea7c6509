"""The processor's profile page and its services."""

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..rules import format_enterprise_number
from ..web import flash_form_errors, manager_required, or_404, show_error
from . import bp
from .forms import ProfileForm, ServiceForm, ServiceNamesForm
from .models import Service
from .services import add_service, get_profile, list_services, name_service, save_profile


@bp.route("/", methods=["GET", "POST"])
@manager_required
def profile():
    current = get_profile()
    form = ProfileForm(obj=current)
    if request.method == "GET" and current:
        form.enterprise_number.data = format_enterprise_number(current.enterprise_number)
        form.cap_total.data = Decimal(current.cap_total_cents) / 100
        form.cap_other.data = Decimal(current.cap_other_cents) / 100
    if form.validate_on_submit():
        try:
            save_profile(form.values(), actor=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Profiel bewaard. Nieuwe overeenkomsten gebruiken deze gegevens."), "success")
            return redirect(url_for("processor.profile"))
    return render_template(
        "processor/profile.html",
        form=form,
        services=list_services(),
        service_form=ServiceForm(),
        names_form=ServiceNamesForm,
    )


@bp.route("/services", methods=["POST"])
@manager_required
def new_service():
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            service = add_service(
                form.code.data,
                form.name.data,
                name_fr=form.name_fr.data,
                name_en=form.name_en.data,
                actor=current_user,
                now=clock.now(),
            )
        except ServiceError as error:
            show_error(error)
        else:
            flash(_("Dienst %(name)s toegevoegd.", name=service.name), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("processor.profile"))


@bp.route("/services/<id:service_id>", methods=["POST"])
@manager_required
def service_names(service_id: int):
    """Give a service its French and English names."""
    service = or_404(db.session.get(Service, service_id))
    form = ServiceNamesForm()
    if form.validate_on_submit():
        try:
            name_service(
                service, name_fr=form.name_fr.data, name_en=form.name_en.data, actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error)
        else:
            flash(_("Namen van %(name)s bewaard.", name=service.name), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("processor.profile"))
