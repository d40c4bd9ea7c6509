"""The client portal: its agreements (and signing), its sub-processors, its notices with objection
and approval."""

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, pdf, tables
from ..agreements import services
from ..agreements.document import reference
from ..agreements.forms import QualifiedSignatureForm, SignatureForm
from ..catalogue import DATA_CATEGORIES
from ..errors import ServiceError
from ..formatting import format_date, format_datetime_seconds, format_long_date, localize
from ..i18n import current as current_language
from ..labels import TRANSFERS
from ..notices import services as notice_services
from ..notices.forms import ApprovalForm, ObjectionForm
from ..notices.messages import notice_facts
from ..processor.services import required_profile
from ..rules import AgreementState, time_left
from ..subprocessors.services import (
    applying_on,
    applying_since,
    history_of,
    interventions_for,
)
from ..tables import Column
from ..web import DAY_MESSAGE, FIRST_DAY, LAST_DAY, client_required, mark_refused, or_404, show_error, signed_from
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
    notices = notice_services.list_notices(current_user, limit=50)
    return render_template(
        "portal/index.html",
        agreements=agreements,
        client=current_user.client,
        notices=notices,
        now=clock.now(),
        time_left=time_left,
    )


@bp.route("/agreements/<id:agreement_id>", methods=["GET", "POST"])
@client_required
def agreement(agreement_id: int):
    agreement = _client_agreement(agreement_id)
    form = SignatureForm()
    if form.validate_on_submit():
        try:
            services.client_sign(
                agreement,
                user=current_user,
                full_name=form.full_name.data,
                role=form.role.data,
                authorised=form.authorised.data,
                now=clock.now(),
                signed_from=signed_from(),
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Bedankt: u hebt de overeenkomst ondertekend. De verwerker tekent ze nu tegen."), "success")
            return redirect(url_for("portal.agreement", agreement_id=agreement.id))
    elif not form.is_submitted():
        form.full_name.data = current_user.full_name
    return _agreement_page(agreement, form, QualifiedSignatureForm(formdata=None, prefix="pdf"))


@bp.route("/agreements/<id:agreement_id>/signed-pdf", methods=["POST"])
@client_required
def signed_pdf(agreement_id: int):
    """The agreement signed in a PDF tool with a qualified certificate (eID), uploaded (agreements/qualified.py)."""
    agreement = _client_agreement(agreement_id)
    upload_form = QualifiedSignatureForm(prefix="pdf")
    if upload_form.validate_on_submit():
        try:
            services.client_sign_with_pdf(
                agreement,
                user=current_user,
                upload=upload_form.signed_pdf.data.read(),
                role=upload_form.role.data,
                authorised=upload_form.authorised.data,
                now=clock.now(),
                signed_from=signed_from(),
            )
        except ServiceError as error:
            show_error(error, upload_form)
        else:
            flash(_("Bedankt: uw ondertekende PDF is aanvaard. De verwerker tekent ze nu tegen."), "success")
            return redirect(url_for("portal.agreement", agreement_id=agreement.id))
    else:
        mark_refused()
    form = SignatureForm(formdata=None)
    form.full_name.data = current_user.full_name
    return _agreement_page(agreement, form, upload_form), 422


def _agreement_page(agreement, form, upload_form):
    return render_template(
        "portal/agreement.html",
        agreement=agreement,
        form=form,
        upload_form=upload_form,
        qualified=bool(current_app.config.get("SIGNATURE_TRUST_ROOTS")),
        document=services.document_of(agreement, clock.today_in_brussels(clock.now())),
        reference=reference(agreement.id),
    )


# --- Sub-processors and notices --------------------------------------------------------------------


def _as_of() -> date | None:
    raw = request.args.get("op", "")
    if not raw:
        return None
    try:
        day: date | None = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        flash(str(DAY_MESSAGE), "error")
        return None
    return day


@bp.route("/subprocessors")
@client_required
def subprocessors():
    today = clock.today_in_brussels(clock.now())
    as_of = _as_of() or today
    client_id = current_user.client_id
    current = applying_on(client_id, as_of)
    types = services.client_data_types(client_id)
    # each word translated once for the page, not once per row
    categories = {code: str(label) for code, label in DATA_CATEGORIES.items()}
    received = {
        sp.id: [
            name
            for code, name in categories.items()
            if code in (sp.data_categories or []) and (types is None or code in types)
        ]
        for sp in current
    }
    return render_template(
        "portal/subprocessors.html",
        transfers={mechanism: str(words) for mechanism, words in TRANSFERS.items()},
        current=current,
        as_of=as_of,
        today=today,
        received=received,
        since=applying_since(client_id, as_of),
        history=history_of(client_id),
        notices=notice_services.list_notices(current_user, limit=200),
        interventions=interventions_for(client_id),
    )


@bp.route("/subprocessors.<any(csv, pdf):kind>")
@client_required
def subprocessors_file(kind: str):
    """The client's sub-processors today, or on the day ?op= gives, as a CSV or PDF file."""
    as_of = _as_of()
    if request.args.get("op") and as_of is None:  # refused, with a message on the page
        return redirect(url_for("portal.subprocessors"))
    as_of = as_of or clock.today_in_brussels(clock.now())
    client = current_user.client
    current = applying_on(client.id, as_of)
    since = applying_since(client.id, as_of)
    types = services.client_data_types(client.id)

    def received(sp) -> list[str]:
        return [code for code in sp.data_categories or [] if types is None or code in types]

    name = f"subverwerkers-{as_of.isoformat()}"
    if kind == "csv":
        columns = [
            Column("name", lambda sp: sp.name),
            Column("registration_number", lambda sp: sp.registration_number),
            Column("kind", lambda sp: sp.kind),
            Column("purpose", lambda sp: localize(sp, "purpose")),
            Column("countries", lambda sp: " ".join(sp.countries or [])),
            Column("transfer_mechanism", lambda sp: sp.transfer_mechanism),
            Column("data_categories", lambda sp: " ".join(received(sp))),
            Column("since", lambda sp: since.get(sp.id)),
            Column("website", lambda sp: sp.website),
            Column("address", lambda sp: sp.address),
            Column("contact", lambda sp: sp.contact),
        ]
        return tables.download("csv", name, columns, current)
    transfers = {mechanism: str(words) for mechanism, words in TRANSFERS.items()}
    categories = {code: str(label) for code, label in DATA_CATEGORIES.items()}
    processor = required_profile()
    made = format_datetime_seconds(clock.now())
    data = pdf.render_list(
        title=_("Subverwerkers van %(client)s", client=client.name),
        intro=[
            _(
                "De subverwerkers die %(processor)s op %(day)s voor %(client)s inschakelt, volgens het register van "
                "%(processor)s.",
                processor=processor.name,
                day=format_long_date(as_of),
                client=client.name,
            ),
            _("Opgemaakt op %(moment)s.", moment=made),
        ],
        header=[_("Subverwerker"), _("Dienst"), _("Locaties"), _("Doorgifte"), _("Uw gegevens"), _("Sinds")],
        rows=[
            [
                sp.name,
                localize(sp, "purpose"),
                ", ".join(sp.countries or []),
                transfers.get(sp.transfer_mechanism) or transfers[None],
                "; ".join(categories[c] for c in received(sp) if c in categories) or "—",
                format_date(since[sp.id]) if sp.id in since else "—",
            ]
            for sp in current
        ],
        widths=[0.19, 0.21, 0.09, 0.13, 0.24, 0.14],
        language=current_language(),
        footer=f"{processor.name} — {client.name} — {format_date(as_of)}",
        author=processor.name,
        empty=_("Op deze datum gelden voor u geen subverwerkers."),
    )
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    )


