"""How dates, times and amounts read in Dutch (Belgium); also the template filters."""
from datetime import date, datetime

from .clock import as_brussels
from .rules import format_eur

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")


def format_datetime(at: datetime | None) -> str:
    """Return an instant as Brussels local time: '21/11/2026 14:05'."""
    return as_brussels(at).strftime("%d/%m/%Y %H:%M") if at else ""


def format_datetime_seconds(at: datetime | None) -> str:
    """Return an instant as Brussels local time to the second, with its UTC offset."""
    return as_brussels(at).strftime("%d/%m/%Y %H:%M:%S (UTC%z)") if at else ""


def format_date(on: date | None) -> str:
    """Return '6/10/2020'-style dates with leading zeros: '06/10/2020'."""
    return on.strftime("%d/%m/%Y") if on else ""


def format_long_date(on: date | None) -> str:
    """Return '6 oktober 2020'."""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year}" if on else ""


def register(app) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_long_date, "longdate")
    app.add_template_filter(format_eur, "eur")
