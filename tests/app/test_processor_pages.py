"""The processor profile and its services."""

import pytest

from dpa_manager.extensions import db
from dpa_manager.processor.models import Service
from dpa_manager.processor.services import get_profile

PROFILE_FORM = {
    "name": "ContactExpert NV",
    "enterprise_number": "0427.073.974",
    "address": "Kunstlaan 1\n1000 Brussel",
    "dpo_email": "dpo@contactexpert.be",
    "governing_law": "het Belgisch recht",
    "competent_court": "de rechtbanken van Brussel",
    "default_window_days": "7",
    "default_window_unit": "calendar",
    "cap_total": "2500",
    "cap_other": "1000",
    "contact_name": "An Peeters",
    "contact_role": "Accountmanager",
    "breach_notice_hours": "48",
}


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


def test_profile_page_shows_the_current_values(as_manager):
    page = as_manager.get("/processor/")
    assert "0427.073.974" in page.text and "dpo@contactexpert.be" in page.text and 'value="2.500,00"' in page.text


def test_profile_changes_are_saved(as_manager):
    response = as_manager.post("/processor/", data=PROFILE_FORM | {"default_window_days": "10", "cap_total": "5000"})
    assert response.status_code == 302
    profile = get_profile()
    assert profile.default_window_days == 10 and profile.cap_total_cents == 500_000


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("enterprise_number", "0427.073.975", "controlegetal"),
        ("default_window_days", "0", "minstens 1"),
        ("default_window_days", "120", "hoogstens 90"),
        ("cap_total", "-5", "een bedrag van 0 tot 20.000.000 EUR"),
        ("cap_total", "1e30", "een bedrag van 0 tot 20.000.000 EUR"),
        ("cap_total", "Infinity", "een bedrag van 0 tot 20.000.000 EUR"),
        ("cap_other", "sNaN", "een bedrag van 0 tot 20.000.000 EUR"),
        ("enterprise_number", "0427.073.97\u00b3", "10 cijfers"),
        ("dpo_email", "", "Vul het e-mailadres in."),
    ],
)
def test_bad_profile_input_changes_nothing(as_manager, field, value, message):
    response = as_manager.post("/processor/", data=PROFILE_FORM | {field: value})
    assert response.status_code == 422 and message in response.text
    db.session.expire_all()
    profile = get_profile()
    assert (profile.default_window_days, profile.cap_total_cents, profile.enterprise_number) == (
        7,
        250_000,
        "0427073974",
    )


def test_add_a_service(as_manager):
    as_manager.post("/processor/services", data={"code": "chat", "name": "Chatondersteuning"})
    assert db.session.scalar(db.select(Service).where(Service.code == "chat")).name == "Chatondersteuning"
    response = as_manager.post("/processor/services", data={"code": "chat", "name": "Dubbel"}, follow_redirects=True)
    assert "Deze code bestaat al." in response.text
    response = as_manager.post("/processor/services", data={"code": "Met Spatie", "name": "X"}, follow_redirects=True)
    assert "kleine letters" in response.text
