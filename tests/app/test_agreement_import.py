"""Importing agreements the clients signed before the processor used the app: a ZIP file with a table and the
signed PDFs, every row checked, then all or nothing; the agreements are in force from the import, so that the
next change of the register reaches their clients; through the pages and the command line."""

import csv
import hashlib
import io
import re
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.agreements.imports import import_agreements, read_zip, template_csv, template_xlsx
from dpa_manager.agreements.models import Agreement
from dpa_manager.amendments.services import agreements_to_amend, agreements_to_sign_anew
from dpa_manager.audit import AuditEvent
from dpa_manager.errors import Invalid
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.notices.models import Notice
from dpa_manager.spreadsheets import ImportFile
from dpa_manager.subprocessors.services import applying_on

from .conftest import PASSWORD

COLUMNS = ["enterprise_number", "terms_version_id", "signed_on", "signed_pdf", "starts_on", "ends_on", "services",
           "data_types", "data_subjects", "window_days", "window_unit", "subject_matter"]  # fmt: skip


def signed_pdf(text: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def table_csv(rows, columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def table_xlsx(rows, columns=COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([date.fromisoformat(v) if re.fullmatch(r"\d{4}-\d\d-\d\d", v) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


PDFS = {"pdf/klok.pdf": signed_pdf("Verwerkersovereenkomst De Klok, 2023"), "pdf/zon.pdf": signed_pdf("Zon, 2024")}


@pytest.fixture
def clients(make_client):
    return make_client(name="Brouwerij De Klok BV"), make_client(name="Zonnepanelen Zon NV")


def rows_for(clients, terms_id) -> list[list[str]]:
    klok, zon = clients
    return [
        [klok.enterprise_number_display, str(terms_id), "2023-05-12", "pdf/klok.pdf", "2023-06-01", "", "klantendienst",
         "identification contact", "customers", "10", "calendar", "Klantendienst"],
        [zon.enterprise_number, "", "2024-02-01", "zon.pdf", "2024-02-01", "2027-12-31", "klantendienst",
         "", "", "", "", ""],
    ]  # fmt: skip


def agreements_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Agreement)) or 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_agreements_signed_outside_import_in_force_with_their_pdfs(setup, manager, clients, make_subprocessor, kind):
    in_use = make_subprocessor(status="active")
    table = table_csv(rows_for(clients, setup.id)) if kind == "csv" else table_xlsx(rows_for(clients, setup.id))
    name, rows, pdfs = read_zip("bestaand.zip", zip_of({f"overeenkomsten.{kind}": table} | PDFS))
    assert name == f"overeenkomsten.{kind}" and len(rows) == 2 and set(pdfs) == set(PDFS)
    checked = import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="bestaand.zip")
    db.session.commit()
    assert not any(row.errors for row in checked)

    klok, zon = (db.session.scalar(select(Agreement).where(Agreement.client_id == c.id)) for c in clients)
    assert (klok.state, klok.concluded_by, klok.signed_on) == ("signed", "outside", date(2023, 5, 12))
    assert klok.signed_pdf == PDFS["pdf/klok.pdf"]
    assert klok.signed_sha256 == hashlib.sha256(PDFS["pdf/klok.pdf"]).hexdigest()
    assert (klok.terms_version_id, klok.window_days, klok.data_types) == (setup.id, 10, ["identification", "contact"])
    assert [s.code for s in klok.services] == ["klantendienst"]
    # the empty cells take the defaults of a new agreement; an empty terms version: terms not in the app
    assert (zon.terms_version_id, zon.window_days, zon.window_unit, zon.ends_on) == (None, 7, "calendar",
                                                                                    date(2027, 12, 31))  # fmt: skip
    assert zon.signed_pdf == PDFS["pdf/zon.pdf"]  # named by its file name alone: the only PDF with that name
    # each client's list is the register's for its services, from the day of the import
    today = clock.today_in_brussels(clock.now())
    assert [sp.id for sp in applying_on(clients[0].id, today)] == [in_use.id]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "imported")).all()
    assert len(events) == 2 and {e.after["signed_sha256"] for e in events} == {klok.signed_sha256, zon.signed_sha256}
    assert all(e.after["imported_from"] == "bestaand.zip" for e in events)


