"""A thin, lazy table model over a service's ``count`` and ``list`` functions.

Rows arrive a page at a time through ``canFetchMore``/``fetchMore`` as the view scrolls, so a
100,000-piece shop costs one COUNT and one page of 200 rows to show, never 100,000 widgets.
Sorting and searching re-query through the service (SQL does the work, with indexes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from jewelerdesk.services.inventory import ListQuery

ObjectRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str  # the service's sort key
    title: str
    display: Callable[[Any], str]
    align_right: bool = False
    tooltip: Callable[[Any], str] | None = None
    width: int = 0  # initial width hint in characters (0: stretch/auto)
    colour: Callable[[Any], str | None] | None = None  # text colour, e.g. "#1b7a3a"


class PagedTableModel(QAbstractTableModel):
    PAGE = 200

    def __init__(
        self,
        columns: Sequence[Column],
        count: Callable[[ListQuery], int],
        fetch: Callable[[ListQuery, int, int], list[Any]],
        query: ListQuery | None = None,
        parent: Any = None,
    ):
        super().__init__(parent)
        self.columns = list(columns)
        self._count = count
        self._fetch = fetch
        self.query = query or ListQuery(sort=self.columns[0].key)
        self._rows: list[Any] = []
        self._total = 0
        self.loaded = False

    # --- loading -----------------------------------------------------------------
    def set_query(self, query: ListQuery) -> None:
        self.query = query
        self.reload()

    def reload(self) -> None:
        self.loaded = True
        self.beginResetModel()
        self._total = self._count(self.query)
        self._rows = self._fetch(self.query, 0, self.PAGE) if self._total else []
        self.endResetModel()

    def total(self) -> int:
        return self._total

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = self._fetch(self.query, len(self._rows), self.PAGE)
        if not more:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    # --- model -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(row)
        if role == ObjectRole:
            return row
        if role == SortRole:
            return col.display(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and col.colour is not None:
            c = col.colour(row)
            return QColor(c) if c else None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.columns):
                return self.columns[section].title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        query = replace(
            self.query,
            sort=self.columns[column].key,
            descending=order == Qt.SortOrder.DescendingOrder,
        )
        if query == self.query and not self.loaded:
            return  # the view announcing its initial sort: nothing to re-read yet
        self.query = query
        if self.loaded:
            self.reload()

    def row_object(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, object_id: str) -> int:
        for i, r in enumerate(self._rows):
            if getattr(r, "id", None) == object_id:
                return i
        return -1
