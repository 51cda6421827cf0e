"""The accountant's export: journals and registers as CSV or one XLSX workbook, plus
QuickBooks Online and Xero import files (DESIGN §5).

Money leaves as exact decimals made from minor units (never floats); masses in mg and fine
grams. Text that a spreadsheet would read as a formula (a leading ``= + - @``, tab, CR or LF)
is escaped with a leading apostrophe, in CSV and XLSX alike; numbers are written by this
module from integers, so a negative amount ("-125.00") is a number, never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from ..domain.model import (
    CLAIM_CLASS_LABELS,
    ITEM_STATUS_LABELS,
    METAL_LABELS,
    ORIGIN_TYPE_LABELS,
    label_of,
)
from ..domain.units import currency_exponent
from ..domain.validation import is_iso_date
from ..errors import Cancelled, StorageError, ValidationError
from ..store import audit
from ..store import exports as q
from ..store.files import write_atomic
from .shop import Shop

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Column kinds: how a value is written.
TEXT, DATE, MONEY, INT, GRAMS = "text", "date", "money", "int", "grams"


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text: a leading formula character gets an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def money(minor: int, currency: str) -> Decimal:
    """Exact decimal amount from minor units (JPY has none, BHD three)."""
    exp = currency_exponent(currency) if currency else 2
    return Decimal(minor).scaleb(-exp)


def grams(mg: int) -> Decimal:
    return Decimal(mg).scaleb(-3)


def fine_grams(mg: int, fineness_ppt: int) -> Decimal:
    """Pure metal content in grams, exact: mg × ‰ / 1000 / 1000 (three decimals, or up to
    six where the metal has them). Never rounded, so a ledger's fine columns add up across
    the row and from one period's closing to the next one's opening."""
    exact = (Decimal(mg) * fineness_ppt).scaleb(-6)
    three = exact.quantize(Decimal("0.001"))
    return three if three == exact else exact.quantize(Decimal("0.000001")).normalize()


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Table:
    name: str  # file stem and sheet title
    title: str  # sheet title (31 characters at most)
    columns: list[Column]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


# ----------------------------------------------------------------------------- the tables


def _describe(kind: str, desc: str) -> str:
    """Words for the coded descriptions the queries give loose stones and lots."""
    if "|" not in desc:
        return desc
    a, b = desc.split("|", 1)
    if kind == "metal lot":
        return f"{label_of(METAL_LABELS, a)}, {b.replace('_', ' ')}"
    return f"{label_of(ORIGIN_TYPE_LABELS, a).lower()} {b.replace('_', ' ')}"


def _status(kind: str, value: str) -> str:
    return label_of(CLAIM_CLASS_LABELS if kind == "metal lot" else ITEM_STATUS_LABELS, value)


def _d(day: str) -> date | None:
    try:
        return date.fromisoformat(day[:10]) if day else None
    except ValueError:
        return None


def sales_journal(shop: Shop, start: str, end: str) -> Table:
    def rows() -> Iterable[Sequence[Any]]:
        for kind, day, inv, sku, desc, cust, pay, price, tax, cur, reason in (
            r[:11] for r in q.sales_lines(shop.db, start, end)
        ):
            sign = -1 if kind == "return" else 1
            yield (
                _d(day),
                kind,
                inv,
                sku,
                desc,
                cust,
                pay,
                money(sign * price, cur),
                money(sign * tax, cur),
                money(sign * (price + tax), cur),
                cur,
                reason,
            )

    return Table(
        "sales_journal",
        "Sales journal",
        [
            Column("Date", DATE, 11),
            Column("Type", TEXT, 8),
            Column("Invoice", TEXT, 14),
            Column("SKU", TEXT, 10),
            Column("Description", TEXT, 48),
            Column("Customer", TEXT, 22),
            Column("Payment", TEXT, 12),
            Column("Net", MONEY, 12),
            Column("Tax", MONEY, 10),
            Column("Total", MONEY, 12),
            Column("Currency", TEXT, 9),
            Column("Return reason", TEXT, 24),
        ],
        rows(),
    )


def purchase_journal(shop: Shop, start: str, end: str) -> Table:
    def rows() -> Iterable[Sequence[Any]]:
        for day, kind, ref, desc, sup, country, status, cost, cur, mass, fine in q.purchases(
            shop.db, start, end
        ):
            yield (
                _d(day),
                kind,
                ref,
                _describe(kind, desc),
                sup,
                country,
                _status(kind, status),
                money(cost, cur or "") if cost is not None else None,
                cur or "",
                grams(mass) if mass is not None else None,
                fine,
                fine_grams(mass, fine) if mass is not None and fine else None,
            )

    return Table(
        "purchase_journal",
        "Purchase journal",
        [
            Column("Date", DATE, 11),
            Column("Type", TEXT, 11),
            Column("Reference", TEXT, 14),
            Column("Description", TEXT, 44),
            Column("Supplier", TEXT, 30),
            Column("Supplier country", TEXT, 8),
            Column("Status or claim", TEXT, 12),
            Column("Cost", MONEY, 12),
            Column("Currency", TEXT, 9),
            Column("Mass (g)", GRAMS, 10),
            Column("Fineness (‰)", INT, 9),
            Column("Fine metal (g)", GRAMS, 12),
        ],
        rows(),
    )


_VALUATION_COLUMNS = [
    Column("Type", TEXT, 11),
    Column("Reference", TEXT, 12),
    Column("Description", TEXT, 48),
    Column("Status", TEXT, 10),
    Column("Supplier", TEXT, 30),
    Column("Cost", MONEY, 12),
    Column("Retail price", MONEY, 12),
    Column("Currency", TEXT, 9),
    Column("Acquired", DATE, 11),
]


def _holding_row(r: Sequence[Any]) -> tuple[Any, ...]:
    kind, ref, desc, status, sup, cost, price, cur, acquired = r
    return (
        kind,
        ref,
        _describe(kind, desc),
        _status(kind, status),
        sup,
        money(cost, cur),
        money(price, cur),
        cur,
        _d(acquired),
    )


def inventory_valuation(shop: Shop, day: str) -> tuple[Table, Table]:
    """What the shop owned at the end of ``day``, and apart from it the memo goods it held for
    suppliers (not the shop's to value)."""
    held = [r for r in q.holdings_at(shop.db, day)]
    owned = (_holding_row(r) for r in held if r[3] != "memo_in")
    memo = (_holding_row(r) for r in held if r[3] == "memo_in")
    return (
        Table("inventory_valuation", f"Inventory at {day}", _VALUATION_COLUMNS, owned),
        Table("memo_goods_held", f"Memo goods at {day}", _VALUATION_COLUMNS, memo),
    )


def metal_ledger(shop: Shop, start: str, end: str) -> Table:
    def rows() -> Iterable[Sequence[Any]]:
        for (
            lot,
            metal,
            ppt,
            claim,
            refiner,
            opening,
            received,
            returned,
            drawn,
            lost,
        ) in q.lot_ledger(shop.db, start, end):
            closing = opening + received + returned - drawn - lost
            yield (
                lot,
                label_of(METAL_LABELS, metal),
                ppt,
                label_of(CLAIM_CLASS_LABELS, claim),
                refiner,
                opening,
                received + returned,
                drawn,
                lost,
                closing,
                fine_grams(opening, ppt),
                fine_grams(received + returned, ppt),
                fine_grams(drawn, ppt),
                fine_grams(lost, ppt),
                fine_grams(closing, ppt),
            )

    return Table(
        "metal_ledger",
        "Metal ledger",
        [
            Column("Lot", TEXT, 14),
            Column("Metal", TEXT, 10),
            Column("Fineness (‰)", INT, 9),
            Column("Claim", TEXT, 10),
            Column("Refiner", TEXT, 30),
            Column("Opening (mg)", INT, 12),
            Column("In (mg)", INT, 11),
            Column("Out (mg)", INT, 11),
            Column("Loss (mg)", INT, 10),
            Column("Closing (mg)", INT, 12),
            Column("Opening fine (g)", GRAMS, 12),
            Column("In fine (g)", GRAMS, 11),
            Column("Out fine (g)", GRAMS, 11),
            Column("Loss fine (g)", GRAMS, 11),
            Column("Closing fine (g)", GRAMS, 12),
        ],
        rows(),
    )


def memo_register(shop: Shop) -> Table:
    def rows() -> Iterable[Sequence[Any]]:
        for direction, sku, desc, party, country, cost, price, cur, since in q.memo_register(
            shop.db
        ):
            yield (
                direction,
                sku,
                desc,
                party,
                country,
                money(cost, cur),
                money(price, cur),
                cur,
                _d(since),
            )

    return Table(
        "memo_register",
        "Memo register (today)",
        [
            Column("Direction", TEXT, 9),
            Column("SKU", TEXT, 10),
            Column("Description", TEXT, 48),
            Column("Party", TEXT, 30),
            Column("Country", TEXT, 8),
            Column("Cost", MONEY, 12),
            Column("Retail price", MONEY, 12),
            Column("Currency", TEXT, 9),
            Column("Since", DATE, 11),
        ],
        rows(),
    )


# ----------------------------------------------------------------------------- import files

COUNTER_CUSTOMER = "Counter sale"

#: QuickBooks Online sales receipt import columns (the sales receipt form's field labels).
QBO_COLUMNS = [
    "Sales Receipt No",
    "Customer",
    "Sales Receipt Date",
    "Payment Method",
    "Memo",
    "Product/Service",
    "Product/Service Description",
    "Product/Service Quantity",
    "Product/Service Rate",
    "Product/Service Amount",
    "Product/Service Taxable",
    "Tax Amount",
    "Currency Code",
]

#: Xero's sales invoice import template, in its order (a leading * marks a required column).
XERO_COLUMNS = [
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
]
XERO_SALES_ACCOUNT = "200"  # "Sales" in Xero's default chart of accounts

#: QuickBooks Online refund receipt columns: the sales receipt's, named for the refund form.
QBO_REFUND_COLUMNS = [
    "Refund Receipt No",
    "Customer",
    "Refund Receipt Date",
    "Payment Method",
    "Memo",
    *QBO_COLUMNS[5:],
]
#: Xero's credit note import template: the invoice template with the credit note's number
#: and date in place of the invoice's (amounts positive: Xero credits them).
XERO_CREDIT_COLUMNS = [
    {"*InvoiceNumber": "*CreditNoteNumber", "*InvoiceDate": "*CreditNoteDate"}.get(c, c)
    for c in XERO_COLUMNS
]


def _lines(shop: Shop, start: str, end: str, kind: str) -> Iterable[Sequence[Any]]:
    return (r for r in q.sales_lines(shop.db, start, end) if r[0] == kind)


def credit_note_no(invoice_no: str, day: str) -> str:
    """The number of the refund for the pieces of one sale brought back on one day."""
    return f"CN-{invoice_no}-{day.replace('-', '')}"


def quickbooks_rows(shop: Shop, start: str, end: str) -> Iterable[list[str]]:
    """One line per piece sold (returns are in :func:`quickbooks_refund_rows`)."""
    yield from _quickbooks(shop, start, end, "sale")


def quickbooks_refund_rows(shop: Shop, start: str, end: str) -> Iterable[list[str]]:
    """One line per piece brought back, as a QuickBooks refund receipt (amounts positive);
    the memo names the sale it refunds and why."""
    yield from _quickbooks(shop, start, end, "return")


def _quickbooks(shop: Shop, start: str, end: str, kind: str) -> Iterable[list[str]]:
    for _k, day, inv, sku, desc, cust, pay, price, tax, cur, reason in (
        r[:11] for r in _lines(shop, start, end, kind)
    ):
        if kind == "sale":
            number, memo = inv, ""
        else:
            number = credit_note_no(inv, day)
            memo = f"Refund of sales receipt {inv}" + (f": {reason}" if reason else "")
        yield [
            number,
            cust or COUNTER_CUSTOMER,
            day,
            pay,
            memo,
            sku,
            desc,
            "1",
            str(money(price, cur)),
            str(money(price, cur)),
            "Y" if tax else "N",
            str(money(tax, cur)),
            cur,
        ]


def xero_credit_rows(shop: Shop, start: str, end: str) -> Iterable[list[str]]:
    """One line per piece brought back, as a Xero credit note (amounts positive; the
    reference is the invoice it credits)."""
    yield from _xero(shop, start, end, "return")


def xero_rows(shop: Shop, start: str, end: str) -> Iterable[list[str]]:
    yield from _xero(shop, start, end, "sale")


def _xero(shop: Shop, start: str, end: str, kind: str) -> Iterable[list[str]]:
    for _k, day, inv, sku, desc, cust, _pay, price, tax, cur, *_ in _lines(shop, start, end, kind):
        row = dict.fromkeys(XERO_COLUMNS, "")
        row.update(
            {
                "*ContactName": cust or COUNTER_CUSTOMER,
                "*InvoiceNumber": inv if kind == "sale" else credit_note_no(inv, day),
                "Reference": sku if kind == "sale" else inv,
                "*InvoiceDate": day,
                "*DueDate": day,  # paid at the counter
                "InventoryItemCode": sku,
                "*Description": desc,
                "*Quantity": "1",
                "*UnitAmount": str(money(price, cur)),
                "*AccountCode": XERO_SALES_ACCOUNT,
                "*TaxType": "Tax on Sales" if tax else "Tax Exempt",
                "TaxAmount": str(money(tax, cur)),
                "Currency": cur,
            }
        )
        yield list(row.values())


# ----------------------------------------------------------------------------- writing


def _cell_text(value: Any, kind: str) -> str:
    """A value as CSV text: ISO dates, plain decimals, escaped text."""
    if value is None:
        return ""
    if kind == DATE:
        return value.isoformat() if isinstance(value, date) else safe_text(str(value))
    if kind in (MONEY, GRAMS):
        return f"{value:f}" if isinstance(value, Decimal) else str(value)
    if kind == INT:
        return str(int(value))
    return safe_text(str(value))


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    kinds: Sequence[str] | None = None,
    bom: bool = True,
) -> bytes:
    """RFC 4180 CSV, UTF-8 (with a BOM so spreadsheets read accents right), CRLF."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([safe_text(h) for h in header])
    if kinds is None:
        w.writerows([safe_text(str(c)) for c in r] for r in rows)
    else:
        w.writerows([_cell_text(c, k) for c, k in zip(r, kinds, strict=True)] for r in rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


_FORMATS = {MONEY: "#,##0.00", GRAMS: "#,##0.000###", INT: "#,##0", DATE: "yyyy-mm-dd"}


def xlsx_bytes(tables: Sequence[Table], stamp: date) -> bytes:
    """One workbook, a sheet per table: typed cells, header frozen and bold, widths set."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    moment = datetime(stamp.year, stamp.month, stamp.day)
    wb.properties.created = moment
    wb.properties.modified = moment
    wb.properties.creator = "JewelerDesk"
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(table.title[:31].replace("/", "-").replace(":", "."))
        ws.freeze_panes = "A2"
        for i, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        header = []
        for col in table.columns:
            c = WriteOnlyCell(ws, value=safe_text(col.title))
            c.font = bold
            header.append(c)
        ws.append(header)
        kinds = [c.kind for c in table.columns]
        formats: list[str | None] = [_FORMATS.get(k) for k in kinds]
        for r in table.rows:
            cells: list[Any] = []
            for value, kind, fmt in zip(r, kinds, formats, strict=True):
                if kind == TEXT:
                    cells.append(safe_text(str(value)) if value not in (None, "") else None)
                elif kind == DATE or value is None:
                    cells.append(value)  # openpyxl gives a date its yyyy-mm-dd format itself
                else:
                    if kind == MONEY and isinstance(value, Decimal):
                        exp = value.as_tuple().exponent
                        if exp != -2:
                            fmt = "#,##0" if exp == 0 else "#,##0.000"
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = fmt
                    cells.append(cell)
            ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- the export


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    rows: dict[str, int]


