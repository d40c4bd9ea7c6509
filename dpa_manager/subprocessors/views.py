"""The register of sub-processors (list, create, show, edit, interventions) and its changes
(list, create, show, announce, cancel)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, clock
from ..errors import ServiceError
from ..extensions import db
from ..labels import SUBPROCESSOR_STATUSES
from ..localized import flat_translations
from ..notices.services import counts_by_state, notice_page
from ..processor.services import list_services
from ..rules import ChangeState, NoticeState, SubProcessorStatus
from ..web import ConfirmForm, choices, flash_form_errors, manager_required, or_404, page_arg, show_error
from . import bp, services
from .forms import ChangeForm, InterventionForm, SubProcessorForm
from .models import Change, SubProcessor

STATUS_LABELS = SUBPROCESSOR_STATUSES


def _sp_form() -> SubProcessorForm:
    form = SubProcessorForm()
    form.services.choices = choices((s.id, s.name) for s in list_services())
    return form


@bp.route("/subprocessors/")
@manager_required
def index():
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    register = services.list_register(status)
    return render_template(
        "subprocessors/index.html",
        register=register,
        status=status,
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
            db.session.rollback()
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
            db.session.rollback()
            flash(error.message, "error")
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
            db.session.rollback()
            show_error(error, form)
        else:
            flash(_("Bewaard."), "success")
            return redirect(url_for("subprocessors.show", sp_id=sp.id))
    return render_template("subprocessors/form.html", form=form, sp=sp)


# --- Changes ---------------------------------------------------------------------------------------


@bp.route("/changes/")
@manager_required
def changes():
    page = services.change_page(page_arg())
    return render_template(
        "changes/index.html",
        changes=page,
        counts=services.notice_tallies([c.id for c in page]),
        kinds=services.CHANGE_KINDS,
    )


@bp.route("/changes/new", methods=["GET", "POST"])
@manager_required
def new_change():
    form = ChangeForm()
    register = services.list_register()
    form.subprocessor_id.choices = choices(
        (sp.id, f"{sp.name} ({str(STATUS_LABELS[sp.status]).lower()})")
        for sp in register
        if sp.status != SubProcessorStatus.RETIRED
    )
    form.replaces_id.choices = choices(
        [(0, "—")] + [(sp.id, sp.name) for sp in register if sp.status == SubProcessorStatus.ACTIVE]
    )
    if request.method == "GET":
        form.subprocessor_id.data = request.args.get("subprocessor_id", type=int)
    if form.validate_on_submit():
        try:
            change = services.create_change(
                kind=form.kind.data,
                subprocessor_id=form.subprocessor_id.data,
                replaces_id=form.replaces_id.data or None,
                effective_on=form.effective_on.data,
                reason=form.reason.data,
                translations={"reason_fr": form.reason_fr.data, "reason_en": form.reason_en.data},
                actor=current_user,
                now=clock.now(),
            )
        except ServiceError as error:
            db.session.rollback()
            show_error(error, form)
        else:
            flash(_("Wijziging opgesteld. Kijk na wie ze treft en kondig ze dan aan."), "success")
            return redirect(url_for("subprocessors.change", change_id=change.id))
    return render_template("changes/form.html", form=form)


@bp.route("/changes/<id:change_id>")
@manager_required
def change(change_id: int):
    change = or_404(db.session.get(Change, change_id))
    state = request.args.get("state") if request.args.get("state") in tuple(NoticeState) else None
    counts = counts_by_state(("change", change.id))
    notices = notice_page(current_user, page_arg(), of=("change", change.id), state=state)
    affected = services.affected_count(change) if change.state == ChangeState.DRAFT else None
    return render_template(
        "changes/show.html",
        change=change,
        counts=counts,
        notices=notices,
        state=state,
        affected=affected,
        states=list(NoticeState),
        confirm=ConfirmForm(),
        kinds=services.CHANGE_KINDS,
        history=audit.history("change", change.id),
    )


def _change_action(change_id: int, action, success):
    change = or_404(db.session.get(Change, change_id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("subprocessors.change", change_id=change.id))
    try:
        result = action(change, actor=current_user, now=clock.now())
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success(result), "success")
    return redirect(url_for("subprocessors.change", change_id=change.id))


@bp.route("/changes/<id:change_id>/announce", methods=["POST"])
@manager_required
def announce(change_id: int):
    return _change_action(
        change_id,
        services.announce,
        lambda ids: _("Aangekondigd: %(count)s meldingen staan klaar om verstuurd te worden.", count=len(ids)),
    )


@bp.route("/changes/<id:change_id>/cancel", methods=["POST"])
@manager_required
def cancel(change_id: int):
    return _change_action(
        change_id,
        services.cancel,
        lambda ids: _("Ingetrokken; %(count)s lopende meldingen zijn ingetrokken.", count=len(ids)),
    )
