"""Sales, certificates and offline verification against a real shop, real PDFs and real keys."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from jewelerdesk.certificates import payload as pl
from jewelerdesk.certificates.keys import load_or_create
from jewelerdesk.certificates.verify import TAMPERED, UNKNOWN_KEY, VALID, verify_pdf, verify_qr_text
from jewelerdesk.domain import ftc
from jewelerdesk.domain.custody import Hop
from jewelerdesk.domain.model import ItemStatus
from jewelerdesk.errors import Conflict, ValidationError
from jewelerdesk.services import certificates, sales
from jewelerdesk.store import events, records


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


def _item(shop, sku):
    return records.get_item(shop.db, records.find_item_id_by_sku(shop.db, sku))


def test_sale_records_a_retail_selling_event_and_a_return_reverses_it(demo_shop) -> None:
    sale = sales.sell(demo_shop, sales.SaleRequest(["R-0001"], {"R-0001": 123_456}, {"R-0001": 99}))
    item = _item(demo_shop, "R-0001")
    assert item.status == ItemStatus.SOLD
    sold = [e for e in events.events_about(demo_shop.db, [item.id]) if e.hop == Hop.SOLD]
    assert len(sold) == 1 and sold[0].info.biz_step == "retail_selling"
    assert sold[0].biz_transactions == [("inv", sale.invoice_no)]
    assert sale.total_minor == 123_555
    with pytest.raises(Conflict):
        sales.sell(demo_shop, sales.SaleRequest(["R-0001"]))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        demo_shop.db.execute("UPDATE sale_line SET price_minor = 1")
    sales.return_sale(demo_shop, "R-0001", "Wrong size")
    assert _item(demo_shop, "R-0001").status == ItemStatus.RETURNED
    back = [e for e in events.events_about(demo_shop.db, [item.id]) if e.hop == Hop.RETURNED]
    assert len(back) == 1 and back[0].note == "Wrong size"
    assert sales.sale_of(demo_shop, item.id) is None
    again = sales.sell(demo_shop, sales.SaleRequest(["R-0001"], customer_name="Ana"))
    assert again.invoice_no != sale.invoice_no


def test_sale_validation(demo_shop) -> None:
    with pytest.raises(ValidationError) as e:
        sales.sell(demo_shop, sales.SaleRequest(["R-0001"], payment_method="barter"))
    assert "payment_method" in e.value.errors
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"], invoice_no="INV-1"))
    with pytest.raises(ValidationError) as e:
        sales.sell(demo_shop, sales.SaleRequest(["R-0002"], invoice_no="inv-1"))
    assert "invoice_no" in e.value.errors
    assert _item(demo_shop, "R-0002").status == ItemStatus.IN_STOCK
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for day, message in ((tomorrow, "after today"), ("20261102", "must look like")):
        with pytest.raises(ValidationError) as e:
            sales.sell(demo_shop, sales.SaleRequest(["R-0002"], day=day))
        assert message in e.value.errors["day"]
    assert _item(demo_shop, "R-0002").status == ItemStatus.IN_STOCK


@pytest.fixture
def issued(demo_shop):
    sales.sell(
        demo_shop, sales.SaleRequest(["R-0001"], customer_name="Ρόδος Société Anonyme, Zürich")
    )
    return certificates.issue_certificate(demo_shop, "R-0001")


def test_certificate_prints_every_required_field(demo_shop, issued) -> None:
    text = _text(issued.pdf)
    c = issued.certificate
    payload = json.loads(c.payload)
    ident = demo_shop.identity()
    for needle in (
        ident.name,
        "Disclosure certificate",
        c.number,
        "version 1",
        "R-0001",
        "Ρόδος Société Anonyme, Zürich",
        "Chain of custody",
        "What is not documented",
        "Screening",
        payload["screening_lists"][0]["version"],
        c.key_fingerprint[:9],
        "Page 1 of",
    ):
        assert needle in text, needle
    for stone in payload["stones"]:
        assert stone["name"] in text
    for metal in payload["metals"]:
        assert metal["name"] in text
    # The shop makes no claim of its own; only quoted supplier statements may use such words.
    own_words = text.split("Supplier statements")[0]
    assert ftc.own_claim_problems(own_words) == []


def test_verify_accepts_the_untouched_file_and_catches_tampering(demo_shop, issued) -> None:
    keys = certificates.shop_keys(demo_shop)
    assert verify_pdf(issued.pdf, [keys.public]).status == VALID

    flipped = bytearray(issued.pdf)
    flipped[len(flipped) // 3] ^= 0x01
    v = verify_pdf(bytes(flipped), [keys.public])
    assert v.status == TAMPERED and not v.ok

    # A changed carat weight in the embedded record, rewritten into a new PDF.
    record = json.loads(issued.certificate.payload)
    record["stones"][0]["weight_mct"] += 20
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(issued.pdf)))
    writer._root_object.pop("/Names", None)
    writer.add_attachment(pl.ATTACHMENT_NAME, pl.canonical_bytes(record))
    writer.add_attachment("certificate-qr.txt", issued.qr_text.encode())
    out = io.BytesIO()
    writer.write(out)
    v = verify_pdf(out.getvalue(), [keys.public])
    assert v.status == TAMPERED
    assert any("no longer matches its signed hash" in p for p in v.problems)

    other = load_or_create(demo_shop.paths.root / "other-keys", "Someone Else", "US")
    assert verify_pdf(issued.pdf, [other.public]).status == UNKNOWN_KEY


def test_a_byte_changed_where_the_pdf_signature_does_not_reach_is_caught(demo_shop, issued):
    """The signature's own /Contents is not covered by it: its zero padding and the spare copy
    of the shop's certificate inside it are checked byte for byte all the same."""
    import binascii

    keys = certificates.shop_keys(demo_shop)
    data = issued.pdf
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    raw = binascii.unhexlify(data[start:end])
    assert raw.rstrip(b"\x00") != raw  # there is padding

    def with_contents(new: bytes) -> bytes:
        text = binascii.hexlify(new)
        text = text.upper() if data[start:end].isupper() else text
        return data[:start] + text + data[end:]

    padded = bytearray(raw)
    padded[-5] = 0x01  # in the zero padding
    assert verify_pdf(with_contents(bytes(padded)), [keys.public]).status == TAMPERED
    from pyhanko.pdf_utils.reader import PdfFileReader

    der = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0].signer_cert.dump()
    second = raw.find(der, raw.find(der) + 1)
    assert second > 0  # the CMS carries the certificate twice
    spare = bytearray(raw)
    spare[second + 400] ^= 0x01
    assert verify_pdf(with_contents(bytes(spare)), [keys.public]).status == TAMPERED
    assert verify_pdf(with_contents(raw), [keys.public]).status == VALID  # rebuilt unchanged


