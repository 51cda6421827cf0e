"""Receiving a metal lot, and looking after it: details, balance, movements, losses."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain import units
from jewelerdesk.domain.model import (
    CLAIM_CLASS_LABELS,
    METAL_LABELS,
    ClaimClass,
    Metal,
    MetalForm,
    MetalLot,
    PartyKind,
    SubjectKind,
)
from jewelerdesk.errors import JewelerDeskError, ValidationError
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages
from jewelerdesk.ui.dialogs.common import (
    RecordDialog,
    combo,
    country_combo,
    country_value,
    form,
    line,
    parse_or_error,
    party_choices,
)
from jewelerdesk.ui.models.simple import ListModel

FINENESS_PICKS = [
    (585, "585 — 14K"),
    (750, "750 — 18K"),
    (916, "916 — 22K"),
    (925, "925 — sterling"),
    (950, "950 — platinum"),
    (999, "999 — fine"),
    (417, "417 — 10K"),
]


class LotDialog(RecordDialog):
    def __init__(self, shop: Shop, lot_id: str | None = None, parent: QWidget | None = None):
        super().__init__("Metal lot" if lot_id else "Receive metal lot", parent)
        self.shop = shop
        self.is_new = lot_id is None
        self.lot = (
            inventory.get_lot(shop, lot_id)
            if lot_id
            else MetalLot("", Metal.GOLD, 585, ClaimClass.UNSPECIFIED)
        )
        self.saved_lot_id: str | None = None
        lot = self.lot
        tabs = QTabWidget()
        page = QWidget()
        f = form()
        page.setLayout(f)
        self.lot_no = line(lot.lot_no, "e.g. AU585-Y-2607")
        self.metal = combo(
            [(str(m), f"{METAL_LABELS[m].capitalize()} ({m})") for m in Metal], str(lot.metal)
        )
        self.fineness = combo([(v, t) for v, t in FINENESS_PICKS], lot.fineness_ppt, editable=True)
        self.fineness.setToolTip(
            "Parts per thousand of pure metal: 585 is 14 karat, 750 is 18 karat."
        )
        if self.fineness.findData(lot.fineness_ppt) < 0:
            self.fineness.setEditText(str(lot.fineness_ppt))
        self.form_ = combo(
            [(str(x), str(x).replace("_", " ").capitalize()) for x in MetalForm], str(lot.form)
        )
        self.claim = combo(
            [(str(c), CLAIM_CLASS_LABELS[c]) for c in ClaimClass], str(lot.claim_class)
        )
        self.claim.setToolTip("What the supplier's paperwork lets you claim about this metal.")
        refiners = inventory.all_parties(shop, [PartyKind.REFINER, PartyKind.RECYCLER])
        self.refiner = combo(party_choices(refiners, "— not known —"), lot.refiner_id)
        self.refiner_cid = line(
            lot.refiner_cid, "CID002030", "The refiner's Responsible Minerals Initiative id"
        )
        self.bar = line(lot.bar_batch_no, "Bar or batch number on the assay paper")
        self.origin = country_combo(lot.country_of_origin)
        self.origin.setToolTip(
            "Country where newly mined metal was mined (not needed for recycled metal)."
        )
        self.supplier = combo(party_choices(inventory.all_parties(shop)), lot.supplier_id)
        self.received_on = line(lot.received_on, "YYYY-MM-DD")
        self.mass = line("", "grams, e.g. 250.000")
        f.addRow("Lot number", self.lot_no)
        f.addRow("Metal", self.metal)
        f.addRow("Fineness (‰)", self.fineness)
        f.addRow("Form", self.form_)
        f.addRow("Claim", self.claim)
        f.addRow("Refiner", self.refiner)
        f.addRow("Refiner RMI id", self.refiner_cid)
        f.addRow("Bar / batch no.", self.bar)
        f.addRow("Country of origin", self.origin)
        f.addRow("Supplier", self.supplier)
        f.addRow("Received on", self.received_on)
        if self.is_new:
            f.addRow("Mass received (g)", self.mass)
        else:
            self.metal.setEnabled(False)
            self.fineness.setEnabled(False)
            self.balance = QLabel()
            f.addRow("Balance", self.balance)
        tabs.addTab(page, "Lot")
        self.fields = {
            "lot_no": self.lot_no,
            "fineness_ppt": self.fineness,
            "refiner_cid": self.refiner_cid,
            "refiner_id": self.refiner,
            "country_of_origin": self.origin,
            "received_on": self.received_on,
            "mass_mg": self.mass,
        }
        if not self.is_new:
            tabs.addTab(self._movements_tab(), "Movements")
        from jewelerdesk.ui.widgets.documents import DocumentsPanel

        self.documents = DocumentsPanel(shop, SubjectKind.LOT, lot_id)
        tabs.addTab(self.documents, "Paperwork")
        self.body.addWidget(tabs)
        self.resize(640, 520)
        self._refresh_balance()

    def _movements_tab(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        self.movement_model = ListModel(
            ["When", "Movement", "Grams", "Piece", "Note"],
            lambda m: (
                m.occurred_at[:10],
                m.kind.capitalize(),
                f"{'+' if m.kind.sign > 0 else '−'}{m.mass_mg / 1000:,.3f}",
                m.item_sku or "—",
                m.note,
            ),
            self,
        )
        self.movements = QTableView()
        self.movements.setModel(self.movement_model)
        self.movements.verticalHeader().setVisible(False)
        self.movements.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.movements.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        loss = QPushButton("Record loss…")
        loss.clicked.connect(self.record_loss)
        row = QHBoxLayout()
        row.addWidget(loss)
        row.addStretch(1)
        v.addWidget(self.movements)
        v.addLayout(row)
        return w

    def _refresh_balance(self) -> None:
        if self.is_new:
            return
        bal = inventory.lot_balance_mg(self.shop, self.lot.id)
        self.balance.setText(
            f"<b>{units.format_mg(bal)}</b> ({units.format_mg(units.fine_mg(bal, self.lot.fineness_ppt))} fine)"
        )
        self.movement_model.set_rows(inventory.lot_movements(self.shop, self.lot.id))

    def record_loss(self) -> None:
        grams, ok = QInputDialog.getText(
            self, "Record loss", "Grams lost (casting, polishing, filings):"
        )
        if not ok or not grams.strip():
            return
        try:
            mg = units.grams_to_mg(grams)
            inventory.record_loss(self.shop, self.lot.id, mg, "loss recorded")
        except ValueError as exc:
            messages.show_error(self, ValidationError({"mass_mg": str(exc)}))
            return
        except JewelerDeskError as exc:
            messages.show_error(self, exc)
            return
        self._refresh_balance()

    def save(self) -> None:
        errors: dict[str, str] = {}
        lot = self.lot
        lot.lot_no = self.lot_no.text()
        lot.metal = Metal(self.metal.currentData())
        fine_text = self.fineness.currentText().split("—")[0].strip()
        lot.fineness_ppt = parse_or_error(
            errors, "fineness_ppt", lambda t: int(t) if t.isdigit() else _bad(t), fine_text
        )
        lot.form = MetalForm(self.form_.currentData())
        lot.claim_class = ClaimClass(self.claim.currentData())
        lot.refiner_id = self.refiner.currentData()
        lot.refiner_cid = self.refiner_cid.text()
        lot.bar_batch_no = self.bar.text().strip()
        lot.country_of_origin = country_value(self.origin)
        lot.supplier_id = self.supplier.currentData()
        lot.received_on = self.received_on.text().strip()
        if self.is_new:
            mass = parse_or_error(errors, "mass_mg", units.grams_to_mg, self.mass.text())
            if errors:
                raise ValidationError(errors)
            self.saved_lot_id = inventory.receive_lot(self.shop, lot, mass).id
        else:
            if errors:
                raise ValidationError(errors)
            self.saved_lot_id = inventory.update_lot(self.shop, lot).id


def _bad(text: str) -> int:
    raise ValueError(f"Fineness '{text}' is not a whole number of parts per thousand.")
