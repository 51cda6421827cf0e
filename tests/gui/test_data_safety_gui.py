"""Back up, restore and check from the File menu; a backup on closing; one window per folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from jewelerdesk.instance import InstanceLock
from jewelerdesk.services import backup, sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import app as app_module
from jewelerdesk.ui import messages
from jewelerdesk.ui.main_window import MainWindow


@pytest.fixture
def shown(monkeypatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: said.append(text))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: said.append(box.text()) or 0)
    monkeypatch.setattr(messages, "show_error", lambda _p, exc, title="": said.append(str(exc)))
    return said


def test_back_up_now_then_restore_from_the_menu(
    qtbot, monkeypatch, window: MainWindow, demo_shop: Shop, tmp_path: Path, shown
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(usb))
    window.back_up_now()
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    assert "Backed up and verified" in shown[-1]
    [made] = backup.list_backups(usb)

    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))  # after the backup
    window.pieces.reload()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(made.folder))
    monkeypatch.setattr(messages, "ask", lambda *a, **k: True)
    window.restore_backup()
    qtbot.waitUntil(lambda: shown[-1] == "The backup was restored.", timeout=30000)
    assert shown[-1] == "The backup was restored."
    row = next(
        window.pieces.model.row_object(r)
        for r in range(window.pieces.model.rowCount())
        if window.pieces.model.row_object(r).sku == "R-0002"
    )
    assert row.status == "in_stock"  # the table shows the restored records


def test_check_the_records_reports_a_changed_file(
    qtbot, window: MainWindow, demo_shop: Shop, shown
) -> None:
    window.check_records()
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    assert "All records are sound" in shown[-1]
    blob = next(p for p in demo_shop.paths.documents.rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"!")
    window.check_records()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=30000)
    assert "problem" in shown[-1] and "Restore" in shown[-1]


def test_closing_the_window_backs_up_when_something_changed(
    qtbot, window: MainWindow, demo_shop: Shop
) -> None:
    assert backup.list_backups(demo_shop.paths.backups) == []
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))  # something recorded in this session
    window.close()
    assert not window.isVisible()  # closed once the backup was made
    [made] = backup.list_backups(demo_shop.paths.backups)
    assert made.reason == "closing" and made.counts["sale"] == 1


def test_closing_after_only_looking_makes_no_backup(qtbot, demo_shop: Shop) -> None:
    w = MainWindow(demo_shop)
    qtbot.addWidget(w)
    w.show()
    w.tabs.setCurrentWidget(w.lots)  # browsing reads, never writes
    w.close()
    assert backup.list_backups(demo_shop.paths.backups) == []


def test_a_second_window_on_the_same_folder_is_refused(monkeypatch, demo_shop: Shop, shown) -> None:
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    with InstanceLock(demo_shop.paths):  # the first window
        assert app_module.run_gui(demo_shop.paths) == 1
    assert warned and "already open on this data folder" in warned[0]


def test_damage_found_at_start_offers_the_newest_backup(
    qtbot, monkeypatch, window: MainWindow, demo_shop: Shop
) -> None:
    from jewelerdesk.services import integrity

    good = backup.back_up(demo_shop)  # the newest verified backup
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))
    # The detection itself is tested on a really damaged file (test_data_safety); here the
    # window's reaction to it.
    monkeypatch.setattr(integrity, "quick_check", lambda shop: ["page 7: btreeInitPage error"])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    app_module.check_at_start(window, demo_shop)
    qtbot.waitUntil(
        lambda: any(p.name.startswith("damaged-") for p in demo_shop.paths.backups.iterdir()),
        timeout=30000,
    )
    assert not window.damaged
    assert backup.verify_backup(good.folder)
    status = demo_shop.db.execute("SELECT status FROM item WHERE sku = 'R-0002'").fetchone()[0]
    assert status == "in_stock"  # the backup's records
    assert any(p.name.startswith("damaged-") for p in demo_shop.paths.backups.iterdir())


def test_declining_the_restore_closes_without_writing(
    qtbot, monkeypatch, window: MainWindow, demo_shop: Shop
) -> None:
    from jewelerdesk.services import integrity

    backup.back_up(demo_shop)
    monkeypatch.setattr(integrity, "quick_check", lambda shop: ["database disk image is malformed"])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    app_module.check_at_start(window, demo_shop)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30000)
    assert window.damaged
    assert [b.reason for b in backup.list_backups(demo_shop.paths.backups)] == ["manual"]


def test_a_failed_closing_backup_asks_before_closing(
    qtbot, monkeypatch, window: MainWindow, demo_shop: Shop
) -> None:
    from jewelerdesk.errors import StorageError
    from jewelerdesk.store import database

    def full(*_a, **_k):  # the copy itself fails, as on a full disk
        raise StorageError("The disk is full.")

    monkeypatch.setattr(database, "write_verified_copy", full)
    asked: list[str] = []
    answer = [False]
    monkeypatch.setattr(messages, "ask", lambda _p, title, text: asked.append(text) or answer[0])
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))
    window.close()
    assert window.isVisible() and "The disk is full." in asked[0]  # "no": stays open
    answer[0] = True
    window.close()
    assert not window.isVisible() and len(asked) == 2


def test_records_an_older_version_wrote_are_updated_behind_a_window_that_says_so(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from jewelerdesk.paths import DataPaths
    from jewelerdesk.store import database
    from jewelerdesk.store.database import MIGRATIONS, open_database, schema_version

    paths = DataPaths(tmp_path / "old")
    paths.ensure()
    open_database(paths.database, migrations=MIGRATIONS[:6]).close()
    seen: list[str] = []
    real_migrate = database.migrate

    def migrate_watched_from_the_ui(db, migrations=MIGRATIONS) -> None:
        import time

        time.sleep(0.5)  # as on a large shop: the UI thread keeps running meanwhile
        real_migrate(db, migrations)

    def look() -> None:
        seen.extend(
            w.labelText()
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QProgressDialog) and w.isVisible()
        )

    monkeypatch.setattr(database, "migrate", migrate_watched_from_the_ui)
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(50)
    assert Shop.needs_update(paths)
    shop = app_module.open_shop_or_explain(paths)
    timer.stop()
    assert shop is not None
    try:
        assert any("Updating the shop's records" in t for t in seen)
        assert schema_version(shop.db) == len(MIGRATIONS)
        assert not Shop.needs_update(paths)
        assert list(paths.backups.glob("before-migration-v6-*.db"))
    finally:
        shop.close()
    left = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog)]
    assert not [w for w in left if w.isVisible()]
