"""The register of sub-processors (list, create, show, edit, interventions) and its changes
(list, create, show, announce, cancel)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, clock, tables
from ..errors import ServiceError
from ..extensions import db
from ..labels import SUBPROCESSOR_STATUSES
from ..localized import flat_translations
from ..processor.services import list_services
from ..rules import SubProcessorStatus
from ..tables import Column
from ..web import choices, flash_form_errors, manager_required, or_404, show_error
from . import bp, services
from .forms import InterventionForm, SubProcessorForm
from .models import SubProcessor

STATUS_LABELS = SUBPROCESSOR_STATUSES


#: The register's columns of an export: the fields of the API.
EXPORT_COLUMNS = [
    Column("id", lambda sp: sp.id),
    Column("name", lambda sp: sp.name),
    Column("registration_number", lambda sp: sp.registration_number),
    Column("status", lambda sp: sp.status),
    Column("kind", lambda sp: sp.kind),
    Column("purpose", lambda sp: sp.purpose),
    Column("countries", lambda sp: " ".join(sp.countries or [])),
    Column("transfer_mechanism", lambda sp: sp.transfer_mechanism),
    Column("transfer_text", lambda sp: sp.transfer_text),
    Column("data_categories", lambda sp: " ".join(sp.data_categories or [])),
    Column("services", lambda sp: " ".join(s.code for s in sp.services)),
    Column("website", lambda sp: sp.website),
    Column("address", lambda sp: sp.address),
    Column("contact", lambda sp: sp.contact),
    Column("activated_on", lambda sp: sp.activated_on),
    Column("retired_on", lambda sp: sp.retired_on),
]


def _sp_form() -> SubProcessorForm:
    form = SubProcessorForm()
    form.services.choices = choices((s.id, s.name) for s in list_services())
    return form


@bp.route("/subprocessors/")
@manager_required
def index():
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    query = request.args.get("q", "")[:200]
    kind = tables.export_kind()
    if kind:
        return tables.export(kind, "subverwerkers", EXPORT_COLUMNS, services.register_select(status, query))
    register = services.list_register(status, query)
    return render_template(
        "subprocessors/index.html",
        register=register,
        status=status,
        query=query,
        labels=STATUS_LABELS,
        in_use=services.clients_using([sp.id for sp in register]),
    )


@bp.route("/subprocessors/new", methods=["GET", "POST"])
@manager_required
def new():
    form = _sp_form()
    if form.validate_on_submit():
        try:
            sp = services.create_subprocessor(
                form.values(), form.services.data or [], actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(
                _(
                    "%(name)s staat als voorgesteld in het register. Kondig een wijziging aan om hem in te zetten.",
                    name=sp.name,
                ),
                "success",
            )
            return redirect(url_for("subprocessors.show", sp_id=sp.id))
    return render_template("subprocessors/form.html", form=form, sp=None)


@bp.route("/subprocessors/<id:sp_id>")
@manager_required
def show(sp_id: int):
    sp = or_404(db.session.get(SubProcessor, sp_id))
    changes, interventions = services.changes_of(sp.id), services.interventions_of(sp.id)
    clients = services.clients_using([sp.id])[sp.id]
    return render_template(
        "subprocessors/show.html",
        sp=sp,
        changes=changes,
        clients=clients,
        labels=STATUS_LABELS,
        history=audit.history("subprocessor", sp.id),
        interventions=interventions,
        intervention_form=InterventionForm(),
    )


@bp.route("/subprocessors/<id:sp_id>/interventions", methods=["POST"])
@manager_required
def log_intervention(sp_id: int):
    """Log a one-off intervention of an incidental sub-processor."""
    sp = or_404(db.session.get(SubProcessor, sp_id))
    form = InterventionForm()
    if form.validate_on_submit():
        try:
            services.log_intervention(
                sp,
                happened_on=form.happened_on.data,
                reason=form.reason.data,
                data_categories=form.data_categories.data,
                actor=current_user,
                now=clock.now(),
            )
        except ServiceError as error:
            show_error(error)
        else:
            flash(_("Tussenkomst geregistreerd; de betrokken klanten zien ze in hun portaal."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("subprocessors.show", sp_id=sp.id))


@bp.route("/subprocessors/<id:sp_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(sp_id: int):
    sp = or_404(db.session.get(SubProcessor, sp_id))
    if sp.status != SubProcessorStatus.PROPOSED:
        flash(_("Een subverwerker in gebruik wijzigt niet; registreer een nieuwe en vervang hem."), "error")
        return redirect(url_for("subprocessors.show", sp_id=sp.id))
    form = _sp_form()
    if request.method == "GET":
        form.process(obj=sp, data=flat_translations(sp.translations, services.SUBPROCESSOR_TRANSLATED))
        form.countries.data = ", ".join(sp.countries)
        form.transfer_mechanism.data = sp.transfer_mechanism or ""
        form.services.data = [s.id for s in sp.services]
    if form.validate_on_submit():
        try:
            services.update_subprocessor(
                sp, form.values(), form.services.data or [], actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Bewaard."), "success")
            return redirect(url_for("subprocessors.show", sp_id=sp.id))
    return render_template("subprocessors/form.html", form=form, sp=sp)
