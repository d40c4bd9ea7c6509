"""The managers' agreement pages: list, draft and edit, the document and its PDF, send, recall,
countersign and terminate."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, clock, tables
from ..accounts.services import invite
from ..clients.models import Client
from ..clients.services import search_clients
from ..errors import ServiceError
from ..extensions import db
from ..processor.services import list_services
from ..rules import AgreementState
from ..tables import Column
from ..terms.services import published_versions
from ..web import (
    ConfirmForm,
    choices,
    flash_form_errors,
    is_id,
    manager_required,
    or_404,
    page_arg,
    show_error,
    signed_from,
    user_required,
)
from . import bp, services
from .document import reference
from .forms import AgreementForm, CountersignForm, SendForm


def _form(formdata=None) -> AgreementForm:
    form = AgreementForm(formdata) if formdata is not None else AgreementForm()
    form.terms_version_id.choices = choices((v.id, f"{v.label} — {v.title}") for v in published_versions())
    form.services.choices = choices((s.id, s.name) for s in list_services())
    return form


def _manager_agreement(agreement_id: int):
    return or_404(services.get_agreement(current_user, agreement_id))


@bp.route("/")
@manager_required
def index():
    state = request.args.get("state") or None
    if state and state not in {s.value for s in AgreementState}:
        state = None
    query = request.args.get("q", "")[:200]
    kind = tables.export_kind()
    if kind:
        stmt = services.agreements_select(current_user, state, query)
        return tables.export(kind, "overeenkomsten", EXPORT_COLUMNS, stmt)
    return render_template(
        "agreements/index.html",
        agreements=services.agreement_page(current_user, page_arg(), state, query),
        state=state,
        query=query,
        states=list(AgreementState),
    )


#: The agreements' columns of an export.
EXPORT_COLUMNS = [
    Column("id", lambda a: a.id),
    Column("reference", lambda a: reference(a.id)),
    Column("client_id", lambda a: a.client_id),
    Column("client", lambda a: a.client.name),
    Column("enterprise_number", lambda a: a.client.enterprise_number_display),
    Column("state", lambda a: a.state),
    Column("concluded_by", lambda a: a.concluded_by),
    Column("terms_version", lambda a: a.terms_version.label if a.terms_version else ""),
    Column("signed_on", lambda a: a.signed_on),
    Column("starts_on", lambda a: a.starts_on),
    Column("ends_on", lambda a: a.ends_on),
    Column("window_days", lambda a: a.window_days),
    Column("window_unit", lambda a: a.window_unit),
    Column("sent_at", lambda a: a.sent_at, moment=True),
    Column("client_signer", lambda a: a.client_signer_name),
    Column("client_signed_at", lambda a: a.client_signed_at, moment=True),
    Column("processor_signer", lambda a: a.processor_signer_name),
    Column("processor_signed_at", lambda a: a.processor_signed_at, moment=True),
    Column("effective_at", lambda a: a.effective_at, moment=True),
    Column("ended_at", lambda a: a.ended_at, moment=True),
    Column("signed_sha256", lambda a: a.signed_sha256),
]


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    """Draft an agreement for the client given; without one, first choose the client."""
    if "client_id" not in request.args:
        query = request.args.get("q", "")[:200]
        clients, _total = search_clients(query, page_arg(), current_app.config["PAGE_SIZE"])
        return render_template("agreements/pick_client.html", clients=clients, query=query)
    client_id = request.args.get("client_id", type=int)
    client = or_404(db.session.get(Client, client_id) if is_id(client_id) else None)
    form = _form()
    if request.method == "GET":
        form.fill(services.draft_defaults(clock.today_in_brussels(clock.now())))
    if form.validate_on_submit():
        try:
            agreement = services.create_draft(
                client, form.particulars(), form.services.data or [], actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Concept %(reference)s aangemaakt.", reference=reference(agreement.id)), "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return render_template("agreements/form.html", form=form, client=client, agreement=None)


@bp.route("/<id:agreement_id>")
@manager_required
def show(agreement_id: int):
    agreement = _manager_agreement(agreement_id)
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        checklist=services.agreement_checklist(agreement),
        history=audit.history("agreement", agreement.id),
        confirm=ConfirmForm(),
        send_form=SendForm(),
        signers=services.signers(agreement.client_id) if agreement.state == AgreementState.DRAFT else (),
        countersign=CountersignForm(),
        reference=reference(agreement.id),
    )


@bp.route("/<id:agreement_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(agreement_id: int):
    agreement = _manager_agreement(agreement_id)
    if agreement.state != AgreementState.DRAFT:
        flash(_("Alleen een concept kan nog wijzigen."), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement.id))
    form = _form()
    if request.method == "GET":
        form.fill({k: getattr(agreement, k) for k in services.PARTICULARS}, [s.id for s in agreement.services])
    if form.validate_on_submit():
        try:
            services.update_draft(
                agreement, form.particulars(), form.services.data or [], actor=current_user, now=clock.now()
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Concept bewaard."), "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return render_template("agreements/form.html", form=form, client=agreement.client, agreement=agreement)


@bp.route("/<id:agreement_id>/document")
@manager_required
def document(agreement_id: int):
    agreement = _manager_agreement(agreement_id)
    doc = services.document_of(agreement, clock.today_in_brussels(clock.now()))
    if doc is None:  # signed outside the app: its text is the signed PDF
        return redirect(url_for("agreements.pdf", agreement_id=agreement.id))
    return render_template("agreements/document.html", agreement=agreement, document=doc)


@bp.route("/<id:agreement_id>/pdf")
@user_required
def pdf(agreement_id: int):
    """Serve the PDF to a manager or to a user of the agreement's client."""
    agreement = or_404(services.get_agreement(current_user, agreement_id))
    if not current_user.is_manager and agreement.state == AgreementState.DRAFT:
        abort(404)
    try:
        data = services.pdf_of(agreement, now=clock.now())
    except ServiceError as error:  # a draft that is not complete, or no timestamp for the seal now
        flash(error.message, "error")
        back = "agreements.show" if current_user.is_manager else "portal.agreement"
        return redirect(url_for(back, agreement_id=agreement.id))
    suffix = (
        ("-ondertekend" if agreement.concluded_by in ("signatures", "outside") else "-gewijzigd")
        if agreement.signed_sha256
        else ""
    )
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{reference(agreement.id)}{suffix}.pdf"'},
    )


