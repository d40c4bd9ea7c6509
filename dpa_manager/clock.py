"""The one place the wall clock is read."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today_in_brussels(at: datetime) -> date:
    """Return the calendar date in Brussels at the instant `at`."""
    return at.astimezone(BRUSSELS).date()


def as_brussels(at: datetime) -> datetime:
    """Return `at` in Brussels local time (naive UTC values from SQLite are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(BRUSSELS)
