"""Dutch, French and English: the client's language for what is sent to it, the user's for the interface."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from dpa_manager.agreements import services as agreements
from dpa_manager.formatting import format_amount, format_long_date
from dpa_manager.jobs import drain

from .conftest import NOW
from .test_mail import announce, parts


def pdf_text(data: bytes) -> str:
    """Return the PDF's words with single spaces (lines wrap where the layout puts them)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).split())


@pytest.mark.parametrize(
    "language, amount, long_date",
    [
        ("nl", "€ 2.500", "6 oktober 2020"),
        ("fr", "2 500 €", "6 octobre 2020"),
        ("en", "€2,500", "6 October 2020"),
    ],
)
def test_amounts_and_dates_follow_the_language(app, language, amount, long_date):
    assert format_amount(250_000, language) == amount
    assert format_long_date(date(2020, 10, 6), language) == long_date


def test_a_french_client_gets_a_french_agreement_that_says_the_dutch_text_prevails(make_agreement, make_client):
    agreement = make_agreement("signed", client=make_client(language="fr"))
    text = pdf_text(agreements.pdf_of(agreement, now=NOW))
    assert "Convention de sous-traitance" in text
    assert "Ceci est une traduction" in text and "néerlandais" in text
    assert "Article 1. Objet, rôles et définitions" in text
    assert "Article 15." in text and "à restituer les données à caractère personnel" not in text
    assert "a choisi d'effacer les données à caractère personnel" in text
    assert "maximum de 2 500 €" in text
    assert "le droit belge" in text
    assert "Annexe IV. Liste des sous-traitants ultérieurs" in text
    assert "Signature" in text and "Pour le responsable du traitement" in text
    assert "Page 1 sur" in text


def test_an_english_client_gets_an_english_agreement_that_says_the_dutch_text_prevails(make_agreement, make_client):
    agreement = make_agreement("signed", client=make_client(language="en"), end_choice="return")
    text = pdf_text(agreements.pdf_of(agreement, now=NOW))
    assert "Data Processing Agreement" in text
    assert "This is a translation" in text and "Dutch text prevails" in text
    assert "Article 1. Subject, roles and definitions" in text
    assert "to return the personal data" in text
    assert "maximum of €2,500" in text
    assert "Belgian law" in text
    assert "Annex IV. List of sub-processors" in text
    assert "For the controller" in text and "Page 1 of" in text
    assert "Verwerkersovereenkomst" not in text


def test_a_dutch_client_gets_the_original_without_a_translation_notice(make_agreement):
    text = pdf_text(agreements.pdf_of(make_agreement("signed"), now=NOW))
    assert "Verwerkersovereenkomst" in text and "Dit is een vertaling" not in text
    assert "maximum van € 2.500" in text or "€ 2.500" in text


def test_a_french_client_reads_french_mail(make_agreement, make_subprocessor, manager, inbox, make_client):
    make_agreement("signed", client=make_client(language="fr"))
    announce(make_subprocessor, manager)
    drain(now=lambda: NOW)
    (message,) = inbox.messages
    text, html, _ = parts(message)
    assert message["Subject"].startswith("Sous-traitant ultérieur CloudTel SA")
    assert "lundi 30 novembre 2026" in text and "réputée approuvée" in text
    assert "Coordonnées (adresse, téléphone, e-mail)" in text  # the data category, in French
    assert 'lang="fr"' in html


def test_the_interface_follows_the_users_choice(make_agreement, login):
    agreement = make_agreement("signed")
    user = agreement.client.users[0]
    http = login(user)
    assert "Subverwerkers" in http.get("/portal/").text
    http.post("/taal", data={"language": "en", "next": "/portal/"})
    page = http.get("/portal/")
    assert '<html lang="en">' in page.text and "Sub-processors" in page.text
    http.post("/taal", data={"language": "fr", "next": "/portal/"})
    assert "Sous-traitants ultérieurs" in http.get("/portal/").text


def test_a_new_version_carries_its_translations_and_refuses_other_placeholders(setup, manager):
    from dpa_manager.errors import Invalid
    from dpa_manager.terms.services import save_draft
    from dpa_manager.terms.text import to_text, translation_text

    original = to_text(setup.articles)
    french = translation_text(setup.articles, "fr")
    assert french.startswith("# 1. Objet, rôles et définitions")
    version = save_draft(
        None,
        label="2027-01",
        title="T",
        effective_on=date(2027, 1, 1),
        text=original,
        translations={"fr": french, "en": ""},
        actor=manager,
        now=NOW,
    )
    assert version.translated_into("fr") and not version.translated_into("en")
    assert version.articles[0].text_in("fr")[0] == "Objet, rôles et définitions"
    assert version.articles[0].text_in("en")[2] is False  # falls back to the Dutch original
    broken = french.replace("{client_name}", "{klant}", 1)
    with pytest.raises(Invalid) as refused:
        save_draft(
            version,
            label="2027-01",
            title="T",
            effective_on=date(2027, 1, 1),
            text=original,
            translations={"fr": broken},
            actor=manager,
            now=NOW,
        )
    assert refused.value.field == "text_fr"
    short = french.split("# 18.")[0]
    with pytest.raises(Invalid):
        save_draft(
            version,
            label="2027-01",
            title="T",
            effective_on=date(2027, 1, 1),
            text=original,
            translations={"fr": short},
            actor=manager,
            now=NOW,
        )
