"""Importing the agreements a processor's clients signed before it used the app: a ZIP file with one table (CSV or
Excel, one agreement per row) and the signed PDFs the rows name. Every row is checked first, each with its errors;
then all are imported or none.

From its import the app counts an imported agreement as the client's agreement in force: signed (on `signed_on`,
outside the app), its PDF stored as it came with its SHA-256, its particulars as the row gives them. It rests on a
terms version of the app (`terms_version_id`) or, when that column is empty, on terms the app does not hold. Its
client's list of sub-processors becomes the register's entries in use for its services, from the day of the import,
so that every change of the register reaches the client from then on. A terms amendment announced in the app does
not reach it (its record would name signatures the app does not hold): the client signs a new agreement in the app
instead, which replaces the imported one at its countersignature.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import zipfile
import zlib
from datetime import date, datetime
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from .. import audit, spreadsheets
from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES
from ..clients.models import Client
from ..clock import today_in_brussels
from ..errors import Invalid
from ..extensions import db
from ..processor.services import get_profile
from ..rules import (
    END_CHOICES,
    SPECIAL_CATEGORY,
    AgreementState,
    cap_error,
    enterprise_number_error,
    format_enterprise_number,
    normalize_enterprise_number,
    window_error,
)
from ..spreadsheets import Columns, ImportFile, Row
from ..subprocessors.services import services_by_code_or_id, sync_assignments
from ..terms.models import TermsVersion
from .document import reference
from .models import Agreement

REQUIRED = ("signed_on", "signed_pdf", "starts_on", "services")
#: The client by enterprise_number or by client_id (one of both); the other particulars take the new-agreement
#: form's defaults when empty.
OPTIONAL = (
    "enterprise_number",
    "client_id",
    "terms_version_id",
    "ends_on",
    "subject_matter",
    "nature_purpose",
    "data_types",
    "data_types_detail",
    "data_subjects",
    "data_subjects_detail",
    "end_choice",
    "window_days",
    "window_unit",
    "cap_total_cents",
    "cap_other_cents",
    "toms",
    "retention",
)
TEXTS = ("subject_matter", "nature_purpose", "data_types_detail", "data_subjects_detail", "toms", "retention")
COLUMNS = Columns(
    REQUIRED,
    OPTIONAL,
    numbers={"enterprise_number": lambda n: f"{n:010d}" if 0 <= n < 10**10 else str(n)},
    max_rows=10_000,
)
EXAMPLE = [
    "2023-05-12", "pdf/de-klok-2023.pdf", "2023-06-01", "klantendienst", "0427.073.974", "", "", "",
    "Klantendienst per telefoon en e-mail", "Klantvragen beantwoorden namens de klant", "identification contact",
    "", "customers", "", "delete", "7", "calendar", "250000", "100000", "", "",
]  # fmt: skip
#: The longest free text a row may give.
TEXT_MAX = 8000


# --- Reading the ZIP file -------------------------------------------------------------------------------------------


def read_zip(filename: str, data: bytes) -> tuple[str, list[dict], dict[str, bytes]]:
    """The table's name, its rows, and the PDFs of a ZIP file ({path in the ZIP: bytes}); refuse a file that is no
    ZIP, holds no table or more than one, or unpacks to more than IMPORT_ZIP_MAX_BYTES."""
    if not (filename or "").lower().endswith(".zip"):
        raise Invalid(_("Kies een ZIP-bestand (.zip) met de tabel en de ondertekende PDF's."), "file")
    limit = current_app.config["IMPORT_ZIP_MAX_BYTES"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
        if sum(m.file_size for m in members) > limit:
            raise Invalid(_("Uitgepakt is het ZIP-bestand groter dan %(mb)s MB.", mb=limit // 2**20), "file")
        tables = [m for m in members if m.filename.lower().endswith((".csv", ".xlsx"))]
        if len(tables) != 1:
            raise Invalid(_("Het ZIP-bestand moet precies één tabel bevatten (.csv of .xlsx)."), "file")
        pdfs = {m.filename: archive.read(m) for m in members if m.filename.lower().endswith(".pdf")}
        table = archive.read(tables[0])
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        OSError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ):
        raise Invalid(_("Het ZIP-bestand kon niet gelezen worden."), "file") from None
    return tables[0].filename, spreadsheets.read_table(tables[0].filename, table, COLUMNS), pdfs


def _hidden(path: str) -> bool:
    """A file a packing program adds (__MACOSX/, .DS_Store), not one of the processor's."""
    parts = PurePosixPath(path).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


