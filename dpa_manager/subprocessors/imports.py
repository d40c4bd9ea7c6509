"""Importing the register of sub-processors a processor already keeps, from a CSV or Excel file: every row checked
as the register's form checks an entry, then all rows or none.

The columns are the fields' names in the API; lists (countries, data_categories, services) are codes separated by
spaces, commas or semicolons. An entry is imported in use (`status` active, since `activated_on`, the day of the
import unless given), as proposed, or as no longer used (retired, with `retired_on`). An entry in use applies to
the agreements sent from then on; an agreement sent or signed before keeps the list its Annex IV gave (import the
register first).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from .. import audit, spreadsheets
from ..clock import today_in_brussels
from ..errors import Invalid
from ..extensions import db
from ..localized import OTHER_LANGUAGES
from ..rules import SubProcessorStatus
from ..spreadsheets import Columns, ImportFile, Row
from .models import SubProcessor
from .services import SUBPROCESSOR_FIELDS, SUBPROCESSOR_TRANSLATED, clean_subprocessor, services_by_code_or_id

REQUIRED = ("name", "purpose", "countries", "data_categories", "kind", "address", "contact")
OPTIONAL = (
    "registration_number",
    "transfer_mechanism",
    "transfer_text",
    "services",
    "website",
    "status",
    "activated_on",
    "retired_on",
    *(f"{field}_{language}" for language in OTHER_LANGUAGES for field in SUBPROCESSOR_TRANSLATED),
)
#: A register holds tens of entries, not thousands: each is checked and added on its own.
COLUMNS = Columns(REQUIRED, OPTIONAL, passed_over=("id",), max_rows=5000)
#: The statuses an imported entry may have; empty is active.
STATUSES = {"": SubProcessorStatus.ACTIVE, "active": SubProcessorStatus.ACTIVE,
            "proposed": SubProcessorStatus.PROPOSED, "retired": SubProcessorStatus.RETIRED}  # fmt: skip
EXAMPLE = [
    "CloudTel SA", "Telefonieplatform", "BE NL", "identification contact call_recordings", "active_systematic",
    "Havenlaan 86, 1000 Brussel", "privacy@cloudtel.example", "BE0123456749", "", "", "klantendienst",
    "https://cloudtel.example", "active", "2024-03-01", "", "Plateforme téléphonique", "", "Telephony platform", "",
]  # fmt: skip


def read_table(filename: str, data: bytes) -> list[dict]:
    return spreadsheets.read_table(filename, data, COLUMNS)


def _codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid(_("Een datum als JJJJ-MM-DD, bv. 2024-03-01."), field) from None


def _check_row(row: Row, today: date, services_of: dict) -> None:
    """Check one row as the register's form would, and its status and days; put the first error in row.errors."""
    values = row.values
    try:
        clean = clean_subprocessor(
            {k: values.get(k, "") for k in SUBPROCESSOR_FIELDS}
            | {"data_categories": _codes(values.get("data_categories", ""))}
            | {k: v for k, v in values.items() if k[-3:] in ("_fr", "_en")}
        )
        codes = tuple(_codes(values.get("services", "")))
        if codes not in services_of:  # looked up once for each list of services the file names
            services_of[codes] = services_by_code_or_id(list(codes))
        services = services_of[codes]
        status = STATUSES.get(values.get("status", "").lower())
        if status is None:
            raise Invalid(_("De status is active, proposed of retired."), "status")
        activated_on = _day(values.get("activated_on", ""), "activated_on")
        retired_on = _day(values.get("retired_on", ""), "retired_on")
        if status == SubProcessorStatus.ACTIVE:
            activated_on = activated_on or today
            if retired_on:
                raise Invalid(_("Een subverwerker in gebruik heeft geen retired_on."), "retired_on")
        if status == SubProcessorStatus.RETIRED and not retired_on:
            raise Invalid(_("Geef retired_on: de dag waarop de subverwerker niet meer gebruikt werd."), "retired_on")
        if status == SubProcessorStatus.PROPOSED and (activated_on or retired_on):
            raise Invalid(_("Een voorgestelde subverwerker heeft nog geen activated_on of retired_on."), "status")
        for day, field in ((activated_on, "activated_on"), (retired_on, "retired_on")):
            if day and day > today:
                raise Invalid(_("Deze dag ligt in de toekomst."), field)
        if activated_on and retired_on and retired_on < activated_on:
            raise Invalid(_("retired_on ligt vóór activated_on."), "retired_on")
    except Invalid as error:
        row.errors[error.field or "name"] = error.message
        return
    row.values = clean | {
        "services": services,
        "status": status.value,
        "activated_on": activated_on,
        "retired_on": retired_on,
    }


def check(rows: list[dict], today: date) -> list[Row]:
    """Check every row, and its name against the other rows and the register; change nothing."""
    checked = spreadsheets.numbered(rows)
    services_of: dict = {}
    for row in checked:
        _check_row(row, today, services_of)
    known = {name.lower() for name in db.session.scalars(select(func.lower(SubProcessor.name)))}
    first_line: dict[str, int] = {}
    for row in checked:
        name = str(row.values.get("name", "")).strip().lower()
        if "name" in row.errors or not name:
            continue
        if name in known:
            row.errors["name"] = _("Er staat al een subverwerker met deze naam in het register.")
        elif name in first_line:
            row.errors["name"] = _("Dezelfde naam als rij %(line)s.", line=first_line[name])
        else:
            first_line[name] = row.line
    return checked


def import_register(rows: list[dict], *, actor, now: datetime, source: str) -> list[Row]:
    """Check the rows and, when none is wrong, add each to the register (one audit event each, naming the file);
    else add none. Return the checked rows."""
    checked = check(rows, today_in_brussels(now))
    if any(row.errors for row in checked):
        return checked
    for row in checked:
        values = dict(row.values)
        services = values.pop("services")
        sp = SubProcessor(created_at=now, **values)
        sp.services = services
        db.session.add(sp)
        db.session.flush()
        audit.record(
            at=now,
            actor=actor,
            object_type="subprocessor",
            object_id=sp.id,
            action="created",
            after={k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
            | {"services": [s.code for s in services], "imported_from": source},
        )
    return checked


def upload(filename: str, data: bytes, *, actor, now: datetime) -> tuple[ImportFile, list[Row]]:
    """Keep an uploaded file and check its rows (nothing is imported yet); refuse a file that cannot be read."""
    rows = check(read_table(filename, data), today_in_brussels(now))
    return spreadsheets.keep("subprocessors", filename, data, actor=actor, now=now), rows


def import_upload(file_id: int, *, actor, now: datetime) -> int:
    """Import the register of a file uploaded and checked before, once; return how many entries."""
    return spreadsheets.import_once(
        file_id,
        "subprocessors",
        now,
        lambda kept: import_register(read_table(kept.filename, kept.data), actor=actor, now=now, source=kept.filename),
        lambda wrong: ngettext(
            "Niets geïmporteerd: %(num)s rij is intussen fout. Laad het bestand opnieuw op.",
            "Niets geïmporteerd: %(num)s rijen zijn intussen fout. Laad het bestand opnieuw op.",
            wrong,
        ),
    )


def template_csv() -> bytes:
    return spreadsheets.template_csv(REQUIRED + OPTIONAL, EXAMPLE)


def template_xlsx() -> bytes:
    return spreadsheets.template_xlsx(REQUIRED + OPTIONAL, EXAMPLE, "subprocessors")
