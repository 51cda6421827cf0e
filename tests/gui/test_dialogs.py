"""Editors and the paperwork panel, driven like a clerk would, checked against the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from jewelerdesk.domain.model import (
    DocType,
    MetalPart,
    OriginType,
    PartyKind,
    StoneType,
    SubjectKind,
)
from jewelerdesk.services import inventory, paperwork
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages
from jewelerdesk.ui.dialogs.common import select
from jewelerdesk.ui.dialogs.lot import LotDialog
from jewelerdesk.ui.dialogs.party import PartyDialog
from jewelerdesk.ui.dialogs.piece import PieceEditor
from jewelerdesk.ui.dialogs.settings import SettingsDialog
from jewelerdesk.ui.dialogs.stone import StoneDialog
from jewelerdesk.ui.widgets.documents import DocumentsPanel


def make_pdf(path: Path, text: str) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(72, 720, text)
    c.save()
    return path


def gold_lot(shop: Shop):
    return next(lot for lot in inventory.all_lots(shop) if lot.lot_no == "AU750-W-2602")


def test_create_a_piece_with_a_stone_and_a_metal_draw(qtbot, monkeypatch, demo_shop: Shop) -> None:
    lot = gold_lot(demo_shop)
    before = inventory.lot_balance_mg(demo_shop, lot.id)
    editor = PieceEditor(demo_shop)
    qtbot.addWidget(editor)
    qtbot.keyClicks(editor.sku, "R-7777")
    qtbot.keyClicks(editor.description, "18K white gold ring with a 0.50 ct natural diamond")
    qtbot.keyClicks(editor.price, "2,450.00")

    def fill_stone(dialog: StoneDialog) -> int:
        select(dialog.stone_type, str(StoneType.DIAMOND))
        select(dialog.origin_type, str(OriginType.NATURAL))
        dialog.weight.setText("0.50")
        dialog.mining.setEditText("bw")
        dialog.lab.setEditText("GIA")
        dialog.report_no.setText("2141438169")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(StoneDialog, "exec", fill_stone)
    editor.add_stone()
    assert editor.stone_model.rowCount() == 1

    select(editor.lot_box, lot.id)
    editor.draw_mass.setText("4.2")
    select(editor.draw_part, str(MetalPart.SHANK))
    editor.add_metal()
    assert editor.metal_model.rowCount() == 1

    editor.accept()
    assert editor.result() == editor.DialogCode.Accepted, editor.error_line.text()
    piece = inventory.get_item_by_sku(demo_shop, "R-7777")
    assert piece.price_minor == 245000
    assert [(s.weight_mct, s.country_of_mining, s.report_no) for s in piece.stones] == [
        (500, "BW", "2141438169")
    ]
    assert [(m.mass_mg, m.fineness_ppt) for m in piece.metals] == [(4200, 750)]
    assert inventory.lot_balance_mg(demo_shop, lot.id) == before - 4200


def test_overdraw_keeps_the_dialog_open_and_saves_nothing(qtbot, demo_shop: Shop) -> None:
    lot = gold_lot(demo_shop)
    balance = inventory.lot_balance_mg(demo_shop, lot.id)
    editor = PieceEditor(demo_shop)
    qtbot.addWidget(editor)
    editor.sku.setText("R-8888")
    editor.description.setText("Heavy signet ring")
    select(editor.lot_box, lot.id)
    editor.draw_mass.setText(f"{(balance + 1000) / 1000:.3f}")
    editor.add_metal()
    editor.accept()
    assert editor.result() != editor.DialogCode.Accepted
    assert "left" in editor.error_line.text() and lot.lot_no in editor.error_line.text()
    assert editor.sku.text() == "R-8888"  # nothing typed was lost
    assert inventory.count_items(demo_shop, inventory.ListQuery(search="R-8888")) == 0
    assert inventory.lot_balance_mg(demo_shop, lot.id) == balance


def test_bad_values_are_marked_at_their_fields(qtbot, demo_shop: Shop) -> None:
    dialog = StoneDialog(demo_shop, None, loose=True)
    qtbot.addWidget(dialog)
    dialog.stock_no.setText("LS-NEW")
    dialog.weight.setText("0")
    dialog.mining.setEditText("XX")
    dialog.lab.setEditText("GIA")
    dialog.report_no.setText("12345")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    for widget in (dialog.weight, dialog.mining, dialog.report_no):
        assert widget.property(messages.ERROR_PROPERTY), widget
    assert "greater than zero" in dialog.error_line.text()
    assert "10 digits" in dialog.error_line.text()

    lot = LotDialog(demo_shop)
    qtbot.addWidget(lot)
    lot.lot_no.setText("AU-BAD")
    lot.fineness.setEditText("1001")
    lot.mass.setText("10")
    lot.accept()
    assert lot.result() != lot.DialogCode.Accepted
    assert lot.fineness.property(messages.ERROR_PROPERTY)


def test_loose_stone_is_saved(qtbot, demo_shop: Shop) -> None:
    dialog = StoneDialog(demo_shop, None, loose=True)
    qtbot.addWidget(dialog)
    dialog.stock_no.setText("LS-9001")
    select(dialog.stone_type, str(StoneType.COLOURED_GEM))
    dialog.variety.setText("ruby")
    dialog.weight.setText("1,25")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error_line.text()
    stone = inventory.get_stone(demo_shop, dialog.saved_stone_id)
    assert (stone.stock_no, stone.weight_mct, stone.variety) == ("LS-9001", 1250, "ruby")


def test_first_run_settings_save_the_shop_identity(qtbot, shop: Shop) -> None:
    dialog = SettingsDialog(shop, first_run=True)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted  # name, address, country required
    assert shop.identity() is None
    dialog.name.setText("Rue du Rhône Joaillerie")
    dialog.address.setPlainText("Rue du Rhône 1, 1204 Genève")
    dialog.country.setEditText("ch")
    dialog.prefix.setText("rrj")
    select(dialog.paper, "A4")
    dialog.currency.setEditText("CHF")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error_line.text()
    ident = shop.identity()
    assert (
        ident.name,
        ident.country,
        ident.certificate_prefix,
        ident.paper_size,
        ident.currency,
    ) == (
        "Rue du Rhône Joaillerie",
        "CH",
        "RRJ",
        "A4",
        "CHF",
    )


def test_party_and_lot_dialogs_save(qtbot, demo_shop: Shop) -> None:
    party = PartyDialog(demo_shop)
    qtbot.addWidget(party)
    party.legal_name.setText("Société Anonyme des Affineurs")
    select(party.kind, str(PartyKind.REFINER))
    party.country.setEditText("FR")
    party.rmi_cid.setText("cid001234")
    party.accept()
    qtbot.waitUntil(lambda: not party.saving, timeout=10000)  # saved in the background
    assert party.result() == party.DialogCode.Accepted, party.error_line.text()
    saved = inventory.get_party(demo_shop, party.saved_party_id)
    assert (saved.kind, saved.rmi_cid) == (PartyKind.REFINER, "CID001234")

    lot = LotDialog(demo_shop)
    qtbot.addWidget(lot)
    lot.lot_no.setText("PT950-NEW")
    select(lot.metal, "Pt")
    lot.fineness.setEditText("950")
    select(lot.refiner, saved.id)
    lot.mass.setText("100.5")
    lot.accept()
    assert lot.result() == lot.DialogCode.Accepted, lot.error_line.text()
    assert inventory.lot_balance_mg(demo_shop, lot.saved_lot_id) == 100_500


def test_attach_by_drag_and_drop(qtbot, demo_shop: Shop, tmp_path: Path) -> None:
    piece = inventory.get_item_by_sku(demo_shop, "R-0007")
    panel = DocumentsPanel(demo_shop, SubjectKind.ITEM, piece.id)
    qtbot.addWidget(panel)
    pdf = make_pdf(tmp_path / "memo.pdf", "Consignment memo 5521 platinum band")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pdf))])
    original = panel.attach_paths
    panel.attach_paths = lambda paths, doc_type=None, **kw: original(
        paths, DocType.MEMO
    )  # no type dialog
    drop = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(drop)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and not panel.busy, timeout=15000)
    docs = paperwork.documents_for(demo_shop, SubjectKind.ITEM, piece.id)
    assert [d.doc_type for d in docs] == [DocType.MEMO]
    assert "Consignment memo 5521" in docs[0].text


@pytest.mark.parametrize("kind", ["empty", "jpeg_named_pdf"])
def test_bad_files_are_refused_with_a_message(
    qtbot, demo_shop: Shop, tmp_path: Path, errors_shown, kind: str
) -> None:
    piece = inventory.get_item_by_sku(demo_shop, "R-0007")
    panel = DocumentsPanel(demo_shop, SubjectKind.ITEM, piece.id)
    qtbot.addWidget(panel)
    path = tmp_path / "scan.pdf"
    if kind == "empty":
        path.write_bytes(b"")
    else:
        from PIL import Image

        Image.new("RGB", (20, 20), "white").save(path, "JPEG")
    panel.attach_paths([path], DocType.INVOICE)
    qtbot.waitUntil(lambda: bool(errors_shown) and not panel.busy, timeout=15000)
    text = str(errors_shown[0])
    assert ("empty" in text) if kind == "empty" else ("JPEG" in text)
    assert paperwork.documents_for(demo_shop, SubjectKind.ITEM, piece.id) == []
    assert panel.model.rowCount() == 0


def test_document_and_list_models_are_valid(qtmodeltester, qtbot, demo_shop: Shop) -> None:
    piece = inventory.get_item_by_sku(demo_shop, "R-0001")
    panel = DocumentsPanel(demo_shop, SubjectKind.ITEM, piece.id)
    qtbot.addWidget(panel)
    assert panel.model.rowCount() == 2
    qtmodeltester.check(panel.model)
    editor = PieceEditor(demo_shop, piece.id)
    qtbot.addWidget(editor)
    qtmodeltester.check(editor.stone_model)
    qtmodeltester.check(editor.metal_model)


def test_lot_movements_and_loss(qtbot, qtmodeltester, demo_shop: Shop, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    lot = gold_lot(demo_shop)
    before = inventory.lot_balance_mg(demo_shop, lot.id)
    dialog = LotDialog(demo_shop, lot.id)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.movement_model)
    rows = dialog.movement_model.rowCount()
    assert rows == len(inventory.lot_movements(demo_shop, lot.id)) > 1
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("1.5", True))
    dialog.record_loss()
    assert inventory.lot_balance_mg(demo_shop, lot.id) == before - 1500
    assert dialog.movement_model.rowCount() == rows + 1
    assert "Loss" in dialog.movement_model.data(dialog.movement_model.index(rows, 1))


def test_unexpected_errors_name_the_log_file(tmp_path: Path) -> None:
    messages.set_log_path(tmp_path / "logs" / "jewelerdesk.log")
    text = messages.describe(KeyError("internal"))
    assert "Something went wrong" in text and str(tmp_path / "logs" / "jewelerdesk.log") in text
    assert "KeyError" not in text
    from jewelerdesk.errors import BadDocument

    assert messages.describe(BadDocument("The PDF is damaged.")) == "The PDF is damaged."


def test_party_dialog_refuses_bad_fields_without_saving(qtbot, demo_shop: Shop) -> None:
    party = PartyDialog(demo_shop)
    qtbot.addWidget(party)
    party.legal_name.setText("Nameless Traders")
    party.country.setEditText("QQ")
    party.accept()
    assert not party.saving and party.result() != party.DialogCode.Accepted
    assert party.country.property(messages.ERROR_PROPERTY)
    assert inventory.find_party(demo_shop, "Nameless Traders") is None


def test_the_piece_editor_names_every_problem_at_once(qtbot, demo_shop) -> None:
    from jewelerdesk.ui.dialogs.piece import PieceEditor

    editor = PieceEditor(demo_shop)
    qtbot.addWidget(editor)
    editor.sku.setText("")
    editor.price.setText("abc")
    editor.acquired.setText("31/12/2025")
    editor.accept()
    text = editor.error_line.text()
    assert editor.result() != editor.DialogCode.Accepted
    assert "abc" in text and "SKU" in text and "31/12/2025" in text  # all three, not one
