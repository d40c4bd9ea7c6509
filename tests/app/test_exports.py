"""Every list a manager sees downloads as CSV and as Excel, with the page's filters; the files are read back."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dpa_manager import tables
from dpa_manager.clients import imports

from .conftest import NOW


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def read_xlsx(response) -> tuple[list[str], list[list]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == tables.KINDS["xlsx"]
    book = load_workbook(io.BytesIO(response.data))
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    return rows[0], rows[1:]


@pytest.fixture
def browser(login, manager):
    """A manager's session."""
    return login(manager)


def test_clients_download_with_the_search_applied_and_import_again(browser, make_client):
    make_client(name="Brouwerij De Klok BV", language="fr", contact_name="Zoë Peeters")
    make_client(name="Bakkerij Maes")
    rows = read_csv(browser.get("/clients/?q=klok&export=csv"))
    assert [r["name"] for r in rows] == ["Brouwerij De Klok BV"]
    (row,) = rows
    assert row["language"] == "fr" and row["contact_name"] == "Zoë Peeters" and row["enterprise_number"].count(".") == 2
    assert row["created_at"] == "2026-11-21T11:00:00+01:00"  # Brussels time, with its offset, to the second
    assert datetime.fromisoformat(row["created_at"]) == NOW

    heading, body = read_xlsx(browser.get("/clients/?export=xlsx"))
    assert heading[:10] == ["id", "name", "enterprise_number", "address", "language", "contact_email", "contact_name",
                            "contact_role", "salutation", "salutation_name"]  # fmt: skip
    assert heading[10] == "created_at (Europe/Brussels)"
    assert sorted(r[1] for r in body) == ["Bakkerij Maes", "Brouwerij De Klok BV"]
    assert body[0][10] == datetime(2026, 11, 21, 11, 0)  # 10:00 UTC is 11:00 in Brussels

    for name, data in (("klanten.csv", browser.get("/clients/?export=csv").data), ("klanten.xlsx", read_raw(browser))):
        again = imports.read_table(name, data)
        assert sorted(r["name"] for r in again) == ["Bakkerij Maes", "Brouwerij De Klok BV"]
        assert "id" not in again[0] and "created_at" not in again[0]
        checked = imports.check(again)  # they exist already here; elsewhere they would import
        assert all(set(r.errors) == {"enterprise_number"} for r in checked)


def read_raw(browser) -> bytes:
    return browser.get("/clients/?export=xlsx").data


