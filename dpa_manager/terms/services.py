"""Terms versions: the shipped default, drafts, publication."""

import tomllib
from collections.abc import Sequence
from datetime import date, datetime
from importlib.resources import files

from flask_babel import gettext as _

from .. import audit
from ..errors import Conflict, Invalid
from ..extensions import db
from ..rules import CHECKLIST
from .models import TermsArticle, TermsState, TermsVersion
from .text import parse_text, parse_translation, translation_source, unknown_placeholders

#: Checklist elements the articles themselves must cover (the rest come from the particulars).
TERMS_KEYS = frozenset(item.key for item in CHECKLIST if item.source in ("terms", "both"))


def default_terms(language: str = "nl") -> dict:
    """Return the shipped default terms in `language` (nl is the original; fr and en translate it)."""
    return tomllib.loads(files("dpa_manager.terms").joinpath(f"default_{language}.toml").read_text("utf-8"))


def default_translations() -> dict[int, dict]:
    """Return, per article number, the shipped French and English texts of the default terms."""
    result: dict[int, dict] = {}
    for language in ("fr", "en"):
        for article in default_terms(language)["articles"]:
            result.setdefault(article["number"], {})[language] = {
                "title": article["title"],
                "body": article["body"].strip(),
            }
    return result


def load_default_terms(*, now: datetime) -> TermsVersion:
    """Store and publish the shipped default version unless it exists."""
    data = default_terms()
    existing = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == data["label"]))
    if existing:
        return existing
    version = TermsVersion(
        label=data["label"],
        title=data["title"],
        language=data["language"],
        title_translations={lang: default_terms(lang)["title"] for lang in ("fr", "en")},
        effective_on=data["effective_on"],
        state=TermsState.PUBLISHED.value,
        published_at=now,
        created_at=now,
    )
    translations = default_translations()
    for article in data["articles"]:
        version.articles.append(
            TermsArticle(
                number=article["number"],
                title=article["title"],
                body=article["body"].strip(),
                covers=list(article["covers"]),
                translations=translations.get(article["number"]),
            )
        )
    db.session.add(version)
    db.session.flush()
    audit.record(
        at=now,
        actor=None,
        object_type="terms",
        object_id=version.id,
        action="published",
        after={"label": version.label},
    )
    return version


def published_versions() -> Sequence[TermsVersion]:
    return db.session.scalars(
        db.select(TermsVersion)
        .where(TermsVersion.state == TermsState.PUBLISHED)
        .order_by(TermsVersion.effective_on.desc(), TermsVersion.id.desc())
    ).all()


def all_versions(*, but: int | None = None) -> Sequence[TermsVersion]:
    """Return every version of the terms (drafts too; all but `but` if given), the latest in force first."""
    stmt = db.select(TermsVersion).order_by(TermsVersion.effective_on.desc(), TermsVersion.id.desc())
    if but is not None:
        stmt = stmt.where(TermsVersion.id != but)
    return db.session.scalars(stmt).all()


def latest_version() -> TermsVersion | None:
    """Return the version made last (a new one starts from its text)."""
    return db.session.scalar(db.select(TermsVersion).order_by(TermsVersion.id.desc()).limit(1))


def current_version(on: date) -> TermsVersion | None:
    """Return the published version in force on `on` (the latest one that has taken effect)."""
    versions = published_versions()
    in_force = [v for v in versions if v.effective_on <= on]
    return (in_force or versions or [None])[0]  # type: ignore[list-item]  # None when nothing is published


def missing_coverage(articles) -> list[str]:
    """Return the labels of the checklist elements that no article covers."""
    covered = {key for a in articles for key in a.covers}
    return [_(item.label) for item in CHECKLIST if item.key in TERMS_KEYS and item.key not in covered]


def save_draft(
    version: TermsVersion | None,
    *,
    label: str,
    title: str,
    effective_on: date,
    text: str,
    actor,
    now: datetime,
    translations: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
    based_on: TermsVersion | None = None,
) -> TermsVersion:
    """Create or update a draft version from the editable text and its optional translations. Each translation
    keeps which Dutch text it renders: a translation saved unchanged while its Dutch article changed (since
    `based_on`, the version the text was edited from; by default the draft itself) stays marked out of date."""
    if version is not None and version.is_published:
        raise Conflict(_("Een gepubliceerde versie kan niet meer wijzigen; maak een nieuwe versie."))
    label = (label or "").strip()
    if not label:
        raise Invalid(_("Geef de versie een naam."), "label")
    clash = db.session.scalar(db.select(TermsVersion).where(TermsVersion.label == label))
    if clash is not None and clash is not version:
        raise Invalid(_("Deze versienaam bestaat al."), "label")
    parsed, errors = parse_text(text)
    if errors:
        raise Invalid(" ".join(errors), "text")
    translated: dict[int, dict] = {}
    for language, translation in (translations or {}).items():
        if not (translation or "").strip():
            continue
        articles, errors = parse_translation(translation, parsed)
        if errors:
            raise Invalid(" ".join(errors), f"text_{language}")
        for number, rendered in articles.items():
            translated.setdefault(number, {})[language] = rendered
    edited_from = based_on or version
    # an earlier translation is found by its own text, wherever its article stood (articles may be renumbered)
    before = {
        (language, t.get("title"), t.get("body")): dict(t, dutch=(a.title, a.body))
        for a in (edited_from.articles if edited_from is not None else [])
        for language, t in (a.translations or {}).items()
    }
    for original in parsed:
        for language, rendered in translated.get(original.number, {}).items():
            rendered["source"] = translation_source(
                rendered, (original.title, original.body), before.get((language, rendered["title"], rendered["body"]))
            )
    if version is None:
        version = TermsVersion(created_at=now, state=TermsState.DRAFT.value, language="nl")
        db.session.add(version)
    version.label, version.title, version.effective_on = label, (title or "").strip(), effective_on
    version.title_translations = {lang: t.strip()[:200] for lang, t in (titles or {}).items() if (t or "").strip()}
    if version.articles:  # a draft saved again: its old articles go first (they hold the same numbers)
        version.articles = []
        db.session.flush()
    version.articles = [
        TermsArticle(
            number=a.number, title=a.title, body=a.body, covers=a.covers, translations=translated.get(a.number)
        )
        for a in parsed
    ]
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="terms",
        object_id=version.id,
        action="draft_saved",
        after={"label": label, "articles": len(parsed)},
    )
    return version


def publish(version: TermsVersion, *, actor, now: datetime) -> TermsVersion:
    """Publish a complete draft; from then on it never changes. Commit."""
    if version.is_published:
        raise Conflict(_("Deze versie is al gepubliceerd."))
    missing = missing_coverage(version.articles)
    if missing:
        raise Invalid(
            _(
                "Deze versie dekt niet alles wat art. 28(3) AVG vraagt; ontbreekt: %(missing)s.",
                missing="; ".join(missing),
            )
        )
    bad = [a.number for a in version.articles if unknown_placeholders(a.title + a.body)]
    if bad:
        raise Invalid(_("Onbekende plaatshouders in artikel %(numbers)s.", numbers=", ".join(map(str, bad))))
    version.state, version.published_at = TermsState.PUBLISHED.value, now
    audit.record(
        at=now,
        actor=actor,
        object_type="terms",
        object_id=version.id,
        action="published",
        before={"state": "draft"},
        after={"state": "published"},
    )
    return version