# --- Checking the rows ----------------------------------------------------------------------------------------------


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid(_("Een datum als JJJJ-MM-DD, bv. 2023-05-12."), field) from None


def _whole(text: str, field: str, default: int) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise Invalid(_("Een geheel getal, zonder punt of komma."), field) from None


def _codes(text: str, known, field: str) -> list[str]:
    codes = [code for code in re.split(r"[\s,;]+", text or "") if code]
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise Invalid(_("Onbekende code: %(codes)s", codes=", ".join(unknown)), field)
    return list(dict.fromkeys(codes))


def _pdf(name: str, pdfs: dict[str, bytes]) -> tuple[str, bytes]:
    """The PDF a row names: its path in the ZIP, or its file name when only one PDF in the ZIP has that name."""
    if name in pdfs:
        found = name
    else:
        same = [path for path in pdfs if PurePosixPath(path).name == PurePosixPath(name).name]
        if len(same) != 1:
            raise Invalid(
                _("Deze PDF staat niet in het ZIP-bestand.") if not same else _("Meer dan één PDF heeft deze naam."),
                "signed_pdf",
            )
        found = same[0]
    data = pdfs[found]
    if not data.startswith(b"%PDF-"):
        raise Invalid(_("Dit bestand is geen PDF."), "signed_pdf")
    return found, data


def _check_row(row: Row, *, today: date, pdfs: dict[str, bytes], defaults: dict, lookups: dict) -> None:
    """Check one row's particulars and PDF; put the first error in row.errors, the clean values in row.values."""
    values = row.values
    try:
        client = _client(values, lookups)
        terms_id = values.get("terms_version_id", "")
        if terms_id:
            version = lookups["versions"].get(terms_id)
            if version is None:
                raise Invalid(_("Geen gepubliceerde versie van de voorwaarden met dit nummer."), "terms_version_id")
        signed_on = _day(values.get("signed_on", ""), "signed_on")
        if signed_on is None:
            raise Invalid(_("Vul de dag van ondertekening in."), "signed_on")
        if signed_on > today:
            raise Invalid(_("Deze dag ligt in de toekomst."), "signed_on")
        starts_on = _day(values.get("starts_on", ""), "starts_on")
        if starts_on is None:
            raise Invalid(_("Vul de begindatum in."), "starts_on")
        ends_on = _day(values.get("ends_on", ""), "ends_on")
        if ends_on is not None and ends_on < starts_on:
            raise Invalid(_("De einddatum ligt vóór de begindatum."), "ends_on")
        if ends_on is not None and ends_on < today:
            raise Invalid(
                _("Deze overeenkomst is al afgelopen; importeer alleen overeenkomsten in werking."), "ends_on"
            )
        codes = tuple(code for code in re.split(r"[\s,;]+", values.get("services", "")) if code)
        if not codes:
            raise Invalid(_("Geef minstens één dienst: wijzigingen van het register volgen de diensten."), "services")
        if codes not in lookups["services"]:  # looked up once for each list of services the file names
            lookups["services"][codes] = services_by_code_or_id(list(codes))
        services = lookups["services"][codes]
        data_types = _codes(values.get("data_types", ""), DATA_CATEGORIES, "data_types")
        data_subjects = _codes(values.get("data_subjects", ""), SUBJECT_CATEGORIES, "data_subjects")
        end_choice = values.get("end_choice", "") or defaults["end_choice"]
        if end_choice not in END_CHOICES:
            raise Invalid(_("end_choice is return of delete."), "end_choice")
        window_days = _whole(values.get("window_days", ""), "window_days", defaults["window_days"])
        window_unit = values.get("window_unit", "") or defaults["window_unit"]
        error = window_error(window_days, window_unit)
        if error:
            raise Invalid(_(error), "window_days")
        caps = {}
        for key in ("cap_total_cents", "cap_other_cents"):
            caps[key] = _whole(values.get(key, ""), key, defaults[key])
            error = cap_error(caps[key])
            if error:
                raise Invalid(_(error), key)
        texts = {key: values.get(key, "").strip() for key in TEXTS}
        for key, text in texts.items():
            if len(text) > TEXT_MAX:
                raise Invalid(_("Hoogstens %(num)s tekens.", num=TEXT_MAX), key)
        path, pdf = _pdf(values.get("signed_pdf", ""), pdfs)
    except Invalid as error:
        row.errors[error.field or "signed_pdf"] = error.message
        return
    row.values = {
        "client": client,
        "enterprise_number": format_enterprise_number(client.enterprise_number),
        "client_name": client.name,
        "terms_version_id": int(terms_id) if terms_id else None,
        "signed_on": signed_on,
        "signed_pdf": path,
        "pdf": pdf,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "services": services,
        "data_types": data_types,
        "special_categories": SPECIAL_CATEGORY in data_types,
        "data_subjects": data_subjects,
        "end_choice": end_choice,
        "window_days": window_days,
        "window_unit": window_unit,
        **caps,
        **texts,
    }


