"""The records log: every change, newest first, for the whole shop or one piece. Read-only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.services import history
from jewelerdesk.services.inventory import ListQuery
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.models.paged import Column, PagedTableModel

CHANNELS = {"app": "", "command line": " (command line)", "system": " (system)"}


class HistoryDialog(QDialog):
    def __init__(self, shop: Shop, sku: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.sku = sku
        self.setWindowTitle(f"History of {sku}" if sku else "Records log")
        seq, digest = history.head(shop)
        scope = (
            f"Every change to {sku}, its stones and metal, its custody events and documents"
            if sku
            else "Every change to the shop's records"
        )
        intro = QLabel(
            f"{scope}, newest first: who made it, when, and what it was before and after. "
            "Entries are chained by their hashes and cannot be changed or removed; "
            "File → Check the records confirms that nothing was edited outside JewelerDesk."
        )
        intro.setWordWrap(True)
        self.head_label = QLabel(f"Latest entry: #{seq:,}   SHA-256 {digest}")
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.head_label.setStyleSheet("color: #555; font-family: monospace;")

        columns = [
            Column("seq", "#", lambda r: f"{r.seq:,}", align_right=True, width=7),
            Column("at", "When", lambda r: r.when, width=19),
            Column("who", "Who", lambda r: r.who + CHANNELS.get(r.channel, ""), width=16),
            Column("what", "What", lambda r: r.what, width=24),
            Column("record", "Record", lambda r: r.record, tooltip=lambda r: r.record, width=24),
            Column("details", "Change", lambda r: r.details, tooltip=lambda r: r.details),
        ]
        self.model = PagedTableModel(
            columns,
            lambda q: history.count_history(shop, sku),
            lambda q, offset, limit: history.list_history(shop, sku, offset, limit),
            ListQuery(sort="seq", descending=True),
            self,
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        metrics = self.table.fontMetrics()
        for i, col in enumerate(columns):
            if col.width:
                self.table.setColumnWidth(i, metrics.horizontalAdvance("0") * col.width + 16)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.detail_title = QLabel("Select an entry to see every field before and after.")
        self.detail_title.setWordWrap(True)
        self.detail = QTableWidget(0, 3)
        self.detail.setHorizontalHeaderLabels(["Field", "Before", "After"])
        self.detail.verticalHeader().hide()
        self.detail.verticalHeader().setDefaultSectionSize(self.detail.fontMetrics().height() + 8)
        self.detail.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.detail.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.detail_title)
        lower_layout.addWidget(self.detail)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.head_label)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(1100, 680)

        self.model.reload()
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur))
        if self.model.rowCount():
            self.table.selectRow(0)

    def _show(self, index: Any) -> None:
        row = self.model.row_object(index.row()) if index.isValid() else None
        self.detail.setRowCount(0)
        if row is None:
            return
        self.detail_title.setText(
            f"Entry #{row.seq:,}: {row.what}{' — ' + row.record if row.record else ''}, "
            f"by {row.who} on {row.when}.   SHA-256 {row.entry.hash[:16]}…"
        )
        fields = history.fields_of(row)
        self.detail.setRowCount(len(fields))
        for i, (name, before, after) in enumerate(fields):
            items = [QTableWidgetItem(name), QTableWidgetItem(before), QTableWidgetItem(after)]
            if before != after and row.entry.op == "update":
                for it in items:
                    font = it.font()
                    font.setBold(True)
                    it.setFont(font)
            for j, it in enumerate(items):
                it.setToolTip(it.text())
                self.detail.setItem(i, j, it)
