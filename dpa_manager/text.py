"""Text that goes in and out: characters that reorder what a reader sees, or that a format cannot carry. Pure."""

from __future__ import annotations

import logging
import re

#: The bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): in a name they make
#: "evil‮gpj.exe" read as "evilexe.jpg". Removed from every text a form or the API receives.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: What XML 1.0 cannot carry at all (C0 controls but tab and newlines, surrogates, U+FFFE and U+FFFF), and what an
#: iCalendar TEXT value may not hold (the same controls, and DEL).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_bidi(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def strip_bidi_everywhere(value):
    """A JSON value with the bidirectional controls taken out of every text in it (keys included)."""
    if isinstance(value, str):
        return strip_bidi(value)
    if isinstance(value, list):
        return [strip_bidi_everywhere(v) for v in value]
    if isinstance(value, dict):
        return {strip_bidi_everywhere(k): strip_bidi_everywhere(v) for k, v in value.items()}
    return value


def xml_safe(text: str) -> str:
    """The text without the characters an XML 1.0 document cannot hold (a feed with one is not well-formed)."""
    return _NOT_XML.sub("", text)


def without_controls(text: str) -> str:
    """The text without control characters other than tab, line feed and carriage return."""
    return _CONTROLS.sub("", text)


#: The paths whose last part is a secret (a feed's, an invitation's, a password reset's, a notice link's), and
#: how much of it the logs keep.
_SECRET_PATHS = re.compile(r"(/(?:feeds|invite|wachtwoord-vergeten|n)/)([A-Za-z0-9_\-.~%]{8,})")
KEPT = 4


def redact(text: str) -> str:
    """The text with the secret part of every such path cut to its first KEPT characters and "…", as a log line
    may show it."""
    return _SECRET_PATHS.sub(lambda m: f"{m.group(1)}{m.group(2)[:KEPT]}…", text)


class RedactSecrets(logging.Filter):
    """Cut the secret part of feed, invitation, password-reset and notice links short in a log record (Flask logs
    the path of a failed request; the development server logs every request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redact_logs(*loggers: logging.Logger) -> None:
    for logger in loggers:
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