def test_the_next_change_of_the_register_reaches_the_imported_clients(
    app, setup, manager, clients, make_user, announce_addition, inbox, login
):
    _name, rows, pdfs = read_zip("a.zip", zip_of({"a.csv": table_csv(rows_for(clients, setup.id))} | PDFS))
    import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="a.zip")
    user = make_user(client=clients[1], email="dpo@zon.example", full_name="Els Janssens")
    db.session.commit()
    _change_id, notice_ids = announce_addition()
    notices = db.session.scalars(select(Notice).where(Notice.id.in_(notice_ids))).all()
    assert sorted(n.client_id for n in notices) == sorted(c.id for c in clients)
    assert {n.window_days for n in notices} == {10, 7}  # each agreement's own window
    drain(now=clock.now)
    (mail,) = inbox.to("dpo@zon.example")
    body = mail.get_body(("plain",)).get_content()
    assert "CloudTel SA" in body
    # the client reads the notice and its agreement in the portal
    http = login(user)
    notice = next(n for n in notices if n.client_id == clients[1].id)
    assert http.get(f"/portal/notices/{notice.id}").status_code == 200
    agreement = db.session.scalar(select(Agreement).where(Agreement.client_id == clients[1].id))
    page = http.get(f"/portal/agreements/{agreement.id}")
    assert page.status_code == 200 and "buiten de app ondertekend" in page.text and agreement.signed_sha256 in page.text
    download = http.get(f"/agreements/{agreement.id}/pdf?download=1")
    assert download.data == PDFS["pdf/zon.pdf"] and "-ondertekend.pdf" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "change, column, words",
    [
        ({0: "0427.073.975"}, "enterprise_number", "controlegetal"),
        ({0: "0999.999.999"}, "enterprise_number", ""),
        ({0: ""}, "enterprise_number", "ondernemingsnummer van de klant"),
        ({1: "999"}, "terms_version_id", "Geen gepubliceerde versie"),
        ({2: "2099-01-01"}, "signed_on", "toekomst"),
        ({2: "12/05/2023"}, "signed_on", "JJJJ-MM-DD"),
        ({3: "pdf/elders.pdf"}, "signed_pdf", "staat niet in het ZIP-bestand"),
        ({3: "nota.pdf"}, "signed_pdf", "geen PDF"),
        ({5: "2025-01-01"}, "ends_on", "al afgelopen"),
        ({6: ""}, "services", "minstens één dienst"),
        ({6: "bakkerij"}, "services", "Onbekende dienst"),
        ({7: "hobby"}, "data_types", "Onbekende code"),
        ({9: "2"}, "window_days", ""),
        ({10: "weken"}, "window_days", ""),
    ],
)
def test_a_wrong_row_says_why_and_nothing_is_imported(setup, manager, clients, change, column, words):
    rows = rows_for(clients, setup.id)
    for index, value in change.items():
        rows[0][index] = value
    files = {"a.csv": table_csv(rows)} | PDFS | {"nota.pdf": b"geen pdf"}
    _name, table, pdfs = read_zip("a.zip", zip_of(files))
    checked = import_agreements(table, pdfs, actor=manager, now=clock.now(), source="a.zip")
    assert column in checked[0].errors and words in checked[0].errors[column]
    assert not checked[1].errors and agreements_count() == 0


def test_a_client_twice_or_with_an_agreement_in_force_is_refused(setup, manager, clients, make_agreement):
    in_force = make_agreement("signed", client=clients[1])
    rows = rows_for(clients, setup.id)
    rows.append(list(rows[0]))
    _name, table, pdfs = read_zip("a.zip", zip_of({"a.csv": table_csv(rows)} | PDFS))
    checked = import_agreements(table, pdfs, actor=manager, now=clock.now(), source="a.zip")
    assert f"VO-{in_force.id:05d}" in checked[1].errors["enterprise_number"]
    assert checked[2].errors["enterprise_number"] == "Dezelfde klant als rij 2."
    assert agreements_count() == 1


