"""A list a manager sees, as a file to download: CSV or Excel, the rows the page's filters select, all of them.

A list gives its columns as (heading, value of a row) and its rows; the headings are the fields' names in the API,
the values text, whole numbers, days, instants or None. A CSV file is UTF-8 with a byte order mark (so Excel reads
its accents), separated by commas, one row per line, every instant written as ISO 8601 in Brussels time with its
offset, to the second. An Excel file has one sheet, the headings in bold and frozen, days and instants as Excel
dates; Excel knows no time zones, so instants are in Brussels time and their headings say so.

A text that starts like a formula (=, +, -, @) stays text: in Excel it is stored as text, in a CSV file it gets a
leading apostrophe, as spreadsheet programs expect, so that opening a file never runs what a client typed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from .clock import as_brussels
from .errors import Invalid
from .extensions import db
from .paging import count_upto

#: The most rows a file holds: what is made well within a web worker's 30 seconds (an Excel file takes about 8
#: times as long as a CSV file to write).
MAX_ROWS = {"csv": 200_000, "xlsx": 50_000}
#: The formats, and how each is served.
KINDS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: The characters an Excel file cannot hold (XML 1.0 allows tab, line feed and carriage return only).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Texts that a spreadsheet would read as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column: its heading (the field's name in the API) and the value of a row; `moment` for instants."""

    heading: str
    value: Callable[[Any], Any]
    moment: bool = False


def export_kind() -> str | None:
    """The format the request asks for (?export=csv or ?export=xlsx), or None for the page itself."""
    kind = request.args.get("export")
    return kind if kind in KINDS else None


def check_size(stmt, kind: str) -> None:
    """Refuse a list longer than a file of `kind` may be, before any row is read."""
    most = MAX_ROWS[kind]
    if count_upto(stmt, most) > most:
        raise Invalid(
            _(
                "Meer dan %(num)s rijen voor één bestand: kies een filter om de lijst kleiner te maken.",
                num=f"{most:,}".replace(",", "."),
            )
        )


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return as_brussels(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"  # as the API writes it
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(columns: list[Column], rows: Iterable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in columns])
    for row in rows:
        writer.writerow([_csv_value(c.value(row)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: list[Column], rows: Iterable, title: str) -> bytes:
    from openpyxl import Workbook  # only an export writes Excel files
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=f"{column.heading} (Europe/Brussels)" if column.moment else column.heading)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        cells = []
        for column in columns:
            value = column.value(row)
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=as_brussels(value).replace(tzinfo=None, microsecond=0))
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
            elif value is None or isinstance(value, bool | int | float):
                cell = WriteOnlyCell(sheet, value=value)
            else:
                # an XML file holds no control characters: each is shown as "\ufffd" (the replacement character)
                cell = WriteOnlyCell(sheet, value=_CONTROLS.sub("\ufffd", str(value)))
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(kind: str, name: str, columns: list[Column], rows: Iterable) -> Response:
    """The rows as a file named `name`.csv or `name`.xlsx, to save."""
    data = to_csv(columns, rows) if kind == "csv" else to_xlsx(columns, rows, name)
    return Response(
        data, content_type=KINDS[kind], headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'}
    )


def export(kind: str, name: str, columns: list[Column], stmt) -> BaseResponse:
    """Every row of the select `stmt` as a file; a list too long for one is refused with a message, back on the
    page."""
    try:
        check_size(stmt, kind)
    except Invalid as error:
        flash(str(error.message), "error")
        return redirect(url_for(request.endpoint or "", **(request.view_args or {}), **_args_without_export()))
    return download(kind, name, columns, db.session.scalars(stmt.execution_options(yield_per=1000)))


def _args_without_export() -> dict:
    return {k: v for k, v in request.args.items() if k != "export"}
