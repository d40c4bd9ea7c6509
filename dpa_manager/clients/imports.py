"""Importing a processor's existing clients from a CSV or Excel file: every row checked first, each with its errors,
then all rows or none.

The columns are the fields' names in the API (name, enterprise_number, address, language, contact_email, and
optionally contact_name and contact_role), in any order, in the first row. A CSV file is UTF-8 (with or without a
byte order mark), separated by commas or semicolons; an Excel file is .xlsx, read from its first sheet. A file
exported from the client list imports as it is: its id and created_at columns are passed over.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select, update

from .. import audit
from ..errors import Invalid
from ..extensions import db, rowcount
from .models import Client, ImportFile
from .services import CLIENT_FIELDS, client_errors

#: The columns an import needs, and the ones it may have besides.
REQUIRED = ("name", "enterprise_number", "address", "language", "contact_email")
OPTIONAL = ("contact_name", "contact_role")
#: Columns of an export that an import passes over.
PASSED_OVER = ("id", "created_at", "created_at (europe/brussels)")
#: The most rows one file may hold.
MAX_ROWS = 100_000
#: Rows inserted per statement.
BATCH = 2000


@dataclass
class Row:
    """A row of the file: its line number (the header is line 1), its values, and {field: why} when wrong."""

    line: int
    values: dict
    errors: dict[str, str] = field(default_factory=dict)


def read_table(filename: str, data: bytes) -> list[dict]:
    """The rows of a CSV or .xlsx file as {column: text}; refuse a file that cannot be read, or whose columns are
    missing or unknown."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        header, body = _xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        header, body = _csv(data)
    else:
        raise Invalid(_("Kies een CSV-bestand (.csv) of een Excel-bestand (.xlsx)."), "file")
    columns = [" ".join(str(c or "").split()).lower() for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c and c not in REQUIRED + OPTIONAL + PASSED_OVER]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("Deze kolommen ontbreken: %(names)s.", names=", ".join(missing)))
        if unknown:
            parts.append(_("Deze kolommen kennen we niet: %(names)s.", names=", ".join(unknown)))
        raise Invalid(" ".join(parts) + " " + _("Gebruik het sjabloon."), "file")
    if len(set(c for c in columns if c)) != len([c for c in columns if c]):
        raise Invalid(_("Een kolom staat er twee keer in."), "file")
    rows = []
    for cells in body:
        values = {
            column: _text(column, cell)
            for column, cell in zip(columns, cells, strict=False)
            if column not in PASSED_OVER
        }
        if any(values.values()):
            rows.append(values)
        if len(rows) > MAX_ROWS:
            raise Invalid(_("Hoogstens %(num)s rijen per bestand.", num=MAX_ROWS), "file")
    if not rows:
        raise Invalid(_("Het bestand bevat geen rijen onder de kolomnamen."), "file")
    return rows


def _text(column: str, cell) -> str:
    """A cell as text. A spreadsheet keeps an enterprise number typed without dots as a number, and drops its
    leading 0 (0427073974 becomes 427073974): such a number gets its 10 digits back."""
    if cell is None:
        return ""
    if column == "enterprise_number" and isinstance(cell, int | float) and not isinstance(cell, bool):
        if float(cell).is_integer() and 0 <= cell < 10**10:
            return f"{int(cell):010d}"
    return str(cell).strip()


def _csv(data: bytes) -> tuple[list, list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("Het CSV-bestand is geen UTF-8-tekst; bewaar het als 'CSV UTF-8'."), "file") from None
    if "\x00" in text:
        raise Invalid(_("Het bestand is geen CSV-tekst."), "file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise Invalid(_("Het CSV-bestand kon niet gelezen worden."), "file") from None
    if not lines:
        raise Invalid(_("Het bestand is leeg."), "file")
    return lines[0], [line for line in lines[1:]]


def _xlsx(data: bytes) -> tuple[list, list]:
    from openpyxl import load_workbook  # only an import reads Excel files
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        raise Invalid(_("Het Excel-bestand kon niet gelezen worden (.xlsx)."), "file") from None
    try:
        lines = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not lines:
        raise Invalid(_("Het bestand is leeg."), "file")
    return lines[0], lines[1:]


def check(rows: list[dict]) -> list[Row]:
    """Check every row: its fields, its enterprise number against the other rows and against the clients there
    are. Reads the database once per thousand numbers; changes nothing."""
    checked = []
    for line, values in enumerate(rows, start=2):
        cleaned, errors = client_errors(values)
        checked.append(Row(line, cleaned, dict(errors)))
    first_line: dict[str, int] = {}
    for row in checked:
        number = row.values["enterprise_number"]
        if "enterprise_number" in row.errors:
            continue
        if number in first_line:
            row.errors["enterprise_number"] = _(
                "Hetzelfde ondernemingsnummer als rij %(line)s.", line=first_line[number]
            )
        else:
            first_line[number] = row.line
    numbers = list(first_line)
    known: dict[str, str] = {}
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start : start + 1000]
        found = db.session.execute(
            select(Client.enterprise_number, Client.name).where(Client.enterprise_number.in_(chunk))
        ).all()
        known.update((number, name) for number, name in found)
    for row in checked:
        name = known.get(row.values["enterprise_number"])
        if name is not None and "enterprise_number" not in row.errors:
            row.errors["enterprise_number"] = _("Dit ondernemingsnummer hoort al bij %(name)s.", name=name)
    return checked


