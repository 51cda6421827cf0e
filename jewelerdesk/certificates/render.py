"""The certificate PDF, drawn with ReportLab from the payload alone.

Bundled DejaVu fonts carry full Unicode ("Société Anonyme", "Zürich", "Ρόδος"), so what the
shop typed prints as typed. The layout is a platypus story so a piece with many components
flows over several pages, each numbered "page n of m".
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..domain.units import format_money
from ..domain.validation import country_name
from .payload import parse_qr

SANS, BOLD, ITALIC, MONO = "JD-Sans", "JD-Sans-Bold", "JD-Sans-Oblique", "JD-Mono"
INK = colors.HexColor("#1d2430")
MUTED = colors.HexColor("#5b6472")
RULE = colors.HexColor("#c9ced6")
BAND = colors.HexColor("#f1f3f6")
ACCENT = colors.HexColor("#7a5c1e")
CONFIDENCE_COLOURS = {
    "documented": "#1b7a3a",
    "supplier_declared": "#1f5fa8",
    "owner_asserted": "#9a6400",
    "inferred": "#6b6b6b",
    "unknown": "#a12a2a",
}
CONFIDENCE_WORDS = {
    "documented": "documented",
    "supplier_declared": "supplier-declared",
    "owner_asserted": "owner-asserted",
    "inferred": "inferred",
    "unknown": "unknown",
}


@cache
def register_fonts() -> None:
    folder = resources.files("jewelerdesk") / "resources" / "fonts"
    for name, file in (
        (SANS, "DejaVuSans.ttf"),
        (BOLD, "DejaVuSans-Bold.ttf"),
        (ITALIC, "DejaVuSans-Oblique.ttf"),
        (MONO, "DejaVuSansMono.ttf"),
    ):
        with resources.as_file(folder / file) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def warm_up() -> None:
    """Build the styles and load the QR encoder before the first certificate needs them."""
    from reportlab.graphics.barcode import qrencoder  # noqa: F401

    register_fonts()
    _styles()


@cache
def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=SANS, fontSize=8.6, leading=11, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.4, leading=9.2),
        "muted": ParagraphStyle("muted", parent=base, fontSize=7.4, leading=9.2, textColor=MUTED),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=6.8, leading=8.4),
        "shop": ParagraphStyle("shop", parent=base, fontName=BOLD, fontSize=15, leading=18),
        "title": ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=19, leading=23, textColor=ACCENT
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=9,
            spaceAfter=4,
            textColor=ACCENT,
            keepWithNext=1,  # a heading never ends a page alone
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=BOLD,
            fontSize=8.8,
            leading=11,
            spaceBefore=5,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "head": ParagraphStyle(
            "head", parent=base, fontName=BOLD, fontSize=7.4, leading=9.2, textColor=MUTED
        ),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    return Paragraph(text, _styles()[style])


def _country(code: str) -> str:
    """A country as a customer reads it: 'Namibia (NA)', never a bare 'NA'."""
    if not code:
        return ""
    name = country_name(code)
    return f"{name} ({code.upper()})" if name and name.upper() != code.upper() else code


def _e(text: object) -> str:
    return escape(str(text))


def grams(mg: int) -> str:
    return f"{mg / 1000:.2f} g"


def _confidence(key: str) -> str:
    colour = CONFIDENCE_COLOURS.get(key, "#6b6b6b")
    return f'<font color="{colour}"><b>{_e(CONFIDENCE_WORDS.get(key, key))}</b></font>'


def _table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    data = [[_p(_e(h), "head") for h in header]]
    for row in rows:
        data.append([c if isinstance(c, Paragraph) else _p(_e(c), "cell") for c in row])
    t = Table(data, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, BAND]),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return t


class _QrCode(Flowable):
    """The QR code as one filled path: a rectangle per run of dark modules in a row.

    ReportLab's QR widget builds a shape object per run and walks them through the graphics
    renderer, which takes longer than encoding the code itself; the drawn result is the same.
    """

    def __init__(self, text: str, size: float, border: int = 2):
        super().__init__()
        self.text, self.size, self.border = text, size, border
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        from reportlab.graphics.barcode import qrencoder

        qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        qr.addData(self.text)
        qr.make()
        n = qr.getModuleCount()
        box = self.size / (n + 2 * self.border)
        path = self.canv.beginPath()
        for r, row in enumerate(qr.modules):
            y = self.size - (r + self.border + 1) * box
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    path.rect((start + self.border) * box, y, (c - start) * box, box)
                else:
                    c += 1
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)
        self.canv.restoreState()


def _qr(text: str, size: float) -> Flowable:
    return _QrCode(text, size)


class _NumberedCanvas(Canvas):
    """Defers each page so the footer can say "page n of m"."""

    footer_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        width, _ = self._pagesize
        self.setFont(SANS, 7)
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.line(18 * mm, 14 * mm, width - 18 * mm, 14 * mm)
        self.drawString(18 * mm, 10 * mm, self.footer_text)
        self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")


def render(
    payload: dict[str, Any],
    qr_text: str,
    out: io.BufferedIOBase | io.BytesIO,
    *,
    logo: bytes | None = None,
    photo: bytes | None = None,
) -> None:
    """Draw the certificate for ``payload`` into ``out``."""
    register_fonts()
    paper = A4 if payload["shop"].get("paper_size") == "A4" else LETTER
    width = paper[0] - 36 * mm
    number, version = payload["number"], payload["version"]
    shop, piece = payload["shop"], payload["piece"]
    story: list[Any] = []

    # --- header: shop identity, title, certificate number
    ident = [_p(_e(shop["name"]), "shop")]
    for line in [shop.get("address", ""), shop.get("phone", ""), shop.get("email", "")]:
        for part in str(line).splitlines():
            if part.strip():
                ident.append(_p(_e(part.strip()), "muted"))
    logo_cell: Any = ""
    if logo:
        img = Image(io.BytesIO(logo))
        scale = min(22 * mm / img.imageWidth, 22 * mm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        logo_cell = img
    status = (
        f"Certificate <b>{_e(number)}</b> · version {version} · issued {_e(payload['issued_on'])}"
    )
    if payload.get("supersedes"):
        prev = payload["supersedes"]
        status += f"<br/>Replaces version {prev['version']} of this certificate."
    head = Table(
        [[logo_cell, ident, [_p("Disclosure certificate", "title"), _p(status, "right")]]],
        colWidths=[26 * mm if logo else 1, width * 0.5 - (26 * mm if logo else 1), width * 0.5],
    )
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(head)

    # --- the piece
    story.append(_p("The piece", "h2"))
    facts = [
        f"<b>Stock number</b> {_e(piece['sku'])}",
        f"<b>Description</b> {_e(piece['description'])}",
    ]
    if piece.get("metal"):
        facts.append(f"<b>Metal</b> {_e(piece['metal'])}")
    sale = payload.get("sale")
    if sale:
        facts.append(
            f"<b>Sold</b> {_e(sale['date'])}, invoice {_e(sale['invoice_no'])}, "
            f"{_e(format_money(sale['price_minor'], sale['currency']))}"
            + (
                f" + tax {_e(format_money(sale['tax_minor'], sale['currency']))}"
                if sale["tax_minor"]
                else ""
            )
        )
        if sale.get("customer"):
            facts.append(f"<b>Customer</b> {_e(sale['customer'])}")
    fact_cell = [_p(f) for f in facts]
    if photo:
        img = Image(io.BytesIO(photo))
        scale = min(40 * mm / img.imageWidth, 40 * mm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        t = Table([[fact_cell, img]], colWidths=[width - 44 * mm, 44 * mm])
        t.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        )
        story.append(t)
    else:
        story.extend(fact_cell)

    # --- stones
    if payload["stones"]:
        story.append(_p("Stones", "h2"))
        rows = []
        for s in payload["stones"]:
            report = " ".join(x for x in (s["lab"], s["report_no"]) if x) or "none"
            if s.get("report_date"):
                report += f" ({s['report_date']})"
            grading = ", ".join(x for x in (s["shape"], s["colour"], s["clarity"]) if x)
            origin = _country(s["country_of_mining"]) or "not documented"
            rows.append(
                [
                    _p(
                        f"<b>{_e(s['name'])}</b>" + (f"<br/>{_e(grading)}" if grading else ""),
                        "cell",
                    ),
                    _p(_e(s["quantity"]), "cell"),
                    _p(_e(report), "cell"),
                    _p(_e(s["treatment"] or "No treatment reported"), "cell"),
                    _p(f"{_e(origin)}<br/>{_confidence(s['origin_confidence'])}", "cell"),
                ]
            )
        story.append(
            _table(
                [
                    "Stone",
                    "Count and weight",
                    "Grading report",
                    "Treatment and care",
                    "Country of mining",
                ],
                rows,
                [w * width for w in (0.27, 0.15, 0.18, 0.22, 0.18)],
            )
        )

    # --- metals
    if payload["metals"]:
        story.append(_p("Metal", "h2"))
        rows = [
            [
                _p(f"<b>{_e(m['name'])}</b><br/>{_e(m['part'])}", "cell"),
                grams(m["mass_mg"]),
                m["refiner"] or "not documented",
                m["claim"],
                m["lot_no"],
            ]
            for m in payload["metals"]
        ]
        story.append(
            _table(
                ["Metal", "Mass", "Refiner", "Source", "Lot"],
                rows,
                [w * width for w in (0.27, 0.12, 0.27, 0.2, 0.14)],
            )
        )

    # --- custody
    story.append(_p("Chain of custody", "h2"))
    story.append(
        _p(
            "Each step says how it is known: <b>documented</b> (paperwork on file), "
            "<b>supplier-declared</b>, <b>owner-asserted</b> (the shop's own statement) or "
            "<b>inferred</b> from the shop's records.",
            "muted",
        )
    )
    for comp in payload["custody"]:
        block: list[Any] = [_p(_e(comp["component"]), "h3")]
        if comp["hops"]:
            rows = [
                [
                    h["date"],
                    h["step"],
                    h["party"] or "—",
                    _p(_e(_country(h["country"]) or "—"), "cell"),
                    _p(_e(", ".join(h["evidence"]) or "—"), "cell"),
                    _p(_confidence(h["confidence"]), "cell"),
                ]
                for h in comp["hops"]
            ]
            block.append(
                _table(
                    ["Date", "Step", "Who", "Country", "Evidence", "Known as"],
                    rows,
                    [w * width for w in (0.11, 0.17, 0.23, 0.14, 0.18, 0.17)],
                )
            )
        else:
            block.append(_p("No custody steps are recorded for this component.", "muted"))
        story.append(KeepTogether(block))

    # --- gaps, said plainly
    story.append(_p("What is not documented", "h2"))
    if not payload["gaps"] and not payload["acknowledged"]:
        story.append(_p("The shop's records show no open gaps for this piece."))
    for g in payload["gaps"]:
        # what is missing and the rule that asks for it; the explanation (in the signed record)
        # is written for the shop, with what to do next
        story.append(
            _p(
                f"<b>{_e(g['component'])}: {_e(g['title'])}.</b> "
                f"<font color='#555555'>({_e(g['basis'])})</font>",
                "small",
            )
        )
        story.append(Spacer(1, 2))
    for a in payload["acknowledged"]:
        story.append(
            _p(
                f"<b>{_e(a['component'])}: {_e(a['title'])}</b> — not known; the shop records: "
                f"“{_e(a['reason'])}” (owner-asserted).",
                "small",
            )
        )
        story.append(Spacer(1, 2))

    # --- supplier statements
    if payload["supplier_statements"]:
        story.append(_p("Supplier statements", "h2"))
        story.append(
            _p(
                "Quoted as the suppliers wrote them. They are the suppliers' statements, "
                "not claims made by this shop.",
                "muted",
            )
        )
        for st in payload["supplier_statements"]:
            story.append(
                _p(
                    f"<b>{_e(st['supplier'])}</b> ({_e(st['document'])}): “{_e(st['text'])}”",
                    "small",
                )
            )
            story.append(Spacer(1, 2))

    # --- screening and verification
    lists = "; ".join(f"{x['name']} {x['version']}" for x in payload["screening_lists"])
    story.append(_p("Screening", "h2"))
    story.append(_p(f"Origins and parties were screened against: {_e(lists)}.", "small"))
    verify = [
        _p("How to check this certificate", "h3"),
        _p(
            "This PDF carries the certificate's record as an attached file "
            f"({_e('certificate.json')}) and is signed by the shop. Open it in JewelerDesk "
            "(Help → Verify a certificate), or run <font name='JD-Mono'>jewelerdesk verify "
            "FILE.pdf --public-key SHOP.pub</font>. The QR code holds the certificate number, "
            "the record's SHA-256 and the shop's Ed25519 signature; any change to the record "
            "or the file is detected.",
            "small",
        ),
        _p(f"Shop key fingerprint: {_e(shop['key_fingerprint'])}", "mono"),
        _p(f"Record SHA-256: {_e(payload_hash_for_print(qr_text))}", "mono"),
        *(
            [
                _p(
                    f"Shop records log at issue: entry {payload['records_log']['entry']}, "
                    f"SHA-256 {_e(payload['records_log']['sha256'])}",
                    "mono",
                )
            ]
            if payload.get("records_log")
            else []
        ),
        _p(f"Signed QR record: {_e(qr_text)}", "mono"),
    ]
    box = Table([[verify, _qr(qr_text, 34 * mm)]], colWidths=[width - 38 * mm, 38 * mm])
    box.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story.append(Spacer(1, 6))
    story.append(KeepTogether([box]))

    class _Canvas(_NumberedCanvas):
        footer_text = f"{shop['name']} · disclosure certificate {number} v{version}"

    doc = SimpleDocTemplate(
        out,
        pagesize=paper,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=f"Disclosure certificate {number} v{version}",
        author=shop["name"],
        subject=f"{piece['sku']} {piece['description']}",
        creator="JewelerDesk",
        invariant=True,
        initialFontName=SANS,
    )
    doc.build(story, canvasmaker=_Canvas)


def payload_hash_for_print(qr_text: str) -> str:
    """The record hash in hex, from the QR text (one source for both)."""
    return parse_qr(qr_text).sha256
