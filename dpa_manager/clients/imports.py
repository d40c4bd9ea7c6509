"""Importing a processor's existing clients from a CSV or Excel file: every row checked first, each with its errors,
then all rows or none.

The columns are the fields' names in the API (name, enterprise_number, address, language, contact_email, and
optionally contact_name, contact_role, salutation and salutation_name), in any order, in the first row. A CSV file
is UTF-8 (with or without a byte order mark), separated by commas or semicolons; an Excel file is .xlsx, read from
its first sheet. A file exported from the client list imports as it is: its id and created_at columns are passed
over.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select

from .. import audit, spreadsheets
from ..extensions import db
from ..spreadsheets import Columns, ImportFile, Row
from .models import Client
from .services import CLIENT_FIELDS, client_errors

#: The columns an import needs, and the ones it may have besides.
REQUIRED = ("name", "enterprise_number", "address", "language", "contact_email")
OPTIONAL = ("contact_name", "contact_role", "salutation", "salutation_name")
#: A spreadsheet keeps an enterprise number typed without dots as a number, and drops its leading 0 (0427073974
#: becomes 427073974): such a number gets its 10 digits back.
COLUMNS = Columns(
    REQUIRED,
    OPTIONAL,
    passed_over=("id", "created_at", "created_at (europe/brussels)"),
    numbers={"enterprise_number": lambda n: f"{n:010d}" if 0 <= n < 10**10 else str(n)},
)
#: Rows inserted per statement.
BATCH = 2000
#: An example row for the templates.
EXAMPLE = [
    "Brouwerij De Klok BV", "0427.073.974", "Markt 1, 9000 Gent", "nl", "privacy@deklok.example", "Els Janssens",
    "Zaakvoerder", "ms", "Janssens",
]  # fmt: skip


def read_table(filename: str, data: bytes) -> list[dict]:
    """The rows of a file of clients (see spreadsheets.read_table)."""
    return spreadsheets.read_table(filename, data, COLUMNS)


def check(rows: list[dict]) -> list[Row]:
    """Check every row: its fields, its enterprise number against the other rows and against the clients there
    are. Reads the database once per thousand numbers; changes nothing."""
    checked = spreadsheets.numbered(rows)
    for row in checked:
        row.values, errors = client_errors(row.values)
        row.errors.update(errors)
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
    return spreadsheets.keep("clients", filename, data, actor=actor, now=now), rows


def import_upload(file_id: int, *, actor, now: datetime) -> int:
    """Import the clients of a file uploaded and checked before, once; return how many. Raise Invalid when it was
    imported already or when a row is wrong now (nothing is imported then)."""
    return spreadsheets.import_once(
        file_id,
        "clients",
        now,
        lambda kept: import_clients(read_table(kept.filename, kept.data), actor=actor, now=now, source=kept.filename),
        lambda wrong: ngettext(
            "Niets geïmporteerd: %(num)s rij is intussen fout (bv. een klant die al bestaat). Laad het bestand "
            "opnieuw op.",
            "Niets geïmporteerd: %(num)s rijen zijn intussen fout (bv. een klant die al bestaat). Laad het "
            "bestand opnieuw op.",
            wrong,
        ),
    )


def template_csv() -> bytes:
    return spreadsheets.template_csv(REQUIRED + OPTIONAL, EXAMPLE)


def template_xlsx() -> bytes:
    return spreadsheets.template_xlsx(REQUIRED + OPTIONAL, EXAMPLE, "clients")
