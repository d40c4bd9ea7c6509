"""Terms versions through the pages: read, draft, publish."""

import pytest

from dpa_manager.extensions import db
from dpa_manager.terms.models import TermsVersion
from dpa_manager.terms.text import to_text, translation_text


@pytest.fixture
def as_manager(login, manager, setup):
    return login(manager)


def test_list_and_read_the_default_version(as_manager, setup):
    assert "2020-10" in as_manager.get("/terms/").text
    page = as_manager.get(f"/terms/{setup.id}")
    assert "Artikel 10. Subverwerkers" in page.text
    assert "deze versie verandert niet meer" in page.text
    assert "{objection_window}" in page.text  # placeholders shown as such


def test_new_version_starts_from_the_latest_and_is_a_draft(as_manager, setup):
    page = as_manager.get("/terms/new")
    assert "# 1. Voorwerp, rollen en begrippen" in page.text
    text = to_text(setup.articles).replace("Voorwerp, rollen en begrippen", "Voorwerp, rollen en definities")
    response = as_manager.post(
        "/terms/new", data={"label": "2027-01", "title": "Voorwaarden 2027", "effective_on": "2027-01-01", "text": text}
    )
    assert response.status_code == 302
    version = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == "2027-01"))
    assert version.state == "draft" and version.articles[0].title == "Voorwerp, rollen en definities"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"label": "2020-10"}, "Deze versienaam bestaat al."),
        ({"text": "# 1. Titel\n{onbekend}"}, "onbekende plaatshouder"),
        ({"text": "# 2. Titel\ntekst"}, "verwacht 1"),
        ({"effective_on": "morgen"}, "Ongeldige datum."),
        ({"label": ""}, "Geef de versie een naam."),
    ],
)
def test_bad_terms_input_saves_nothing(as_manager, setup, data, message):
    form = {"label": "2027-01", "title": "T", "effective_on": "2027-01-01", "text": to_text(setup.articles)} | data
    response = as_manager.post("/terms/new", data=form)
    assert response.status_code == 422
    assert message.lower() in response.text.lower()
    assert db.session.scalar(db.select(db.func.count()).select_from(TermsVersion)) == 1


def test_a_version_that_misses_a_checklist_element_cannot_be_published(as_manager, setup):
    text = "# 1. Enig artikel\n[dekt: audits]\nDe verwerker laat audits toe."
    as_manager.post("/terms/new", data={"label": "mager", "title": "T", "effective_on": "2027-01-01", "text": text})
    version = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == "mager"))
    response = as_manager.post(f"/terms/{version.id}/publish", data={"confirm": "y"}, follow_redirects=True)
    assert "dekt niet alles" in response.text and "geheimhoudingsplicht" in response.text.lower()
    db.session.refresh(version)
    assert version.state == "draft"


def test_publishing_needs_confirmation_then_freezes(as_manager, setup):
    as_manager.post(
        "/terms/new",
        data={"label": "2027-01", "title": "T", "effective_on": "2027-01-01", "text": to_text(setup.articles)},
    )
    version = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == "2027-01"))
    as_manager.post(f"/terms/{version.id}/publish", data={})
    db.session.refresh(version)
    assert version.state == "draft"
    as_manager.post(f"/terms/{version.id}/publish", data={"confirm": "y"})
    db.session.refresh(version)
    assert version.state == "published"
    response = as_manager.get(f"/terms/{version.id}/edit", follow_redirects=True)
    assert "kan niet meer wijzigen" in response.text
    response = as_manager.post(f"/terms/{version.id}/publish", data={"confirm": "y"}, follow_redirects=True)
    assert "al gepubliceerd" in response.text


def test_a_published_version_cannot_be_edited(as_manager, setup):
    before = setup.articles[0].body
    as_manager.post(
        f"/terms/{setup.id}/edit",
        data={
            "label": "2020-10",
            "title": "X",
            "effective_on": "2020-10-06",
            "text": "# 1. Anders\n[dekt: audits]\nanders",
        },
    )
    db.session.expire_all()
    assert db.session.get(TermsVersion, setup.id).articles[0].body == before


def test_unknown_version_is_404(as_manager):
    assert as_manager.get("/terms/999").status_code == 404
    assert as_manager.post("/terms/999/publish", data={"confirm": "y"}).status_code == 404


def test_comparing_two_versions_in_the_browser(as_manager, setup):
    text = to_text(setup.articles).replace("zware fout", "grove fout", 1)
    as_manager.post("/terms/new", data={"label": "2027-01", "title": "T", "effective_on": "2027-01-01", "text": text})
    version = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == "2027-01"))
    page = as_manager.get(f"/terms/{version.id}/compare")
    assert page.status_code == 200
    assert "1 gewijzigd, 0 nieuw, 0 geschrapt ten opzichte van 2020-10" in page.text
    assert "<del>zware</del>" in page.text and "<ins>grove</ins>" in page.text
    assert as_manager.get(f"/terms/{setup.id}/compare?with={version.id}").status_code == 200
    assert as_manager.get(f"/terms/{setup.id}/compare?with=abc").status_code == 200


def test_a_translation_is_marked_out_of_date_when_its_dutch_article_changed_after_it(as_manager, setup):
    dutch, french, english = (
        to_text(setup.articles),
        translation_text(setup.articles, "fr"),
        translation_text(setup.articles, "en"),
    )
    assert french and english  # the default terms come translated
    form = {"label": "2027-01", "title": "Voorwaarden 2027", "effective_on": "2027-01-01", "text_fr": french}
    # a new version whose article 10 changed in Dutch, its French left as it was, its English rewritten with it
    changed = dutch.replace("# 10. Subverwerkers", "# 10. Subverwerkers en hun vervanging")
    english_too = english.replace("# 10. Sub-processors", "# 10. Sub-processors and their replacement")
    assert changed != dutch and english_too != english
    saved = as_manager.post("/terms/new", data=form | {"text": changed, "text_en": english_too})
    assert saved.status_code == 302
    version = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == "2027-01"))
    assert version.stale_translations("fr") == [10] and version.stale_translations("en") == []
    page = as_manager.get(f"/terms/{version.id}")
    assert "Frans: de vertaling van artikel 10 is verouderd" in page.text and "Frans: vertaling verouderd" in page.text
    assert "Engels: vertaling verouderd" not in page.text

    # saved again without touching the French: still out of date; the French brought up to date: no longer
    edit = {"label": "2027-01", "title": "Voorwaarden 2027", "effective_on": "2027-01-01", "text": changed}
    as_manager.post(f"/terms/{version.id}/edit", data=edit | {"text_fr": french, "text_en": english_too})
    db.session.expire_all()
    assert version.stale_translations("fr") == [10]
    french_too = french.replace(
        "# 10. Sous-traitants ultérieurs", "# 10. Sous-traitants ultérieurs et leur remplacement"
    )
    assert french_too != french
    as_manager.post(f"/terms/{version.id}/edit", data=edit | {"text_fr": french_too, "text_en": english_too})
    db.session.expire_all()
    assert version.stale_translations("fr") == []
    assert "vertaling verouderd" not in as_manager.get(f"/terms/{version.id}").text
