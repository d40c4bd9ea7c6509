"""Free texts in the client's language: the Dutch original, with optional French and English versions.

A record that a client reads (an agreement's particulars, a service, a sub-processor, a change) keeps its
translations as {"fr": {field: text}, "en": {field: text}}. Shown in another language than Dutch, a text
without a translation is the Dutch one, marked as such, and the caller can list what stayed in Dutch.
Pure: no Flask, no database.
"""

from __future__ import annotations

#: The languages a free text can be given in besides the Dutch original.
OTHER_LANGUAGES = ("fr", "en")


def text_in(translations: dict | None, field: str, language: str, dutch: str | None) -> tuple[str, bool]:
    """Return (text, stayed_dutch): `field` in `language`, or the Dutch original when there is no version in it.

    `stayed_dutch` is True when the reader's language is not Dutch and the Dutch text is returned for a
    non-empty original.
    """
    dutch = dutch or ""
    if language == "nl" or not dutch.strip():
        return dutch, False
    translated = ((translations or {}).get(language) or {}).get(field)
    if isinstance(translated, str) and translated.strip():
        return translated, False
    return dutch, True


def clean_translations(values: dict, fields: tuple[str, ...], *, max_length: int = 5000) -> dict | None:
    """Return {"fr": {...}, "en": {...}} from flat values named like "purpose_fr", keeping the non-empty ones.

    Values that are not text or are longer than `max_length` raise ValueError naming the key.
    """
    result: dict[str, dict[str, str]] = {}
    for language in OTHER_LANGUAGES:
        for field in fields:
            key = f"{field}_{language}"
            value = values.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(key)
            value = value.strip()
            if len(value) > max_length:
                raise ValueError(key)
            if value:
                result.setdefault(language, {})[field] = value
    return result or None


def nested_translations(data, fields: tuple[str, ...]) -> dict:
    """Return {"purpose_fr": ..., ...} from the API's {"fr": {"purpose": ...}} form, refusing anything else."""
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - set(OTHER_LANGUAGES):
        raise ValueError("translations")
    flat = {}
    for language, texts in data.items():
        if not isinstance(texts, dict) or set(texts) - set(fields):
            raise ValueError("translations")
        for field, value in texts.items():
            flat[f"{field}_{language}"] = value
    return flat


def flat_translations(translations: dict | None, fields: tuple[str, ...]) -> dict:
    """Return {"purpose_fr": ..., ...} from stored translations (to fill a form)."""
    return {
        f"{field}_{language}": ((translations or {}).get(language) or {}).get(field, "")
        for language in OTHER_LANGUAGES
        for field in fields
    }