def corrupt_zip() -> bytes:
    """A ZIP whose directory reads but whose compressed data does not inflate."""
    data = bytearray(zip_of({"a.csv": b"signed_on;signed_pdf;starts_on;services\n" * 200}))
    start = data.index(b"a.csv") + len("a.csv")
    data[start + 10 : start + 40] = b"\xff" * 30
    return bytes(data)


@pytest.mark.parametrize(
    "files, filename, words",
    [
        ("corrupt", "a.zip", "kon niet gelezen worden"),
        ({}, "a.csv", "Kies een ZIP-bestand"),
        (None, "a.zip", "kon niet gelezen worden"),
        ({"pdf/klok.pdf": b"%PDF-1.4"}, "a.zip", "precies één tabel"),
        ({"a.csv": b"x", "b.xlsx": b"y"}, "a.zip", "precies één tabel"),
        ({"a.csv": b"x" * 3_000_000}, "a.zip", "groter dan 2 MB"),
    ],
)
def test_a_zip_that_cannot_be_read_is_refused_with_why(app, files, filename, words):
    app.config["IMPORT_ZIP_MAX_BYTES"] = 2 * 2**20
    data = b"geen zip" if files is None else corrupt_zip() if files == "corrupt" else zip_of(files)
    with pytest.raises(Invalid) as refused:
        read_zip(filename, data)
    assert words in refused.value.message


