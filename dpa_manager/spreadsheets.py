"""Files that bring rows in: a CSV or Excel file read into rows of text, each row checked with its line number, and
the uploaded file kept as it came (ImportFile, with its SHA-256) until a manager confirms its import, once.

What the rows mean is for the importing package (clients/imports.py, subprocessors/imports.py): it names its
columns, checks its rows and imports them, all or none. A CSV file is UTF-8 (with or without a byte order mark),
separated by commas or semicolons; an Excel file is .xlsx, read from its first sheet. The first row names the
columns, in any order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, flash, redirect, render_template
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, update
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .db_types import UTCDateTime
from .errors import Invalid
from .extensions import Model, db, rowcount
from .web import ConfirmForm, ImportForm, show_error

#: The most rows one file may hold.
MAX_ROWS = 100_000


@dataclass
class Row:
    """A row of the file: its line number (the header is line 1), its values, and {field: why} when wrong."""

    line: int
    values: dict
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Columns:
    """The columns a kind of file has: those it needs, those it may have, and those it passes over (the extra
    columns of the matching export); `numbers` turns a cell a spreadsheet kept as a number back into the text."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    passed_over: tuple[str, ...] = ()
    numbers: dict[str, Callable[[int], str]] = field(default_factory=dict)
    #: The most rows one file may hold.
    max_rows: int = MAX_ROWS

    @property
    def named(self) -> tuple[str, ...]:
        return self.required + self.optional


def read_table(filename: str, data: bytes, columns: Columns) -> list[dict]:
    """The rows of a CSV or .xlsx file as {column: text}; refuse a file that cannot be read, or whose columns are
    missing or unknown."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        header, body = _xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        header, body = _csv(data)
    else:
        raise Invalid(_("Kies een CSV-bestand (.csv) of een Excel-bestand (.xlsx)."), "file")
    names = [" ".join(str(c or "").split()).lower() for c in header]
    missing = [c for c in columns.required if c not in names]
    unknown = [c for c in names if c and c not in columns.named + columns.passed_over]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("Deze kolommen ontbreken: %(names)s.", names=", ".join(missing)))
        if unknown:
            parts.append(_("Deze kolommen kennen we niet: %(names)s.", names=", ".join(unknown)))
        raise Invalid(" ".join(parts) + " " + _("Gebruik het sjabloon."), "file")
    if len(set(c for c in names if c)) != len([c for c in names if c]):
        raise Invalid(_("Een kolom staat er twee keer in."), "file")
    rows = []
    for cells in body:
        values = {
            column: _text(columns, column, cell)
            for column, cell in zip(names, cells, strict=False)
            if column and column not in columns.passed_over
        }
        if any(values.values()):
            rows.append(values)
        if len(rows) > columns.max_rows:
            raise Invalid(_("Hoogstens %(num)s rijen per bestand.", num=columns.max_rows), "file")
    if not rows:
        raise Invalid(_("Het bestand bevat geen rijen onder de kolomnamen."), "file")
    return rows


def _text(columns: Columns, column: str, cell) -> str:
    """A cell as text: a whole number without ".0", a day as YYYY-MM-DD."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float) and float(cell).is_integer():
        number = int(cell)
        return columns.numbers[column](number) if column in columns.numbers else str(number)
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    return str(cell).strip()


def _csv(data: bytes) -> tuple[list, list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("Het CSV-bestand is geen UTF-8-tekst; bewaar het als ‘CSV UTF-8’."), "file") from None
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
    return lines[0], lines[1:]


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


def numbered(rows: list[dict]) -> list[Row]:
    """The rows with their line numbers in the file (the header is line 1), not yet checked."""
    return [Row(line, values) for line, values in enumerate(rows, start=2)]


