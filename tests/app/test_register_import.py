"""Importing the register of sub-processors a processor already keeps, from CSV and Excel: every row checked as
the register's form checks an entry, then all or nothing; through the pages and the command line."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from dpa_manager import clock
from dpa_manager.audit import AuditEvent
from dpa_manager.extensions import db
from dpa_manager.spreadsheets import ImportFile
from dpa_manager.subprocessors.imports import import_register, read_table, template_csv, template_xlsx
from dpa_manager.subprocessors.models import SubProcessor

COLUMNS = ["name", "purpose", "countries", "data_categories", "kind", "address", "contact", "services",
           "transfer_mechanism", "status", "activated_on", "retired_on", "purpose_fr"]  # fmt: skip
GOOD = [
    ["CloudTel SA", "Telefonieplatform", "BE NL", "identification, contact", "active_systematic",
     "Havenlaan 86, 1000 Brussel", "privacy@cloudtel.example", "klantendienst", "", "", "2024-03-01", "",
     "Plateforme téléphonique"],
    ["VoiceCloud Inc.", "Spraakherkenning", "IE;US", "call_recordings", "active_systematic",
     "1 Harbor Street, Wilmington", "privacy@voicecloud.example", "", "scc", "active", "", "", ""],
    ["Oude Hosting BV", "Hosting", "NL", "contact", "active_systematic", "Datalaan 3, Groningen", "ops@oud.example",
     "", "", "retired", "2020-01-01", "2023-06-30", ""],
    ["Nieuw Archief NV", "Archivering", "BE", "contact", "active_systematic", "Kaai 1, Antwerpen",
     "dpo@archief.example", "", "", "proposed", "", "", ""],
]  # fmt: skip


def as_csv(rows, columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows, columns=COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([date.fromisoformat(v) if re.fullmatch(r"\d{4}-\d\d-\d\d", v) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(SubProcessor)) or 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_register_imports_with_its_statuses_days_services_and_translations(app, setup, manager, kind):
    data = as_csv(GOOD) if kind == "csv" else as_xlsx(GOOD)
    checked = import_register(read_table(f"register.{kind}", data), actor=manager, now=clock.now(), source="r")
    db.session.commit()
    assert not any(row.errors for row in checked)
    by_name = {sp.name: sp for sp in db.session.scalars(select(SubProcessor))}
    cloudtel = by_name["CloudTel SA"]
    assert (cloudtel.status, cloudtel.activated_on, cloudtel.countries) == ("active", date(2024, 3, 1), ["BE", "NL"])
    assert [s.code for s in cloudtel.services] == ["klantendienst"]
    assert cloudtel.translations == {"fr": {"purpose": "Plateforme téléphonique"}}
    assert cloudtel.data_categories == ["identification", "contact"]
    voice = by_name["VoiceCloud Inc."]
    assert voice.activated_on == clock.today_in_brussels(clock.now()) and voice.transfer_mechanism == "scc"
    assert (by_name["Oude Hosting BV"].status, by_name["Oude Hosting BV"].retired_on) == ("retired", date(2023, 6, 30))
    assert by_name["Nieuw Archief NV"].status == "proposed" and by_name["Nieuw Archief NV"].activated_on is None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "subprocessor")).all()
    assert len(events) == 4 and all(e.after["imported_from"] == "r" for e in events)


@pytest.mark.parametrize(
    "change, column, words",
    [
        ({"countries": "BE XX"}, "countries", "XX"),
        ({"countries": "US", "transfer_mechanism": ""}, "transfer_mechanism", "doorgiftemechanisme"),
        ({"data_categories": "gedachten"}, "data_categories", "gedachten"),
        ({"services": "bestaat-niet"}, "services", "bestaat-niet"),
        ({"status": "misschien"}, "status", "active, proposed of retired"),
        ({"status": "retired", "retired_on": ""}, "retired_on", "retired_on"),
        ({"activated_on": "01/03/2024"}, "activated_on", "JJJJ-MM-DD"),
        ({"activated_on": "2099-01-01"}, "activated_on", "toekomst"),
        ({"name": ""}, "name", "naam"),
        ({"contact": ""}, "contact", "contact"),
    ],
)
def test_a_wrong_row_says_why_and_nothing_is_imported(app, setup, manager, change, column, words):
    rows = [dict(zip(COLUMNS, GOOD[0], strict=True)), dict(zip(COLUMNS, GOOD[1], strict=True)) | change]
    checked = import_register(rows, actor=manager, now=clock.now(), source="r")
    assert not checked[0].errors and column in checked[1].errors, checked[1].errors
    assert words.lower() in checked[1].errors[column].lower()
    assert entries() == 0


def test_a_name_twice_in_the_file_or_already_in_the_register_is_refused(app, setup, manager, make_subprocessor):
    make_subprocessor(name="Bestaand NV")
    first = dict(zip(COLUMNS, GOOD[0], strict=True))
    rows = [first, first | {}, first | {"name": "bestaand nv"}]
    checked = import_register(rows, actor=manager, now=clock.now(), source="r")
    assert checked[1].errors == {"name": "Dezelfde naam als rij 2."}
    assert "al een subverwerker met deze naam" in checked[2].errors["name"]
    assert entries() == 1


def test_the_pages_check_then_import_once_and_warn_about_signed_agreements(login, manager, make_agreement):
    make_agreement("signed")
    http = login(manager)
    assert "Register importeren" in http.get("/subprocessors/").text
    page = http.get("/subprocessors/import")
    assert page.status_code == 200 and "purpose_fr" in page.text
    for kind in ("csv", "xlsx"):
        template = http.get(f"/subprocessors/import/sjabloon.{kind}")
        assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    assert read_table("t.csv", template_csv())[0]["name"] == "CloudTel SA"
    assert read_table("t.xlsx", template_xlsx())[0]["activated_on"] == "2024-03-01"

    bad = http.post(
        "/subprocessors/import", data={"file": (io.BytesIO(as_csv([GOOD[0][:2] + ["XX"] + GOOD[0][3:]])), "r.csv")}
    )
    assert bad.status_code == 200 and "1 rij heeft een fout" in bad.text and "XX" in bad.text
    preview = http.post("/subprocessors/import", data={"file": (io.BytesIO(as_xlsx(GOOD)), "register.xlsx")})
    assert "Alle rijen zijn in orde." in preview.text and "4 subverwerkers importeren" in preview.text
    assert "Er is al 1 verstuurde of ondertekende overeenkomst" in preview.text
    assert entries() == 0
    file_id = int(re.search(r'action="/subprocessors/import/(\d+)"', preview.text).group(1))
    done = http.post(f"/subprocessors/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "4 subverwerkers in het register geïmporteerd." in done.text
    again = http.post(f"/subprocessors/import/{file_id}", data={"confirm": "y"}, follow_redirects=True)
    assert "al geïmporteerd" in again.text and entries() == 4
    kept = db.session.get(ImportFile, file_id)
    assert kept.kind == "subprocessors" and kept.rows == 4 and len(kept.sha256) == 64


def test_the_command_imports_all_or_nothing(app, setup, runner, tmp_path):
    good, bad = tmp_path / "register.csv", tmp_path / "fout.csv"
    good.write_bytes(as_csv(GOOD))
    bad.write_bytes(as_csv([GOOD[0], GOOD[1][:2] + ["XX"] + GOOD[1][3:]]))
    refused = runner.invoke(args=["dpa", "import", "subprocessors", str(bad)])
    assert refused.exit_code != 0 and "rij 3: countries" in refused.output and entries() == 0
    result = runner.invoke(args=["dpa", "import", "subprocessors", str(good)])
    assert result.exit_code == 0, result.output
    assert "4 subverwerkers geïmporteerd uit register.csv." in result.output and entries() == 4
