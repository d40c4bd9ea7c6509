"""Importing existing clients from CSV and Excel: every row checked, then all or nothing."""

import csv
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.audit import AuditEvent
from dpa_manager.clients.imports import check, import_clients, read_table, template_csv, template_xlsx
from dpa_manager.clients.models import Client
from dpa_manager.demo import with_check_digits
from dpa_manager.errors import Invalid
from dpa_manager.extensions import db

COLUMNS = ["name", "enterprise_number", "address", "language", "contact_email"]


def client_rows(count: int, start: int = 3_000_000) -> list[list[str]]:
    return [
        [f"Klant {n} BV", with_check_digits(start + n), f"Straat {n}, 1000 Brussel", "nl", f"privacy{n}@klant.example"]
        for n in range(count)
    ]


def as_csv(rows, columns=COLUMNS, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows, columns=COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def clients() -> int:
    return db.session.scalar(select(func.count()).select_from(Client))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_ten_thousand_clients_import_at_once(app, setup, manager, kind):
    data = as_csv(client_rows(10_000)) if kind == "csv" else as_xlsx(client_rows(10_000))
    rows = read_table(f"klanten.{kind}", data)
    checked = import_clients(rows, actor=manager, now=clock.now(), source=f"klanten.{kind}")
    db.session.commit()
    assert not any(row.errors for row in checked)
    assert clients() == 10_000
    client = db.session.scalar(select(Client).where(Client.name == "Klant 9999 BV"))
    assert client.enterprise_number == with_check_digits(3_009_999).replace(".", "") and client.feed_token
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "client"))
    assert events == 10_000
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.object_id == client.id))["imported_from"] == (
        f"klanten.{kind}"
    )


def test_a_file_with_errors_imports_nothing_and_says_why_per_row(app, setup, manager, make_client):
    existing = make_client(enterprise_number="0427.073.974")
    rows = client_rows(5)
    rows[1][1] = "0427.073.975"  # a wrong check digit
    rows[2][1] = rows[0][1]  # the same number as row 2
    rows[3][3] = "de"  # no such language
    rows[4][1] = existing.enterprise_number
    rows[4][4] = "geen adres"
    checked = import_clients(read_table("k.csv", as_csv(rows)), actor=manager, now=clock.now(), source="k.csv")
    db.session.commit()
    assert clients() == 1
    errors = {row.line: row.errors for row in checked}
    assert errors[2] == {}
    assert "controlegetal" in errors[3]["enterprise_number"]
    assert errors[4] == {"enterprise_number": "Hetzelfde ondernemingsnummer als rij 2."}
    assert errors[5] == {"language": "Kies Nederlands, Frans of Engels."}
    assert errors[6]["enterprise_number"] == f"Dit ondernemingsnummer hoort al bij {existing.name}."
    assert "contact_email" in errors[6]


