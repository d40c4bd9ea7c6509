"""Render an agreement document (see agreements.document) as a PDF with ReportLab, in the document's language."""

from __future__ import annotations

import io
import os
from xml.sax.saxutils import escape as xml_escape

import reportlab
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .formatting import window_text
from .i18n import current as current_language
from .labels import SIGN_IN_METHODS
from .rules import ANSWER_CHANNELS
from .terms.text import blocks

FONT = "DpaSans"
_FONT_FILES = {"": "Vera.ttf", "-Bold": "VeraBd.ttf", "-Italic": "VeraIt.ttf", "-BoldItalic": "VeraBI.ttf"}
ACCENT = colors.HexColor("#1f4e79")
MARGIN = 20 * mm


def _register_fonts() -> None:
    """Register the TrueType family (embedded in every PDF) once per process."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for suffix, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(FONT + suffix, os.path.join(folder, filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT + "-Bold", italic=FONT + "-Italic", boldItalic=FONT + "-BoldItalic"
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, spaceAfter=5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11, spaceAfter=0),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT + "-Bold",
            fontSize=24,
            leading=30,
            alignment=TA_CENTER,
            textColor=ACCENT,
            spaceAfter=8,
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=15, alignment=TA_CENTER),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT + "-Bold",
            fontSize=13,
            leading=17,
            textColor=ACCENT,
            spaceBefore=6,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=FONT + "-Bold", fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "mono": ParagraphStyle("mono", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#333333")),
    }


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back so that each footer can say 'Pagina X van Y'."""

    footer_left = ""
    #: "Pagina {page} van {total}" in the document's language.
    footer_pages = "Pagina {page} van {total}"
    #: On a draft: the word (ONTWERP, PROJET, DRAFT) printed across and atop every page.
    draft_mark = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for page in self._pages:
            self.__dict__.update(page)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        width, height = self._pagesize
        if self.draft_mark:
            self.saveState()
            self.setFont(FONT + "-Bold", 96)
            self.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.12))
            self.translate(width / 2, height / 2)
            self.rotate(45)
            self.drawCentredString(0, -30, self.draft_mark)
            self.restoreState()
            self.saveState()
            self.setFont(FONT + "-Bold", 10)
            self.setFillColor(colors.HexColor("#b3261e"))
            self.drawCentredString(width / 2, height - 12 * mm, self.draft_mark)
            self.restoreState()
        self.saveState()
        self.setFont(FONT, 8)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(MARGIN, 12 * mm, printable(self.footer_left))
        self.drawRightString(
            width - MARGIN, 12 * mm, printable(self.footer_pages.format(page=self._pageNumber, total=total))
        )
        self.restoreState()


def printable(text: str) -> str:
    """The text as the embedded font can print it: the narrow no-break space of French typography (U+202F), which
    Bitstream Vera lacks, becomes a plain space, as the French texts had before they set it; a document sent then
    renders to the same bytes as the ones whose SHA-256 the client was shown."""
    return text.replace("\u202f", " ")


def escape(text: str) -> str:
    return printable(xml_escape(text))


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(rows: list[list[str]], styles, header: list[str] | None = None, widths: list[float] | None = None) -> Table:
    cell = styles["cell"]
    data = [[_p(str(v), cell) for v in row] for row in rows]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c4d0")),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    width = A4[0] - 2 * MARGIN
    if header:
        data.insert(0, [Paragraph(f"<b>{escape(h)}</b>", cell) for h in header])
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")))
        col_widths = [width * w for w in widths] if widths else [width / len(header)] * len(header)
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f5f8")))
        col_widths = [width * 0.32, width * 0.68]
    # splitInRow: a cell taller than a page (a long objection or reason) continues on the next page.
    return Table(data, colWidths=col_widths, style=TableStyle(style), repeatRows=1 if header else 0, splitInRow=1)