def template_csv(columns: tuple[str, ...], example: list[str]) -> bytes:
    """A CSV file to fill in: the columns, and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerow(example)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(columns: tuple[str, ...], example: list[str], title: str) -> bytes:
    """An Excel file to fill in: the columns, and one example row (all as text, so that a number keeps its 0)."""
    from openpyxl import Workbook  # only the templates are written with it

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(columns))
    sheet.append(example)
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def keep(kind: str, filename: str, data: bytes, *, actor, now: datetime) -> ImportFile:
    """Keep an uploaded file as it came, checked but not imported."""
    kept = ImportFile(
        kind=kind,
        filename=(filename or "")[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        data=data,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now,
    )
    db.session.add(kept)
    db.session.flush()
    return kept


def claim(file_id: int, kind: str, now: datetime) -> ImportFile:
    """Take a kept file for its one import (a guarded UPDATE: two confirmations import once); raise Invalid when it
    was imported already or is not of this kind."""
    taken = db.session.execute(
        update(ImportFile)
        .where(ImportFile.id == file_id, ImportFile.kind == kind, ImportFile.imported_at.is_(None))
        .values(imported_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        raise Invalid(_("Dit bestand werd al geïmporteerd."))
    return db.session.get_one(ImportFile, file_id)


def import_once(file_id: int, kind: str, now: datetime, run: Callable[[ImportFile], list[Row]], refused) -> int:
    """Import the rows of a kept file once (`run` checks them and imports them, all or none); return how many.
    Raise Invalid when it was imported already, or with refused(n) when n rows are wrong now (nothing imported)."""
    kept = claim(file_id, kind, now)
    checked = run(kept)
    wrong = sum(1 for row in checked if row.errors)
    if wrong:
        raise Invalid(refused(wrong))
    kept.rows = len(checked)
    return len(checked)


# --- The pages of an import: upload and check, then confirm -------------------------------------------------------

#: Wrong rows shown on the check page (all are counted).
PREVIEW_ROWS = 500


@dataclass
class ImportPage:
    """What an import's pages say and where they lead (templates/imports/): its title, the list it goes back to,
    the columns, the rows' identifying columns, and the services that check and import."""

    title: str
    back: str
    back_url: str
    upload_url: str
    intro: str
    columns: tuple[str, ...]
    identify: tuple[str, ...]
    template_url: Callable[[str], str]
    confirm_url: Callable[[int], str]
    confirm_label: Callable[[int], str]
    upload: Callable[..., tuple[ImportFile, list[Row]]]
    import_upload: Callable[..., int]
    done: Callable[[int], str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    show: Callable[[str, str], str] = lambda column, value: value
    #: The upload form (a ZIP of agreements has its own).
    form: Callable[[], ImportForm] = ImportForm

    @property
    def sample_columns(self) -> tuple[str, ...]:
        return self.columns[:8]

    def shown(self, row: Row, column: str) -> str:
        value = row.values.get(column, "")
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        return self.show(column, "" if value is None else str(value)) if column not in row.errors else str(value)


def upload_view(page: ImportPage, *, actor, now: datetime):
    """The upload page; a file sent is kept and checked, and its check page shown."""
    form = page.form()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            kept, rows = page.upload(upload.filename, upload.read(), actor=actor, now=now)
        except Invalid as error:
            show_error(error, form)
        else:
            wrong = [row for row in rows if row.errors]
            return render_template(
                "imports/preview.html",
                page=page,
                kept=kept,
                total=len(rows),
                wrong=wrong[:PREVIEW_ROWS],
                wrong_count=len(wrong),
                sample=rows[:10],
                confirm=ConfirmForm(),
            )
    return render_template("imports/upload.html", form=form, page=page)


def confirm_view(page: ImportPage, file_id: int, *, actor, now: datetime):
    """Import a checked file once the manager confirms; back to the list with how many, or to the upload page."""
    if not ConfirmForm().validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(page.upload_url)
    try:
        count = page.import_upload(file_id, actor=actor, now=now)
    except Invalid as error:
        show_error(error)
        return redirect(page.upload_url)
    flash(page.done(count), "success")
    return redirect(page.back_url)


def template_response(data: bytes, kind: str, name: str):
    """A template to fill in, to save as `name`.csv or .xlsx."""
    mimetype = "text/csv" if kind == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


class ImportFile(Model):
    """A file uploaded to import from, kept as it came (with its SHA-256): checked when uploaded, imported once
    when a manager confirms, and kept as the record of where the rows came from."""

    __tablename__ = "import_files"
    __table_args__ = (CheckConstraint("kind IN ('clients', 'subprocessors', 'agreements')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When its rows were imported (once); None: checked only.
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<ImportFile {self.id} {self.kind} {self.filename!r}>"
