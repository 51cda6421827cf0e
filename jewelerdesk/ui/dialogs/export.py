"""Export: the accountant's books or the regulator's due-diligence pack. The period, the
format (or the pieces), the folder; a progress bar and Cancel; the folder opens when the files
are there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
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
from jewelerdesk.services import exports, regulator
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
    def __init__(
        self,
        shop: Shop,
        parent: QWidget | None = None,
        today: date | None = None,
        regulator: bool = False,
        skus: list[str] | None = None,
    ):
        super().__init__(parent)
        self.shop = shop
        self.skus = list(skus or [])
        self.setWindowTitle("Export")
        self.result_files: list[Path] = []
        self.running = False
        self._cancel = False
        self.today = today or date.today()

        self.for_accountant = QRadioButton("The accountant's books")
        self.for_regulator = QRadioButton("A regulator's or customer's due-diligence pack (ZIP)")
        kinds = QButtonGroup(self)
        kinds.addButton(self.for_accountant)
        kinds.addButton(self.for_regulator)
        (self.for_regulator if regulator else self.for_accountant).setChecked(True)
        self.for_accountant.toggled.connect(lambda _on: self._kind_changed())
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setStyleSheet("padding: 2px 0 2px 0;")
        self.only_period = QCheckBox("Only the events in this period")
        self.only_period.toggled.connect(lambda _on: self._kind_changed())
        self.only_selected = QCheckBox(
            f"Only the {len(self.skus)} selected piece{'s' if len(self.skus) != 1 else ''}: "
            + ", ".join(self.skus[:4])
            + ("…" if len(self.skus) > 4 else "")
        )
        self.only_selected.setChecked(bool(self.skus))
        self.only_selected.setVisible(bool(self.skus))

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

        self.fmt_box = QWidget()
        self.fmt_box.setLayout(fmt)
        fmt.setContentsMargins(0, 0, 0, 0)
        what = QVBoxLayout()
        what.setSpacing(6)
        what.addWidget(self.for_accountant)
        what.addWidget(self.for_regulator)
        top = form()
        top.addRow("Export", what)
        f = form()
        f.addRow("", self.only_period)  # (the pack only) switches the period on: above it
        f.addRow("Period", self.period)
        f.addRow("", dates)
        f.addRow("", self.only_selected)
        self.fmt_label = QLabel("Format")
        f.addRow(self.fmt_label, self.fmt_box)
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
        outer.addLayout(top)
        outer.addWidget(self.intro)
        outer.addSpacing(4)
        outer.addLayout(f)
        outer.addWidget(self.progress)
        outer.addWidget(self.status)
        outer.addWidget(self.error_line)
        outer.addStretch(1)
        outer.addWidget(self.buttons)
        self._period_chosen(0)
        self._kind_changed()
        self.resize(max(600, self.sizeHint().width()), self.sizeHint().height())
        self._fit_height()

    # ------------------------------------------------------------------ inputs
    def _kind_changed(self) -> None:
        accountant = self.for_accountant.isChecked()
        self.setWindowTitle("Export for the accountant" if accountant else "Due-diligence pack")
        self.intro.setText(
            "Sales and purchase journals, the inventory valuation at the end of the period "
            "(memo goods apart), the metal ledger per lot and the memo register — plus files "
            "QuickBooks Online and Xero import."
            if accountant
            else "The chain-of-custody events as a GS1 EPCIS 2.0 document, per-diamond and "
            "per-lot origin tables (US customs, EU 2017/821), the warranty reconciliation, "
            "the refiner list, and every supporting document with a manifest of fingerprints."
        )
        self.fmt_label.setVisible(accountant)
        self.fmt_box.setVisible(accountant)
        self.only_period.setVisible(not accountant)
        self.only_selected.setVisible(not accountant and bool(self.skus))
        dated = accountant or self.only_period.isChecked()
        for w in (self.period, self.start, self.end):
            w.setEnabled(dated)
        self._fit_height()

    def _fit_height(self) -> None:
        """Tall enough for the wrapped text at the current width, and no taller."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
            self.resize(self.width(), max(layout.totalHeightForWidth(self.width()), 200))

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
        regulator_pack = self.for_regulator.isChecked()
        dated = self.only_period.isChecked()
        skus = self.skus if self.only_selected.isChecked() else None
        self.running, self._cancel = True, False
        self._set_running(True)
        self.status.setText(
            "Building the pack (the first one computes every event's hash; later ones reuse them)…"
            if regulator_pack
            else f"Exporting {start} to {end}…"
        )

        def job(shop: Shop, progress: Any) -> Any:
            def step(done: int, total: int) -> None:
                if self._cancel:
                    raise Cancelled("The export was cancelled; no file was left behind.")
                progress(done, total)

            if regulator_pack:
                name = f"due-diligence-pack_{end if dated else date.today().isoformat()}.zip"
                return regulator.export_regulator(
                    shop,
                    folder / name,
                    start if dated else None,
                    end if dated else None,
                    skus,
                    step,
                )
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
        for w in (
            self.for_accountant,
            self.for_regulator,
            self.only_period,
            self.only_selected,
            self.as_csv,
            self.as_xlsx,
            self.folder,
        ):
            w.setEnabled(not running)
        if not running:
            self._kind_changed()
        else:
            for w in (self.period, self.start, self.end):
                w.setEnabled(False)

    def _done(self, result: Any) -> None:
        self.running = False
        self._set_running(False)
        if isinstance(result, regulator.PackResult):
            self.result_files = [result.path]
            folder = result.path.parent
            self.status.setText(
                f"<b>Saved {result.path.name}</b> in {folder}<br>{result.events:,} custody "
                f"events, {result.documents:,} documents, {len(result.files) + 1} files with "
                "their manifest."
            )
        else:
            self.result_files = result.files
            folder = result.files[0].parent if result.files else Path(self.folder.text())
            counts = ", ".join(
                f"{n:,} {name.replace('_', ' ')}" for name, n in result.rows.items() if n
            )
            self.status.setText(
                f"<b>{len(result.files)} files saved</b> in {folder}<br>Rows: {counts or 'none'}."
            )
        self._fit_height()
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