def test_qr_from_another_certificate_is_rejected(demo_shop, issued) -> None:
    keys = certificates.shop_keys(demo_shop)
    second = certificates.issue_certificate(demo_shop, "R-0002")
    assert verify_qr_text(issued.qr_text, [keys.public], issued.certificate.payload.encode()).ok
    v = verify_qr_text(second.qr_text, [keys.public], issued.certificate.payload.encode())
    assert not v.ok and any("belongs to certificate" in p for p in v.problems)
    forged = issued.qr_text[:-4] + ("AAAA" if not issued.qr_text.endswith("AAAA") else "BBBB")
    assert not verify_qr_text(forged, [keys.public]).ok


def test_reprint_reissue_and_void_keep_history(demo_shop, issued) -> None:
    c = issued.certificate
    assert certificates.reprint(demo_shop, c.number) == issued.pdf
    with pytest.raises(Conflict):
        certificates.issue_certificate(demo_shop, "R-0001")
    v2 = certificates.reissue(demo_shop, c.number, "Customer name spelled wrong")
    assert v2.certificate.version == 2
    assert json.loads(v2.certificate.payload)["supersedes"]["version"] == 1
    old = certificates.get_certificate(demo_shop, c.number, 1)
    assert old.status == "superseded"
    assert certificates.reprint(demo_shop, c.number, 1) == issued.pdf
    with pytest.raises(ValidationError):
        certificates.void(demo_shop, c.number, " ")
    voided = certificates.void(demo_shop, c.number, "Sale cancelled")
    assert voided.status == "voided" and voided.version == 2
    for sql in ("UPDATE certificate SET version = 9", "DELETE FROM certificate_status"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            demo_shop.db.execute(sql)
    history = certificates.certificates_of(demo_shop, "R-0001")
    assert [(h.version, h.status) for h in history] == [(1, "superseded"), (2, "voided")]
    with pytest.raises(Conflict, match="voided"):
        certificates.reprint(demo_shop, c.number)  # no clean copy of a voided certificate
    assert certificates.archived_copy(demo_shop, c.number) == v2.pdf  # the shop still sees it


def test_verify_notes_a_piece_brought_back_and_ignores_another_shops_numbers(
    demo_shop, issued, tmp_path
) -> None:
    from jewelerdesk.paths import DataPaths
    from jewelerdesk.services.shop import Shop

    mine = tmp_path / "mine.pdf"
    mine.write_bytes(issued.pdf)
    assert certificates.verify_file(mine, shop=demo_shop).notes == []
    sales.return_sale(demo_shop, "R-0001", "customer changed her mind")
    result = certificates.verify_file(mine, shop=demo_shop)
    assert result.ok and any("brought back" in n for n in result.notes)

    # another shop numbers its certificates the same way: checking its customer's copy here,
    # with its public key, says nothing of this shop's own certificate of that number
    other = Shop.open(DataPaths(tmp_path / "other"))
    try:
        from jewelerdesk.services.demo import build_demo

        build_demo(other)  # the same demo, so the same prefix, but its own key
        sales.sell(other, sales.SaleRequest(["R-0002"]))
        theirs = certificates.issue_certificate(other, "R-0002")
        key = tmp_path / "other.pem"
        certificates.shop_keys(other).export_public(key)
    finally:
        other.close()
    assert theirs.certificate.number == issued.certificate.number  # the same number
    path = tmp_path / "theirs.pdf"
    path.write_bytes(theirs.pdf)
    result = certificates.verify_file(path, public_key=key, shop=demo_shop)
    assert result.ok and result.notes == [], (result.problems, result.notes)


def test_a_piece_with_gaps_says_so_plainly(demo_shop) -> None:
    issued = certificates.issue_certificate(demo_shop, "R-0002")
    payload = json.loads(issued.certificate.payload)
    assert payload["gaps"], "the demo's R-0002 has a broken chain"
    text = " ".join(_text(issued.pdf).split())
    for g in payload["gaps"]:
        assert " ".join(g["title"].split()) in text


def test_shop_never_prints_its_own_conflict_free_claim(demo_shop) -> None:
    from jewelerdesk.services import inventory

    item = _item(demo_shop, "E-0003")
    item.description = "Conflict-free diamond ring"
    inventory.save_item(demo_shop, item)
    with pytest.raises(ValidationError, match="cannot print"):
        certificates.issue_certificate(demo_shop, "E-0003")


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(st.integers(), st.text(max_size=12), st.booleans(), st.none()),
        max_size=8,
    )
)
def test_canonical_payload_is_deterministic(d) -> None:
    reordered = dict(reversed(list(d.items())))
    assert pl.canonical_bytes(d) == pl.canonical_bytes(reordered)
    assert json.loads(pl.canonical_bytes(d)) == d