def _bullets(items: list[str], style) -> ListFlowable:
    return ListFlowable(
        [ListItem(_p(i, style), leftIndent=12) for i in items],
        bulletType="bullet",
        start="•",
        leftIndent=12,
        bulletFontName=FONT,
    )


def _content(items: list[dict], styles) -> list:
    flow = []
    for item in items:
        if item["kind"] == "p":
            flow.append(_p(item["text"], styles["body"]))
        elif item["kind"] == "h":
            flow.append(_p(item["text"], styles["h2"]))
        elif item["kind"] == "ul":
            flow.append(_bullets(item["items"], styles["body"]))
        elif item["kind"] == "table":
            flow += [_table(item["rows"], styles, item.get("header"), item.get("widths")), Spacer(1, 4)]
    return flow


def story(document: dict, signature: dict | None = None) -> list:
    """Return the flowables of the document, with a signature page when `signature` is given."""
    s = _styles()
    flow = [
        Spacer(1, 45 * mm),
        _p(document["title"], s["title"]),
        _p(
            _("%(title)s — versie %(label)s", title=document["terms"]["title"], label=document["terms"]["label"]),
            s["subtitle"],
        ),
        Spacer(1, 20 * mm),
        _p(_("tussen"), s["subtitle"]),
        _p(
            _(
                "%(name)s (ondernemingsnummer %(number)s)",
                name=document["client"]["name"],
                number=document["client"]["enterprise_number"],
            ),
            ParagraphStyle("party", parent=s["subtitle"], fontName=FONT + "-Bold"),
        ),
        _p(_("verwerkingsverantwoordelijke"), s["subtitle"]),
        Spacer(1, 6 * mm),
        _p(_("en"), s["subtitle"]),
        _p(
            _(
                "%(name)s (ondernemingsnummer %(number)s)",
                name=document["processor"]["name"],
                number=document["processor"]["enterprise_number"],
            ),
            ParagraphStyle("party2", parent=s["subtitle"], fontName=FONT + "-Bold"),
        ),
        _p(_("verwerker"), s["subtitle"]),
        Spacer(1, 25 * mm),
        _p(
            _(
                "Referentie %(reference)s — opgemaakt op %(date)s",
                reference=document["reference"],
                date=_date(document["date"]),
            ),
            s["subtitle"],
        ),
    ]
    if document.get("translation_notice"):
        flow += [
            Spacer(1, 12 * mm),
            _p(
                document["translation_notice"],
                ParagraphStyle("notice", parent=s["subtitle"], fontName=FONT + "-Italic", fontSize=9.5, leading=13),
            ),
        ]
    flow.append(PageBreak())
    for article in document["articles"]:
        head = _p(_("Artikel %(number)s. %(title)s", number=article["number"], title=article["title"]), s["h2"])
        body = _content(
            [{"kind": k, "text": x} if k == "p" else {"kind": k, "items": x} for k, x in article["blocks"]], s
        )
        flow.append(KeepTogether([head, *body[:1]]))
        flow += body[1:]
    for annex in document["annexes"]:
        flow += [
            PageBreak(),
            _p(_("Bijlage %(number)s. %(title)s", number=annex["number"], title=annex["title"]), s["h1"]),
        ]
        flow += _content([_with_signatory(item, signature) for item in annex["content"]], s)
    if signature and signature.get("kind") == "amendment":
        flow += _amendment_record(signature, s)
    elif signature:
        flow += [
            PageBreak(),
            _p(_("Ondertekening"), s["h1"]),
            _p(
                _(
                    "Beide partijen hebben deze verwerkersovereenkomst elektronisch ondertekend in de toepassing "
                    "van de verwerker; hieronder staat per ondertekenaar wat daarbij werd vastgelegd. Daarna heeft "
                    "de verwerker het volledige document, met deze pagina, verzegeld met zijn elektronisch zegel en "
                    "een tijdstempel. Een PDF-lezer die handtekeningen controleert, toont wie het zegel plaatste, "
                    "wanneer, en of het document sindsdien gewijzigd is."
                ),
                s["body"],
            ),
            Spacer(1, 6),
        ]
        flow += _signature_tables(signature["signatures"], s, _("Ondertekend op"))
    return flow


