"""Importing the register of sub-processors from a file: the pages, on subprocessors.bp (they sit above the
agreements, whose signed lists an import leaves as they are, and say so). The rows: subprocessors/imports.py."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, spreadsheets
from ..agreements.services import sent_or_signed_count
from ..subprocessors import bp, imports
from ..web import manager_required


def _import_page() -> spreadsheets.ImportPage:
    signed = sent_or_signed_count()
    return spreadsheets.ImportPage(
        title=_("Register importeren"),
        back=_("Register van subverwerkers"),
        back_url=url_for("subprocessors.index"),
        upload_url=url_for("subprocessors.import_page"),
        intro=_("Laad een CSV- of Excel-bestand op met één subverwerker per rij. De eerste rij noemt de kolommen:"),
        notes=[
            _(
                "Lijsten (countries, data_categories, services) zijn codes, gescheiden door spaties of komma's. "
                "status is active (in gebruik; standaard), proposed of retired; activated_on en retired_on zijn "
                "datums als 2024-03-01. purpose_fr, purpose_en, transfer_text_fr en transfer_text_en zijn de "
                "vertalingen."
            ),
            _(
                "Een subverwerker in gebruik geldt voor de overeenkomsten die vanaf de import verstuurd worden. "
                "Importeer het register daarom vóór de overeenkomsten."
            ),
        ],
        warnings=[
            ngettext(
                "Er is al %(num)s verstuurde of ondertekende overeenkomst: haar lijst van subverwerkers verandert "
                "niet door deze import. Meld een subverwerker die voor die klant nieuw is met een wijziging.",
                "Er zijn al %(num)s verstuurde of ondertekende overeenkomsten: hun lijsten van subverwerkers "
                "veranderen niet door deze import. Meld een subverwerker die voor die klanten nieuw is met een "
                "wijziging.",
                signed,
            )
        ]
        if signed
        else [],
        columns=imports.REQUIRED + imports.OPTIONAL,
        identify=("name", "countries"),
        template_url=lambda kind: url_for("subprocessors.import_template", kind=kind),
        confirm_url=lambda file_id: url_for("subprocessors.import_confirmed", file_id=file_id),
        confirm_label=lambda n: ngettext("%(num)s subverwerker importeren", "%(num)s subverwerkers importeren", n),
        upload=imports.upload,
        import_upload=imports.import_upload,
        done=lambda n: ngettext(
            "%(num)s subverwerker in het register geïmporteerd.",
            "%(num)s subverwerkers in het register geïmporteerd.",
            n,
        ),
    )


@bp.route("/subprocessors/import", methods=["GET", "POST"])
@manager_required
def import_page():
    """Upload the register as a CSV or Excel file: every row is checked and shown with its errors; nothing is
    imported until the manager confirms, and then all rows or none."""
    return spreadsheets.upload_view(_import_page(), actor=current_user, now=clock.now())


@bp.route("/subprocessors/import/<id:file_id>", methods=["POST"])
@manager_required
def import_confirmed(file_id: int):
    return spreadsheets.confirm_view(_import_page(), file_id, actor=current_user, now=clock.now())


@bp.route("/subprocessors/import/sjabloon.<any(csv, xlsx):kind>")
@manager_required
def import_template(kind: str):
    data = imports.template_csv() if kind == "csv" else imports.template_xlsx()
    return spreadsheets.template_response(data, kind, "register-sjabloon")
