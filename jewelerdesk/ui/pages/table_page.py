"""One inventory tab: a search box, filters, a lazy table and the tab's actions.

Typing searches after a short pause (so each keystroke doesn't re-query), through the same
service the command line uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.services.inventory import ListQuery
from jewelerdesk.ui.models.paged import Column, PagedTableModel

SEARCH_DELAY_MS = 150


class Filter:
    """A combo box that sets one ListQuery field (``status``, ``category`` or ``kind``)."""

    def __init__(self, field: str, label: str, choices: Sequence[tuple[str, str]]):
        self.field = field
        self.label = label
        self.choices = list(choices)


class TablePage(QWidget):
    open_requested = Signal(object)  # the row object
    counts_changed = Signal()

    def __init__(
        self,
        noun: tuple[str, str],
        columns: Sequence[Column],
        count: Callable[[ListQuery], int],
        fetch: Callable[[ListQuery, int, int], list[Any]],
        filters: Sequence[Filter] = (),
        search_hint: str = "Search",
        actions: Sequence[tuple[str, str, Callable[[], None]]] = (),
        parent: QWidget | None = None,
        multi_select: bool = False,
    ):
        super().__init__(parent)
        self.noun = noun
        self.model = PagedTableModel(columns, count, fetch, parent=self)

        self.search = QLineEdit(placeholderText=search_hint, clearButtonEnabled=True)
        self.search.setMinimumWidth(320)
        self.search.setAccessibleName(f"Search {noun[1]}")
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self.apply_search)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        self.filter_boxes: dict[str, QComboBox] = {}
        for f in filters:
            box = QComboBox()
            box.addItem(f"All {f.label}", None)
            for value, text in f.choices:
                box.addItem(text, value)
            box.setAccessibleName(f.label)
            box.currentIndexChanged.connect(lambda _i: self.apply_search())
            bar.addWidget(box)
            self.filter_boxes[f.field] = box
        bar.addSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, handler in actions:
            btn = QPushButton(text)
            btn.clicked.connect(handler)
            bar.addWidget(btn)
            self.buttons[key] = btn

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
            if multi_select
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(26)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        fm = self.fontMetrics()
        for i, col in enumerate(columns):
            if col.width:
                header.resizeSection(i, fm.horizontalAdvance("M") * col.width)
        stretch = next((i for i, c in enumerate(columns) if not c.width), None)
        if stretch is not None:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda idx: self._open_row(idx.row()))
        self.view.activated.connect(lambda idx: self._open_row(idx.row()))

        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(mid); padding: 24px;")
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)

    # ------------------------------------------------------------------ behaviour
    def current_query(self) -> ListQuery:
        q = replace(self.model.query, search=self.search.text())
        for field, box in self.filter_boxes.items():
            q = replace(q, **{field: box.currentData()})
        return q

    def apply_search(self) -> None:
        self._timer.stop()
        self.model.set_query(self.current_query())
        self._update_empty()
        self.counts_changed.emit()

    def ensure_loaded(self) -> None:
        """Tabs read their rows the first time they are shown, not at start-up."""
        if not self.model.loaded:
            self.reload()

    def reload(self, select_id: str | None = None) -> None:
        self.model.reload()
        self._update_empty()
        if select_id:
            self.select(select_id)
        self.counts_changed.emit()

    def select(self, object_id: str) -> None:
        row = self.model.row_of(object_id)
        if row >= 0:
            index = self.model.index(row, 0)
            self.view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.view.scrollTo(index)

    def selected(self) -> Any:
        index = self.view.currentIndex()
        return self.model.row_object(index.row()) if index.isValid() else None

    def selected_rows(self) -> list[Any]:
        """Every selected row (Ctrl/Shift-click), in table order; else the current one."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        found = [o for o in (self.model.row_object(r) for r in rows) if o is not None]
        if found:
            return found
        one = self.selected()
        return [one] if one is not None else []

    def status_text(self) -> str:
        shown = self.model.total()
        singular, plural = self.noun
        word = singular if shown == 1 else plural
        if self.search.text().strip() or any(
            b.currentIndex() > 0 for b in self.filter_boxes.values()
        ):
            return f"{shown:,} {word} match"
        return f"{shown:,} {word}"

    def _open_row(self, row: int) -> None:
        obj = self.model.row_object(row)
        if obj is not None:
            self.open_requested.emit(obj)

    def _update_empty(self) -> None:
        if self.model.total():
            self.empty.hide()
            return
        if self.search.text().strip():
            self.empty.setText(f"No {self.noun[1]} match “{self.search.text().strip()}”.")
        else:
            self.empty.setText(f"No {self.noun[1]} yet.")
        self.empty.show()
