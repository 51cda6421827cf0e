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
    assert "3 files saved" in dialog.status.text()


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