def _client(values: dict, lookups: dict) -> Client:
    """The row's client, by enterprise_number or client_id."""
    number, client_id = values.get("enterprise_number", ""), values.get("client_id", "")
    if number:
        error = enterprise_number_error(number)
        if error:
            raise Invalid(_(error), "enterprise_number")
        client = lookups["by_number"].get(normalize_enterprise_number(number))
        field = "enterprise_number"
    elif client_id:
        client = lookups["by_id"].get(client_id)
        field = "client_id"
    else:
        raise Invalid(_("Geef het ondernemingsnummer van de klant (of client_id)."), "enterprise_number")
    if client is None:
        raise Invalid(_("Geen klant met dit nummer; importeer eerst de klanten."), field)
    return client


def _an_id(text: str) -> bool:
    """Whether `text` can be a row's id: ASCII digits, within the database's integers."""
    return text.isascii() and text.isdigit() and int(text) < 2**31


def _lookups(rows: list[dict]) -> dict:
    """The clients, terms versions and agreements in force the rows name, read in chunks, not row by row."""
    numbers = sorted({normalize_enterprise_number(r.get("enterprise_number", "")) for r in rows} - {""})
    ids = sorted({int(r["client_id"]) for r in rows if _an_id(r.get("client_id", ""))})
    clients: list[Client] = []
    for start in range(0, max(len(numbers), len(ids)), 1000):
        chunk_numbers, chunk_ids = numbers[start : start + 1000], ids[start : start + 1000]
        clients += db.session.scalars(
            select(Client).where(Client.enterprise_number.in_(chunk_numbers) | Client.id.in_(chunk_ids))
        ).all()
    client_ids = sorted({c.id for c in clients})
    in_force: dict[int, int] = {}
    for start in range(0, len(client_ids), 1000):
        in_force.update(
            db.session.execute(
                select(Agreement.client_id, Agreement.id).where(
                    Agreement.client_id.in_(client_ids[start : start + 1000]),
                    Agreement.state == AgreementState.SIGNED.value,
                )
            ).all()
        )
    versions = db.session.scalars(select(TermsVersion)).all()
    return {
        "by_number": {c.enterprise_number: c for c in clients},
        "by_id": {str(c.id): c for c in clients},
        "in_force": in_force,
        "versions": {str(v.id): v for v in versions if v.is_published},
        "services": {},
    }


