"""Attaching real files: what is accepted, what is refused, and that nothing half-done stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from jewelerdesk.domain.model import DocType, Item, SubjectKind
from jewelerdesk.errors import BadDocument, Conflict
from jewelerdesk.services import inventory, paperwork


def make_pdf(path: Path, text: str, pages: int = 1) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for i in range(pages):
        c.drawString(72, 720, f"{text} page {i + 1}")
        c.showPage()
    c.save()
    return path


@pytest.fixture
def piece(shop):
    return inventory.save_item(shop, Item(sku="R-1", description="Ring"))


def doc_rows(shop) -> int:
    return inventory.shop_counts(shop).documents


def test_pdf_text_and_pages_are_read(shop, piece, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "invoice.pdf", "Invoice MDW-77 conflict free warranty", pages=2)
    result = paperwork.attach(
        shop, SubjectKind.ITEM, piece.id, pdf, DocType.INVOICE, number="MDW-77"
    )
    doc = result.document
    assert not result.already_stored
    assert doc.page_count == 2 and doc.media_type == "application/pdf"
    assert "Invoice MDW-77" in doc.text
    assert shop.files.verify(doc.sha256)
    assert [d.id for d in paperwork.documents_for(shop, SubjectKind.ITEM, piece.id)] == [doc.id]


def test_same_file_twice(shop, piece, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "report.pdf", "GIA 2141438169")
    first = paperwork.attach(shop, SubjectKind.ITEM, piece.id, pdf, DocType.GRADING_REPORT)
    with pytest.raises(Conflict, match="already attached"):
        paperwork.attach(shop, SubjectKind.ITEM, piece.id, pdf, DocType.GRADING_REPORT)
    other = inventory.save_item(shop, Item(sku="R-2", description="Ring"))
    copy = tmp_path / "renamed copy.pdf"
    copy.write_bytes(pdf.read_bytes())
    second = paperwork.attach(shop, SubjectKind.ITEM, other.id, copy, DocType.GRADING_REPORT)
    assert second.already_stored and second.document.id == first.document.id
    assert doc_rows(shop) == 1
    blobs = [p for p in shop.files.root.rglob("*") if p.is_file() and ".incoming" not in p.parts]
    assert len(blobs) == 1


def corrupt_pdf(tmp_path: Path) -> Path:
    good = make_pdf(tmp_path / "good.pdf", "x")
    bad = tmp_path / "corrupt.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    del good
    return bad


def encrypted_pdf(tmp_path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    src = make_pdf(tmp_path / "plain.pdf", "secret")
    w = PdfWriter()
    for page in PdfReader(src).pages:
        w.add_page(page)
    w.encrypt(user_password="owner-only", owner_password="owner-only")
    out = tmp_path / "locked.pdf"
    with open(out, "wb") as fh:
        w.write(fh)
    return out


def jpeg_named_pdf(tmp_path: Path) -> Path:
    from PIL import Image

    p = tmp_path / "scan.pdf"
    Image.new("RGB", (10, 10)).save(p, "JPEG")
    return p


def text_named_pdf(tmp_path: Path) -> Path:
    p = tmp_path / "notes.pdf"
    p.write_text("just some notes")
    return p


def empty_file(tmp_path: Path) -> Path:
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    return p


def bomb_png(tmp_path: Path) -> Path:
    from PIL import Image

    p = tmp_path / "bomb.png"
    Image.new("1", (12000, 12000)).save(p, "PNG")
    return p


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (corrupt_pdf, "damaged"),
        (encrypted_pdf, "password"),
        (jpeg_named_pdf, "really a JPEG"),
        (text_named_pdf, "named like a PDF"),
        (empty_file, "empty"),
        (bomb_png, "decompression bomb"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_recorded(
    shop, piece, tmp_path: Path, make, words
) -> None:
    path = make(tmp_path)
    with pytest.raises(BadDocument, match=words):
        paperwork.attach(shop, SubjectKind.ITEM, piece.id, path, DocType.INVOICE)
    assert doc_rows(shop) == 0
    assert paperwork.documents_for(shop, SubjectKind.ITEM, piece.id) == []


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match="does not exist"):
        paperwork.check_file(tmp_path / "nope.pdf")
    with pytest.raises(BadDocument, match="folder"):
        paperwork.check_file(tmp_path)
    other = tmp_path / "data.xlsx"
    other.write_bytes(b"PK\x03\x04 not a document")
    with pytest.raises(BadDocument, match="PDF, JPEG, PNG or TIFF"):
        paperwork.check_file(other)


def test_images_attach_and_preview(shop, piece, tmp_path: Path) -> None:
    from PIL import Image

    for name, fmt, media in (
        ("photo.jpg", "JPEG", "image/jpeg"),
        ("scan.png", "PNG", "image/png"),
        ("scan.tif", "TIFF", "image/tiff"),
    ):
        p = tmp_path / name
        Image.new("RGB", (64, 48), "gold").save(p, fmt)
        doc = paperwork.attach(shop, SubjectKind.ITEM, piece.id, p, DocType.PHOTO).document
        assert doc.media_type == media
        png = paperwork.render_preview(shop, doc, max_px=200)
        assert png.startswith(b"\x89PNG")
    pdf = make_pdf(tmp_path / "p.pdf", "preview me")
    doc = paperwork.attach(shop, SubjectKind.ITEM, piece.id, pdf, DocType.OTHER).document
    assert paperwork.render_preview(shop, doc).startswith(b"\x89PNG")
    viewed = paperwork.copy_for_viewing(shop, doc)
    assert viewed.name == "p.pdf" and viewed.read_bytes() == pdf.read_bytes()


def test_document_dates_must_be_dates(shop, piece, tmp_path: Path) -> None:
    from jewelerdesk.errors import ValidationError

    pdf = make_pdf(tmp_path / "kp.pdf", "KP certificate")
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        paperwork.attach(
            shop, SubjectKind.ITEM, piece.id, pdf, DocType.KP_CERTIFICATE, expiry_date="31/12/2026"
        )
    assert doc_rows(shop) == 0
    doc = paperwork.attach(
        shop, SubjectKind.ITEM, piece.id, pdf, DocType.KP_CERTIFICATE, expiry_date="2026-12-31"
    ).document
    assert doc.expiry_date == "2026-12-31"
