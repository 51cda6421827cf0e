"""Sample supplier paperwork for the demo shop, drawn with ReportLab.

Three kinds a shop receives every week: a wholesaler's invoice carrying the WDC System of
Warranties statement, a laboratory grading report, and a refiner's assay certificate. They
are ordinary PDFs with real text, so attaching them exercises the same reading path as a
supplier's own files.
"""

from __future__ import annotations

from pathlib import Path

WDC_SOW_2018 = (
    "The diamonds herein invoiced have been purchased from legitimate sources not involved in "
    "funding conflict, in compliance with United Nations Resolutions and corresponding national "
    "laws. The seller hereby guarantees that these diamonds are conflict free and confirms "
    "adherence to the WDC SoW Guidelines."
)


def _doc(
    path: Path,
    title: str,
    issuer: str,
    lines: list[tuple[str, str]],
    table: list[list[str]],
    statement: str = "",
    footer: str = "",
) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    story = [
        Paragraph(issuer, styles["Title"]),
        Paragraph(title, styles["Heading2"]),
        Spacer(1, 4 * mm),
    ]
    meta = Table([[k, v] for k, v in lines], colWidths=[45 * mm, 110 * mm])
    meta.setStyle(
        TableStyle(
            [("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 9)]
        )
    )
    story += [meta, Spacer(1, 6 * mm)]
    if table:
        t = Table(table, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e2d4")),
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ]
            )
        )
        story += [t, Spacer(1, 6 * mm)]
    if statement:
        story.append(Paragraph(statement, styles["Italic"]))
        story.append(Spacer(1, 4 * mm))
    if footer:
        story.append(Paragraph(footer, styles["Normal"]))
    SimpleDocTemplate(str(path), pagesize=A4, title=title, author=issuer, invariant=1).build(story)


def invoice(
    path: Path,
    issuer: str,
    number: str,
    date: str,
    buyer: str,
    rows: list[list[str]],
    with_warranty: bool,
) -> None:
    _doc(
        path,
        f"Invoice {number}",
        issuer,
        [("Invoice no.", number), ("Date", date), ("Sold to", buyer), ("Terms", "Net 30")],
        [["Stock no.", "Description", "Carat", "Report", "Amount (USD)"], *rows],
        WDC_SOW_2018 if with_warranty else "",
        "Goods remain the property of the seller until paid in full.",
    )


def grading_report(
    path: Path, lab: str, number: str, date: str, fields: list[tuple[str, str]]
) -> None:
    _doc(
        path,
        f"Diamond Grading Report {number}",
        lab,
        [("Report number", number), ("Date", date), *fields],
        [],
        footer="This report describes the characteristics of the stone at the time of examination.",
    )


def assay_certificate(
    path: Path, refiner: str, number: str, date: str, fields: list[tuple[str, str]]
) -> None:
    _doc(
        path,
        f"Certificate of Assay {number}",
        refiner,
        [("Certificate no.", number), ("Date", date), *fields],
        [],
        footer="Assayed by fire assay (ISO 11426). Results refer to the batch sampled.",
    )


def recycled_declaration(path: Path, issuer: str, number: str, date: str, lot: str) -> None:
    _doc(
        path,
        f"Recycled Metal Declaration {number}",
        issuer,
        [("Declaration no.", number), ("Date", date), ("Lot", lot)],
        [],
        statement=(
            "We declare that the precious metal supplied under the lot above was produced "
            "entirely from recycled post-consumer and post-industrial material, and that "
            "no newly mined metal was added."
        ),
    )