def check(rows: list[dict], pdfs: dict[str, bytes], today: date) -> list[Row]:
    """Check every row, and its client against the other rows and the agreements in force; change nothing."""
    checked = spreadsheets.numbered(rows)
    lookups = _lookups(rows)
    profile = get_profile()
    defaults = {
        "end_choice": "delete",
        "window_days": profile.default_window_days if profile else 7,
        "window_unit": profile.default_window_unit if profile else "calendar",
        "cap_total_cents": profile.cap_total_cents if profile else 250_000,
        "cap_other_cents": profile.cap_other_cents if profile else 100_000,
    }
    first_line: dict[int, int] = {}
    for row in checked:
        _check_row(row, today=today, pdfs=pdfs, defaults=defaults, lookups=lookups)
        if row.errors:
            continue
        client = row.values["client"]
        field = "enterprise_number"
        if client.id in lookups["in_force"]:
            row.errors[field] = _(
                "%(client)s heeft al een overeenkomst in werking (%(reference)s).",
                client=client.name,
                reference=reference(lookups["in_force"][client.id]),
            )
        elif client.id in first_line:
            row.errors[field] = _("Dezelfde klant als rij %(line)s.", line=first_line[client.id])
        else:
            first_line[client.id] = row.line
    return checked


# --- Importing ------------------------------------------------------------------------------------------------------


def import_agreements(rows: list[dict], pdfs: dict[str, bytes], *, actor, now: datetime, source: str) -> list[Row]:
    """Check the rows and, when none is wrong, create an agreement in force for each (one audit event each, naming
    the file and the PDF's SHA-256) and make each client's list of sub-processors the register's for its services;
    else create none. Return the checked rows."""
    today = today_in_brussels(now)
    checked = check(rows, pdfs, today)
    if any(row.errors for row in checked):
        return checked
    for row in checked:
        values = row.values
        digest = hashlib.sha256(values["pdf"]).hexdigest()
        particulars = {k: values[k] for k in ("terms_version_id", "starts_on", "ends_on", "data_types",
                                              "special_categories", "data_subjects", "end_choice", "window_days",
                                              "window_unit", "cap_total_cents", "cap_other_cents", *TEXTS)}  # fmt: skip
        agreement = Agreement(
            client_id=values["client"].id,
            state=AgreementState.SIGNED.value,
            concluded_by="outside",
            signed_on=values["signed_on"],
            signed_pdf=values["pdf"],
            signed_sha256=digest,
            created_at=now,
            updated_at=now,
            **particulars,
        )
        agreement.services = values["services"]
        db.session.add(agreement)
        db.session.flush()
        sync_assignments(agreement, today)
        audit.record(
            at=now,
            actor=actor,
            object_type="agreement",
            object_id=agreement.id,
            client_id=agreement.client_id,
            action="imported",
            after={k: v.isoformat() if isinstance(v, date) else v for k, v in particulars.items()}
            | {
                "state": "signed",
                "concluded_by": "outside",
                "signed_on": values["signed_on"].isoformat(),
                "signed_pdf": values["signed_pdf"],
                "signed_sha256": digest,
                "services": sorted(s.code for s in values["services"]),
                "imported_from": source,
            },
        )
    return checked


def upload(filename: str, data: bytes, *, actor, now: datetime) -> tuple[ImportFile, list[Row]]:
    """Keep an uploaded ZIP file and check its rows (nothing is imported yet); refuse a file that cannot be read."""
    _table, rows, pdfs = read_zip(filename, data)
    checked = check(rows, pdfs, today_in_brussels(now))
    return spreadsheets.keep("agreements", filename, data, actor=actor, now=now), checked


def import_upload(file_id: int, *, actor, now: datetime) -> int:
    """Import the agreements of a ZIP file uploaded and checked before, once; return how many."""

    def run(kept: ImportFile) -> list[Row]:
        _table, rows, pdfs = read_zip(kept.filename, kept.data)
        return import_agreements(rows, pdfs, actor=actor, now=now, source=kept.filename)

    return spreadsheets.import_once(
        file_id,
        "agreements",
        now,
        run,
        lambda wrong: ngettext(
            "Niets geïmporteerd: %(num)s rij is intussen fout (bv. een klant met intussen een overeenkomst). "
            "Laad het bestand opnieuw op.",
            "Niets geïmporteerd: %(num)s rijen zijn intussen fout (bv. een klant met intussen een "
            "overeenkomst). Laad het bestand opnieuw op.",
            wrong,
        ),
    )


def template_csv() -> bytes:
    return spreadsheets.template_csv(REQUIRED + OPTIONAL, EXAMPLE)


def template_xlsx() -> bytes:
    return spreadsheets.template_xlsx(REQUIRED + OPTIONAL, EXAMPLE, "agreements")
