"""The export dialog, driven as the shop owner would: choose a period and a format, export,
see the files; cancel midway and find nothing half-written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtGui import QDesktopServices

from jewelerdesk.services import sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.export import ExportDialog, _periods


def test_periods_offered_are_the_right_dates() -> None:
    p = dict(_periods(date(2026, 2, 14)))
    assert p["This year so far"] == (date(2026, 1, 1), date(2026, 2, 14))
    assert p["Last year"] == (date(2025, 1, 1), date(2025, 12, 31))
    assert p["Last quarter"] == (date(2025, 10, 1), date(2025, 12, 31))
    assert p["Last month"] == (date(2026, 1, 1), date(2026, 1, 31))
    assert dict(_periods(date(2026, 8, 1)))["Last quarter"] == (date(2026, 4, 1), date(2026, 6, 30))
    assert p["Chosen dates"] is None


def test_export_the_year_as_a_workbook_and_open_the_folder(
    qtbot, monkeypatch, demo_shop: Shop, tmp_path: Path
) -> None:
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"], day="2026-03-02"))
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dialog = ExportDialog(demo_shop, today=date(2026, 11, 25))
    qtbot.addWidget(dialog)
    assert dialog.range() == ("2026-01-01", "2026-11-25")
    dialog.period.setCurrentIndex(4)  # chosen dates
    dialog.start.setDate(dialog.start.date().addMonths(2))  # from 2026-03-01
    assert dialog.range() == ("2026-03-01", "2026-11-25")
    dialog.folder.setText(str(tmp_path / "books"))
    dialog.export_btn.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert not dialog.error_line.isVisible(), dialog.error_line.text()
    assert opened == [str(tmp_path / "books")]
    book = next(p for p in dialog.result_files if p.suffix == ".xlsx")
    assert book.name == "accounts_2026-03-01_2026-11-25.xlsx"
    ws = load_workbook(book)["Sales journal"]
    assert [c.value for c in ws[2]][3] == "R-0001"
    assert "6 files saved" in dialog.status.text()  # workbook, 2 QuickBooks, 2 Xero, about


def test_cancel_leaves_no_file_and_a_bad_folder_is_said_plainly(
    qtbot, monkeypatch, demo_shop: Shop, tmp_path: Path
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: True)
    dialog = ExportDialog(demo_shop)
    qtbot.addWidget(dialog)
    dialog.as_csv.setChecked(True)
    out = tmp_path / "out"
    dialog.folder.setText(str(out))
    dialog._cancel = True  # as if Cancel was pressed before the first file was done
    dialog.start_export()
    dialog._cancel = True
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert "cancelled" in dialog.error_line.text()
    assert not out.exists() or list(out.iterdir()) == []

    blocker = tmp_path / "file"
    blocker.write_text("x")
    dialog.folder.setText(str(blocker / "sub"))
    dialog.export_btn.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert "could not be written" in dialog.error_line.text()
    assert dialog.export_btn.isEnabled()


def test_due_diligence_pack_for_the_selected_pieces(
    qtbot, monkeypatch, demo_shop: Shop, tmp_path: Path
) -> None:
    import json
    import zipfile

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: True)
    dialog = ExportDialog(demo_shop, regulator=True, skus=["R-0001"])
    qtbot.addWidget(dialog)
    assert dialog.for_regulator.isChecked() and dialog.only_selected.isChecked()
    assert not dialog.fmt_box.isVisibleTo(dialog) and not dialog.period.isEnabled()
    dialog.folder.setText(str(tmp_path))
    dialog.export_btn.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60000)
    assert not dialog.error_line.isVisible(), dialog.error_line.text()
    [pack] = dialog.result_files
    assert pack.parent == tmp_path and pack.name.startswith("due-diligence-pack_")
    doc = json.loads(zipfile.ZipFile(pack).read("epcis.jsonld"))
    ring = demo_shop.db.execute("SELECT id FROM item WHERE sku = 'R-0001'").fetchone()[0]
    other = demo_shop.db.execute("SELECT id FROM item WHERE sku = 'R-0002'").fetchone()[0]
    text = json.dumps(doc)
    assert f"urn:uuid:{ring}" in text and f"urn:uuid:{other}" not in text
    assert "custody events" in dialog.status.text()

    dialog.only_selected.setChecked(False)  # now the whole shop, only February's events
    dialog.only_period.setChecked(True)
    assert dialog.period.isEnabled()
    dialog.period.setCurrentIndex(4)
    dialog.start.setDate(dialog.start.date().fromString("2026-02-01", "yyyy-MM-dd"))
    dialog.end.setDate(dialog.end.date().fromString("2026-02-28", "yyyy-MM-dd"))
    dialog.export_btn.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60000)
    [pack] = dialog.result_files
    assert pack.name == "due-diligence-pack_2026-02-28.zip"
    events = json.loads(zipfile.ZipFile(pack).read("epcis.jsonld"))["epcisBody"]["eventList"]
    assert events and all(e["eventTime"].startswith("2026-02") for e in events)
