"""Selling pieces and taking them back. A sale records a retail-selling custody event (the
shop hands the piece to its customer); a return is a new event and a new row, never an edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.custody import Confidence, CustodyEvent, EventSubject, Hop
from ..domain.gaps import Severity
from ..domain.model import Item, ItemStatus
from ..domain.sales import PAYMENT_METHODS, Sale, SaleLine
from ..domain.validation import is_iso_date, is_iso_moment
from ..errors import Conflict, CriticalGaps, NotFound, ValidationError
from ..store import backfill, events, records
from ..store import sales as store
from . import custody
from .shop import Shop

SELLABLE = (ItemStatus.IN_STOCK, ItemStatus.RETURNED, ItemStatus.MEMO_OUT)


@dataclass
class SaleRequest:
    skus: list[str]
    prices_minor: dict[str, int] | None = None  # by SKU; default: the piece's price
    tax_minor: dict[str, int] | None = None
    payment_method: str = "card"
    customer_name: str = ""
    customer_contact: str = ""
    invoice_no: str = ""  # default: the next number
    day: str = ""  # ISO date; default: now
    #: sell even though a piece has an open critical gap (the sale records that it was)
    despite_critical_gaps: bool = False


def critical_gaps(shop: Shop, items: list[Item]) -> list[str]:
    """'SKU: title' of each open critical gap of these pieces."""
    return [
        f"{p.sku}: {g.title}"
        for p in custody.gaps_for_items(shop, [i.id for i in items])
        for g in p.gaps
        if g.severity == Severity.CRITICAL
    ]


def _now() -> tuple[str, str]:
    now = datetime.now().astimezone()
    stamp = now.isoformat(timespec="seconds")
    return stamp, stamp[:19]


def sell(shop: Shop, req: SaleRequest) -> Sale:
    """Sell one or more pieces in one transaction."""
    ident = shop.identity()
    if ident is None:
        raise ValidationError({"shop": "Set up the shop's name and address before selling."})
    if not req.skus:
        raise ValidationError({"sku": "Choose at least one piece to sell."})
    errors: dict[str, str] = {}
    if req.payment_method not in PAYMENT_METHODS:
        errors["payment_method"] = f"Payment must be one of: {', '.join(PAYMENT_METHODS)}."
    if req.day and not (is_iso_date(req.day) or is_iso_moment(req.day)):
        errors["day"] = "The sale date must look like 2026-11-25."
    elif req.day and req.day[:10] > datetime.now().astimezone().date().isoformat():
        errors["day"] = "The sale date cannot be after today."
    invoice = req.invoice_no.strip()
    if invoice and store.invoice_taken(shop.db, invoice):
        errors["invoice_no"] = f"Invoice {invoice} is already used by another sale."
    items = sellable(shop, req.skus)
    lines = []
    for item in items:
        price = (req.prices_minor or {}).get(item.sku, item.price_minor)
        tax = (req.tax_minor or {}).get(item.sku, 0)
        if price < 0 or tax < 0:
            errors["price"] = "Prices and tax cannot be negative."
        lines.append(SaleLine(item.id, price, tax))
    currencies = {i.currency for i in items}
    if len(currencies) > 1:
        errors["currency"] = "These pieces are priced in different currencies; sell them apart."
    if errors:
        raise ValidationError(errors)
    critical = critical_gaps(shop, items)
    if critical and not req.despite_critical_gaps:
        raise CriticalGaps(
            f"Not sold: {'; '.join(critical)}. A critical gap means the piece may not be lawful "
            "to sell; resolve it first (see the piece's gaps).",
            critical,
        )
    stamp, local = _now()
    sold_at = f"{req.day}T12:00:00{stamp[19:]}" if req.day else stamp
    with shop.db.atomic():
        shop_pid = backfill.ensure_shop_party(shop.db, ident)
        sale = Sale(
            invoice_no=invoice or store.next_invoice_no(shop.db, ident.certificate_prefix + "S"),
            sold_at=sold_at,
            currency=currencies.pop(),
            lines=lines,
            payment_method=req.payment_method,
            customer_name=req.customer_name.strip(),
            customer_contact=req.customer_contact.strip(),
        )
        event = CustodyEvent(
            Hop.SOLD,
            sold_at[:19] if req.day else local,
            Confidence.DOCUMENTED,
            [EventSubject("subject", "item", i.id, 1, "ea") for i in items],
            tz_offset=backfill.local_offset(),
            source_owner_id=shop_pid,
            location_country=ident.country,
            biz_transactions=[("inv", sale.invoice_no)],
            note="Sold to a customer"
            + (f", despite open critical gaps ({'; '.join(critical)})" if critical else ""),
        )
        events.insert_event(shop.db, event)
        sale.event_id = event.id
        store.insert_sale(shop.db, sale)
        for item in items:
            records.set_item_status(shop.db, item.id, ItemStatus.SOLD)
    return sale


def return_sale(shop: Shop, sku: str, reason: str) -> None:
    """Take a sold piece back: a receiving event from the customer, the piece back in stock."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the piece came back."})
    item_id = records.find_item_id_by_sku(shop.db, sku)
    if item_id is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    sale = store.open_sale_for_item(shop.db, item_id)
    if sale is None:
        raise Conflict(f"{sku} has no sale to return.")
    ident = shop.identity()
    stamp, local = _now()
    with shop.db.atomic():
        shop_pid = backfill.ensure_shop_party(shop.db, ident) if ident else None
        event = CustodyEvent(
            Hop.RETURNED,
            local,
            Confidence.DOCUMENTED,
            [EventSubject("subject", "item", item_id, 1, "ea")],
            tz_offset=backfill.local_offset(),
            dest_owner_id=shop_pid,
            location_country=ident.country if ident else "",
            biz_transactions=[("inv", sale.invoice_no)],
            note=reason.strip(),
        )
        events.insert_event(shop.db, event)
        store.insert_return(shop.db, sale.id, item_id, stamp, reason.strip(), event.id)
        records.set_item_status(shop.db, item_id, ItemStatus.RETURNED)


def sale_of(shop: Shop, item_id: str) -> Sale | None:
    return store.open_sale_for_item(shop.db, item_id)


def next_invoice_no(shop: Shop) -> str:
    """The invoice number a sale gets when none is typed."""
    ident = shop.identity()
    prefix = ident.certificate_prefix if ident else "JD"
    return store.next_invoice_no(shop.db, prefix + "S")


def sellable(shop: Shop, skus: list[str]) -> list[Item]:
    """The pieces named, each checked that it can be sold now (the sale dialog's list)."""
    out = []
    for sku in dict.fromkeys(s.strip() for s in skus):
        item_id = records.find_item_id_by_sku(shop.db, sku)
        item = records.get_item(shop.db, item_id) if item_id else None
        if item is None:
            raise NotFound(f"No piece has the stock number '{sku}'.")
        if item.status not in SELLABLE:
            raise Conflict(f"{sku} cannot be sold: it is {item.status.value.replace('_', ' ')}.")
        out.append(item)
    return out