def check_period(start: str, end: str) -> tuple[str, str]:
    """Both dates ISO days, the start not after the end; else the fields' problems."""
    errors = {}
    for name, value in (("from", start), ("to", end)):
        if not is_iso_date(value):
            errors[name] = f"The '{name}' date must look like 2026-01-31, not '{value}'."
    if not errors and start > end:
        errors["to"] = "The end of the period is before its start."
    if errors:
        raise ValidationError(errors)
    return start, end


class _Counted:
    """Counts the rows a table yields as it is written."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        self.rows, self.n = rows, 0

    def __iter__(self) -> Any:
        for r in self.rows:
            self.n += 1
            yield r


def _table_csv(t: Table) -> bytes:
    return csv_bytes([c.title for c in t.columns], t.rows, [c.kind for c in t.columns])


def _about_text(shop: Shop, start: str, end: str, names: list[str]) -> bytes:
    ident = shop.identity()
    entry, digest = audit.head(shop.db)
    lines = [
        "JewelerDesk accountant's export",
        "",
        f"Shop: {ident.name if ident else ''}",
        f"Period: {start} to {end}",
        f"Shop records log at export: entry {entry}, SHA-256 {digest}",
        "    (every change to the shop's records is appended to a hash-chained log; this entry's",
        "    hash fixes the whole history up to it, so a later rewrite cannot match it)",
        "",
        "Files:",
        *(f"    {n}" for n in names),
        "",
        "Pieces brought back are in the QuickBooks refund receipts and the Xero credit notes",
        "(amounts positive, as those programs expect); import them after the sales, and the",
        "books net to the sales journal.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def accountant_tables(shop: Shop, start: str, end: str) -> list[Table]:
    valuation, memo_goods = inventory_valuation(shop, end)
    return [
        sales_journal(shop, start, end),
        purchase_journal(shop, start, end),
        valuation,
        memo_goods,
        metal_ledger(shop, start, end),
        memo_register(shop),
    ]


def export_accountant(
    shop: Shop,
    out_dir: Path,
    start: str,
    end: str,
    fmt: str = "csv",
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write the accountant's files for ``start``..``end`` into ``out_dir``.

    ``csv``: one CSV per table; ``xlsx``: one workbook with a sheet per table. Both also get
    the QuickBooks Online and Xero import CSVs. Each file is written whole or not at all;
    ``progress(done, total)`` may raise ``Cancelled`` to stop, and then no file is left.
    """
    start, end = check_period(start, end)
    if fmt not in ("csv", "xlsx"):
        raise ValidationError({"format": "The format must be csv or xlsx."})
    tables = accountant_tables(shop, start, end)
    counted = [_Counted(t.rows) for t in tables]
    for t, c in zip(tables, counted, strict=True):
        t.rows = c
    outputs: list[tuple[str, Callable[[], bytes]]] = []
    suffix = f"{start}_{end}"
    if fmt == "csv":
        for t in tables:
            outputs.append(
                (
                    f"{t.name}_{suffix}.csv",
                    partial(_table_csv, t),
                )
            )
    else:
        outputs.append(
            (f"accounts_{suffix}.xlsx", lambda: xlsx_bytes(tables, date.fromisoformat(end)))
        )
    outputs.append(
        (
            f"quickbooks_sales_receipts_{suffix}.csv",
            lambda: csv_bytes(QBO_COLUMNS, quickbooks_rows(shop, start, end), bom=False),
        )
    )
    outputs.append(
        (
            f"quickbooks_refund_receipts_{suffix}.csv",
            lambda: csv_bytes(
                QBO_REFUND_COLUMNS, quickbooks_refund_rows(shop, start, end), bom=False
            ),
        )
    )
    outputs.append(
        (
            f"xero_sales_invoices_{suffix}.csv",
            lambda: csv_bytes(XERO_COLUMNS, xero_rows(shop, start, end), bom=False),
        )
    )
    outputs.append(
        (
            f"xero_credit_notes_{suffix}.csv",
            lambda: csv_bytes(XERO_CREDIT_COLUMNS, xero_credit_rows(shop, start, end), bom=False),
        )
    )
    about = _about_text(shop, start, end, [name for name, _ in outputs])
    outputs.append((f"about_{suffix}.txt", lambda: about))
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for i, (name, make) in enumerate(outputs):
            if progress:
                progress(i, len(outputs))
            written.append(write_atomic(out_dir / name, make()))
    except Cancelled:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    except OSError as exc:
        for p in written:
            p.unlink(missing_ok=True)
        raise StorageError(
            f"The export could not be written to {out_dir}: {exc.strerror or exc}. "
            "Nothing was left half-written."
        ) from exc
    if progress:
        progress(len(outputs), len(outputs))
    return ExportResult(written, {t.name: c.n for t, c in zip(tables, counted, strict=True)})
