"""Importing agreements signed outside the app: the pages, on agreements.bp. The rows: agreements/imports.py."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, spreadsheets
from ..rules import format_enterprise_number
from ..web import ZipImportForm, manager_required
from . import bp, imports


def _import_page() -> spreadsheets.ImportPage:
    return spreadsheets.ImportPage(
        title=_("Overeenkomsten importeren"),
        back=_("Overeenkomsten"),
        back_url=url_for("agreements.index"),
        upload_url=url_for("agreements.import_page"),
        intro=_(
            "Voor overeenkomsten die uw klanten al buiten de app ondertekenden. Laad een ZIP-bestand op met één "
            "tabel (CSV of Excel, één overeenkomst per rij) en de ondertekende PDF's. De eerste rij van de tabel "
            "noemt de kolommen:"
        ),
        notes=[
            _(
                "signed_pdf is de naam van de PDF in het ZIP-bestand (bv. pdf/de-klok-2023.pdf); signed_on is de dag "
                "van ondertekening, starts_on en ends_on de looptijd, als 2023-05-12. De klant staat er met zijn "
                "ondernemingsnummer (of client_id). terms_version_id is het nummer van een versie van de "
                "voorwaarden in de app; leeg wanneer de overeenkomst op andere voorwaarden rust."
            ),
            _(
                "services, data_types en data_subjects zijn codes, gescheiden door spaties of komma's. Wat leeg "
                "blijft, krijgt de standaardwaarde van een nieuwe overeenkomst (bezwaartermijn, plafonds, "
                "vernietigen)."
            ),
            _(
                "Vanaf de import telt elke overeenkomst als de overeenkomst in werking van de klant. De lijst van "
                "subverwerkers van de klant wordt de lijst van het register voor zijn diensten, vanaf de dag van de "
                "import: importeer het register eerst, en meld met een wijziging elke subverwerker die de "
                "ondertekende bijlage niet noemde."
            ),
        ],
        columns=imports.REQUIRED + imports.OPTIONAL,
        identify=("enterprise_number", "signed_pdf"),
        show=lambda column, value: format_enterprise_number(value) if column == "enterprise_number" else value,
        template_url=lambda kind: url_for("agreements.import_template", kind=kind),
        confirm_url=lambda file_id: url_for("agreements.import_confirmed", file_id=file_id),
        confirm_label=lambda n: ngettext("%(num)s overeenkomst importeren", "%(num)s overeenkomsten importeren", n),
        upload=imports.upload,
        import_upload=imports.import_upload,
        done=lambda n: ngettext(
            "%(num)s overeenkomst geïmporteerd; ze is van kracht.",
            "%(num)s overeenkomsten geïmporteerd; ze zijn van kracht.",
            n,
        ),
        form=ZipImportForm,
    )


@bp.route("/import", methods=["GET", "POST"])
@manager_required
def import_page():
    """Upload a ZIP file of agreements signed outside the app: every row is checked and shown with its errors;
    nothing is imported until the manager confirms, and then all rows or none."""
    return spreadsheets.upload_view(_import_page(), actor=current_user, now=clock.now())


@bp.route("/import/<id:file_id>", methods=["POST"])
@manager_required
def import_confirmed(file_id: int):
    return spreadsheets.confirm_view(_import_page(), file_id, actor=current_user, now=clock.now())


@bp.route("/import/sjabloon.<any(csv, xlsx):kind>")
@manager_required
def import_template(kind: str):
    data = imports.template_csv() if kind == "csv" else imports.template_xlsx()
    return spreadsheets.template_response(data, kind, "overeenkomsten-sjabloon")