def _with_signatory(item: dict, signature: dict | None) -> dict:
    """Add who signed for a party, and when, to its table in Annex I (the document itself is frozen unsigned)."""
    party = item.get("party")
    if not party:
        return item
    if signature is None:
        rows = [[_("Ondertekening"), _("bij de ondertekening: zie de laatste pagina")]]
    elif signature.get("kind") == "amendment":
        rows = [[_("Ondertekening"), _("niet ondertekend: gewijzigd door aanvaarding, zie de wijzigingsakte")]]
    else:
        sig = next(x for x in signature["signatures"] if x["party"] == party)
        rows = [
            [_("Ondertekend door"), f"{sig['name']} ({_role(sig)})"],
            [_("Datum van ondertekening"), sig["at"] + " (Europe/Brussels)"],
        ]
    return item | {"rows": list(item["rows"]) + rows}


def _role(sig: dict) -> str:
    """The signer's capacity in the document's language: its version in it, or the Dutch one marked as such."""
    language = current_language()
    if not sig.get("role_in_dutch") or language == "nl":
        return sig["role"]
    translated = (sig.get("role_translations") or {}).get(language)
    return translated or f"{sig['role']} {_('[in het Nederlands]')}"


def _signature_tables(signatures: list[dict], s, signed_on: str) -> list:
    parties = {"client": _("Voor de verwerkingsverantwoordelijke"), "processor": _("Voor de verwerker")}
    flow = []
    for sig in signatures:
        flow.append(
            KeepTogether(
                [
                    _p(parties[sig["party"]], s["h2"]),
                    _table(
                        [
                            [_("Naam"), sig["name"]],
                            [_("Hoedanigheid"), _role(sig)],
                            [signed_on, sig["at"] + " (Europe/Brussels)"],
                            *_signed_from(sig.get("from")),
                        ],
                        s,
                    ),
                ]
            )
        )
    return flow


def _signed_from(given: dict | None) -> list[list[str]]:
    """How a signer was authenticated and from where, as recorded at the signature (none for older ones)."""
    if not given:
        return []
    method = SIGN_IN_METHODS.get(given.get("method", ""))
    return [
        [_("Aangemeld met"), str(method) if method else given.get("method", "")],
        [_("IP-adres"), given.get("ip") or "—"],
        [_("Browser"), given.get("browser") or "—"],
    ]


