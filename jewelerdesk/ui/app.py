"""Starting the Qt application: crash handler, opening the shop, first-run setup."""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from types import TracebackType

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


def open_shop_or_explain(paths: DataPaths) -> Shop | None:
    try:
        return Shop.open(paths)
    except JewelerDeskError as exc:
        log.error("cannot open shop: %s", exc)
        QMessageBox.critical(None, APP_NAME, f"JewelerDesk cannot open the shop's data.\n\n{exc}")
        return None


def run_gui(paths: DataPaths) -> int:
    app = create_application()
    install_crash_handler(paths)
    shop = open_shop_or_explain(paths)
    if shop is None:
        return 1
    if not shop.is_set_up():
        from jewelerdesk.ui.dialogs.settings import SettingsDialog

        if not SettingsDialog(shop, None, first_run=True).exec():
            shop.close()
            return 0
    from jewelerdesk.ui.main_window import MainWindow

    window = MainWindow(shop)
    if os.environ.get(BENCH_ENV):
        _FirstPaint(window.pieces.view.viewport())
    window.show()
    code = app.exec()
    shop.close()
    return code
