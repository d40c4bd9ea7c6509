"""Terms as data: the shipped default, placeholders, and the editable text form."""

import re

import pytest

from dpa_manager.rules import CHECKLIST
from dpa_manager.terms import text
from dpa_manager.terms.services import TERMS_KEYS, default_terms, missing_coverage
from dpa_manager.terms.text import PLACEHOLDERS, blocks, fill, parse_text, to_text, unknown_placeholders


@pytest.fixture(scope="module")
def terms():
    return default_terms()


def test_default_terms_are_dutch_and_dated(terms):
    assert terms["language"] == "nl"
    assert terms["effective_on"].isoformat() == "2020-10-06"
    assert [a["number"] for a in terms["articles"]] == list(range(1, len(terms["articles"]) + 1))


def test_default_terms_cover_every_article_element(terms):
    covered = {key for a in terms["articles"] for key in a["covers"]}
    assert TERMS_KEYS <= covered


def test_default_terms_use_only_known_placeholders(terms):
    for article in terms["articles"]:
        assert unknown_placeholders(article["title"] + article["body"]) == [], article["number"]


@pytest.mark.parametrize(
    "fact",
    [
        r"\{objection_window\}",  # the window, from the agreement
        r"stilzwijgen|geen bezwaar",  # silence is approval
        r"goedgekeurd|goedkeuring",
        r"incidente|technisch onderhoud",  # incidental services need no approval
        r"\{liability_cap_total\}",
        r"\{liability_cap_other\}",
        r"zware fout",
        r"bedrog",
        r"Gegevensbeschermingsautoriteit",
        r"\{governing_law\}",
        r"\{competent_court\}",
        r"\{processor_dpo_email\}",
        r"Nederlandse tekst|Nederlandstalige",  # the Dutch text prevails
        r"Europese Economische Ruimte|EER",  # no transfer outside the EEA without safeguards
        r"vrijwaart",  # the client indemnifies
        r"klantenadministratie",  # controller for its own customer administration
        r"privacybeleid|privacyverklaring",  # the whole privacy policy applies
        r"rechtmatig",  # lawful collection warranted by the client
        r"ongeldig|nietig",  # severability
    ],
)
def test_every_fact_of_the_terms_is_written(terms, fact):
    text = "\n".join(a["title"] + "\n" + a["body"] for a in terms["articles"])
    assert re.search(fact, text, re.IGNORECASE), fact


def test_fill_replaces_known_and_keeps_unknown():
    assert fill("{client_name} en {onbekend}", {"client_name": "Zoë BV"}) == "Zoë BV en {onbekend}"


def test_unknown_placeholders_and_stray_braces():
    assert unknown_placeholders("{client_name} {x}") == ["x"]
    assert unknown_placeholders("tekst met { alleen") == ["{ of } zonder plaatshouder"]
    assert unknown_placeholders("{__class__}") == ["__class__"]


def test_blocks_split_paragraphs_and_bullets():
    body = "Eerste alinea\nloopt door.\n\nTweede:\n- een\n- twee\n\nDerde."
    assert blocks(body) == [
        ("p", "Eerste alinea loopt door."),
        ("p", "Tweede:"),
        ("ul", ["een", "twee"]),
        ("p", "Derde."),
    ]


def test_text_form_round_trips(terms):
    class A:
        def __init__(self, d):
            self.number, self.title, self.body, self.covers = d["number"], d["title"], d["body"].strip(), d["covers"]

    articles = [A(a) for a in terms["articles"]]
    parsed, errors = parse_text(to_text(articles))
    assert errors == []
    assert [(p.number, p.title, p.body, p.covers) for p in parsed] == [
        (a.number, a.title, a.body, a.covers) for a in articles
    ]
    assert missing_coverage(parsed) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "geen enkel artikel"),
        ("voorwoord\n# 1. Titel\ntekst", "vóór het eerste artikel"),
        ("# 1. Een\ntekst\n# 3. Drie\ntekst", "verwacht 2"),
        ("# 1. Leeg\n", "geen tekst"),
        ("# 1. Titel\n[dekt: audits, onbestaand]\ntekst", "onbekende checklistsleutel onbestaand"),
        ("# 1. Titel\n{client_naam} tekst", "client_naam"),
    ],
)
def test_text_form_errors_are_named(text, message):
    _, errors = parse_text(text)
    assert any(message in e for e in errors), errors


def test_every_placeholder_has_a_value_in_documents():
    from datetime import date
    from types import SimpleNamespace

    from dpa_manager.agreements.document import placeholder_values

    agreement = SimpleNamespace(
        subject_matter="s",
        starts_on=date(2026, 1, 1),
        ends_on=None,
        nature_purpose="n",
        data_types=["contact"],
        data_subjects=["customers"],
        services=[],
        window_days=7,
        window_unit="calendar",
        cap_total_cents=250_000,
        cap_other_cents=100_000,
        end_choice="return",
    )
    party = SimpleNamespace(
        name="X",
        enterprise_number="0427073974",
        address="A\nB",
        dpo_email="d@x.be",
        governing_law="het Belgisch recht",
        competent_court="rechtbank",
    )
    terms = SimpleNamespace(effective_on=date(2020, 10, 6), label="2020-10")
    values = placeholder_values(agreement, party, party, terms)
    assert set(values) == set(PLACEHOLDERS)
    assert values["liability_cap_total"] == "€ 2.500"
    assert values["client_address"] == "A, B"
    assert {i.key for i in CHECKLIST} >= TERMS_KEYS


NL = ("Subverwerkers", "De verwerker meldt elke nieuwe subverwerker.")
NL_CHANGED = ("Subverwerkers", "De verwerker meldt elke nieuwe subverwerker, vooraf.")
FR = {"title": "Sous-traitants", "body": "Le sous-traitant notifie tout nouveau sous-traitant ultérieur."}
FR_CHANGED = {"title": "Sous-traitants", "body": "Le sous-traitant notifie au préalable tout nouveau sous-traitant."}


@pytest.mark.parametrize(
    "translation, dutch, before, renders",
    [
        # new: it renders the Dutch text it was saved with
        (FR, NL, None, NL),
        # saved again as it was, the Dutch unchanged: still that text
        (FR, NL, dict(FR, dutch=NL), NL),
        # the Dutch changed, the translation left as it was: it still renders the earlier Dutch (out of date)
        (FR, NL_CHANGED, dict(FR, dutch=NL), NL),
        # and stays so when saved again, even though the Dutch did not change this time
        (FR, NL_CHANGED, dict(FR, dutch=NL_CHANGED, source=text.source_of(*NL)), NL),
        # the translation changed with (or after) the Dutch: up to date
        (FR_CHANGED, NL_CHANGED, dict(FR, dutch=NL), NL_CHANGED),
        (FR_CHANGED, NL_CHANGED, dict(FR, dutch=NL_CHANGED, source=text.source_of(*NL)), NL_CHANGED),
    ],
)
def test_a_translation_keeps_the_dutch_text_it_renders(translation, dutch, before, renders):
    assert text.translation_source(dict(translation), dutch, before) == text.source_of(*renders)