def test_the_pages_check_then_import_once_and_show_the_agreement(setup, login, manager, clients):
    http = login(manager)
    assert "Overeenkomsten importeren" in http.get("/agreements/").text
    page = http.get("/agreements/import")
    assert page.status_code == 200 and "signed_pdf" in page.text and 'accept=".zip"' in page.text
    for kind in ("csv", "xlsx"):
        template = http.get(f"/agreements/import/sjabloon.{kind}")
        assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    _name, rows, _pdfs = read_zip("t.zip", zip_of({"t.csv": template_csv()}))
    assert rows[0]["signed_pdf"] == "pdf/de-klok-2023.pdf"
    assert read_zip("t.zip", zip_of({"t.xlsx": template_xlsx()}))[1][0]["enterprise_number"] == "0427.073.974"

    wrong = rows_for(clients, setup.id)
    wrong[1][3] = "weg.pdf"
    upload = zip_of({"a.csv": table_csv(wrong)} | PDFS)
    bad = http.post("/agreements/import", data={"file": (io.BytesIO(upload), "a.zip")})
    assert "1 rij heeft een fout" in bad.text and "weg.pdf" in bad.text and agreements_count() == 0
    good = zip_of({"a.xlsx": table_xlsx(rows_for(clients, setup.id))} | PDFS)
    preview = http.post("/agreements/import", data={"file": (io.BytesIO(good), "bestaand.zip")})
    assert "Alle rijen zijn in orde." in preview.text and "2 overeenkomsten importeren" in preview.text
    file_id = int(re.search(r'action="/agreements/import/(\d+)"', preview.text).group(1))
    done = http.post(f"/agreements/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "2 overeenkomsten geïmporteerd; ze zijn van kracht." in done.text and "andere voorwaarden" in done.text
    again = http.post(f"/agreements/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "al geïmporteerd" in again.text and agreements_count() == 2
    kept = db.session.get(ImportFile, file_id)
    assert kept.kind == "agreements" and kept.rows == 2 and kept.data == good

    agreement = db.session.scalar(select(Agreement).where(Agreement.client_id == clients[1].id))
    shown = http.get(f"/agreements/{agreement.id}")
    assert "Ondertekend buiten de app" in shown.text and "01/02/2024" in shown.text
    assert "andere voorwaarden, niet in de app" in shown.text and agreement.signed_sha256 in shown.text
    assert "Tekst lezen" not in shown.text and "Checklist" not in shown.text
    assert http.get(f"/agreements/{agreement.id}/document").headers["Location"].endswith(f"/{agreement.id}/pdf")
    export = http.get("/agreements/?export=csv")
    assert export.status_code == 200 and "2024-02-01" in export.text


def test_the_command_imports_all_or_nothing(setup, runner, clients, tmp_path):
    good, bad = tmp_path / "bestaand.zip", tmp_path / "fout.zip"
    rows = rows_for(clients, setup.id)
    good.write_bytes(zip_of({"a.csv": table_csv(rows)} | PDFS))
    rows[1][2] = "morgen"
    bad.write_bytes(zip_of({"a.csv": table_csv(rows)} | PDFS))
    refused = runner.invoke(args=["dpa", "import", "agreements", str(bad)])
    assert refused.exit_code != 0 and "rij 3: signed_on" in refused.output and agreements_count() == 0
    result = runner.invoke(args=["dpa", "import", "agreements", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 overeenkomsten geïmporteerd uit bestaand.zip." in result.output and agreements_count() == 2


def test_a_new_agreement_signed_in_the_app_replaces_the_imported_one_and_amendments_pass_it_by(
    setup, manager, clients, make_agreement
):
    _name, rows, pdfs = read_zip("a.zip", zip_of({"a.csv": table_csv(rows_for(clients, setup.id))} | PDFS))
    import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="a.zip")
    db.session.commit()
    # the one on another terms text is to be signed anew; the one on this very version needs nothing
    assert agreements_to_amend(setup) == [] and agreements_to_sign_anew(setup) == 1
    imported = db.session.scalar(select(Agreement).where(Agreement.client_id == clients[0].id))
    new = make_agreement("signed", client=clients[0])
    db.session.refresh(imported)
    assert (new.state, imported.state) == ("signed", "superseded")


def test_the_login_leads_a_client_user_to_an_imported_agreement(setup, manager, clients, make_user, http):
    _name, rows, pdfs = read_zip("a.zip", zip_of({"a.csv": table_csv(rows_for(clients, setup.id))} | PDFS))
    import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="a.zip")
    user = make_user(client=clients[0], email="dpo@klok.example")
    db.session.commit()
    http.post("/login", data={"email": user.email, "password": PASSWORD})
    index = http.get("/portal/")
    assert index.status_code == 200 and "Ondertekend buiten de app" in index.text


@pytest.mark.parametrize("client_id", ["²", "9" * 25, "12345678901234567890"])
def test_a_client_id_that_is_no_number_of_ours_is_a_row_error(setup, manager, clients, client_id):
    columns = ["client_id", "signed_on", "signed_pdf", "starts_on", "services"]
    table = table_csv([[client_id, "2023-05-12", "pdf/klok.pdf", "2023-06-01", "klantendienst,"]], columns)
    _name, rows, pdfs = read_zip("a.zip", zip_of({"a.csv": table} | PDFS))
    (row,) = import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="a.zip")
    assert "Geen klant met dit nummer" in row.errors["client_id"] and agreements_count() == 0


def test_the_api_says_how_an_imported_agreement_came_about(setup, manager, clients, http):
    from dpa_manager.accounts.services import create_token  # the manager's token, as the processor's systems have

    _name, rows, pdfs = read_zip("a.zip", zip_of({"a.csv": table_csv(rows_for(clients, setup.id))} | PDFS))
    import_agreements(rows, pdfs, actor=manager, now=clock.now(), source="a.zip")
    token = create_token(manager, now=clock.now())
    db.session.commit()
    agreement = db.session.scalar(select(Agreement).where(Agreement.client_id == clients[1].id))
    got = http.get(f"/api/v1/agreements/{agreement.id}", headers={"Authorization": f"Bearer {token}"}).json
    assert (got["concluded_by"], got["signed_on"], got["terms_version_id"]) == ("outside", "2024-02-01", None)
    assert got["signed_sha256"] == agreement.signed_sha256