def test_csv_with_semicolons_a_byte_order_mark_and_columns_in_any_order(setup):
    columns = ["contact_email", "name", "language", "address", "enterprise_number", "contact_name"]
    data = "\ufeff".encode() + as_csv(
        [["a@b.example", "Zoë BV", "fr", "Rue 1", "0427.073.974", "Marie Dupont"]], columns, delimiter=";"
    )
    (row,) = check(read_table("k.CSV", data))
    assert row.errors == {} and row.values["name"] == "Zoë BV" and row.values["contact_name"] == "Marie Dupont"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "k.csv",
            as_csv([], ["name", "address"]),
            "Deze kolommen ontbreken: enterprise_number, language, contact_email",
        ),
        ("k.csv", as_csv([["x"] * 6], COLUMNS + ["btw"]), "Deze kolommen kennen we niet: btw"),
        ("k.csv", as_csv([]), "geen rijen"),
        ("k.csv", b"\xff\xfename", "UTF-8"),
        ("k.xlsx", b"not a zip", "Excel-bestand kon niet gelezen worden"),
        ("k.pdf", b"%PDF", "CSV-bestand (.csv) of een Excel-bestand (.xlsx)"),
        ("k.csv", b"", "leeg"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(setup, filename, data, message):
    with pytest.raises(Invalid) as refused:
        read_table(filename, data)
    assert message in refused.value.message


@pytest.mark.parametrize(("template", "name"), [(template_csv, "sjabloon.csv"), (template_xlsx, "sjabloon.xlsx")])
def test_the_templates_read_back_as_a_valid_row(setup, template, name):
    (row,) = check(read_table(name, template()))
    assert row.errors == {} and row.values["name"] == "Brouwerij De Klok BV"


def test_the_command_line_imports_or_lists_the_wrong_rows(runner, setup, tmp_path):
    good = tmp_path / "goed.csv"
    good.write_bytes(as_csv(client_rows(3)))
    result = runner.invoke(args=["dpa", "import", "clients", str(good)])
    assert result.exit_code == 0 and "3 klanten geïmporteerd uit goed.csv" in result.output
    bad = tmp_path / "fout.xlsx"
    rows = client_rows(2, start=4_000_000)
    rows[1][3] = "xx"
    bad.write_bytes(as_xlsx(rows))
    result = runner.invoke(args=["dpa", "import", "clients", str(bad)])
    assert result.exit_code != 0 and "Niets geïmporteerd: 1 van de 2 rijen" in result.output
    assert "rij 3: language" in result.output
    assert clients() == 3


def test_the_import_page_checks_then_imports_on_confirmation(login, manager, setup, make_client):
    http = login(manager)
    page = http.get("/clients/import")
    assert page.status_code == 200 and "name, enterprise_number, address, language, contact_email" in page.text
    template = http.get("/clients/import/sjabloon.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    data = as_csv(client_rows(25))
    preview = http.post("/clients/import", data={"file": (io.BytesIO(data), "klanten.csv")})
    assert preview.status_code == 200 and "Alle rijen zijn in orde." in preview.text and "25 rijen" in preview.text
    assert clients() == 0  # checked only
    file_id = int(re.search(r"/clients/import/(\d+)", preview.text).group(1))
    assert http.post(f"/clients/import/{file_id}", data={}).status_code == 302 and clients() == 0  # not confirmed
    done = http.post(f"/clients/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "25 klanten geïmporteerd." in done.text and clients() == 25
    again = http.post(f"/clients/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "Dit bestand werd al geïmporteerd." in again.text and clients() == 25


def test_the_import_page_shows_each_wrong_row(login, manager, setup):
    http = login(manager)
    rows = client_rows(3)
    rows[2][3] = "xx"
    preview = http.post("/clients/import", data={"file": (io.BytesIO(as_xlsx(rows)), "klanten.xlsx")})
    assert preview.status_code == 200 and "1 rij heeft een fout" in preview.text
    assert "Kies Nederlands, Frans of Engels." in preview.text and "<td>4</td>" in preview.text
    assert "importeren</button>" not in preview.text
    refused = http.post("/clients/import", data={"file": (io.BytesIO(b"%PDF-1.7"), "klanten.pdf")})
    assert refused.status_code == 422 and "Excel-bestand (.xlsx)" in refused.text


def test_a_row_that_went_wrong_after_the_check_imports_nothing(login, manager, setup, make_client):
    http = login(manager)
    rows = client_rows(3)
    preview = http.post("/clients/import", data={"file": (io.BytesIO(as_csv(rows)), "klanten.csv")})
    file_id = int(re.search(r"/clients/import/(\d+)", preview.text).group(1))
    make_client(enterprise_number=rows[1][1])  # created meanwhile
    refused = http.post(f"/clients/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "Niets geïmporteerd: 1 rij is intussen fout" in refused.text and clients() == 1
    from dpa_manager.spreadsheets import ImportFile

    assert db.session.get(ImportFile, file_id).imported_at is None  # it may be imported once it is right


def test_an_enterprise_number_that_a_spreadsheet_kept_as_a_number_gets_its_leading_zero_back(setup):
    rows = client_rows(1)
    rows[0][1] = 427073974  # typed 0427073974 in a cell formatted as a number
    (row,) = check(read_table("k.xlsx", as_xlsx(rows)))
    assert row.errors == {} and row.values["enterprise_number"] == "0427073974"
