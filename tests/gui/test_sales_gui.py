"""At the counter, through the GUI: sell from the table, preview and issue the certificate,
print it, save it, correct or void it, verify it, take a piece back, export and back up keys.
Everything is checked against the shop's database and the files written."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QInputDialog

from jewelerdesk.domain.model import ItemStatus
from jewelerdesk.services import certificates, inventory, sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.certificate import CertificateDialog
from jewelerdesk.ui.dialogs.sale import SaleDialog
from jewelerdesk.ui.dialogs.verify import VerifyDialog
from jewelerdesk.ui.main_window import MainWindow


def item(shop: Shop, sku: str):
    return inventory.get_item_by_sku(shop, sku)


def select_skus(w: MainWindow, *wanted: str) -> None:
    view = w.pieces.view
    view.clearSelection()
    model = w.pieces.model
    for row in range(model.rowCount()):
        if model.row_object(row).sku in wanted:
            view.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
            view.selectionModel().setCurrentIndex(
                model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )


def wait_ready(qtbot, dialog: CertificateDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30000)
    assert not dialog.error_line.isVisible(), dialog.error_line.text()


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(150)
    return printer


def test_sell_from_the_table_then_preview_issue_print_and_save(
    qtbot, monkeypatch, window: MainWindow, demo_shop: Shop, tmp_path: Path
) -> None:
    select_skus(window, "R-0001")
    seen: dict[str, object] = {}

    def fill_sale(dialog: SaleDialog) -> int:
        assert [i.sku for i in dialog.items] == ["R-0001"]
        assert dialog.lines.item(0, 2).text() == "7685.00"  # the piece's price, editable
        dialog.lines.item(0, 2).setText("7,500.00")
        dialog.lines.item(0, 3).setText("450")
        assert "7,950.00" in dialog.total.text()
        dialog.customer.setText("Walk-in customer")
        seen["invoice"] = dialog.invoice.text()
        dialog.accept()
        return dialog.result()

    def use_certificate(dialog: CertificateDialog) -> int:
        wait_ready(qtbot, dialog)
        assert dialog.shown is None and "Preview" in dialog.state.text()
        assert dialog.page_labels and not dialog.print_btn.isEnabled()
        dialog.issue()
        wait_ready(qtbot, dialog)
        assert dialog.shown is not None and dialog.shown.status == "current"
        assert dialog.pdf == certificates.reprint(demo_shop, dialog.shown.number)
        printed = tmp_path / "printed.pdf"
        pages = dialog.print_to(pdf_printer(printed))
        assert pages == len(PdfReader(io.BytesIO(dialog.pdf)).pages) >= 1
        assert len(PdfReader(str(printed)).pages) == pages
        saved = tmp_path / "out" / "certificate.pdf"
        assert dialog.save_to(saved)
        seen["saved"] = saved
        seen["number"] = dialog.shown.number
        return 1

    monkeypatch.setattr(SaleDialog, "exec", fill_sale)
    monkeypatch.setattr(CertificateDialog, "exec", use_certificate)
    window.sell_selected()

    piece = item(demo_shop, "R-0001")
    assert piece.status == ItemStatus.SOLD
    sale = sales.sale_of(demo_shop, piece.id)
    assert sale is not None and sale.invoice_no == seen["invoice"]
    assert sale.customer_name == "Walk-in customer"
    assert (sale.lines[0].price_minor, sale.lines[0].tax_minor) == (750000, 45000)
    assert "Sold on invoice" in window.statusBar().currentMessage()
    saved = seen["saved"]
    assert isinstance(saved, Path)
    result = certificates.verify_file(saved, shop=demo_shop)
    assert result.ok and result.number == seen["number"] and result.sku == "R-0001"
    assert result.payload is not None and result.payload["sale"]["customer"] == "Walk-in customer"


def test_sell_several_pieces_on_one_invoice(monkeypatch, window: MainWindow, demo_shop: Shop):
    select_skus(window, "E-0003", "P-0006")

    def fill(dialog: SaleDialog) -> int:
        assert sorted(i.sku for i in dialog.items) == ["E-0003", "P-0006"]
        dialog.certificate_after.setChecked(False)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(SaleDialog, "exec", fill)
    window.sell_selected()
    a, b = item(demo_shop, "E-0003"), item(demo_shop, "P-0006")
    assert a.status == b.status == ItemStatus.SOLD
    sale_a, sale_b = sales.sale_of(demo_shop, a.id), sales.sale_of(demo_shop, b.id)
    assert sale_a is not None and sale_b is not None and sale_a.id == sale_b.id
    assert sale_a.total_minor == a.price_minor + b.price_minor


def test_a_bad_price_or_a_used_invoice_keeps_the_dialog_open_and_sells_nothing(
    qtbot, demo_shop: Shop
) -> None:
    dialog = SaleDialog(demo_shop, sales.sellable(demo_shop, ["R-0002"]))
    qtbot.addWidget(dialog)
    dialog.lines.item(0, 2).setText("12,x0")
    dialog.accept()
    assert dialog.result() == 0 and dialog.sale is None
    assert "R-0002, price" in dialog.error_line.text()
    assert item(demo_shop, "R-0002").status == ItemStatus.IN_STOCK

    first = sales.sell(demo_shop, sales.SaleRequest(["R-0007"]))
    dialog.lines.item(0, 2).setText("5000")
    dialog.invoice.setText(first.invoice_no.lower())
    dialog.accept()
    assert dialog.result() == 0 and "already used" in dialog.error_line.text()
    assert item(demo_shop, "R-0002").status == ItemStatus.IN_STOCK


def test_a_piece_that_cannot_be_sold_is_refused_before_the_dialog(
    monkeypatch, window: MainWindow, errors_shown
) -> None:
    select_skus(window, "R-0019")  # on memo from a supplier: not the shop's to sell
    opened: list[object] = []
    monkeypatch.setattr(SaleDialog, "exec", lambda d: opened.append(d) or 0)
    window.sell_selected()
    assert not opened
    assert errors_shown and "cannot be sold" in str(errors_shown[0])


def test_correct_and_void_from_the_dialog_keep_every_version(
    qtbot, monkeypatch, demo_shop: Shop
) -> None:
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))
    first = certificates.issue_certificate(demo_shop, "R-0002")
    dialog = CertificateDialog(demo_shop, "R-0002")
    qtbot.addWidget(dialog)
    wait_ready(qtbot, dialog)
    assert dialog.shown is not None and dialog.shown.version == 1
    assert dialog.pdf == first.pdf  # the archived bytes, not a fresh rendering

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("   ", True))
    dialog.void()
    assert "reason is needed" in dialog.error_line.text()
    assert certificates.get_certificate(demo_shop, first.certificate.number).status == "current"

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Wrong clarity grade", True))
    dialog.reissue()
    wait_ready(qtbot, dialog)
    assert dialog.shown is not None and dialog.shown.version == 2
    assert dialog.version_box.count() == 2
    old = certificates.get_certificate(demo_shop, first.certificate.number, 1)
    assert (
        old.status == "superseded"
        and old.status_reason == "replaced by version 2: Wrong clarity grade"
    )

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Customer returned it", True))
    dialog.void()
    wait_ready(qtbot, dialog)
    assert dialog.shown is not None and dialog.shown.status == "voided"
    assert "VOID" in dialog.state.text() and not dialog.void_btn.isEnabled()
    assert dialog.pdf is not None  # shown to the shop...
    assert not dialog.print_btn.isEnabled() and not dialog.save_btn.isEnabled()  # ...not handed out
    assert dialog.issue_btn.isVisibleTo(dialog) and dialog.issue_btn.isEnabled()  # not a dead end
    assert dialog.issue_btn.text() == "Issue a new certificate"
    voided_number = dialog.shown.number
    dialog.version_box.setCurrentIndex(1)  # older version, still viewable, bytes unchanged
    wait_ready(qtbot, dialog)
    assert dialog.pdf == first.pdf
    dialog.issue()  # the piece gets a new certificate, under a new number
    wait_ready(qtbot, dialog)
    assert dialog.shown is not None and dialog.shown.status == "current"
    assert dialog.shown.number != voided_number and not dialog.issue_btn.isVisibleTo(dialog)


def test_verify_dialog_valid_tampered_qr_and_unknown_key(
    qtbot, demo_shop: Shop, tmp_path: Path
) -> None:
    from jewelerdesk.domain.model import ShopIdentity
    from jewelerdesk.paths import DataPaths

    sales.sell(demo_shop, sales.SaleRequest(["R-0007"]))
    issued = certificates.issue_certificate(demo_shop, "R-0007")
    good = tmp_path / "good.pdf"
    good.write_bytes(issued.pdf)
    dialog = VerifyDialog(demo_shop)
    qtbot.addWidget(dialog)

    dialog.check_pdf(good)
    assert dialog.result is not None and dialog.result.ok
    assert "Valid" in dialog.banner.text()

    data = bytearray(issued.pdf)
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    dialog.check_pdf(bad)
    assert dialog.result is not None and dialog.result.status == "tampered"
    assert "Not valid" in dialog.banner.text()

    dialog.qr.setPlainText(issued.qr_text)
    dialog.check_text()
    assert dialog.result is not None and dialog.result.ok

    dialog.qr.setPlainText("not a certificate code")
    dialog.check_text()
    assert dialog.result is None and "Cannot be checked" in dialog.banner.text()

    # another shop's key: intact, but not signed by the key chosen
    other = Shop.open(DataPaths(tmp_path / "other-shop"))
    inventory.save_shop_identity(
        other, ShopIdentity(name="Other Shop", address="1 Main St", country="US")
    )
    other_key = tmp_path / "other.pem"
    certificates.shop_keys(other).export_public(other_key)
    other.close()
    dialog.public_key = other_key
    dialog.check_pdf(good)
    assert dialog.result is not None and dialog.result.status == "unknown_key"
    assert "not chosen to trust" in dialog.banner.text()


def test_take_a_sold_piece_back_from_the_table(
    monkeypatch, window: MainWindow, demo_shop: Shop
) -> None:
    sales.sell(demo_shop, sales.SaleRequest(["P-0010"]))
    window.pieces.reload()
    select_skus(window, "P-0010")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Wrong size", True))
    window.return_selected()
    piece = item(demo_shop, "P-0010")
    assert piece.status == ItemStatus.RETURNED
    assert sales.sale_of(demo_shop, piece.id) is None
    assert "back in stock" in window.statusBar().currentMessage()


def test_export_and_back_up_keys_from_the_menu(
    monkeypatch, window: MainWindow, demo_shop: Shop, tmp_path: Path, errors_shown
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    key_file = tmp_path / "public.pem"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(key_file), "Public key (*.pem)")
    )
    window.export_public_key()
    assert key_file.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")

    folder = tmp_path / "usb"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    answers = iter([("correct horse", True), ("correct h0rse", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    window.backup_keys()
    assert errors_shown and "differ" in str(errors_shown[0])
    assert list(folder.iterdir()) == []

    answers = iter([("correct horse", True), ("correct horse", True)])
    window.backup_keys()
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "shop-ed25519.key",
        "shop-ed25519.pub",
        "shop-pdf-signing.crt",
        "shop-pdf-signing.key",
    ]
    private = next(p for p in folder.iterdir() if b"ENCRYPTED PRIVATE KEY" in p.read_bytes())
    assert private.stat().st_mode & 0o077 == 0


def test_a_critical_gap_is_put_to_the_user_with_no_as_the_answer_by_default(
    qtbot, monkeypatch, demo_shop: Shop
) -> None:
    from dataclasses import replace

    from jewelerdesk.ui import messages

    stone = item(demo_shop, "R-0011").stones[0]
    inventory.save_stone_fields(demo_shop, replace(stone, country_of_mining="RU"))
    asked: list[tuple[str, bool]] = []
    answer = [False]
    monkeypatch.setattr(
        messages,
        "ask",
        lambda _p, _t, text, default_yes=True: asked.append((text, default_yes)) or answer[0],
    )
    dialog = SaleDialog(demo_shop, sales.sellable(demo_shop, ["R-0011"]))
    qtbot.addWidget(dialog)
    dialog.accept()
    assert asked and "R-0011: Diamond mined in Russia" in asked[0][0]
    assert asked[0][1] is False  # Enter does not sell it
    assert dialog.result() == 0 and dialog.sale is None  # the dialog stays open
    assert item(demo_shop, "R-0011").status == ItemStatus.IN_STOCK
    answer[0] = True
    dialog.accept()
    assert dialog.sale is not None and item(demo_shop, "R-0011").status == ItemStatus.SOLD


def test_restore_the_signing_keys_from_the_menu(
    monkeypatch, window: MainWindow, demo_shop: Shop, tmp_path: Path, errors_shown
) -> None:
    from PySide6.QtWidgets import QMessageBox

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: said.append(text))
    keys = certificates.shop_keys(demo_shop)
    keys.backup(tmp_path / "usb", "correct horse")
    for f in demo_shop.paths.keys.iterdir():
        f.unlink()  # a new computer: the records came back, the key did not
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "usb"))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("wrong horse", True))
    window.restore_keys()
    assert errors_shown and "passphrase" in str(errors_shown[-1])
    assert not (demo_shop.paths.keys / "shop-ed25519.key").exists()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("correct horse", True))
    window.restore_keys()
    assert said and keys.fingerprint in said[-1]
    assert certificates.shop_keys(demo_shop).fingerprint == keys.fingerprint
