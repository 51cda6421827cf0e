"""One stone: set in a piece (edited in memory, saved with the piece) or loose (saved here)."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QCheckBox, QSpinBox, QTabWidget, QWidget

from jewelerdesk.domain import units
from jewelerdesk.domain.model import (
    ORIGIN_TYPE_LABELS,
    STONE_TYPE_LABELS,
    OriginType,
    Stone,
    StoneType,
    SubjectKind,
    WarrantyStatement,
)
from jewelerdesk.domain.validation import KNOWN_LABS, validate_stone
from jewelerdesk.errors import ValidationError
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.common import (
    RecordDialog,
    combo,
    country_combo,
    country_value,
    form,
    line,
    money_text,
    parse_or_error,
    party_choices,
)

WARRANTY_LABELS = {
    WarrantyStatement.NONE: "None on the invoice",
    WarrantyStatement.SOW_2002: "WDC SoW — 2002 wording",
    WarrantyStatement.SOW_2018: "WDC SoW — 2018 wording",
}


class StoneDialog(RecordDialog):
    def __init__(
        self,
        shop: Shop,
        stone: Stone | None = None,
        parent: QWidget | None = None,
        loose: bool = False,
    ):
        super().__init__(
            ("Loose stone" if loose else "Stone")
            if stone
            else ("New loose stone" if loose else "Add stone"),
            parent,
        )
        self.shop = shop
        self.loose = loose
        self.currency = (shop.identity().currency if shop.identity() else "USD") or "USD"
        self.stone = (
            dataclasses.replace(stone) if stone else Stone(StoneType.DIAMOND, OriginType.NATURAL, 0)
        )
        self.saved_stone_id: str | None = None
        s = self.stone
        tabs = QTabWidget()

        basics = QWidget()
        f = form()
        basics.setLayout(f)
        self.stock_no = line(s.stock_no, "e.g. LS-0042")
        self.stone_type = combo(
            [(str(t), STONE_TYPE_LABELS[t]) for t in StoneType], str(s.stone_type)
        )
        self.origin_type = combo(
            [(str(o), ORIGIN_TYPE_LABELS[o]) for o in OriginType], str(s.origin_type)
        )
        self.origin_type.setToolTip(
            "Natural, laboratory-grown or imitation: the FTC requires this to be disclosed."
        )
        self.variety = line(s.variety, "e.g. sapphire, ruby, Akoya pearl")
        self.species = line(s.species, "e.g. corundum, beryl")
        self.count = QSpinBox()
        self.count.setRange(1, 10000)
        self.count.setValue(s.count)
        self.weight = line(
            units.format_carats(s.weight_mct) if s.weight_mct else "", "carats, e.g. 1.01"
        )
        self.total = QCheckBox("Weight is the total of all stones")
        self.total.setChecked(s.weight_is_total)
        self.shape = line(s.shape, "e.g. Round brilliant, Oval")
        self.colour = line(s.colour, "e.g. F, Royal blue")
        self.clarity = line(s.clarity, "e.g. VS1")
        self.growth = line(s.growth_method, "CVD or HPHT")
        self.supplier = combo(party_choices(inventory.all_parties(shop)), s.supplier_id)
        self.acquired = line(s.acquired_on, "YYYY-MM-DD")
        self.cost = line(money_text(s.cost_minor, self.currency), f"{self.currency}, e.g. 1250.00")
        if loose:
            f.addRow("Stock number", self.stock_no)
        f.addRow("Type", self.stone_type)
        f.addRow("Origin", self.origin_type)
        f.addRow("Variety", self.variety)
        f.addRow("Species", self.species)
        f.addRow("Count", self.count)
        f.addRow("Weight (ct)", self.weight)
        f.addRow("", self.total)
        f.addRow("Shape / cut", self.shape)
        f.addRow("Colour", self.colour)
        f.addRow("Clarity", self.clarity)
        f.addRow("Growth method", self.growth)
        f.addRow("Supplier", self.supplier)
        f.addRow("Acquired on", self.acquired)
        f.addRow(f"Cost ({self.currency})", self.cost)
        tabs.addTab(basics, "Stone")

        prov = QWidget()
        g = form()
        prov.setLayout(g)
        self.mining = country_combo(s.country_of_mining)
        self.mining.setToolTip(
            "Where the stone was mined. US customs asks for it for every diamond."
        )
        self.region = line(s.region_of_mining, "ISO 3166-2, e.g. CD-NK")
        self.mine = line(s.mine_name)
        self.cutting = country_combo(s.country_of_cutting)
        self.lab = combo([(x, x) for x in ("",) + KNOWN_LABS], s.report_lab, editable=True)
        self.report_no = line(s.report_no, "GIA: 10 digits · IGI: 9 digits (LG… for lab-grown)")
        self.report_date = line(s.report_date, "YYYY-MM-DD")
        self.inscription = line(s.inscription, "Laser inscription on the girdle")
        self.kp = line(s.kp_cert_no, "e.g. BW123456 (starts with the issuing country)")
        self.g7 = line(s.g7_cert_no)
        self.warranty = combo(
            [(str(w), WARRANTY_LABELS[w]) for w in WarrantyStatement], str(s.warranty)
        )
        self.warranty.setToolTip(
            "The World Diamond Council System of Warranties statement on the supplier's invoice."
        )
        self.grandfathered = QCheckBox("Held before the Russian-diamond bans (grandfathered stock)")
        self.grandfathered.setChecked(s.grandfathered)
        g.addRow("Country of mining", self.mining)
        g.addRow("Region of mining", self.region)
        g.addRow("Mine", self.mine)
        g.addRow("Country of cutting", self.cutting)
        g.addRow("Grading lab", self.lab)
        g.addRow("Report number", self.report_no)
        g.addRow("Report date", self.report_date)
        g.addRow("Inscription", self.inscription)
        g.addRow("KP certificate", self.kp)
        g.addRow("G7 certificate", self.g7)
        g.addRow("Warranty received", self.warranty)
        g.addRow("", self.grandfathered)
        tabs.addTab(prov, "Origin && paperwork")

        treat = QWidget()
        h = form()
        treat.setLayout(h)
        self.treatments = line(
            ", ".join(s.treatments), "codes, e.g. H (heat), F (fracture filling)"
        )
        self.permanent = QCheckBox("Treatment is permanent")
        self.permanent.setChecked(s.treatment_permanent)
        self.care = line(
            s.special_care, "Care the customer must take, e.g. avoid ultrasonic cleaners"
        )
        h.addRow("Treatments", self.treatments)
        h.addRow("", self.permanent)
        h.addRow("Special care", self.care)
        tabs.addTab(treat, "Treatment")

        if loose:
            from jewelerdesk.ui.widgets.documents import DocumentsPanel

            self.documents = DocumentsPanel(shop, SubjectKind.STONE, stone.id if stone else None)
            tabs.addTab(self.documents, "Paperwork")
        self.tabs = tabs
        self.body.addWidget(tabs)
        self.fields = {
            "stock_no": self.stock_no,
            "weight_mct": self.weight,
            "count": self.count,
            "origin_type": self.origin_type,
            "variety": self.variety,
            "country_of_mining": self.mining,
            "country_of_cutting": self.cutting,
            "region_of_mining": self.region,
            "report_lab": self.lab,
            "report_no": self.report_no,
            "report_date": self.report_date,
            "acquired_on": self.acquired,
            "kp_cert_no": self.kp,
            "special_care": self.care,
            "cost_minor": self.cost,
        }
        self.origin_type.currentIndexChanged.connect(self._origin_changed)
        self._origin_changed()
        self.resize(600, 600)

    def _origin_changed(self) -> None:
        self.growth.setEnabled(self.origin_type.currentData() == str(OriginType.LAB_GROWN))

    def collect(self) -> Stone:
        errors: dict[str, str] = {}
        s = self.stone
        s.stock_no = self.stock_no.text().strip()
        s.stone_type = StoneType(self.stone_type.currentData())
        s.origin_type = OriginType(self.origin_type.currentData())
        s.variety = self.variety.text().strip()
        s.species = self.species.text().strip()
        s.count = self.count.value()
        s.weight_mct = parse_or_error(errors, "weight_mct", units.carats_to_mct, self.weight.text())
        s.weight_is_total = self.total.isChecked()
        s.shape = self.shape.text().strip()
        s.colour = self.colour.text().strip()
        s.clarity = self.clarity.text().strip()
        s.growth_method = self.growth.text().strip() if self.growth.isEnabled() else ""
        s.supplier_id = self.supplier.currentData()
        s.acquired_on = self.acquired.text().strip()
        s.cost_minor = parse_or_error(
            errors, "cost_minor", units.money_to_minor, self.cost.text() or "0", self.currency
        )
        s.country_of_mining = country_value(self.mining)
        s.region_of_mining = self.region.text().strip().upper()
        s.mine_name = self.mine.text().strip()
        s.country_of_cutting = country_value(self.cutting)
        s.report_lab = self.lab.currentText().strip()
        s.report_no = self.report_no.text().strip().upper().replace(" ", "")
        s.report_date = self.report_date.text().strip()
        s.inscription = self.inscription.text().strip()
        s.kp_cert_no = self.kp.text().strip().upper()
        s.g7_cert_no = self.g7.text().strip()
        s.warranty = WarrantyStatement(self.warranty.currentData())
        s.grandfathered = self.grandfathered.isChecked()
        s.treatments = [t.strip().upper() for t in self.treatments.text().split(",") if t.strip()]
        s.treatment_permanent = self.permanent.isChecked()
        s.special_care = self.care.text().strip()
        if errors:
            raise ValidationError(errors)
        return s

    def save(self) -> None:
        stone = self.collect()
        if self.loose:
            self.saved_stone_id = inventory.save_loose_stone(self.shop, stone).id
            return
        probe = dataclasses.replace(stone, item_id=stone.item_id or "(in this piece)")
        errors = validate_stone(probe)
        if errors:
            raise ValidationError(errors)
