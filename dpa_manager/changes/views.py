"""The managers' pages of changes to the register: list, draft, one change with its notices, announce,
cancel; routes of subprocessors.bp."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, clock, tables
from ..clients.models import Client
from ..errors import ServiceError
from ..extensions import db
from ..labels import SUBPROCESSOR_STATUSES as STATUS_LABELS
from ..notices.services import counts_by_state, notice_page
from ..rules import ChangeState, NoticeState, SubProcessorStatus
from ..subprocessors import bp
from ..subprocessors import services as register
from ..subprocessors.models import Change
from ..tables import Column
from ..web import ConfirmForm, choices, manager_required, or_404, page_arg, show_error
from . import services
from .forms import ChangeForm

#: The changes' columns of an export: the fields of the API, and the entries' names.
EXPORT_COLUMNS = [
    Column("id", lambda c: c.id),
    Column("kind", lambda c: c.kind),
    Column("subprocessor_id", lambda c: c.subprocessor_id),
    Column("subprocessor", lambda c: c.subprocessor.name),
    Column("replaces_id", lambda c: c.replaces_id),
    Column("replaces", lambda c: c.replaces.name if c.replaces else None),
    Column("effective_on", lambda c: c.effective_on),
    Column("state", lambda c: c.state),
    Column("announced_at", lambda c: c.announced_at, moment=True),
    Column("reason", lambda c: c.reason),
]


@bp.route("/changes/")
@manager_required
def changes():
    kind = tables.export_kind()
    if kind:
        return tables.export(kind, "wijzigingen", EXPORT_COLUMNS, services.changes_select())
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
    entries = register.list_register()
    form.subprocessor_id.choices = choices(
        (sp.id, f"{sp.name} ({str(STATUS_LABELS[sp.status]).lower()})")
        for sp in entries
        if sp.status != SubProcessorStatus.RETIRED
    )
    form.replaces_id.choices = choices(
        [(0, "—")] + [(sp.id, sp.name) for sp in entries if sp.status == SubProcessorStatus.ACTIVE]
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
    draft = change.state == ChangeState.DRAFT
    affected = services.affected_count(change) if draft else None
    query = request.args.get("q", "")[:200]
    reached = services.reached_page(change, page_arg(), query, current_app.config["PAGE_SIZE"]) if draft else None
    return render_template(
        "changes/show.html",
        change=change,
        counts=counts,
        notices=notices,
        state=state,
        affected=affected,
        reached=reached,
        query=query,
        states=list(NoticeState),
        confirm=ConfirmForm(),
        kinds=services.CHANGE_KINDS,
        history=audit.history("change", change.id),
    )


@bp.route("/changes/<id:change_id>/preview/<any(nl, fr, en):language>")
@manager_required
def preview(change_id: int, language: str):
    """The notice e-mail of a draft change in one language, as a reached client would get it if announced now."""
    change = or_404(db.session.get(Change, change_id))
    if change.state != ChangeState.DRAFT:
        flash(
            _(
                "Alleen een wijziging in voorbereiding heeft een voorbeeld; "
                "de verstuurde e-mails staan bij haar meldingen."
            ),
            "info",
        )
        return redirect(url_for("subprocessors.change", change_id=change.id))
    found = services.preview_notice(change, language, now=clock.now())
    client = db.session.get(Client, found[0]) if found else None
    return render_template(
        "changes/preview.html", change=change, language=language, client=client, mail=found[1] if found else None
    )


def _change_action(change_id: int, action, success):
    change = or_404(db.session.get(Change, change_id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("subprocessors.change", change_id=change.id))
    try:
        result = action(change, actor=current_user, now=clock.now())
    except ServiceError as error:
        show_error(error)
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
