"""A small Atom (RFC 4287) writer. Pure: entries in, XML bytes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from ..text import xml_safe

NS = "http://www.w3.org/2005/Atom"


@dataclass
class Entry:
    id: str
    title: str
    updated: datetime
    summary: str
    link: str = ""


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def feed(
    *, id: str, title: str, link: str, self_link: str, author: str, entries: list[Entry], updated: datetime
) -> bytes:
    """Return an Atom feed document, the newest entry first; characters XML cannot carry are left out."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}feed")
    ET.SubElement(root, f"{{{NS}}}id").text = xml_safe(id)
    ET.SubElement(root, f"{{{NS}}}title").text = xml_safe(title)
    ET.SubElement(root, f"{{{NS}}}updated").text = _iso(max([updated] + [e.updated for e in entries]))
    ET.SubElement(root, f"{{{NS}}}link", href=link, rel="alternate")
    ET.SubElement(root, f"{{{NS}}}link", href=self_link, rel="self")
    ET.SubElement(ET.SubElement(root, f"{{{NS}}}author"), f"{{{NS}}}name").text = xml_safe(author)
    for e in sorted(entries, key=lambda e: e.updated, reverse=True):
        item = ET.SubElement(root, f"{{{NS}}}entry")
        ET.SubElement(item, f"{{{NS}}}id").text = xml_safe(e.id)
        ET.SubElement(item, f"{{{NS}}}title").text = xml_safe(e.title)
        ET.SubElement(item, f"{{{NS}}}updated").text = _iso(e.updated)
        ET.SubElement(item, f"{{{NS}}}summary").text = xml_safe(e.summary)
        if e.link:
            ET.SubElement(item, f"{{{NS}}}link", href=e.link, rel="alternate")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
