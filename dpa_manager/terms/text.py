"""Pure text handling for terms: placeholders, blocks, and the editable plain-text form."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..rules import COVER_KEYS

#: The placeholders an article may use, with what each becomes.
PLACEHOLDERS = {
    "processor_name": "naam van de verwerker",
    "processor_enterprise_number": "ondernemingsnummer van de verwerker",
    "processor_address": "adres van de verwerker",
    "processor_dpo_email": "e-mailadres van de functionaris voor gegevensbescherming",
    "governing_law": "toepasselijk recht",
    "competent_court": "bevoegde rechtbank",
    "client_name": "naam van de klant",
    "client_enterprise_number": "ondernemingsnummer van de klant",
    "client_address": "adres van de klant",
    "subject_matter": "onderwerp van de verwerking",
    "duration": "duur van de verwerking",
    "nature_purpose": "aard en doel",
    "retention": "bewaring van de gegevens",
    "breach_notice_hours": "termijn in uren voor de melding van een datalek (profiel)",
    "data_types": "soorten persoonsgegevens",
    "data_subjects": "categorieën van betrokkenen",
    "services": "afgenomen diensten",
    "objection_window": "bezwaartermijn, bv. 7 kalenderdagen",
    "liability_cap_total": "algemeen aansprakelijkheidsplafond",
    "liability_cap_other": "plafond voor andere schade",
    "end_of_processing_choice": "keuze teruggave of vernietiging",
    "terms_effective_on": "datum van inwerkingtreding van de voorwaarden",
    "terms_label": "versie van de voorwaarden",
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """Return the placeholders in `text` that are not in PLACEHOLDERS, and stray braces."""
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    stripped = _PLACEHOLDER.sub("", text)
    if "{" in stripped or "}" in stripped:
        unknown.append("{ of } zonder plaatshouder")
    return unknown


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each {placeholder} by its value; an unknown one stays as it is."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def blocks(body: str) -> list[tuple[str, Any]]:
    """Split a body into ("p", text) paragraphs and ("ul", [items]) lists."""
    result: list[tuple[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        paragraph: list[str] = []
        for line in lines:
            if line.startswith("- "):
                if paragraph:
                    result.append(("p", " ".join(paragraph)))
                    paragraph = []
                if result and result[-1][0] == "ul" and not paragraph:
                    result[-1][1].append(line[2:].strip())
                else:
                    result.append(("ul", [line[2:].strip()]))
            else:
                paragraph.append(line)
        if paragraph:
            result.append(("p", " ".join(paragraph)))
    return result


# --- The plain-text form managers edit --------------------------------------------------

_HEADER = re.compile(r"^#\s*(\d+)\.\s*(.+?)\s*$")
_COVERS = re.compile(r"^\[dekt:\s*(.*?)\]\s*$")


@dataclass
class ParsedArticle:
    number: int
    title: str
    covers: list[str] = field(default_factory=list)
    body: str = ""


def to_text(articles) -> str:
    """Return articles in the editable form: '# N. Title', '[dekt: keys]', then the body."""
    parts = []
    for article in articles:
        head = f"# {article.number}. {article.title}"
        if article.covers:
            head += f"\n[dekt: {', '.join(article.covers)}]"
        parts.append(f"{head}\n{article.body.strip()}\n")
    return "\n".join(parts)


def translation_text(articles, language: str) -> str:
    """Return the articles' translations into `language` in the editable form, or "" when there are none."""
    if not any((a.translations or {}).get(language) for a in articles):
        return ""
    parts = []
    for article in articles:
        translation = (article.translations or {}).get(language) or {}
        parts.append(f"# {article.number}. {translation.get('title', '')}\n{translation.get('body', '').strip()}\n")
    return "\n".join(parts)


def parse_translation(text: str, originals) -> tuple[dict[int, dict], list[str]]:
    """Parse a translation in the editable form against the original articles.

    Returns {number: {"title", "body"}} and the errors: the same articles, numbered alike, with the
    same placeholders as the original (the checklist keys come from the original only).
    """
    parsed, errors = parse_text(text)
    by_number = {a.number: a for a in originals}
    if not errors and len(parsed) != len(by_number):
        errors.append(f"De vertaling telt {len(parsed)} artikels, het origineel {len(by_number)}.")
    result = {}
    for article in parsed:
        original = by_number.get(article.number)
        if original is None:
            continue
        wanted = set(_PLACEHOLDER.findall(original.title + original.body))
        found = set(_PLACEHOLDER.findall(article.title + article.body))
        if wanted != found:
            errors.append(
                f"Artikel {article.number}: de vertaling gebruikt andere plaatshouders dan het origineel "
                f"({', '.join(sorted(wanted ^ found))})."
            )
        result[article.number] = {"title": article.title, "body": article.body}
    return result, errors


def parse_text(text: str) -> tuple[list[ParsedArticle], list[str]]:
    """Parse the editable form; return the articles and a list of errors (empty when valid)."""
    articles: list[ParsedArticle] = []
    errors: list[str] = []
    body_lines: list[str] = []

    def close():
        if articles:
            articles[-1].body = "\n".join(body_lines).strip()
        body_lines.clear()

    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        header = _HEADER.match(line)
        if header:
            close()
            articles.append(ParsedArticle(int(header.group(1)), header.group(2)))
            continue
        covers = _COVERS.match(line.strip())
        if covers and articles and not body_lines:
            keys = [k.strip() for k in covers.group(1).split(",") if k.strip()]
            bad = [k for k in keys if k not in COVER_KEYS]
            if bad:
                errors.append(f"Regel {lineno}: onbekende checklistsleutel {', '.join(bad)}.")
            articles[-1].covers = [k for k in keys if k in COVER_KEYS]
            continue
        if not articles:
            if line.strip():
                errors.append(f"Regel {lineno}: tekst vóór het eerste artikel; begin met '# 1. Titel'.")
            continue
        body_lines.append(line)
    close()

    if not articles:
        errors.append("Er staat geen enkel artikel in; begin elk artikel met '# 1. Titel'.")
    for expected, article in enumerate(articles, start=1):
        if article.number != expected:
            errors.append(f"Artikel '{article.title}' heeft nummer {article.number}; verwacht {expected}.")
        if not article.body:
            errors.append(f"Artikel {article.number} heeft geen tekst.")
        unknown = unknown_placeholders(article.title + "\n" + article.body)
        if unknown:
            errors.append(f"Artikel {article.number}: onbekende plaatshouder(s): {', '.join(unknown)}.")
    return articles, errors


def source_of(title: str, body: str) -> str:
    """The fingerprint of a Dutch article, kept with each translation made from it."""
    return hashlib.sha256(f"{title.strip()}\n{body.strip()}".encode()).hexdigest()


def translation_source(translation: dict, dutch: tuple[str, str], before: dict | None) -> str:
    """Which Dutch text a translation renders: the current one when the translation is new or was changed with it;
    else (the same translation saved again) the one it rendered before, so that a translation left as it was
    while its Dutch article changed stays out of date. `before` is {"title", "body", "source"?, "dutch"} of the
    same article in the text it was edited from, or None."""
    same = before is not None and (before.get("title"), before.get("body")) == (
        translation["title"],
        translation["body"],
    )
    if not same:
        return source_of(*dutch)
    assert before is not None
    return before.get("source") or source_of(*before["dutch"])
