"""The references for the agreement PDF: the same paragraphs and tables built with ReportLab alone,
and (when the optional "bench" extra is installed) the same content as HTML rendered by WeasyPrint.

No application code: the input is plain lists of strings, prepared from the agreement before timing.
"""

from __future__ import annotations

import html
import io
import os

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle


def flatten(document: dict, signature_rows: list[list[str]]) -> list[tuple]:
    """Turn an agreement document into plain blocks: ("h1"|"h2"|"p", text), ("ul", items), ("table", rows)."""
    blocks: list[tuple] = [
        ("h1", document["title"]),
        ("p", document["terms"]["title"]),
        ("p", document["client"]["name"]),
        ("p", document["processor"]["name"]),
        ("break",),
    ]
    for article in document["articles"]:
        blocks.append(("h2", f"{article['number']}. {article['title']}"))
        for kind, content in article["blocks"]:
            blocks.append(("p", content) if kind == "p" else ("ul", content))
    for annex in document["annexes"]:
        blocks += [("break",), ("h1", annex["title"])]
        for item in annex["content"]:
            if item["kind"] in ("p", "h"):
                blocks.append(("p", item["text"]))
            elif item["kind"] == "ul":
                blocks.append(("ul", item["items"]))
            else:
                blocks.append(("table", ([item["header"]] if item.get("header") else []) + item["rows"]))
    blocks += [("break",), ("h1", "Signatures"), ("table", signature_rows)]
    return blocks


def _fonts() -> str:
    name = "BareSans"
    if name not in pdfmetrics.getRegisteredFontNames():
        folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(name + "-Bold", os.path.join(folder, "VeraBd.ttf")))
    return name


def reportlab_bare(blocks: list[tuple]) -> bytes:
    """Build the blocks with ReportLab's platypus directly, with the same embedded font and page numbers."""
    font = _fonts()
    body = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=13.5, spaceAfter=5)
    h1 = ParagraphStyle("h1", parent=body, fontName=font + "-Bold", fontSize=13, leading=17)
    h2 = ParagraphStyle("h2", parent=body, fontName=font + "-Bold", fontSize=10.5, leading=14)
    cell = ParagraphStyle("c", parent=body, fontSize=8.5, leading=11, spaceAfter=0)
    flow = []
    for block in blocks:
        kind = block[0]
        if kind == "break":
            flow.append(PageBreak())
        elif kind in ("h1", "h2", "p"):
            flow.append(Paragraph(html.escape(block[1]), {"h1": h1, "h2": h2, "p": body}[kind]))
        elif kind == "ul":
            flow.append(
                ListFlowable([ListItem(Paragraph(html.escape(i), body)) for i in block[1]], bulletType="bullet")
            )
        else:
            rows = [[Paragraph(html.escape(str(v)), cell) for v in row] for row in block[1]]
            flow.append(Table(rows, style=TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)])))

    def footer(canvas, doc):
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"{doc.page}")

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, invariant=1).build(flow, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def as_html(blocks: list[tuple]) -> str:
    """Return the blocks as one HTML page (for WeasyPrint)."""
    parts = [
        "<html><head><meta charset='utf-8'><style>@page{size:A4;margin:20mm;@bottom-right{content:counter(page)}}"
        "body{font:9.5pt sans-serif}table{border-collapse:collapse}td{border:.5pt solid #999;font-size:8.5pt}"
        ".b{page-break-before:always}</style></head><body>"
    ]
    next_break = False
    for block in blocks:
        kind = block[0]
        cls = " class='b'" if next_break else ""
        next_break = kind == "break"
        if kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}{cls}>{html.escape(block[1])}</{kind}>")
        elif kind == "ul":
            parts.append(f"<ul{cls}>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            parts.append(
                f"<table{cls}>"
                + "".join(
                    "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in block[1]
                )
                + "</table>"
            )
    parts.append("</body></html>")
    return "".join(parts)


def weasyprint_render(page: str) -> bytes | None:
    """Render the HTML with WeasyPrint, or return None when it is not installed (the optional extra)."""
    try:
        from weasyprint import HTML
    except Exception:  # not installed, or its system libraries are missing
        return None
    return HTML(string=page).write_pdf()
