"""Importing a supplier's sheet through the dialog: matched columns, problems shown by row and
column, a fixed mapping, all rows in at once, recorded rows skipped."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from jewelerdesk.services import inventory
from jewelerdesk.services.inventory import ListQuery
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.stock_import import NOT_IN_SHEET, ImportDialog

DATA = Path(__file__).parent.parent / "data" / "stock_sheets"


def wait(qtbot, dialog: ImportDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy and not dialog._replan.isActive(), timeout=30000)


def test_import_a_csv_sheet_of_stones(qtbot, demo_shop: Shop) -> None:
    before = inventory.count_loose_stones(demo_shop, ListQuery())
    dialog = ImportDialog(demo_shop)
    qtbot.addWidget(dialog)
    dialog.load(DATA / "stones_semicolon_cp1252.csv")
    wait(qtbot, dialog)
    assert dialog.plan is not None and dialog.plan.ok, [str(e) for e in dialog.plan.errors]
    assert dialog.field_boxes["weight"].currentText() == "Carats"  # matched from the header
    assert dialog.table.rowCount() == len(dialog.sheet.rows)
    assert dialog.import_btn.isEnabled()
    ready = dialog.plan.ready_count
    dialog.import_btn.click()
    wait(qtbot, dialog)
    assert dialog.result is not None and dialog.result.imported == ready
    assert inventory.count_loose_stones(demo_shop, ListQuery()) == before + ready
    assert "Imported" in dialog.summary.text()

    again = ImportDialog(demo_shop)  # the same sheet twice: nothing is duplicated
    qtbot.addWidget(again)
    again.load(DATA / "stones_semicolon_cp1252.csv")
    wait(qtbot, again)
    assert again.plan is not None and again.plan.ready_count == 0
    assert len(again.plan.flagged) == ready and not again.import_btn.isEnabled()
    assert again.problems.count() == ready


def test_problems_are_shown_by_row_and_column_and_a_fixed_mapping_clears_them(
    qtbot, demo_shop: Shop, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Stock #", "Weight", "Cert No", "Lab", "Notes"])
    ws.append(["IMP-1", "1.01", "7777000001", "GIA", "0.55"])
    ws.append(["IMP-2", "heavy", "7777000002", "GIA", "0.62"])
    path = tmp_path / "sheet.xlsx"
    wb.save(path)
    before = inventory.count_loose_stones(demo_shop, ListQuery())
    dialog = ImportDialog(demo_shop)
    qtbot.addWidget(dialog)
    dialog.load(path)
    wait(qtbot, dialog)
    plan = dialog.plan
    assert plan is not None and not plan.ok
    assert any(e.row == 3 and e.column == "Weight" for e in plan.errors)
    assert not dialog.import_btn.isEnabled()
    bad = dialog.table.item(1, 1)  # row 3 of the sheet, the Weight column
    assert bad.background().color().name() == "#fbe3df" and bad.toolTip()
    assert any(
        dialog.problems.item(i).text().startswith("Row 3, Weight")
        for i in range(dialog.problems.count())
    )
    problem = next(
        dialog.problems.item(i)
        for i in range(dialog.problems.count())
        if dialog.problems.item(i).text().startswith("Row 3")
    )
    dialog._show_problem(problem)  # clicking a problem selects its row of the sheet
    assert dialog.table.currentRow() == 1

    # the weight was really in the "Notes" column: fix the matching, the sheet checks clean
    box = dialog.field_boxes["weight"]
    box.setCurrentIndex(box.findData(4))
    wait(qtbot, dialog)
    assert dialog.plan is not None and dialog.plan.ok and dialog.import_btn.isEnabled()
    dialog.import_btn.click()
    wait(qtbot, dialog)
    assert inventory.count_loose_stones(demo_shop, ListQuery()) == before + 2
    weights = sorted(s.weight_mct for s in inventory.stones_with_report(demo_shop, "7777000002"))
    assert weights == [620]


def test_a_hostile_file_is_refused_plainly_and_changes_nothing(
    qtbot, demo_shop: Shop, tmp_path: Path
) -> None:
    before = inventory.shop_counts(demo_shop)
    fake = tmp_path / "stock.csv"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(100))
    dialog = ImportDialog(demo_shop)
    qtbot.addWidget(dialog)
    dialog.load(fake)
    wait(qtbot, dialog)
    assert not dialog.error_line.isHidden() and "stock.csv" in dialog.error_line.text()
    assert not dialog.import_btn.isEnabled()
    assert inventory.shop_counts(demo_shop) == before
    assert dialog.field_boxes["weight"].currentData() == NOT_IN_SHEET


def test_the_day_the_goods_came_in_is_chosen_in_the_dialog(qtbot, shop: Shop) -> None:
    from PySide6.QtCore import QDate

    dialog = ImportDialog(shop)
    qtbot.addWidget(dialog)
    assert dialog.received.date() == QDate.currentDate()  # today unless changed
    assert dialog.received.maximumDate() == QDate.currentDate()  # never a day to come
    dialog.received.setDate(QDate(2026, 10, 5))
    dialog.load(DATA / "stones_semicolon_cp1252.csv")
    wait(qtbot, dialog)
    assert dialog.plan is not None and dialog.plan.ok
    dialog.import_btn.click()
    wait(qtbot, dialog)
    assert dialog.result is not None and dialog.result.imported > 0
    days = {r[0] for r in shop.db.execute("SELECT acquired_on FROM stone WHERE item_id IS NULL")}
    assert days == {"2026-10-05"}


def test_a_repeated_header_is_noted_in_the_dialog_without_stopping_the_import(
    qtbot, shop: Shop, tmp_path: Path
) -> None:
    sheet = tmp_path / "twice.csv"
    sheet.write_text("Stock #,Carat,Carat\nW-1,1.05,0.99\n", encoding="utf-8")
    dialog = ImportDialog(shop)
    qtbot.addWidget(dialog)
    dialog.load(sheet)
    wait(qtbot, dialog)
    texts = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert any(t.startswith("Note: Two columns are headed 'Carat'") for t in texts)
    assert dialog.import_btn.isEnabled()
