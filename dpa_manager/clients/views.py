"""The managers' client pages: list, create, show and edit a client (inviting its users: accounts/invites.py)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, spreadsheets, tables
from ..errors import ServiceError
from ..extensions import db
from ..i18n import force_locale
from ..mail.compose import salutation_text
from ..rules import format_enterprise_number
from ..tables import Column
from ..web import ConfirmForm, manager_required, or_404, page_arg, show_error
from . import bp, imports
from .forms import ClientForm, InviteForm
from .models import Client
from .services import CLIENT_FIELDS, create_client, matching, search_clients, update_client


@bp.route("/")
@manager_required
def index():
    query = request.args.get("q", "")[:200]
    kind = tables.export_kind()
    if kind:
        return tables.export(kind, "klanten", export_columns(), matching(query).order_by(Client.name, Client.id))
    clients, total = search_clients(query, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template("clients/index.html", clients=clients, total=total, query=query)


def export_columns() -> list[Column]:
    """The clients' columns of an export: the import's (an export imports elsewhere as it is), id and created_at."""
    return [
        Column("id", lambda c: c.id),
        Column("name", lambda c: c.name),
        Column("enterprise_number", lambda c: c.enterprise_number_display),
        Column("address", lambda c: c.address),
        Column("language", lambda c: c.language),
        Column("contact_email", lambda c: c.contact_email),
        Column("contact_name", lambda c: c.contact_name),
        Column("contact_role", lambda c: c.contact_role),
        Column("salutation", lambda c: c.salutation),
        Column("salutation_name", lambda c: c.salutation_name),
        Column("created_at", lambda c: c.created_at, moment=True),
    ]


def _import_page() -> spreadsheets.ImportPage:
    return spreadsheets.ImportPage(
        title=_("Klanten importeren"),
        back=_("Klanten"),
        back_url=url_for("clients.index"),
        upload_url=url_for("clients.import_page"),
        intro=_("Laad een CSV- of Excel-bestand op met één klant per rij. De eerste rij noemt de kolommen:"),
        notes=[
            _(
                "De taal is nl, fr of en. De laatste vier mogen leeg blijven: de contactpersoon, zijn functie en hoe "
                "e-mails hem aanspreken (salutation: full_name, de standaard, met de volledige naam; ms of mr met "
                "de achternaam in salutation_name; first_name met de voornaam in salutation_name)."
            )
        ],
        columns=imports.REQUIRED + imports.OPTIONAL,
        identify=("name", "enterprise_number"),
        show=lambda column, value: format_enterprise_number(value) if column == "enterprise_number" else value,
        template_url=lambda kind: url_for("clients.import_template", kind=kind),
        confirm_url=lambda file_id: url_for("clients.import_confirmed", file_id=file_id),
        confirm_label=lambda n: ngettext("%(num)s klant importeren", "%(num)s klanten importeren", n),
        upload=imports.upload,
        import_upload=imports.import_upload,
        done=lambda n: ngettext("%(num)s klant geïmporteerd.", "%(num)s klanten geïmporteerd.", n),
    )


@bp.route("/import", methods=["GET", "POST"])
@manager_required
def import_page():
    """Upload a CSV or Excel file of clients: every row is checked and shown with its errors; nothing is imported
    until the manager confirms, and then all rows or none."""
    return spreadsheets.upload_view(_import_page(), actor=current_user, now=clock.now())


@bp.route("/import/<id:file_id>", methods=["POST"])
@manager_required
def import_confirmed(file_id: int):
    return spreadsheets.confirm_view(_import_page(), file_id, actor=current_user, now=clock.now())


@bp.route("/import/sjabloon.<any(csv, xlsx):kind>")
@manager_required
def import_template(kind: str):
    data = imports.template_csv() if kind == "csv" else imports.template_xlsx()
    return spreadsheets.template_response(data, kind, "klanten-sjabloon")


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = create_client({k: form[k].data for k in CLIENT_FIELDS}, actor=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Klant %(name)s aangemaakt.", name=client.name), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/form.html", form=form, client=None)


@bp.route("/<id:client_id>")
@manager_required
def show(client_id: int):
    client = or_404(db.session.get(Client, client_id))
    with force_locale(client.language):  # as the e-mails to the client begin
        greeting = salutation_text(client.salutation, client.salutation_name, client.contact_name)
    return render_template(
        "clients/show.html", client=client, invite_form=InviteForm(), confirm=ConfirmForm(), greeting=greeting
    )


@bp.route("/<id:client_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(client_id: int):
    client = or_404(db.session.get(Client, client_id))
    form = ClientForm(obj=client)
    if request.method == "GET":
        form.enterprise_number.data = client.enterprise_number_display
    if form.validate_on_submit():
        try:
            update_client(client, {k: form[k].data for k in CLIENT_FIELDS}, actor=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Klantgegevens bewaard."), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/form.html", form=form, client=client)
