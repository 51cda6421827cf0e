"""A supplier, mine, refiner, lab or other party, with its trade identifiers."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QPlainTextEdit, QTabWidget, QWidget

from jewelerdesk.domain.model import PARTY_KIND_LABELS, Party, PartyKind, SubjectKind
from jewelerdesk.domain.validation import validate_party
from jewelerdesk.errors import JewelerDeskError, ValidationError
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.dialogs.common import (
    PENDING,
    RecordDialog,
    combo,
    country_combo,
    country_value,
    form,
    line,
)


class PartyDialog(RecordDialog):
    def __init__(self, shop: Shop, party_id: str | None = None, parent: QWidget | None = None):
        super().__init__("Edit party" if party_id else "New party", parent)
        self.shop = shop
        self.party = (
            inventory.get_party(shop, party_id) if party_id else Party("", PartyKind.SUPPLIER, "")
        )
        self.saved_party_id: str | None = None
        self.saving = False
        p = self.party
        tabs = QTabWidget()
        details = QWidget()
        f = form()
        details.setLayout(f)
        self.legal_name = line(p.legal_name, "Registered company name")
        self.kind = combo([(str(k), PARTY_KIND_LABELS[k]) for k in PartyKind], str(p.kind))
        self.country = country_combo(p.country)
        self.address = QPlainTextEdit(p.address)
        self.address.setFixedHeight(56)
        self.contact = line(p.contact, "Phone, e-mail, contact person's role")
        self.tax_id = line(p.tax_id, "VAT / EIN / GST number")
        self.notes = QPlainTextEdit(p.notes)
        self.notes.setFixedHeight(56)
        f.addRow("Legal name", self.legal_name)
        f.addRow("Role", self.kind)
        f.addRow("Country", self.country)
        f.addRow("Address", self.address)
        f.addRow("Contact", self.contact)
        f.addRow("Tax id", self.tax_id)
        f.addRow("Notes", self.notes)
        tabs.addTab(details, "Details")

        ids = QWidget()
        g = form()
        ids.setLayout(g)
        self.rmi_cid = line(
            p.rmi_cid, "CID002030", "Responsible Minerals Initiative smelter/refiner id"
        )
        self.rjc_member = line(p.rjc_member_no, "", "Responsible Jewellery Council member number")
        self.rjc_coc = line(p.rjc_coc_cert_no, "", "RJC Chain-of-Custody certificate number")
        self.rjc_expiry = line(p.rjc_coc_expiry, "YYYY-MM-DD")
        self.lbma = QCheckBox("On the LBMA Good Delivery list")
        self.lbma.setChecked(p.lbma_good_delivery)
        self.wdc = QCheckBox("Registered with the WDC System of Warranties")
        self.wdc.setChecked(p.wdc_sow_registered)
        g.addRow("RMI smelter id", self.rmi_cid)
        g.addRow("RJC member no.", self.rjc_member)
        g.addRow("RJC CoC certificate", self.rjc_coc)
        g.addRow("CoC certificate expires", self.rjc_expiry)
        g.addRow("", self.lbma)
        g.addRow("", self.wdc)
        tabs.addTab(ids, "Trade identifiers")

        from jewelerdesk.ui.widgets.documents import DocumentsPanel

        self.documents = DocumentsPanel(shop, SubjectKind.PARTY, party_id)
        tabs.addTab(self.documents, "Paperwork")
        self.body.addWidget(tabs)
        self.fields = {
            "legal_name": self.legal_name,
            "kind": self.kind,
            "country": self.country,
            "rmi_cid": self.rmi_cid,
            "rjc_coc_expiry": self.rjc_expiry,
        }
        self.resize(620, 460)

    def save(self) -> object:
        p = self.party
        p.legal_name = self.legal_name.text()
        p.kind = PartyKind(self.kind.currentData())
        p.country = country_value(self.country)
        p.address = self.address.toPlainText().strip()
        p.contact = self.contact.text().strip()
        p.tax_id = self.tax_id.text().strip()
        p.notes = self.notes.toPlainText().strip()
        p.rmi_cid = self.rmi_cid.text()
        p.rjc_member_no = self.rjc_member.text().strip()
        p.rjc_coc_cert_no = self.rjc_coc.text().strip()
        p.rjc_coc_expiry = self.rjc_expiry.text().strip()
        p.lbma_good_delivery = self.lbma.isChecked()
        p.wdc_sow_registered = self.wdc.isChecked()
        errors = validate_party(p)
        if errors:
            raise ValidationError(errors)
        # Renaming a party re-indexes every piece that names it (seconds in a large shop),
        # so the save itself runs in the background while the dialog shows it is busy.
        self.saving = True
        self.buttons.setEnabled(False)
        self.error_line.setStyleSheet("color: palette(mid); padding: 4px 2px;")
        self.error_line.setText("Saving…")
        self.error_line.show()
        tasks.run_task(
            self.shop, lambda shop: inventory.save_party(shop, p).id, self._saved, self._failed
        )
        return PENDING

    def reject(self) -> None:
        if not self.saving:  # closing mid-save would hide whether it was saved
            super().reject()

    def _saved(self, party_id: str) -> None:
        self.saving = False
        self.saved_party_id = party_id
        QDialog.accept(self)

    def _failed(self, exc: BaseException, _tb: str) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        self.error_line.setStyleSheet("color: #b03a2e; padding: 4px 2px;")
        if isinstance(exc, ValidationError):
            messages.show_field_errors(self.fields, exc.errors, self.error_line)
        elif isinstance(exc, JewelerDeskError):
            messages.show_field_errors(
                self.fields, {exc.field or "_": exc.message}, self.error_line
            )
        else:
            self.error_line.hide()
            messages.show_error(self, exc)
