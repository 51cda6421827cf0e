"""Export for the accountant: the period, the format, the folder; a progress bar and Cancel;
the folder opens when the files are there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.errors import Cancelled, JewelerDeskError
from jewelerdesk.services import exports
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.dialogs.common import form


def _periods(today: date) -> list[tuple[str, tuple[date, date] | None]]:
    this_quarter = date(today.year, ((today.month - 1) // 3) * 3 + 1, 1)
    last_quarter_end = this_quarter - timedelta(days=1)
    last_quarter = date(last_quarter_end.year, ((last_quarter_end.month - 1) // 3) * 3 + 1, 1)
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [
        ("This year so far", (date(today.year, 1, 1), today)),
        ("Last year", (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
        ("Last quarter", (last_quarter, last_quarter_end)),
        ("Last month", (last_month_end.replace(day=1), last_month_end)),
        ("Chosen dates", None),
    ]


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class ExportDialog(QDialog):
    def __init__(self, shop: Shop, parent: QWidget | None = None, today: date | None = None):
        super().__init__(parent)
        self.shop = shop
        self.setWindowTitle("Export for the accountant")
        self.result_files: list[Path] = []
        self.running = False
        self._cancel = False
        self.today = today or date.today()

        intro = QLabel(
            "Sales and purchase journals, the inventory valuation at the end of the period "
            "(memo goods apart), the metal ledger per lot and the memo register — plus files "
            "QuickBooks Online and Xero import."
        )
        intro.setWordWrap(True)

        self.period = QComboBox()
        for text, rng in _periods(self.today):
            self.period.addItem(text, rng)
        self.start = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end.setMaximumDate(_qdate(self.today))
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.start.dateChanged.connect(self._dates_typed)
        self.end.dateChanged.connect(self._dates_typed)
        dates = QHBoxLayout()
        dates.addWidget(self.start)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.end)
        dates.addStretch(1)

        self.as_xlsx = QRadioButton("One Excel workbook (XLSX), a sheet per journal")
        self.as_csv = QRadioButton("A CSV file per journal")
        self.as_xlsx.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.as_xlsx)
        group.addButton(self.as_csv)
        fmt = QVBoxLayout()
        fmt.setSpacing(6)
        fmt.addWidget(self.as_xlsx)
        fmt.addWidget(self.as_csv)

        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.folder = QLineEdit(str(Path(docs or Path.home()) / "JewelerDesk exports"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_folder)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)

        f = form()
        f.addRow("Period", self.period)
        f.addRow("", dates)
        f.addRow("Format", fmt)
        f.addRow("Save in", where)

        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_line = messages.error_label()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        self.export_btn = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_btn.setText("Export")
        self.close_btn = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.cancel_or_close)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 12)
        outer.addWidget(intro)
        outer.addSpacing(6)
        outer.addLayout(f)
        outer.addWidget(self.progress)
        outer.addWidget(self.status)
        outer.addWidget(self.error_line)
        outer.addStretch(1)
        outer.addWidget(self.buttons)
        self._period_chosen(0)
        self.resize(max(560, self.sizeHint().width()), self.sizeHint().height())

    # ------------------------------------------------------------------ inputs
    def _period_chosen(self, _index: int) -> None:
        rng = self.period.currentData()
        if rng is None:
            return
        for w, d in ((self.start, rng[0]), (self.end, rng[1])):
            w.blockSignals(True)
            w.setDate(_qdate(d))
            w.blockSignals(False)

    def _dates_typed(self, _d: QDate) -> None:
        self.period.blockSignals(True)
        self.period.setCurrentIndex(self.period.count() - 1)  # "Chosen dates"
        self.period.blockSignals(False)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the export in…", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def range(self) -> tuple[str, str]:
        return (
            self.start.date().toString("yyyy-MM-dd"),
            self.end.date().toString("yyyy-MM-dd"),
        )

    # ------------------------------------------------------------------ running
    def start_export(self) -> None:
        if self.running:
            return
        messages.clear_field_errors({}, self.error_line)
        text = self.folder.text().strip()
        if not text:
            self._failed(JewelerDeskError("Choose the folder to save the export in."))
            return
        start, end = self.range()
        folder = Path(text)
        fmt = "xlsx" if self.as_xlsx.isChecked() else "csv"
        self.running, self._cancel = True, False
        self._set_running(True)
        self.status.setText(f"Exporting {start} to {end}…")

        def job(shop: Shop, progress: Any) -> exports.ExportResult:
            def step(done: int, total: int) -> None:
                if self._cancel:
                    raise Cancelled("The export was cancelled; no file was left behind.")
                progress(done, total)

            return exports.export_accountant(shop, folder, start, end, fmt, step)

        tasks.run_task(
            self.shop,
            job,
            self._done,
            lambda exc, _tb: self._failed(exc),
            on_progress=self._progress,
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first step reports
        self.export_btn.setEnabled(not running)
        self.close_btn.setText("Cancel" if running else "Close")
        for w in (self.period, self.start, self.end, self.as_csv, self.as_xlsx, self.folder):
            w.setEnabled(not running)

    def _done(self, result: exports.ExportResult) -> None:
        self.running = False
        self._set_running(False)
        self.result_files = result.files
        folder = result.files[0].parent if result.files else Path(self.folder.text())
        counts = ", ".join(
            f"{n:,} {name.replace('_', ' ')}" for name, n in result.rows.items() if n
        )
        self.status.setText(
            f"<b>{len(result.files)} files saved</b> in {folder}<br>Rows: {counts or 'none'}."
        )
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self._set_running(False)
        self.status.clear()
        self.error_line.setText(messages.describe(exc))
        self.error_line.show()

    def cancel_or_close(self) -> None:
        if self.running:
            self._cancel = True
            self.status.setText("Cancelling…")
            return
        self.reject()