def import_clients(rows: list[dict], *, actor, now: datetime, source: str) -> list[Row]:
    """Check the rows and, when none is wrong, create a client for each (in bulk, one audit event per client,
    naming the file); else create none. Return the checked rows."""
    checked = check(rows)
    if any(row.errors for row in checked):
        return checked
    for start in range(0, len(checked), BATCH):
        batch = checked[start : start + BATCH]
        values = [
            {k: row.values[k] for k in CLIENT_FIELDS} | {"created_at": now, "feed_token": secrets.token_urlsafe(24)}
            for row in batch
        ]
        ids = list(db.session.scalars(insert(Client).returning(Client.id, sort_by_parameter_order=True), values))
        audit.record_many(
            [
                {
                    "at": now,
                    "actor": actor,
                    "object_type": "client",
                    "object_id": client_id,
                    "action": "created",
                    "after": {k: row.values[k] for k in CLIENT_FIELDS} | {"imported_from": source},
                }
                for row, client_id in zip(batch, ids, strict=True)
            ]
        )
    return checked


def upload(filename: str, data: bytes, *, actor, now: datetime) -> tuple[ImportFile, list[Row]]:
    """Keep an uploaded file and check its rows (nothing is imported yet); refuse a file that cannot be read."""
    rows = check(read_table(filename, data))
    kept = ImportFile(
        kind="clients",
        filename=(filename or "")[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        data=data,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now,
    )
    db.session.add(kept)
    db.session.flush()
    return kept, rows


def import_upload(file_id: int, *, actor, now: datetime) -> int:
    """Import the clients of a file uploaded and checked before, once; return how many. Raise Invalid when it was
    imported already or when a row is wrong now (nothing is imported then)."""
    taken = db.session.execute(
        update(ImportFile)
        .where(ImportFile.id == file_id, ImportFile.kind == "clients", ImportFile.imported_at.is_(None))
        .values(imported_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        raise Invalid(_("Dit bestand werd al geïmporteerd."))
    kept = db.session.get_one(ImportFile, file_id)
    checked = import_clients(read_table(kept.filename, kept.data), actor=actor, now=now, source=kept.filename)
    wrong = sum(1 for row in checked if row.errors)
    if wrong:
        raise Invalid(
            ngettext(
                "Niets geïmporteerd: %(num)s rij is intussen fout (bv. een klant die al bestaat). Laad het bestand "
                "opnieuw op.",
                "Niets geïmporteerd: %(num)s rijen zijn intussen fout (bv. een klant die al bestaat). Laad het "
                "bestand opnieuw op.",
                wrong,
            )
        )
    kept.rows = len(checked)
    return len(checked)


def template_csv() -> bytes:
    """A CSV file to fill in: the columns, and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REQUIRED + OPTIONAL)
    writer.writerow(
        ["Brouwerij De Klok BV", "0427.073.974", "Markt 1, 9000 Gent", "nl", "privacy@deklok.example", "", ""]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """An Excel file to fill in: the columns, and one example row."""
    from openpyxl import Workbook  # only the template is written with it

    book = Workbook()
    sheet = book.active
    sheet.title = "clients"
    sheet.append(list(REQUIRED + OPTIONAL))
    sheet.append(["Brouwerij De Klok BV", "0427.073.974", "Markt 1, 9000 Gent", "nl", "privacy@deklok.example", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
