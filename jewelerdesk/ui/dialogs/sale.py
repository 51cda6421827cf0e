"""Selling at the counter: the pieces, their prices and tax, how the customer paid, the invoice.

The customer's name is optional and printed on the certificate only if it is entered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from jewelerdesk.domain import units
from jewelerdesk.domain.model import Item
from jewelerdesk.domain.sales import PAYMENT_METHODS, Sale
from jewelerdesk.errors import CriticalGaps, ValidationError
from jewelerdesk.services import certificates, sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.dialogs.common import PENDING, RecordDialog, combo, form, line, money_text

PRICE_COL, TAX_COL = 2, 3


class SaleDialog(RecordDialog):
    """Sell the pieces given (already checked sellable by ``sales.sellable``)."""

    def __init__(self, shop: Shop, items: list[Item], parent: QWidget | None = None):
        title = f"Sell {items[0].sku}" if len(items) == 1 else f"Sell {len(items)} pieces"
        super().__init__(title, parent)
        self.shop = shop
        self.items = items
        self.currency = items[0].currency if items else "USD"
        self.sale: Sale | None = None

        self.lines = QTableWidget(len(items), 4)
        self.lines.setHorizontalHeaderLabels(
            ["SKU", "Description", f"Price ({self.currency})", f"Tax ({self.currency})"]
        )
        self.lines.verticalHeader().setVisible(False)
        self.lines.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.lines.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.SelectedClicked
        )
        for row, item in enumerate(items):
            for col, text in enumerate(
                [item.sku, item.description, money_text(item.price_minor, item.currency), ""]
            ):
                cell = QTableWidgetItem(text)
                if col < PRICE_COL:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                else:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if col == 1:
                    cell.setToolTip(item.description)
                self.lines.setItem(row, col, cell)
        header = self.lines.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        fm = self.fontMetrics()
        header.resizeSection(0, fm.horizontalAdvance("M") * 8)
        for col in (PRICE_COL, TAX_COL):
            header.resizeSection(col, fm.horizontalAdvance("M") * 9)
        self.lines.setWordWrap(False)
        self.lines.setAlternatingRowColors(True)
        row_h = self.lines.verticalHeader().defaultSectionSize()
        frame = 2 * self.lines.frameWidth() + header.sizeHint().height()
        self.lines.setFixedHeight(frame + row_h * min(max(len(items), 1), 6) + 2)
        self.lines.itemChanged.connect(lambda _c: self._update_total())
        self.body.addWidget(self.lines)

        self.total = QLabel()
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.total.setStyleSheet("font-weight: 600; padding: 2px 4px;")
        self.body.addWidget(self.total)

        f = form()
        self.payment = combo([(m, m.capitalize()) for m in PAYMENT_METHODS], "card")
        self.invoice = line(
            sales.next_invoice_no(shop),
            tooltip="The shop's invoice or receipt number; each may be used once.",
        )
        self.day = QDateEdit(QDate.currentDate(), calendarPopup=True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        self.customer = line(placeholder="Optional — printed on the certificate only if entered")
        self.contact = line(placeholder="Optional — phone or e-mail, kept in the shop's records")
        f.addRow("Payment", self.payment)
        f.addRow("Invoice no.", self.invoice)
        f.addRow("Sale date", self.day)
        f.addRow("Customer", self.customer)
        f.addRow("Contact", self.contact)
        self.body.addLayout(f)
        self.certificate_after = QCheckBox("Prepare the certificate after the sale")
        self.certificate_after.setChecked(True)
        self.body.addWidget(self.certificate_after)

        self.fields = {
            "price": self.lines,
            "payment_method": self.payment,
            "invoice_no": self.invoice,
            "day": self.day,
            "currency": self.lines,
            "sku": self.lines,
        }
        self.buttons.button(self.buttons.StandardButton.Ok).setText("Record sale")
        self._update_total()
        # While the sale is typed, load what the certificate needs (about a second, once).
        tasks.run_task(shop, certificates.warm_up, lambda _r: None, lambda _e, _tb: None)
        self.resize(max(620, self.sizeHint().width()), self.sizeHint().height())

    # ------------------------------------------------------------------ amounts
    def _amounts(
        self, errors: dict[str, str] | None = None
    ) -> tuple[dict[str, int], dict[str, int]]:
        prices: dict[str, int] = {}
        taxes: dict[str, int] = {}
        for row, item in enumerate(self.items):
            for col, into, what in ((PRICE_COL, prices, "price"), (TAX_COL, taxes, "tax")):
                cell = self.lines.item(row, col)
                text = cell.text().strip() if cell else ""
                try:
                    into[item.sku] = units.money_to_minor(text or "0", self.currency)
                except ValueError as exc:
                    if errors is not None:
                        errors["price"] = f"{item.sku}, {what}: {exc}"
                    into[item.sku] = 0
        return prices, taxes

    def _update_total(self) -> None:
        errors: dict[str, str] = {}
        prices, taxes = self._amounts(errors)
        if errors:
            self.total.setText("Total: —")
            return
        total = sum(prices.values()) + sum(taxes.values())
        tax = sum(taxes.values())
        self.total.setText(
            f"Total {units.format_money(total, self.currency)}"
            + (f" (incl. tax {units.format_money(tax, self.currency)})" if tax else "")
        )

    def save(self) -> Any:
        errors: dict[str, str] = {}
        prices, taxes = self._amounts(errors)
        if errors:
            raise ValidationError(errors)
        day = self.day.date().toString("yyyy-MM-dd")
        today = QDate.currentDate().toString("yyyy-MM-dd")
        request = sales.SaleRequest(
            skus=[i.sku for i in self.items],
            prices_minor=prices,
            tax_minor=taxes,
            payment_method=str(self.payment.currentData()),
            customer_name=self.customer.text(),
            customer_contact=self.contact.text(),
            invoice_no=self.invoice.text(),
            day="" if day == today else day,
        )
        try:
            self.sale = sales.sell(self.shop, request)
        except CriticalGaps as exc:
            listed = "\n".join(f"• {p}" for p in exc.problems)
            if not messages.ask(
                self,
                "A critical gap is open",
                f"{listed}\n\nA critical gap means the piece may not be lawful to sell (a "
                "sanctions match, a diamond mined in Russia...). Resolve it first from the "
                "piece's gaps.\n\nSell it anyway? The sale will record that it was made "
                "despite the gap.",
                default_yes=False,
            ):
                return PENDING
            self.sale = sales.sell(self.shop, replace(request, despite_critical_gaps=True))
        return None
