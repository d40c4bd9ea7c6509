"""How dates, times and amounts read in each language (Babel, Belgian usage); also the template filters.

Numeric dates and times are the same in the three languages (21/11/2026 14:05, Brussels time);
long dates and amounts follow the language: "6 oktober 2020", "6 octobre 2020", "6 October 2020";
"€ 2.500", "2 500 €", "€2,500".
"""

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as babel_date
from babel.numbers import format_currency, format_decimal

from . import paging
from .clock import as_brussels
from .i18n import current
from .localized import text_in
from .rules import format_enterprise_number

#: The Babel locale each of our languages is formatted with.
LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_IE"}


def _language(language: str | None) -> str:
    if language in LOCALES:
        return language

    try:
        return current()
    except RuntimeError:  # no app context: the source language
        return "nl"


def format_datetime(at: datetime | None) -> str:
    """Return an instant as Brussels local time: '21/11/2026 14:05'."""
    return as_brussels(at).strftime("%d/%m/%Y %H:%M") if at else ""


def format_datetime_seconds(at: datetime | None) -> str:
    """Return an instant as Brussels local time to the second, with its UTC offset."""
    return as_brussels(at).strftime("%d/%m/%Y %H:%M:%S (UTC%z)") if at else ""


def format_date(on: date | None) -> str:
    """Return '6/10/2020'-style dates with leading zeros: '06/10/2020'."""
    return on.strftime("%d/%m/%Y") if on else ""


def format_long_date(on: date | None, language: str | None = None, *, weekday: bool = False) -> str:
    """Return '6 oktober 2020' (or 'dinsdag 6 oktober 2020') in `language`, by default the one in force."""
    if not on:
        return ""
    return babel_date(on, "EEEE d MMMM y" if weekday else "d MMMM y", locale=LOCALES[_language(language)])


def format_amount(cents: int, language: str | None = None) -> str:
    """Return an amount in euro in `language`: whole euros without decimals ('€ 2.500', '2 500 €', '€2,500')."""
    locale = LOCALES[_language(language)]
    if cents % 100 == 0:
        pattern = Locale.parse(locale).currency_formats["standard"].pattern.replace(".00", "")
        text = format_currency(cents // 100, "EUR", pattern, locale=locale, currency_digits=False)
    else:
        text = format_currency(Decimal(cents) / 100, "EUR", locale=locale)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def format_number(value: int, language: str | None = None) -> str:
    """A whole number as the language writes it ("10.000" in Dutch, "10 000" in French, "10,000" in English)."""
    return format_decimal(value, locale=LOCALES[_language(language)])


def format_count(value: int, language: str | None = None) -> str:
    """A count made up to paging.COUNT_CAP: the number, or "more than" the cap when the count reached past it."""
    from flask_babel import gettext

    if value > paging.COUNT_CAP:
        return gettext("meer dan %(count)s", count=format_number(paging.COUNT_CAP, language))
    return format_number(value, language)


def window_text(days: int, unit: str) -> str:
    """Return '7 kalenderdagen' or '3 werkdagen' in the language in force."""
    from flask_babel import ngettext

    if unit == "working":
        return ngettext("%(num)d werkdag", "%(num)d werkdagen", days)
    return ngettext("%(num)d kalenderdag", "%(num)d kalenderdagen", days)


def localize(record, field: str) -> str:
    """Return a free text of `record` (a sub-processor's purpose, a change's reason, a service's name) in the
    language in force, or the Dutch original with a visible marker when there is no version in that language."""
    from flask_babel import gettext

    text, stayed_dutch = text_in(
        getattr(record, "translations", None), field, _language(None), getattr(record, field, "") or ""
    )
    return f"{text} {gettext('[in het Nederlands]')}" if stayed_dutch else text


def register(app) -> None:
    app.add_template_filter(localize, "localize")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_long_date, "longdate")
    app.add_template_filter(format_amount, "eur")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_count, "upto")
    app.add_template_filter(format_enterprise_number, "enterprise_number")
    app.add_template_global(window_text)