def _amendment_record(record: dict, s) -> list:
    """The last page of an agreement that an amendment of the terms produced: how it came about, not a signature."""
    silence = record["concluded_by"] == "silence"
    flow = [PageBreak(), _p(_("Wijzigingsakte"), s["h1"])]
    intro = _(
        "Deze overeenkomst werd niet door de partijen ondertekend. Ze is overeenkomst %(reference)s, gewijzigd "
        "doordat de verwerkingsverantwoordelijke versie %(label)s van de voorwaarden aanvaardde.",
        reference=record["replaces"],
        label=record["to_label"],
    )
    if record.get("objected"):
        how = _(
            "Deze overeenkomst is vervallen: een bezwaar, ontvangen op %(received)s, vóór het sluiten van de "
            "termijn, werd op %(recorded)s geregistreerd. De overeenkomst die ze zou wijzigen, is opnieuw van "
            "kracht.",
            received=record.get("objected_at") or "—",
            recorded=record.get("recorded_at") or "—",
        )
    elif silence:
        how = _("Stilzwijgend aanvaard: de verwerker ontving geen bezwaar vóór het sluiten van de bezwaartermijn.")
    elif record.get("by"):
        how = _(
            "Uitdrukkelijk aanvaard door %(name)s, gebruiker van de verwerkingsverantwoordelijke, in het portaal.",
            name=record["by"],
        )
    else:
        how = _(
            "Uitdrukkelijk aanvaard door de verwerkingsverantwoordelijke, %(channel)s; de verwerker registreerde "
            "die aanvaarding op %(recorded)s.",
            channel=_(ANSWER_CHANNELS.get(record.get("channel") or "other")),
            recorded=record.get("recorded_at") or "—",
        )
    flow += [_p(intro, s["body"]), _p(how, s["body"])]
    rows = [
        [
            _("Wijzigt"),
            _("%(reference)s (voorwaarden versie %(label)s)", reference=record["replaces"], label=record["from_label"]),
        ],
        [_("Aanvaarde versie van de voorwaarden"), record["to_label"]],
    ]
    if record["notice"]:
        rows += [
            [_("Melding"), _("nr. %(number)s", number=record["notice"])],
            [_("Aanvaard door de mailserver"), (record["delivered_at"] or "—")],
            [_("Termijn begonnen"), record["notified_at"]],
        ]
        if record["window"]:
            rows.append([_("Bezwaartermijn"), window_text(*record["window"])])
        rows.append([_("Termijn sloot op"), record["closes_at"]])
    if record.get("objected"):
        objection = _("ja, op %(moment)s", moment=record.get("objected_at") or "—")
    else:
        objection = _("geen") if silence else _("niet van toepassing")
    rows += [
        [_("Bezwaar ontvangen vóór de sluiting"), objection],
        [_("Aanvaarding"), _("door stilzwijgen") if silence else _("uitdrukkelijk")],
        [_("Aanvaard op"), record["accepted_at"]],
        [_("In werking op"), record["effective_at"] or "—"],
    ]
    flow.append(_table(rows, s))
    article = record.get("article")
    if article:
        flow += [
            _p(
                _(
                    "Grondslag: artikel %(number)s van de gewijzigde overeenkomst (%(title)s)",
                    number=article["number"],
                    title=article["title"],
                ),
                s["h2"],
            ),
            *_content(
                [{"kind": k, "text": x} if k == "p" else {"kind": k, "items": x} for k, x in blocks(article["body"])], s
            ),
        ]
    original = record["original"]
    flow += [
        _p(_("Oorspronkelijke handtekeningen"), s["h2"]),
        _p(
            _(
                "De handtekeningen hieronder zijn die van overeenkomst %(reference)s (voorwaarden versie "
                "%(label)s), zoals de partijen die ondertekenden. Ze staan hier ter informatie; ze gelden niet als "
                "handtekening onder deze gewijzigde tekst.",
                reference=original["reference"],
                label=original["label"],
            ),
            s["body"],
        ),
    ]
    flow += _signature_tables(original["signatures"], s, _("Ondertekend op"))
    return flow


def _date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def render(document: dict, signature: dict | None = None, *, draft: bool = False) -> bytes:
    """Return the PDF bytes in the document's language; the same document always gives the same bytes.

    A draft carries the word ONTWERP (PROJET, DRAFT) across and atop every page.
    """
    with force_locale(document.get("language", "nl-BE")[:2]):
        return _render(document, signature, draft)


def _render(document: dict, signature: dict | None, draft: bool = False) -> bytes:
    _register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=22 * mm,
        title=f"{document['title']} {document['reference']} – {document['client']['name']}",
        author=document["processor"]["name"],
        subject=_(
            "Verwerkersovereenkomst tussen %(client)s en %(processor)s",
            client=document["client"]["name"],
            processor=document["processor"]["name"],
        ),
        creator="dpa_manager",
        lang=document.get("language", "nl-BE"),
        invariant=1,
        initialFontName=FONT,
    )
    canvas_class = type(
        "_Canvas",
        (_NumberedCanvas,),
        {
            "footer_left": f"{document['title']} {document['reference']} — {document['client']['name']}",
            "footer_pages": _("Pagina {page} van {total}"),
            "draft_mark": _("ONTWERP") if draft else "",
        },
    )
    doc.build(story(document, signature), canvasmaker=canvas_class)
    return out.getvalue()


