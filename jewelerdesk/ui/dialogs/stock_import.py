"""Import a supplier's stock sheet: pick the file, check how its columns were matched (and fix
them), see every problem by row and column, then import all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.errors import JewelerDeskError
from jewelerdesk.services import inventory, stock_import
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks

PREVIEW_ROWS = 300
NOT_IN_SHEET = -1
ERROR_BG = QColor("#fbe3df")
SKIPPED_BG = QColor("#ececec")


class ImportDialog(QDialog):
    def __init__(self, shop: Shop, parent: QWidget | None = None, kind: str = "stones"):
        super().__init__(parent)
        self.shop = shop
        self.setWindowTitle("Import a supplier's stock sheet")
        self.sheet: stock_import.Sheet | None = None
        self.plan: stock_import.ImportPlan | None = None
        self.result: stock_import.ImportResult | None = None
        self.busy = False
        self.field_boxes: dict[str, QComboBox] = {}
        self._replan = QTimer(self, singleShot=True, interval=250)
        self._replan.timeout.connect(self.check)

        # --- the file, what it lists, from whom
        self.path = QLineEdit(placeholderText="A CSV or Excel (XLSX) file from the supplier")
        self.path.setReadOnly(True)
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self.choose_file)
        self.stones = QRadioButton("Loose stones")
        self.lots = QRadioButton("Metal lots")
        group = QButtonGroup(self)
        group.addButton(self.stones)
        group.addButton(self.lots)
        (self.lots if kind == "lots" else self.stones).setChecked(True)
        self.stones.toggled.connect(lambda _on: self._kind_changed())
        self.supplier = QComboBox()
        self.supplier.addItem("— not named —", None)
        for p in inventory.all_parties(self.shop):
            self.supplier.addItem(f"{p.legal_name} ({p.country})", p.legal_name)
        self.supplier.currentIndexChanged.connect(lambda _i: self._replan.start())
        self.received = QDateEdit(QDate.currentDate(), calendarPopup=True)
        self.received.setDisplayFormat("yyyy-MM-dd")
        self.received.setMaximumDate(QDate.currentDate())
        self.received.setToolTip(
            "The day the goods came in: the purchase journal and the stock value count them "
            "from this day."
        )
        self.received.dateChanged.connect(lambda _d: self._replan.start())
        top = QGridLayout()
        top.addWidget(QLabel("File"), 0, 0)
        top.addWidget(self.path, 0, 1, 1, 3)
        top.addWidget(choose, 0, 4)
        top.addWidget(QLabel("The sheet lists"), 1, 0)
        top.addWidget(self.stones, 1, 1)
        top.addWidget(self.lots, 1, 2)
        top.addWidget(QLabel("Supplier"), 2, 0)
        top.addWidget(self.supplier, 2, 1, 1, 4)
        top.addWidget(QLabel("Received on"), 3, 0)
        top.addWidget(self.received, 3, 1)
        top.setColumnStretch(3, 1)

        # --- the column matching
        self.mapping_box = QGroupBox(
            "Columns (matched from the headers; change any that are wrong)"
        )
        self.mapping_grid = QGridLayout(self.mapping_box)
        self.mapping_grid.setHorizontalSpacing(10)

        # --- the preview and the problems
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.problems = QListWidget()
        self.problems.itemActivated.connect(self._show_problem)
        self.problems.itemClicked.connect(self._show_problem)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.problems)
        split.setSizes([320, 120])

        self.summary = QLabel("Choose the supplier's file to begin.")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.error_line = messages.error_label()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_btn = QPushButton("Import")
        self.import_btn.setEnabled(False)
        self.buttons.addButton(self.import_btn, QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_btn.clicked.connect(self.commit)
        self.buttons.rejected.connect(self.reject)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 12)
        outer.addLayout(top)
        outer.addWidget(self.mapping_box)
        outer.addWidget(split, 1)
        outer.addWidget(self.summary)
        outer.addWidget(self.progress)
        outer.addWidget(self.error_line)
        outer.addWidget(self.buttons)
        self.resize(980, 700)
        self._build_mapping()

    @property
    def kind(self) -> str:
        return "lots" if self.lots.isChecked() else "stones"

    # ------------------------------------------------------------------ the file
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "The supplier's stock sheet",
            "",
            "Stock sheets (*.csv *.xlsx *.txt);;All files (*)",
        )
        if path:
            self.load(Path(path))

    def load(self, path: Path) -> None:
        self.path.setText(str(path))
        self.sheet, self.plan = None, None
        self._set_busy(True, f"Reading {path.name}…")
        tasks.run_task(
            self.shop,
            lambda _shop: stock_import.read_sheet(path),
            self._loaded,
            lambda exc, _tb: self._failed(exc),
        )

    def _loaded(self, sheet: stock_import.Sheet) -> None:
        self.sheet = sheet
        self._set_busy(False)
        self._fill_table()
        self._build_mapping(stock_import.propose_mapping(sheet.headers, self.kind))
        self._replan.stop()  # building the column choices is not a change of mind
        self.check()

    def _fill_table(self) -> None:
        sheet = self.sheet
        self.table.clear()
        if sheet is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        rows = sheet.rows[:PREVIEW_ROWS]
        self.table.setColumnCount(len(sheet.headers))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(
            [sheet.column_label(i) for i in range(len(sheet.headers))]
        )
        self.table.setVerticalHeaderLabels([str(r.number) for r in rows])
        for i, r in enumerate(rows):
            for j, text in enumerate(r.cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    # ------------------------------------------------------------------ the mapping
    def _kind_changed(self) -> None:
        proposed = stock_import.propose_mapping(self.sheet.headers, self.kind) if self.sheet else {}
        self._build_mapping(proposed)
        if self.sheet is not None:
            self.check()

    def _build_mapping(self, proposed: dict[str, int] | None = None) -> None:
        while self.mapping_grid.count():
            w = self.mapping_grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.field_boxes = {}
        headers = self.sheet.headers if self.sheet else ()
        specs = stock_import.fields_for(self.kind)
        per_column = 3
        for n, spec in enumerate(specs):
            box = QComboBox()
            box.addItem("— not in the sheet —", NOT_IN_SHEET)
            for i, _h in enumerate(headers):
                box.addItem(self.sheet.column_label(i) if self.sheet else "", i)
            chosen = (proposed or {}).get(spec.name)
            if chosen is not None:
                box.setCurrentIndex(box.findData(chosen))
            box.currentIndexChanged.connect(lambda _i: self._replan.start())
            label = QLabel(spec.label + (" *" if spec.required else ""))
            if spec.required:
                label.setToolTip("Needed for every row")
            row, col = divmod(n, per_column)
            self.mapping_grid.addWidget(label, row, col * 2, Qt.AlignmentFlag.AlignRight)
            self.mapping_grid.addWidget(box, row, col * 2 + 1)
            self.field_boxes[spec.name] = box

    def mapping(self) -> dict[str, int]:
        return {
            name: int(box.currentData())
            for name, box in self.field_boxes.items()
            if box.currentData() not in (None, NOT_IN_SHEET)
        }

    # ------------------------------------------------------------------ checking
    def check(self) -> None:
        if self.sheet is None:
            return
        if self.busy:
            self._replan.start()  # check again when the current step is done
            return
        sheet, mapping, kind = self.sheet, self.mapping(), self.kind
        supplier = self.supplier.currentData()
        day = self.received.date().toString("yyyy-MM-dd")
        self._set_busy(True, "Checking every row…")
        tasks.run_task(
            self.shop,
            lambda shop: stock_import.plan_import(
                shop, sheet, mapping, kind, supplier, received_on=day
            ),
            self._checked,
            lambda exc, _tb: self._failed(exc),
        )

    def _checked(self, plan: stock_import.ImportPlan) -> None:
        self.plan = plan
        self._set_busy(False)
        self._mark_rows(plan)
        self.problems.clear()
        for row, text in [(f.row, f"Row {f.row}: skipped — {f.reason}") for f in plan.flagged] + [
            (e.row, str(e)) for e in plan.errors
        ]:
            entry = QListWidgetItem(text)
            entry.setData(Qt.ItemDataRole.UserRole, row)
            self.problems.addItem(entry)
        if plan.errors:
            self.summary.setText(
                f"<b>{plan.summary()}</b> Fix the sheet or the column matching; nothing is "
                "imported until every row is right."
            )
        elif plan.ready_count:
            self.summary.setText(
                f"<b>{plan.summary()}</b> Import adds them all at once (or none, if anything "
                "goes wrong)."
            )
        else:
            self.summary.setText(f"<b>{plan.summary()}</b> Nothing new to import.")
        for note in plan.notes:
            self.problems.insertItem(0, QListWidgetItem(f"Note: {note}"))
        self.import_btn.setEnabled(plan.ok and plan.ready_count > 0)

    def _mark_rows(self, plan: stock_import.ImportPlan) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        index = {r.number: i for i, r in enumerate(sheet.rows[:PREVIEW_ROWS])}
        labels = [sheet.column_label(i) for i in range(len(sheet.headers))]
        for i in range(self.table.rowCount()):
            for j in range(self.table.columnCount()):
                cell = self.table.item(i, j)
                if cell is not None:
                    cell.setBackground(QBrush())
                    cell.setToolTip("")
        for f in plan.flagged:
            i = index.get(f.row)
            for j in range(self.table.columnCount()) if i is not None else ():
                cell = self.table.item(i, j)
                if cell is not None:
                    cell.setBackground(SKIPPED_BG)
                    cell.setToolTip(f"Skipped: {f.key} {f.reason}")
        for e in plan.errors:
            i = index.get(e.row)
            if i is None:
                continue
            cols = [labels.index(e.column)] if e.column in labels else range(len(labels))
            for j in cols:
                cell = self.table.item(i, j)
                if cell is not None:
                    cell.setBackground(ERROR_BG)
                    cell.setToolTip(e.message)

    def _show_problem(self, item: Any) -> None:
        """Select the sheet row a problem is about."""
        number = item.data(Qt.ItemDataRole.UserRole)
        if self.sheet is None or number is None:
            return
        for i, r in enumerate(self.sheet.rows[:PREVIEW_ROWS]):
            if r.number == number:
                self.table.selectRow(i)
                self.table.scrollToItem(self.table.item(i, 0))
                return

    # ------------------------------------------------------------------ importing
    def commit(self) -> None:
        plan = self.plan
        if plan is None or not plan.ok or self.busy:
            return
        self._set_busy(True, f"Importing {plan.ready_count} rows…")
        self.progress.setRange(0, max(plan.ready_count, 1))
        tasks.run_task(
            self.shop,
            lambda shop, progress: stock_import.commit_import(shop, plan, progress=progress),
            self._committed,
            lambda exc, _tb: self._failed(exc),
            on_progress=lambda done, total: self.progress.setValue(done),
        )

    def _committed(self, result: stock_import.ImportResult) -> None:
        self.result = result
        self._set_busy(False)
        self.import_btn.setEnabled(False)
        what = "loose stones" if result.kind == "stones" else "metal lots"
        self.summary.setText(
            f"<b>Imported {result.imported} {what}</b>"
            + (f"; {result.skipped} already recorded were skipped." if result.skipped else ".")
        )

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.import_btn.setEnabled(False)
        self.error_line.setText(messages.describe(exc))
        self.error_line.show()
        if not isinstance(exc, JewelerDeskError):
            return
        self.summary.setText("Nothing was imported.")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.summary.setText(text)
            self.error_line.hide()
            self.import_btn.setEnabled(False)
        for w in (self.stones, self.lots, self.supplier, self.received, self.mapping_box):
            w.setEnabled(not busy)