def test_the_printed_qr_code_scans_back_to_the_signed_record(demo_shop, issued, tmp_path) -> None:
    """Drawn at print resolution and read by a real barcode reader (zbar)."""
    import shutil
    import subprocess

    from PIL import Image

    from jewelerdesk.certificates.raster import render_pages

    zbar = shutil.which("zbarimg")
    if zbar is None:
        pytest.skip("zbarimg is not installed (CI installs zbar-tools)")
    last = len(PdfReader(io.BytesIO(issued.pdf)).pages) - 1
    page = render_pages(issued.pdf, dpi=150, first=last, last=last)[0]
    png = tmp_path / "page.png"
    Image.frombytes("RGB", (page.width, page.height), page.rgb).save(png)
    out = subprocess.run(
        [zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip().splitlines() == [issued.qr_text]
    assert verify_qr_text(out.stdout.strip(), [certificates.shop_keys(demo_shop).public]).ok


def test_a_low_platinum_alloy_is_refused_until_recorded_as_marked(demo_shop) -> None:
    from jewelerdesk.domain.model import ClaimClass, Metal, MetalComponent, MetalLot, MetalPart
    from jewelerdesk.services import inventory

    lot = inventory.receive_lot(
        demo_shop, MetalLot("PT585-CO", Metal.PLATINUM, 585, ClaimClass.UNSPECIFIED), 20000
    )
    ring = inventory.get_item_by_sku(demo_shop, "R-0007")
    ring.metals = [MetalComponent(lot.id, 5000, 585, MetalPart.SHANK)]
    inventory.save_item(demo_shop, ring)
    with pytest.raises(ValidationError, match="every other metal"):
        certificates.issue_certificate(demo_shop, "R-0007")
    with pytest.raises(ValidationError, match="every other metal"):
        certificates.preview_certificate(demo_shop, "R-0007")
    assert certificates.certificates_of(demo_shop, "R-0007") == []


def test_countries_print_by_name_and_a_grading_report_is_no_proof_of_origin(
    demo_shop, tmp_path
) -> None:
    from reportlab.pdfgen import canvas

    from jewelerdesk.domain.model import DocType, SubjectKind
    from jewelerdesk.services import inventory, paperwork

    def pdf(name: str, line: str):
        path = tmp_path / name
        c = canvas.Canvas(str(path))
        c.drawString(60, 760, line)
        c.save()
        return path

    stone = _item(demo_shop, "R-0011").stones[0]  # mined in Namibia, no mined hop recorded
    assert stone.country_of_mining == "NA"
    paperwork.attach(
        demo_shop, SubjectKind.STONE, stone.id, pdf("gia.pdf", "GIA grading report"),
        DocType.GRADING_REPORT,
    )  # fmt: skip
    sales.sell(demo_shop, sales.SaleRequest(["R-0011"]))
    first = certificates.issue_certificate(demo_shop, "R-0011")
    [s] = json.loads(first.certificate.payload)["stones"]
    assert s["origin_confidence"] == "owner_asserted"  # a grading report says what, not where
    text = _text(first.pdf)
    assert "Namibia (NA)" in text  # never a bare "NA", which reads as "not applicable"

    paperwork.attach(
        demo_shop, SubjectKind.STONE, stone.id, pdf("origin.pdf", "Origin report: Namibia"),
        DocType.ORIGIN_REPORT,
    )  # fmt: skip
    again = certificates.reissue(demo_shop, first.certificate.number, "origin report")
    [s] = json.loads(again.certificate.payload)["stones"]
    assert s["origin_confidence"] == "documented"
    assert inventory.get_stone(demo_shop, stone.id).country_of_mining == "NA"


def test_a_lab_grown_stone_called_plain_diamond_gets_no_certificate(demo_shop) -> None:
    from jewelerdesk.services import inventory

    item = _item(demo_shop, "E-0003")  # laboratory-grown diamonds
    item.description = "18K white gold studs, 1.00 ct diamonds"
    inventory.save_item(demo_shop, item)
    sales.sell(demo_shop, sales.SaleRequest(["E-0003"]))
    with pytest.raises(ValidationError) as e:
        certificates.issue_certificate(demo_shop, "E-0003")
    assert "Unqualified" in e.value.errors["description"] and "FTC" in e.value.errors["description"]
    from jewelerdesk.store import sales as sales_store

    assert not sales_store.certificates_for_item(demo_shop.db, item.id)
    item = _item(demo_shop, "E-0003")
    item.description = "18K white gold studs, 1.00 ct laboratory-grown diamonds"
    inventory.save_item(demo_shop, item)
    assert certificates.issue_certificate(demo_shop, "E-0003").certificate.number


def test_a_piece_with_a_critical_gap_is_sold_only_when_the_user_says_so_again(demo_shop) -> None:
    from dataclasses import replace

    from jewelerdesk.errors import CriticalGaps
    from jewelerdesk.services import inventory

    stone = _item(demo_shop, "R-0011").stones[0]
    inventory.save_stone_fields(demo_shop, replace(stone, country_of_mining="RU"))
    with pytest.raises(CriticalGaps) as e:
        sales.sell(demo_shop, sales.SaleRequest(["R-0011", "R-0012"]))
    assert e.value.problems == ["R-0011: Diamond mined in Russia"]
    assert "Not sold" in str(e.value)
    assert _item(demo_shop, "R-0011").status == ItemStatus.IN_STOCK  # nothing recorded
    assert _item(demo_shop, "R-0012").status == ItemStatus.IN_STOCK
    sale = sales.sell(demo_shop, sales.SaleRequest(["R-0011"], despite_critical_gaps=True))
    assert _item(demo_shop, "R-0011").status == ItemStatus.SOLD
    event = events.get_event(demo_shop.db, sale.event_id)
    assert event is not None and "despite open critical gaps" in event.note
    assert "Diamond mined in Russia" in event.note  # the record says what was known
