"""The shop's identity: asked for on first run, editable later. It is printed on every
certificate and export, so it is validated like any other record."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from jewelerdesk.domain.model import ShopIdentity
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.dialogs.common import (
    RecordDialog,
    combo,
    country_combo,
    country_value,
    form,
    line,
)

CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "AED", "HKD", "SGD", "ZAR"]


class SettingsDialog(RecordDialog):
    def __init__(self, shop: Shop, parent: QWidget | None = None, first_run: bool = False):
        super().__init__("Welcome to JewelerDesk" if first_run else "Shop settings", parent)
        self.shop = shop
        self.first_run = first_run
        ident = shop.identity() or ShopIdentity(name="", address="", country="")
        self.logo_sha = ident.logo_sha256
        if first_run:
            intro = QLabel(
                "<h3>Tell JewelerDesk about your shop</h3>"
                "<p>Your shop's name, address and contact details are printed on every customer "
                "certificate and export. You can change them later under <i>File › Shop settings</i>.</p>"
            )
            intro.setWordWrap(True)
            self.body.addWidget(intro)
        f = form()
        self.name = line(ident.name, "e.g. Harbour Lane Jewellers")
        self.address = QPlainTextEdit(ident.address)
        self.address.setPlaceholderText("Street, town, postcode")
        self.address.setFixedHeight(64)
        self.country = country_combo(ident.country, allow_empty=True)
        self.phone = line(ident.phone, "+1 603 555 0142")
        self.email = line(ident.email, "counter@yourshop.example")
        self.prefix = line(
            ident.certificate_prefix or "JD",
            "e.g. HLJ",
            "Certificates are numbered PREFIX-YEAR-NUMBER.",
        )
        self.prefix.setMaxLength(8)
        self.currency = combo([(c, c) for c in CURRENCIES], ident.currency or "USD", editable=True)
        self.paper = combo([("Letter", "US Letter"), ("A4", "A4")], ident.paper_size or "Letter")
        logo_row = QHBoxLayout()
        self.logo_preview = QLabel("No logo")
        self.logo_preview.setFixedSize(96, 48)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border: 1px solid palette(mid); color: palette(mid);")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_logo)
        self.clear_logo_btn = clear = QPushButton("Remove")
        clear.clicked.connect(self.clear_logo)
        logo_row.addWidget(self.logo_preview)
        logo_row.addWidget(choose)
        logo_row.addWidget(clear)
        logo_row.addStretch(1)
        f.addRow("Shop name", self.name)
        f.addRow("Address", self.address)
        f.addRow("Country", self.country)
        f.addRow("Phone", self.phone)
        f.addRow("E-mail", self.email)
        f.addRow("Logo (optional)", logo_row)
        f.addRow("Certificate prefix", self.prefix)
        f.addRow("Currency", self.currency)
        f.addRow("Paper size", self.paper)
        self.body.addLayout(f)
        self.fields = {
            "name": self.name,
            "address": self.address,
            "country": self.country,
            "phone": self.phone,
            "email": self.email,
            "certificate_prefix": self.prefix,
            "currency": self.currency,
            "paper_size": self.paper,
        }
        self._show_logo()
        self.setMinimumWidth(560)

    def choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Shop logo", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.set_logo(Path(path))

    def set_logo(self, path: Path) -> None:
        if QPixmap(str(path)).isNull():
            self.error_line.setText(f"'{path.name}' is not an image JewelerDesk can read.")
            self.error_line.show()
            return
        self.logo_sha, _size = self.shop.files.put(path)
        self._show_logo()

    def clear_logo(self) -> None:
        self.logo_sha = ""
        self._show_logo()

    def _show_logo(self) -> None:
        if hasattr(self, "clear_logo_btn"):  # nothing to remove without a logo
            self.clear_logo_btn.setEnabled(bool(self.logo_sha))
        if self.logo_sha and self.shop.files.exists(self.logo_sha):
            pix = QPixmap(str(self.shop.files.path_for(self.logo_sha)))
            self.logo_preview.setPixmap(
                pix.scaled(
                    92,
                    44,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.clear()
            self.logo_preview.setText("No logo")

    def identity(self) -> ShopIdentity:
        return ShopIdentity(
            name=self.name.text().strip(),
            address=self.address.toPlainText().strip(),
            country=country_value(self.country),
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            logo_sha256=self.logo_sha,
            certificate_prefix=self.prefix.text().strip().upper(),
            currency=self.currency.currentText().strip().upper(),
            paper_size=str(self.paper.currentData()),
        )

    def save(self) -> None:
        inventory.save_shop_identity(self.shop, self.identity())
