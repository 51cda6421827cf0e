"""Starting the Qt application: crash handler, opening the shop, first-run setup."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from jewelerdesk import APP_NAME, __version__
from jewelerdesk.errors import JewelerDeskError
from jewelerdesk.paths import DataPaths
from jewelerdesk.services.shop import Shop

log = logging.getLogger(__name__)
_STARTED = time.perf_counter()
BENCH_ENV = "JEWELERDESK_BENCH_EXIT_AFTER_PAINT"


def install_crash_handler(paths: DataPaths) -> None:
    """An unexpected exception is logged and shown with the log's path; the app keeps running
    when it can, because a clerk mid-sale must not lose the window."""
    from jewelerdesk.ui import messages

    messages.set_log_path(paths.log_file)

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        parent = QApplication.activeWindow()
        messages.show_error(parent, exc)

    sys.excepthook = hook


class _FirstPaint(QObject):
    """Benchmark hook: report time to the first painted main window, then quit."""

    def __init__(self, target: QWidget):
        super().__init__(target)
        self.done = False
        target.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        ms = (time.perf_counter() - _STARTED) * 1000
        try:
            with open("/proc/self/status") as fh:
                hwm = next((ln.split()[1] for ln in fh if ln.startswith("VmHWM")), "0")
        except OSError:
            hwm = "0"
        print(f"first-paint {ms:.1f} ms rss-peak-kb {hwm}", flush=True)
        QApplication.quit()


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    try:
        from jewelerdesk.resources import icon_path

        app.setWindowIcon(QIcon(str(icon_path("jewelerdesk.svg"))))
    except (ImportError, OSError):
        pass
    return app


UPDATING = (
    "Updating the shop's records for this version of JewelerDesk…\n\n"
    "This happens once. A large shop takes a minute or two; a copy of the records is kept "
    "in the backups folder first. Please leave the computer on until it is done."
)


def update_with_busy_box(paths: DataPaths) -> None:
    """Bring records an older JewelerDesk wrote up to date off the UI thread, behind a window
    that says what is happening (on a large shop it takes a minute: a silent wait would look
    like a hang). Errors are raised here, on the UI thread."""
    import threading

    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtWidgets import QLabel, QProgressDialog

    busy = QProgressDialog(UPDATING, "", 0, 0)
    label = QLabel(UPDATING)
    label.setWordWrap(True)
    busy.setLabel(label)
    busy.setWindowTitle(APP_NAME)
    busy.setCancelButton(None)
    busy.setWindowModality(Qt.WindowModality.ApplicationModal)
    busy.setMinimumDuration(0)
    busy.setFixedWidth(440)
    busy.show()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            Shop.open(paths, sweep=False).close()
        except BaseException as exc:  # raised again on the UI thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="update-records", daemon=False)
    worker.start()
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
    poll.start(100)
    loop.exec()
    poll.stop()
    worker.join()
    busy.close()
    if failure:
        raise failure[0]


def open_shop_or_explain(paths: DataPaths) -> Shop | None:
    try:
        if Shop.needs_update(paths):
            update_with_busy_box(paths)
        return Shop.open(paths)
    except JewelerDeskError as exc:
        log.error("cannot open shop: %s", exc)
        QMessageBox.critical(None, APP_NAME, f"JewelerDesk cannot open the shop's data.\n\n{exc}")
        return None


def run_gui(paths: DataPaths) -> int:
    from jewelerdesk.instance import InstanceLock, network_filesystem

    app = create_application()
    install_crash_handler(paths)
    lock = InstanceLock(paths)
    try:
        lock.acquire()
    except JewelerDeskError as exc:
        QMessageBox.warning(None, APP_NAME, str(exc))
        return 1
    remote = network_filesystem(paths.root)
    if remote:
        QMessageBox.warning(
            None,
            APP_NAME,
            f"The shop's data folder is on a network share ({remote}):\n{paths.root}\n\n"
            "The database cannot be kept safe there: network shares do not lock files "
            "reliably, and a record can be lost or damaged. Move the data folder to this "
            "computer's own disk, and use backups to keep copies elsewhere.",
        )
    try:
        return _run_window(app, paths)
    finally:
        lock.release()


def offer_restore_if_damaged(shop: Shop, problems: list[str]) -> bool:
    """The start-up check found damage: never write to it; offer the newest backup that
    verifies. True when the shop is sound again (restored)."""
    from jewelerdesk.services import backup

    log.error("database damaged: %s", problems[:3])
    newest = None
    for b in backup.list_backups(shop.paths.backups):
        try:
            newest = backup.verify_backup(b.folder)
            break
        except JewelerDeskError:
            continue
    if newest is None:
        QMessageBox.critical(
            None,
            APP_NAME,
            "The shop's database is damaged and there is no backup here that checks out. "
            "JewelerDesk will not write to it and will close. Restore a backup from your USB "
            "drive with 'jewelerdesk restore FOLDER', or contact support with the log file.",
        )
        return False
    answer = QMessageBox.question(
        None,
        APP_NAME,
        f"The shop's database is damaged ({problems[0]}).\n\nRestore the newest backup "
        f"that checks out, made {newest.when.astimezone():%Y-%m-%d %H:%M}? A copy of the "
        "damaged file is kept. Otherwise JewelerDesk closes without writing anything more.",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    from jewelerdesk.ui.dialogs.staff import CANCELLED, ask_manager_pin

    try:
        approval = ask_manager_pin(None, shop, "restore a backup")
    except sqlite3.DatabaseError:
        approval = None  # too damaged to read the profiles: restoring is what mends it
    if approval is CANCELLED:
        return False
    try:
        backup.restore(shop, newest.folder, keep_current=False, manager_pin=approval)  # type: ignore[arg-type]
    except JewelerDeskError as exc:
        QMessageBox.critical(None, APP_NAME, f"The backup could not be restored.\n\n{exc}")
        return False
    return True


def check_at_start(window: Any, shop: Shop) -> None:
    """SQLite's quick check, off the UI thread (seconds on a large shop); damage stops the app
    from writing: it is restored from a backup, or the window closes."""
    from jewelerdesk.services import integrity
    from jewelerdesk.ui import tasks

    def done(problems: list[str]) -> None:
        if not problems:
            return
        window.damaged = True  # no backup of damaged records on the way out
        if offer_restore_if_damaged(window.shop, problems):
            window.damaged = False
            window.reload_all()
        else:
            window.close()

    tasks.run_task(shop, integrity.quick_check, done, lambda exc, _tb: done([str(exc)]))


def _run_window(app: QApplication, paths: DataPaths) -> int:
    shop = open_shop_or_explain(paths)
    if shop is None:
        return 1
    if not shop.is_set_up():
        from jewelerdesk.ui.dialogs.settings import SettingsDialog

        if not SettingsDialog(shop, None, first_run=True).exec():
            shop.close()
            return 0
    from jewelerdesk.services import staff

    if staff.enabled(shop):
        from jewelerdesk.ui.dialogs.staff import SignInDialog

        if not SignInDialog(shop).exec():
            shop.close()
            return 0
    from jewelerdesk.ui.main_window import MainWindow

    window = MainWindow(shop)
    if os.environ.get(BENCH_ENV):
        _FirstPaint(window.pieces.view.viewport())
    window.show()

    def daily_backup() -> None:
        from jewelerdesk.services import backup
        from jewelerdesk.ui import tasks

        tasks.run_task(
            shop,
            lambda s: backup.automatic_backup(s, "daily"),
            lambda _r: None,
            lambda exc, _tb: log.warning("daily backup: %s", exc),
        )

    # Once the window is up and painted: the quick check reads the whole file (seconds at
    # 100,000 pieces) and must not compete with the first screen.
    QTimer.singleShot(3_000, lambda: check_at_start(window, shop))
    QTimer.singleShot(20_000, daily_backup)  # once the shop is in use, off the UI thread
    code = app.exec()
    shop.close()
    return code
