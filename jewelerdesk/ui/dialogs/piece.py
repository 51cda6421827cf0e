"""A piece with its stones and metal: one editor, saved all or nothing by the service."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain import units
from jewelerdesk.domain.model import (
    CLAIM_CLASS_LABELS,
    ITEM_STATUS_LABELS,
    METAL_LABELS,
    ORIGIN_TYPE_LABELS,
    Item,
    ItemCategory,
    ItemStatus,
    MetalComponent,
    MetalPart,
    SubjectKind,
)
from jewelerdesk.domain.validation import validate_item
from jewelerdesk.errors import ValidationError
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.common import (
    RecordDialog,
    combo,
    form,
    line,
    money_text,
    parse_or_error,
    party_choices,
)
from jewelerdesk.ui.dialogs.stone import StoneDialog
from jewelerdesk.ui.models.simple import ListModel

Index = QModelIndex | QPersistentModelIndex


def _table(model: QAbstractTableModel, stretch: int) -> QTableView:
    v = QTableView()
    v.setModel(model)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.verticalHeader().setVisible(False)
    v.setWordWrap(False)
    v.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    v.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return v


class PieceEditor(RecordDialog):
    def __init__(self, shop: Shop, item_id: str | None = None, parent: QWidget | None = None):
        super().__init__("Piece" if item_id else "New piece", parent)
        self.shop = shop
        ident = shop.identity()
        self.item = (
            inventory.get_item(shop, item_id)
            if item_id
            else Item(sku="", description="", currency=ident.currency if ident else "USD")
        )
        self.saved_item_id: str | None = None
        self.lots = {lot.id: lot for lot in inventory.all_lots(shop)}
        it = self.item
        self.tabs = QTabWidget()

        details = QWidget()
        f = form()
        details.setLayout(f)
        self.sku = line(it.sku, "e.g. R-1042")
        self.description = line(
            it.description, "e.g. 18K white gold solitaire ring, 1.01 ct natural diamond"
        )
        self.category = combo(
            [(str(c), str(c).capitalize()) for c in ItemCategory], str(it.category)
        )
        self.status = combo([(str(s), ITEM_STATUS_LABELS[s]) for s in ItemStatus], str(it.status))
        parties = inventory.all_parties(shop)
        self.maker = combo(party_choices(parties), it.maker_id)
        self.supplier = combo(party_choices(parties, "— made in house —"), it.supplier_id)
        self.cost = line(money_text(it.cost_minor, it.currency), f"{it.currency}, e.g. 1250.00")
        self.price = line(money_text(it.price_minor, it.currency), f"{it.currency}, e.g. 2995.00")
        self.acquired = line(it.acquired_on, "YYYY-MM-DD")
        self.weighed = line(
            f"{it.weighed_metal_mg / 1000:.3f}" if it.weighed_metal_mg else "",
            "grams on the scale, metal only (optional)",
            "The finished piece's metal weight, checked against the metal drawn (rule G11).",
        )
        self.notes = QPlainTextEdit(it.notes)
        self.notes.setFixedHeight(60)
        f.addRow("SKU", self.sku)
        f.addRow("Description", self.description)
        f.addRow("Category", self.category)
        f.addRow("Status", self.status)
        f.addRow("Maker", self.maker)
        f.addRow("Bought finished from", self.supplier)
        f.addRow(f"Cost ({it.currency})", self.cost)
        f.addRow(f"Price ({it.currency})", self.price)
        f.addRow("Acquired on", self.acquired)
        f.addRow("Weighed metal (g)", self.weighed)
        f.addRow("Notes", self.notes)
        self.tabs.addTab(details, "Piece")

        self.stone_model = ListModel(
            ["Stone", "Origin", "Count", "Carats", "Report", "Mined in"],
            lambda s: (
                (s.variety or str(s.stone_type).replace("_", " ")).capitalize()
                + (f", {s.shape}" if s.shape else ""),
                ORIGIN_TYPE_LABELS[s.origin_type],
                str(s.count),
                f"{s.weight_mct / 1000:.3f}"
                + (" total" if s.weight_is_total and s.count > 1 else ""),
                f"{s.report_lab} {s.report_no}".strip() or "—",
                s.country_of_mining or "not documented",
            ),
            self,
        )
        self.stone_model.set_rows([dataclasses.replace(s) for s in it.stones])
        self.stone_view = _table(self.stone_model, 0)
        self.stone_view.doubleClicked.connect(lambda _i: self.edit_stone())
        self.tabs.addTab(
            self._list_tab(
                self.stone_view,
                [
                    ("Add stone…", self.add_stone),
                    ("Edit…", self.edit_stone),
                    ("Remove", self.remove_stone),
                ],
            ),
            "Stones",
        )

        self.metal_model = ListModel(
            ["Lot", "Metal", "Claim", "Part", "Grams"],
            lambda m: (
                self.lots[m.lot_id].lot_no if m.lot_id in self.lots else "?",
                f"{m.fineness_ppt} {METAL_LABELS[self.lots[m.lot_id].metal]}"
                if m.lot_id in self.lots
                else "",
                CLAIM_CLASS_LABELS[self.lots[m.lot_id].claim_class]
                if m.lot_id in self.lots
                else "",
                str(m.part).capitalize(),
                f"{m.mass_mg / 1000:.3f}",
            ),
            self,
        )
        self.metal_model.set_rows([dataclasses.replace(m) for m in it.metals])
        self.metal_view = _table(self.metal_model, 0)
        metal_tab = self._list_tab(self.metal_view, [("Remove", self.remove_metal)])
        add = QWidget()
        g = form()
        add.setLayout(g)
        self.lot_box = combo(
            [(None, "— choose a lot —")]
            + [(lot.id, self._lot_label(lot.id)) for lot in self.lots.values()]
        )
        self.draw_mass = line("", "grams, e.g. 4.200")
        self.draw_part = combo(
            [(str(p), str(p).capitalize()) for p in MetalPart], str(MetalPart.SHANK)
        )
        draw_btn = QPushButton("Draw into piece")
        draw_btn.clicked.connect(self.add_metal)
        g.addRow("From lot", self.lot_box)
        g.addRow("Mass (g)", self.draw_mass)
        g.addRow("Part", self.draw_part)
        g.addRow("", draw_btn)
        metal_tab.layout().addWidget(add)
        self.tabs.addTab(metal_tab, "Metal")

        from jewelerdesk.ui.widgets.documents import DocumentsPanel

        self.documents = DocumentsPanel(shop, SubjectKind.ITEM, item_id)
        self.tabs.addTab(self.documents, "Paperwork")
        self.gaps_view = QTextBrowser()
        self.gaps_view.setOpenLinks(False)
        gaps_tab = QWidget()
        gv = QVBoxLayout(gaps_tab)
        gv.setContentsMargins(6, 6, 6, 6)
        gv.addWidget(self.gaps_view, 1)
        self.wizard_btn = QPushButton("Walk through these gaps…")
        self.wizard_btn.clicked.connect(self.open_wizard)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.wizard_btn)
        gv.addLayout(row)
        self.tabs.addTab(gaps_tab, "Custody gaps")
        from jewelerdesk.ui.widgets.custody import TimelinePanel

        self.timeline = TimelinePanel(shop, it.sku if item_id else "", self)
        self.tabs.addTab(self.timeline, "Chain of custody")
        self.documents.documents_changed.connect(self.refresh_gaps)
        self.refresh_gaps()
        self.body.addWidget(self.tabs)
        self.fields = {
            "sku": self.sku,
            "description": self.description,
            "price_minor": self.price,
            "cost_minor": self.cost,
            "acquired_on": self.acquired,
            "weighed_metal_mg": self.weighed,
            "currency": self.price,
            "draw_mass": self.draw_mass,
            "lot_id": self.lot_box,
        }
        self.resize(760, 560)

    def refresh_gaps(self) -> None:
        """The piece's open gaps as saved (re-read when paperwork is attached)."""
        from jewelerdesk.services import custody
        from jewelerdesk.ui.pages.gaps_page import gaps_html

        if self.saved_item_id is None and not self.item.sku:
            self.gaps_view.setHtml("<p>Save the piece to see its custody gaps.</p>")
            self.tabs.setTabText(4, "Custody gaps")
            self.wizard_btn.setEnabled(False)
            return
        found = custody.gaps_for_piece(self.shop, self.item.sku)
        gaps = found.gaps
        self.gaps_view.setHtml(gaps_html(gaps, found.acknowledged))
        self.wizard_btn.setEnabled(bool(gaps))
        self.tabs.setTabText(4, f"Custody gaps ({len(gaps)})" if gaps else "Custody gaps (none)")

    def open_wizard(self) -> None:
        from jewelerdesk.ui.widgets.custody import GapWizard

        GapWizard(self.shop, [self.item.sku], self).exec()
        self.refresh_gaps()
        self.timeline.refresh()
        self.documents.refresh()

    def _lot_label(self, lot_id: str) -> str:
        lot = self.lots[lot_id]
        bal = inventory.lot_balance_mg(self.shop, lot_id)
        return f"{lot.lot_no} — {lot.fineness_ppt} {METAL_LABELS[lot.metal]}, {CLAIM_CLASS_LABELS[lot.claim_class].lower()} — {units.format_mg(bal)} left"

    def _list_tab(self, view: QTableView, buttons: list[tuple[str, Any]]) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        v.addWidget(view, 1)
        row = QHBoxLayout()
        for text, slot in buttons:
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        return w

    # ------------------------------------------------------------------ stones
    def add_stone(self) -> None:
        dlg = StoneDialog(self.shop, None, self, loose=False)
        if dlg.exec():
            self.stone_model.set_rows([*self.stone_model.rows, dlg.stone])

    def edit_stone(self) -> None:
        idx = self.stone_view.currentIndex()
        if not idx.isValid():
            return
        dlg = StoneDialog(self.shop, self.stone_model.rows[idx.row()], self, loose=False)
        if dlg.exec():
            rows = list(self.stone_model.rows)
            rows[idx.row()] = dlg.stone
            self.stone_model.set_rows(rows)

    def remove_stone(self) -> None:
        idx = self.stone_view.currentIndex()
        if idx.isValid():
            rows = list(self.stone_model.rows)
            del rows[idx.row()]
            self.stone_model.set_rows(rows)

    # ------------------------------------------------------------------ metal
    def add_metal(self) -> None:
        from jewelerdesk.ui import messages

        errors: dict[str, str] = {}
        lot_id = self.lot_box.currentData()
        if not lot_id:
            errors["lot_id"] = "Choose the lot the metal comes from."
        mass = parse_or_error(errors, "draw_mass", units.grams_to_mg, self.draw_mass.text())
        if not errors and mass <= 0:
            errors["draw_mass"] = "Mass must be greater than zero."
        if errors:
            messages.show_field_errors(self.fields, errors, self.error_line)
            return
        messages.clear_field_errors(self.fields, self.error_line)
        lot = self.lots[lot_id]
        self.metal_model.set_rows(
            [
                *self.metal_model.rows,
                MetalComponent(
                    lot_id=lot_id,
                    mass_mg=mass,
                    fineness_ppt=lot.fineness_ppt,
                    part=MetalPart(self.draw_part.currentData()),
                ),
            ]
        )
        self.draw_mass.clear()

    def remove_metal(self) -> None:
        idx = self.metal_view.currentIndex()
        if idx.isValid():
            rows = list(self.metal_model.rows)
            del rows[idx.row()]
            self.metal_model.set_rows(rows)

    # ------------------------------------------------------------------ save
    def build_item(self) -> Item:
        errors: dict[str, str] = {}
        it = dataclasses.replace(self.item)
        it.sku = self.sku.text().strip()
        it.description = self.description.text().strip()
        it.category = ItemCategory(self.category.currentData())
        it.status = ItemStatus(self.status.currentData())
        it.maker_id = self.maker.currentData()
        it.supplier_id = self.supplier.currentData()
        it.cost_minor = parse_or_error(
            errors, "cost_minor", units.money_to_minor, self.cost.text() or "0", it.currency
        )
        it.price_minor = parse_or_error(
            errors, "price_minor", units.money_to_minor, self.price.text() or "0", it.currency
        )
        it.acquired_on = self.acquired.text().strip()
        weighed = self.weighed.text().strip()
        it.weighed_metal_mg = (
            parse_or_error(errors, "weighed_metal_mg", units.grams_to_mg, weighed) if weighed else 0
        )
        it.notes = self.notes.toPlainText().strip()
        it.stones = [dataclasses.replace(s) for s in self.stone_model.rows]
        it.metals = [dataclasses.replace(m) for m in self.metal_model.rows]
        if errors:
            # every problem at once: the record's own checks too, not only the typing
            for name, message in validate_item(it).items():
                errors.setdefault(name, message)
            raise ValidationError(errors)
        return it

    def save(self) -> None:
        item = self.build_item()
        saved = inventory.save_item(self.shop, item)
        self.saved_item_id = saved.id
        self.item = saved

    def accept(self) -> None:
        super().accept()
        if self.result() != self.DialogCode.Accepted:
            # Show the tab holding the first problem, so the clerk sees it.
            text = self.error_line.text()
            if text.startswith("Stone"):
                self.tabs.setCurrentIndex(1)
            elif text.startswith(("Metal", "Lot")):
                self.tabs.setCurrentIndex(2)