def render_evidence(data: dict) -> bytes:
    """Return the PDF of an evidence file (see evidence.build)."""
    _register_fonts()
    s = _styles()
    flow = [
        _p(data["title"], s["h1"]),
        _p(f"{data['client']} — {data['reference']} — opgemaakt op {data['made_at']} (Europe/Brussels)", s["body"]),
        _table(data["facts"], s),
        Spacer(1, 8),
        _p("Hoe de termijn berekend is", s["h2"]),
        _p(data["rule"], s["body"]),
    ]
    article = data.get("article")
    if article:
        flow += [
            _p(f"Grondslag van de termijn: artikel {article['number']} ({article['title']})", s["h2"]),
            _p("In de taal van de overeenkomst, zoals de klant ze ondertekende.", s["body"]),
            *_content(
                [{"kind": k, "text": x} if k == "p" else {"kind": k, "items": x} for k, x in blocks(article["body"])], s
            ),
        ]
    if data["message"]["text"]:
        flow += [
            _p("De melding zoals verstuurd", s["h2"]),
            _p(f"Onderwerp: {data['message']['subject']}", s["body"]),
            _p(data["message"]["text"], s["mono"]),
        ]
    if data.get("proofs"):
        flow += [
            _p("Bewijs van het antwoord (buiten de app ontvangen)", s["h2"]),
            _table(data["proofs"], s, ["Bestand", "Grootte", "Opgeladen", "SHA-256"], [0.3, 0.12, 0.22, 0.36]),
            _p("De bestanden zelf zijn aan dit dossier gehecht (bijlagen van de PDF).", s["body"]),
        ]
    flow += [
        _p("E-mails", s["h2"]),
        _table(
            data["mails"] or [["—", "", "", ""]],
            s,
            ["Bericht", "Status", "Aanvaard", "Message-ID"],
            [0.14, 0.12, 0.3, 0.44],
        ),
    ]
    flow += [
        _p("Audittrail (SHA-256-keten)", s["h2"]),
        _table(
            data["events"] or [["—", "", "", "", ""]],
            s,
            ["#", "Tijd", "Door", "Actie", "Hash"],
            [0.07, 0.23, 0.2, 0.14, 0.36],
        ),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=22 * mm,
        title=data["title"],
        author="dpa_manager",
        subject=data["title"],
        creator="dpa_manager",
        lang="nl-BE",
        invariant=1,
        initialFontName=FONT,
    )
    canvas_class = type("_Canvas", (_NumberedCanvas,), {"footer_left": f"{data['title']} — {data['client']}"})
    doc.build(flow, canvasmaker=canvas_class)
    return out.getvalue()


def render_list(
    *,
    title: str,
    intro: list[str],
    header: list[str],
    rows: list[list[str]],
    widths: list[float],
    language: str,
    footer: str,
    author: str,
    empty: str,
) -> bytes:
    """Return the PDF of a list (a client's sub-processors, the public register): a title, a few lines that say
    what it is and when it was made, and a table; `empty` stands in for a list without rows."""
    _register_fonts()
    with force_locale(language):
        s = _styles()
        flow = [_p(title, s["h1"]), *[_p(line, s["body"]) for line in intro], Spacer(1, 6)]
        flow.append(_table(rows, s, header, widths) if rows else _p(empty, s["body"]))
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=22 * mm,
            title=title,
            author=author,
            subject=title,
            creator="dpa_manager",
            lang=LIST_LANGUAGE_TAGS.get(language, "nl-BE"),
            invariant=1,
            initialFontName=FONT,
        )
        canvas_class = type(
            "_Canvas", (_NumberedCanvas,), {"footer_left": footer, "footer_pages": _("Pagina {page} van {total}")}
        )
        doc.build(flow, canvasmaker=canvas_class)
    return out.getvalue()


#: The language tag of a list's PDF.
LIST_LANGUAGE_TAGS = {"nl": "nl-BE", "fr": "fr-BE", "en": "en"}