@bp.route("/notices/<id:notice_id>")
@client_required
def notice(notice_id: int):
    notice = or_404(notice_services.get_notice(current_user, notice_id))
    now = clock.now()
    notice_services.mark_opened(notice, user=current_user, now=now)
    return _notice_page(notice, now, ObjectionForm(), ApprovalForm())


def _notice_page(notice, now, objection, approval, status=200):
    facts = notice_facts(notice, now)
    return render_template(
        "portal/notice.html",
        notice=notice,
        facts=facts,
        now=now,
        objection=objection,
        approval=approval,
        time_left=time_left(now, notice.closes_at) if notice.closes_at else None,
        labels=dict(DATA_CATEGORIES),
    ), status


@bp.route("/notices/<id:notice_id>/objection", methods=["POST"])
@client_required
def object_to(notice_id: int):
    notice = or_404(notice_services.get_notice(current_user, notice_id))
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            notice_services.object_to(notice, user=current_user, reason=form.reason.data, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(
                _("Uw bezwaar is ontvangen. U krijgt een bevestiging per e-mail; uw accountmanager neemt contact op."),
                "success",
            )
            return redirect(url_for("portal.notice", notice_id=notice.id))
    return _notice_page(notice, clock.now(), form, ApprovalForm(formdata=None), status=422)


@bp.route("/notices/<id:notice_id>/approval", methods=["POST"])
@client_required
def approve(notice_id: int):
    notice = or_404(notice_services.get_notice(current_user, notice_id))
    form = ApprovalForm()
    if form.validate_on_submit():
        try:
            notice_services.approve(notice, user=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Bedankt: u hebt de wijziging goedgekeurd."), "success")
            return redirect(url_for("portal.notice", notice_id=notice.id))
    return _notice_page(notice, clock.now(), ObjectionForm(formdata=None), form, status=422)
