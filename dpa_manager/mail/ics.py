"""A small iCalendar (RFC 5545) calendar of objection windows: one all-day event on each window's last day."""

from datetime import UTC, date, datetime, timedelta

from ..clock import as_brussels
from ..text import without_controls

#: The alarm: the day before the last day, at 09:00 (an all-day event starts at 00:00 local time).
ALARM_BEFORE = "-PT15H"


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line break (CR LF, CR, LF) as
    \\n, and no other control character."""
    text = without_controls(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets."""
    data = line.encode("utf-8")
    parts, start = [], 0
    while len(data) - start > 75:
        end = start + 75
        while (data[end] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    parts.append(data[start:].decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def last_day(closes_at: datetime) -> date:
    """Return the last day of a window that closes at `closes_at` (00:00 Brussels the day after)."""
    return (as_brussels(closes_at) - timedelta(days=1)).date()


def _vevent(
    *, uid: str, summary: str, description: str, closes_at: datetime, stamp: datetime, url: str = ""
) -> list[str]:
    day = last_day(closes_at)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        "TRANSP:TRANSPARENT",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    return lines + [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER:{ALARM_BEFORE}",
        f"DESCRIPTION:{_escape(summary)}",
        "END:VALARM",
        "END:VEVENT",
    ]


def calendar(events: list[dict], *, name: str = "") -> bytes:
    """Return a calendar with these windows (keyword arguments of window_event()), each with an alarm the day before."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dpa_manager//notices//NL", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{_escape(name)}")
    for e in events:
        lines += _vevent(**e)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def window_event(
    *, uid: str, summary: str, description: str, closes_at: datetime, stamp: datetime, url: str = ""
) -> bytes:
    """Return a calendar with one all-day event on the window's last day; `description` says the exact closing."""
    return calendar(
        [dict(uid=uid, summary=summary, description=description, closes_at=closes_at, stamp=stamp, url=url)]
    )
