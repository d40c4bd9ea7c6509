"""A small iCalendar (RFC 5545) event for the closing time of a window."""
from datetime import datetime, timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


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
    return at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _vevent(*, uid: str, summary: str, description: str, at: datetime, stamp: datetime, url: str = "") -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{_utc(stamp)}", f"DTSTART:{_utc(at)}", f"DTEND:{_utc(at)}",
             f"SUMMARY:{_escape(summary)}", f"DESCRIPTION:{_escape(description)}"]
    if url:
        lines.append(f"URL:{url}")
    return lines + ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P1D", f"DESCRIPTION:{_escape(summary)}",
                    "END:VALARM", "END:VEVENT"]


def calendar(events: list[dict], *, name: str = "") -> bytes:
    """Return a calendar with these events (keyword arguments of event()), each with an alarm a day before."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dpa_manager//notices//NL", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{_escape(name)}")
    for e in events:
        lines += _vevent(**e)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def event(*, uid: str, summary: str, description: str, at: datetime, stamp: datetime, url: str = "") -> bytes:
    """Return a calendar with one event at the instant `at`, with an alarm a day before."""
    return calendar([dict(uid=uid, summary=summary, description=description, at=at, stamp=stamp, url=url)])
