"""The agreement PDF, read back with pypdf."""

import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from dpa_manager import pdf
from dpa_manager.agreements import services
from dpa_manager.agreements.document import build_document
from dpa_manager.extensions import db
from dpa_manager.terms.services import default_terms, publish, save_draft
from dpa_manager.terms.text import to_text

from .conftest import NOW


def read(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    return reader, pages, "\n".join(pages)


@pytest.fixture
def signed(make_agreement, make_client):
    client = make_client(name="Zoë & Aïcha Café BV")
    return make_agreement("signed", client=client)


def test_every_article_and_annex_is_in_the_pdf(signed):
    _, _, text = read(signed.signed_pdf)
    flat = " ".join(text.split())
    for article in default_terms()["articles"]:
        assert f"Artikel {article['number']}. {article['title']}" in flat
    for number, title in (
        ("I", "Lijst van partijen"),
        ("II", "Beschrijving van de verwerking"),
        ("III", "Technische en organisatorische maatregelen"),
        ("IV", "Lijst van subverwerkers"),
    ):
        assert f"Bijlage {number}. {title}" in flat
    assert "gelden voor deze klant geen subverwerkers" in flat


def test_diacritics_and_euro_survive(signed):
    _, _, text = read(signed.signed_pdf)
    assert "Zoë & Aïcha Café BV" in text
    assert "€ 2.500" in text and "€ 1.000" in text
    assert "Beëindiging" in text or "beëindig" in text.lower() or "ë" in text


def test_every_page_says_pagina_x_van_y(signed):
    reader, pages, _ = read(signed.signed_pdf)
    total = len(reader.pages)
    assert total > 5
    for number, page in enumerate(pages, start=1):
        assert f"Pagina {number} van {total}" in page


def test_fonts_are_embedded_truetype(signed):
    reader, _, _ = read(signed.signed_pdf)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, name  # an embedded TrueType program


def test_metadata_and_language(signed):
    reader, _, _ = read(signed.signed_pdf)
    meta = reader.metadata
    assert meta.title.startswith(f"Verwerkersovereenkomst VO-{signed.id:05d}")
    assert meta.author == "ContactExpert NV"
    assert "Zoë & Aïcha Café BV" in meta.subject
    assert reader.trailer["/Root"]["/Lang"] == "nl-BE"


def test_signature_page_names_both_parties_and_says_the_seal_covers_it(signed):
    reader, pages, _ = read(signed.signed_pdf)
    last = " ".join(pages[-1].split())
    assert "Ondertekening" in last
    assert "Els Janssens" in last and "Zaakvoerder" in last
    assert "An Manager" in last and "Accountmanager" in last
    assert "21/11/2026 11:00:00 (UTC+0100) (Europe/Brussels)" in last  # 10:00 UTC in Brussels
    assert "verzegeld met zijn elektronisch zegel en een tijdstempel" in last
    assert signed.body_sha256 not in last.replace(" ", "")  # no fingerprint of another file


def test_body_hash_is_the_hash_of_the_document_sent(signed):
    body = pdf.render(signed.snapshot)
    assert hashlib.sha256(body).hexdigest() == signed.body_sha256
    assert signed.signed_sha256 == hashlib.sha256(signed.signed_pdf).hexdigest()


def test_signed_pdf_is_stored_once_and_never_regenerated(signed, manager):
    stored = signed.signed_pdf
    # A new terms version and a changed profile do not touch the signed agreement.
    version = save_draft(
        None,
        label="2027-01",
        title="Nieuwe voorwaarden",
        effective_on=NOW.date(),
        text=to_text(signed.terms_version.articles).replace("Voorwerp, rollen en begrippen", "Rollen"),
        actor=manager,
        now=NOW,
    )
    publish(version, actor=manager, now=NOW)
    signed.client.name = "Andere Naam NV"
    db.session.commit()
    db.session.expire_all()
    again = services.pdf_of(signed, now=NOW)
    assert again == stored
    assert "Zoë & Aïcha Café BV" in read(again)[2]


def test_sent_document_is_frozen(make_agreement):
    agreement = make_agreement("sent")
    before = services.pdf_of(agreement, now=NOW)
    agreement.client.name = "Hernoemd BV"
    db.session.commit()
    assert services.pdf_of(agreement, now=NOW) == before


def test_draft_preview_uses_the_current_particulars(make_agreement):
    agreement = make_agreement(subject_matter="Onderwerp één")
    _, _, text = read(services.pdf_of(agreement, now=NOW))
    assert "Onderwerp één" in text
    assert "Beide partijen hebben" not in text  # no signature page
    # a draft says so on every page
    pages = PdfReader(io.BytesIO(services.pdf_of(agreement, now=NOW))).pages
    assert all("ONTWERP" in page.extract_text() for page in pages)


def test_annex_ii_shows_the_particulars(make_agreement):
    agreement = make_agreement(window_days=3, window_unit="working", data_types_detail="Ook klantnummers")
    _, _, text = read(services.pdf_of(agreement, now=NOW))
    flat = " ".join(text.split())
    assert "3 werkdagen; stilzwijgen geldt als goedkeuring" in flat
    assert "Ook klantnummers" in flat
    assert "voor de duur van de dienstverleningsovereenkomst" in flat


def test_annex_iv_lists_sub_processors_when_given(make_agreement):
    agreement = make_agreement()
    document = build_document(
        agreement,
        agreement.client,
        services.get_profile(),
        agreement.terms_version,
        [
            {
                "name": "CloudTel SA",
                "purpose": "Telefonie",
                "countries": ["BE", "US"],
                "transfer_mechanism": "scc",
                "kind": "active_systematic",
            }
        ],
        NOW.date(),
    )
    _, _, text = read(pdf.render(document))
    assert "CloudTel SA" in text and "Modelcontractbepalingen (SCC)" in " ".join(text.split())


def test_same_document_gives_the_same_bytes(make_agreement):
    agreement = make_agreement()
    document = services.build(agreement, NOW.date())
    assert pdf.render(document) == pdf.render(document)


def test_every_page_has_text(signed):
    _, pages, _ = read(signed.signed_pdf)
    assert all(re.search(r"\w{4,}", page) for page in pages)


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_every_character_of_a_translated_agreement_is_in_the_embedded_font(make_agreement, make_client, language):
    """French typography sets narrow no-break spaces, which the embedded font lacks: the PDF prints what it has."""
    import os

    import reportlab
    from reportlab.pdfbase.ttfonts import TTFont

    signed = make_agreement("signed", client=make_client(language=language, name="Boulangerie Zoë SA"))
    sent = make_agreement("sent", client=make_client(language=language, name="Boucherie Noël SA"))
    text = read(signed.signed_pdf)[2] + read(services.pdf_of(sent, now=NOW))[2]
    font = TTFont("Vera-check", os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"))
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in font.face.charToGlyph} - {"\u00ad"})
    assert not missing, [hex(ord(c)) for c in missing]
    assert "\u202f" not in text
    # as the French texts were written before they set narrow spaces: a document sent then renders as it did
    assert pdf.printable("à la signature\u202f: voir «\u202fici\u202f»") == "à la signature : voir « ici »"