def test_a_text_that_looks_like_a_formula_stays_text(browser, make_client):
    make_client(name='=HYPERLINK("browser://evil.example","klik")', contact_name="+32 tel")
    (row,) = read_csv(browser.get("/clients/?export=csv"))
    assert row["name"] == '\'=HYPERLINK("browser://evil.example","klik")' and row["contact_name"] == "'+32 tel"
    response = browser.get("/clients/?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet["B2"].value == '=HYPERLINK("browser://evil.example","klik")' and sheet["B2"].data_type == "s"


def test_agreements_download_with_state_and_search(browser, make_client, make_agreement):
    klok = make_client(name="Brouwerij De Klok BV")
    signed = make_agreement("signed", client=klok)
    make_agreement("draft", client=klok)
    make_agreement("signed", client=make_client(name="Bakkerij Maes"))
    rows = read_csv(browser.get("/agreements/?state=signed&q=klok&export=csv"))
    assert [r["reference"] for r in rows] == [f"VO-{signed.id:05d}"]
    assert rows[0]["client"] == "Brouwerij De Klok BV" and rows[0]["signed_sha256"] == signed.signed_sha256
    assert rows[0]["client_signer"] == "Els Janssens" and rows[0]["state"] == "signed"
    heading, body = read_xlsx(browser.get("/agreements/?q=klok&export=xlsx"))
    assert len(body) == 2 and heading.index("sent_at (Europe/Brussels)") > 0
    page = browser.get("/agreements/?q=klok")
    assert page.text.count("VO-0") == 2
    assert 'href="/agreements/?export=csv&amp;q=klok"' in page.text  # the file has the page's filters


def test_register_changes_and_notices_download(browser, make_agreement, announce_addition, make_subprocessor):
    make_agreement("signed", client=None)
    _change_id, notice_ids = announce_addition()
    make_subprocessor(name="Andere Cloud NV")
    register = read_csv(browser.get("/subprocessors/?q=andere&export=csv"))
    assert [r["name"] for r in register] == ["Andere Cloud NV"]
    assert set(register[0]) >= {"id", "status", "countries", "data_categories", "services", "activated_on"}
    changes = read_csv(browser.get("/changes/?export=csv"))
    assert len(changes) == 1 and changes[0]["kind"] == "add" and changes[0]["state"] == "announced"
    notices = read_csv(browser.get("/notices/?export=csv"))
    assert [int(r["id"]) for r in notices] == sorted(notice_ids, reverse=True)
    assert notices[0]["state"] == "awaiting_delivery" and notices[0]["closes_at"] == ""
    assert notices[0]["needs_approval"] == "true" and notices[0]["client"]
    heading, body = read_xlsx(browser.get("/notices/?state=open&export=xlsx"))
    assert "closes_at (Europe/Brussels)" in heading and body == []


def test_the_audit_trail_downloads_with_its_filters(browser, make_client):
    make_client(name="Brouwerij De Klok BV")
    rows = read_csv(browser.get("/audit/?object_type=client&export=csv"))
    assert [r["action"] for r in rows] == ["created"] and rows[0]["object_type"] == "client"
    assert '"name": "Brouwerij De Klok BV"' in rows[0]["after"] and len(rows[0]["hash"]) == 64


def test_a_client_user_downloads_only_their_own_trail_and_no_manager_list(
    login, make_client, make_user, make_agreement
):
    mine = make_agreement("signed")
    other = make_agreement("signed")
    user = mine.client.users[0]
    portal = login(user)
    rows = read_csv(portal.get("/portal/audit?export=csv"))
    assert rows and {r["client_id"] for r in rows} == {str(mine.client_id)}
    assert str(other.id) not in {r["object_id"] for r in rows if r["object_type"] == "agreement"}
    for url in ("/clients/?export=csv", "/agreements/?export=xlsx", "/notices/?export=csv", "/audit/?export=csv"):
        assert portal.get(url).status_code in (302, 403)


def test_a_list_too_long_for_a_file_is_refused_with_a_message(browser, make_client, monkeypatch):
    make_client(), make_client()
    monkeypatch.setattr(tables, "MAX_ROWS", {"csv": 1, "xlsx": 1})
    refused = browser.get("/clients/?q=klant&export=xlsx")
    assert refused.status_code == 302 and refused.headers["Location"] == "/clients/?q=klant"
    assert "kies een filter" in browser.get(refused.headers["Location"]).text


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_client_downloads_their_list_of_today_or_of_a_date(login, make_client, make_agreement, make_subprocessor):
    client = make_client(name="Brouwerij De Klok BV", language="fr")
    make_subprocessor(status="active", name="CloudTel SA", purpose_fr="Plateforme téléphonique")
    agreement = make_agreement("signed", client=client, data_types=["contact", "identification"])
    portal = login(agreement.client.users[0])
    page = portal.get("/portal/subprocessors")
    assert "/portal/subprocessors.pdf?op=" in page.text and "/portal/subprocessors.csv?op=" in page.text

    rows = read_csv(portal.get("/portal/subprocessors.csv"))
    assert [r["name"] for r in rows] == ["CloudTel SA"]
    assert rows[0]["purpose"] == "Plateforme téléphonique" and rows[0]["since"] == "2026-11-21"
    assert rows[0]["data_categories"] == "contact"  # what this client's agreement sends it, not all it could get
    text = pdf_text(portal.get("/portal/subprocessors.pdf"))
    assert "Brouwerij De Klok BV" in text and "CloudTel SA" in text and "Plateforme téléphonique" in text

    before = read_csv(portal.get("/portal/subprocessors.csv?op=2026-01-01"))
    assert before == []
    assert "2026-01-01" in portal.get("/portal/subprocessors.pdf?op=2026-01-01").headers["Content-Disposition"]
    bad = portal.get("/portal/subprocessors.pdf?op=gisteren")
    assert bad.status_code == 302 and bad.headers["Location"] == "/portal/subprocessors"


def test_anyone_downloads_the_public_register_as_pdf(http, setup, make_subprocessor):
    make_subprocessor(status="active", name="CloudTel SA")
    make_subprocessor(name="Nog Niet NV")  # proposed: not in use, not listed
    text = pdf_text(http.get("/subverwerkers.pdf"))
    assert "Subverwerkers van ContactExpert NV" in text and "CloudTel SA" in text and "Nog Niet NV" not in text
    assert "/subverwerkers.pdf" in http.get("/subverwerkers").text


def test_control_characters_cannot_break_an_excel_file(app):
    """A text with a control character (which an XML file cannot hold) shows it as the replacement character."""
    columns = [tables.Column("reason", lambda r: r)]
    data = tables.to_xlsx(columns, ["Bezwaar\x0bmet\x07tekens", "gewoon"], "test")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet["A"]] == ["reason", "Bezwaar\ufffdmet\ufffdtekens", "gewoon"]
