"""Benchmark floor: a bare PySide6 window over a lazy 100k-row SQLite table model.

Prints ``first-paint <ms> ms rss-peak-kb <kb>`` at its first paint and quits, exactly like the
app does under JEWELERDESK_BENCH_EXIT_AFTER_PAINT, so both are measured the same way.
"""

from __future__ import annotations

import sqlite3
import sys
import time

_STARTED = time.perf_counter()

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402


class Lazy(QAbstractTableModel):
    def __init__(self, conn: sqlite3.Connection):
        super().__init__()
        self.conn = conn
        self.total = conn.execute("SELECT count(*) FROM item").fetchone()[0]
        self.rows: list[tuple] = []
        self.fetchMore()

    def rowCount(self, parent=QModelIndex()):  # noqa: B008
        return len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: B008
        return 4

    def canFetchMore(self, parent=QModelIndex()):  # noqa: B008
        return len(self.rows) < self.total

    def fetchMore(self, parent=QModelIndex()):  # noqa: B008
        more = self.conn.execute(
            "SELECT sku, description, status, price_minor FROM item ORDER BY sku LIMIT 200 OFFSET ?",
            [len(self.rows)],
        ).fetchall()
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.rows[index.row()][index.column()])
        return None


class FirstPaint(QObject):
    def __init__(self, target):
        super().__init__(target)
        self.done = False
        target.installEventFilter(self)

    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            QTimer.singleShot(0, self.report)
        return False

    def report(self):
        ms = (time.perf_counter() - _STARTED) * 1000
        with open("/proc/self/status") as fh:
            hwm = next((ln.split()[1] for ln in fh if ln.startswith("VmHWM")), "0")
        print(f"first-paint {ms:.1f} ms rss-peak-kb {hwm}", flush=True)
        QApplication.quit()


def main() -> int:
    app = QApplication(sys.argv[:1])
    conn = sqlite3.connect(sys.argv[1])
    view = QTableView()
    view.setModel(Lazy(conn))
    view.resize(1200, 760)
    FirstPaint(view.viewport())
    view.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