def _act(agreement_id: int, action, success: str, form_class=ConfirmForm, **kwargs):
    """Run one state change from a confirmed POST form and go back to the agreement."""
    agreement = _manager_agreement(agreement_id)
    form = form_class()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("agreements.show", agreement_id=agreement.id))
    try:
        action(agreement, now=clock.now(), **{k: v(form) for k, v in kwargs.items()})
    except ServiceError as error:
        show_error(error)
    else:
        flash(success, "success")
    return redirect(url_for("agreements.show", agreement_id=agreement.id))


@bp.route("/<id:agreement_id>/send", methods=["POST"])
@manager_required
def send(agreement_id: int):
    """Send the draft; when the form names someone, invite them as the client's user first (both or neither)."""
    agreement = _manager_agreement(agreement_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("agreements.show", agreement_id=agreement.id))
    now = clock.now()
    try:
        if form.invite_email.data or form.invite_name.data:
            invite(
                agreement.client,
                email=form.invite_email.data or "",
                full_name=form.invite_name.data or "",
                actor=current_user,
                now=now,
            )
        services.send(agreement, actor=current_user, now=now)
    except ServiceError as error:
        show_error(error)
    else:
        flash(
            _(
                "De overeenkomst is ter ondertekening verstuurd; de gebruikers van %(client)s krijgen een e-mail.",
                client=agreement.client.name,
            ),
            "success",
        )
    return redirect(url_for("agreements.show", agreement_id=agreement.id))


@bp.route("/<id:agreement_id>/recall", methods=["POST"])
@manager_required
def recall(agreement_id: int):
    return _act(agreement_id, services.recall, _("De overeenkomst is terug een concept."), actor=lambda f: current_user)


@bp.route("/<id:agreement_id>/countersign", methods=["POST"])
@manager_required
def countersign(agreement_id: int):
    return _act(
        agreement_id,
        services.countersign,
        _("Tegengetekend: de ondertekende PDF is verzegeld en bewaard."),
        form_class=CountersignForm,
        signed_from=lambda f: signed_from(),
        user=lambda f: current_user,
        full_name=lambda f: f.full_name.data,
        role=lambda f: f.role.data,
        role_translations=lambda f: {"fr": f.role_fr.data, "en": f.role_en.data},
    )


@bp.route("/<id:agreement_id>/terminate", methods=["POST"])
@manager_required
def terminate(agreement_id: int):
    return _act(agreement_id, services.terminate, _("De overeenkomst is beëindigd."), actor=lambda f: current_user)
