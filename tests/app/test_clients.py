"""Managing clients through the pages."""

import pytest

from dpa_manager.clients.models import Client
from dpa_manager.demo import with_check_digits
from dpa_manager.extensions import db

VALID = {
    "name": "Zoë & Aïcha Café BV",
    "enterprise_number": "0427.073.974",
    "address": "Kerkstraat 1\n2000 Antwerpen",
    "language": "nl",
    "contact_email": "privacy@cafe.example",
}


@pytest.fixture
def http_manager(login, manager, setup):
    return login(manager)


def test_manager_creates_a_client(http_manager):
    response = http_manager.post("/clients/new", data=VALID)
    assert response.status_code == 302
    client = db.session.scalar(db.select(Client))
    assert client.enterprise_number == "0427073974"
    page = http_manager.get(response.headers["Location"])
    assert "Zoë &amp; Aïcha Café BV" in page.text and "0427.073.974" in page.text


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("enterprise_number", "0427.073.975", "controlegetal"),
        ("enterprise_number", "12345", "10 cijfers"),
        ("enterprise_number", "2427073974", "begint met 0 of 1"),
        ("contact_email", "geen-adres", "e-mailadres"),
        ("name", "", "Vul de naam van de klant in."),
        ("address", "", "Vul het adres in."),
        ("language", "de", "Ongeldige keuze."),
    ],
)
def test_bad_client_input_is_shown_beside_the_field_and_saves_nothing(http_manager, field, value, message):
    response = http_manager.post("/clients/new", data=VALID | {field: value})
    assert response.status_code == 422
    assert message.lower() in response.text.lower()
    assert 'class="field  has-error"' in response.text
    # what the user typed is kept
    assert "Kerkstraat 1" in response.text or field == "address"
    assert db.session.scalar(db.select(db.func.count()).select_from(Client)) == 0


def test_duplicate_enterprise_number_is_refused(http_manager, make_client):
    existing = make_client(enterprise_number="0427073974")
    response = http_manager.post("/clients/new", data=VALID)
    assert f"hoort al bij {existing.name}" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Client)) == 1


def test_manager_edits_a_client(http_manager, make_client):
    client = make_client()
    page = http_manager.get(f"/clients/{client.id}/edit")
    assert client.enterprise_number_display in page.text
    response = http_manager.post(f"/clients/{client.id}/edit", data=VALID | {"name": "Nieuwe naam NV"})
    assert response.status_code == 302
    db.session.refresh(client)
    assert client.name == "Nieuwe naam NV"


def test_bad_edit_changes_nothing(http_manager, make_client):
    client = make_client(name="Blijft BV")
    http_manager.post(f"/clients/{client.id}/edit", data=VALID | {"name": "Anders", "enterprise_number": "1"})
    db.session.expire_all()
    assert db.session.get(Client, client.id).name == "Blijft BV"


def test_search_finds_by_name_number_and_email(http_manager, make_client):
    make_client(name="Bakkerij Peeters", enterprise_number=with_check_digits(3_111_111))
    make_client(name="Garage Claes", contact_email="info@claes.example")
    assert "Bakkerij Peeters" in http_manager.get("/clients/?q=bakkerij").text
    assert "Garage Claes" not in http_manager.get("/clients/?q=bakkerij").text
    assert "Bakkerij Peeters" in http_manager.get("/clients/?q=0311.111").text
    assert "Garage Claes" in http_manager.get("/clients/?q=claes.example").text
    assert "Geen klanten gevonden" in http_manager.get("/clients/?q=%25_").text


def test_the_search_reads_the_index_and_follows_every_change(http_manager, make_client):
    """The words of each client sit in an index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) that the
    database keeps as clients are added, renamed and removed."""
    client = make_client(name="Brouwerij Zoë BV", contact_email="privacy@zoe.example")
    make_client(name="Garage Claes")
    assert "Brouwerij Zo" in http_manager.get("/clients/?q=BROUWERIJ").text  # any case
    assert "Brouwerij Zo" in http_manager.get("/clients/?q=rij z").text  # any part, across words
    assert "Brouwerij Zo" in http_manager.get("/clients/?q=zo").text  # shorter than the index's three letters
    assert "Geen klanten gevonden" in http_manager.get("/clients/?q=Nergens").text
    client.name = "Stokerij Anders NV"
    db.session.commit()
    assert "Geen klanten gevonden" in http_manager.get("/clients/?q=Brouwerij").text
    assert "Stokerij Anders" in http_manager.get("/clients/?q=stokerij").text
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(
            db.text("EXPLAIN QUERY PLAN SELECT rowid FROM client_search WHERE words LIKE '%stokerij%'")
        ).all()
        assert "VIRTUAL TABLE INDEX" in str(plan)
    else:
        index = db.session.scalar(db.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_clients_search'"))
        assert "gin_trgm_ops" in index
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))  # a table this small would be read whole
        plan = db.session.execute(
            db.text(
                "EXPLAIN SELECT id FROM clients WHERE (lower(clients.name) || ' ' || lower(clients.contact_email) "
                "|| ' ' || clients.enterprise_number) LIKE '%stokerij%'"
            )
        ).all()
        db.session.rollback()
        assert "ix_clients_search" in str(plan)


def test_client_list_is_paged(http_manager, app, make_client):
    app.config["PAGE_SIZE"] = 2
    for _ in range(5):
        make_client()
    page = http_manager.get("/clients/?page=2")
    assert "<span>3–4</span>" in page.text and 'rel="prev"' in page.text and 'rel="next"' in page.text
    last = http_manager.get("/clients/?page=3")
    assert "<span>5–5</span>" in last.text and 'rel="next"' not in last.text
    assert http_manager.get("/clients/?page=99").status_code == 200
    assert '<small class="muted">5</small>' in page.text  # how many clients there are, beside the title


def test_unknown_client_is_404(http_manager):
    assert http_manager.get("/clients/424242").status_code == 404
    assert http_manager.get("/clients/424242/edit").status_code == 404
