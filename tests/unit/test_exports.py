"""The accountant's export against a real shop: totals reconcile with the sales and the metal
movements, XLSX keeps its types, nothing can be read as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from jewelerdesk.errors import StorageError, ValidationError
from jewelerdesk.services import exports, inventory, sales
from jewelerdesk.services.shop import Shop

TODAY = date.today().isoformat()
YEAR_START = f"{date.today().year}-01-01"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def one(files: list[Path], stem: str) -> Path:
    found = [p for p in files if p.name.startswith(stem)]
    assert len(found) == 1, (stem, [p.name for p in files])
    return found[0]


@pytest.fixture
def sold(demo_shop: Shop) -> Shop:
    """Three sales on known days, one line returned."""
    sales.sell(
        demo_shop,
        sales.SaleRequest(["R-0001", "E-0003"], tax_minor={"R-0001": 61480}, day="2026-03-02"),
    )
    sales.sell(
        demo_shop,
        sales.SaleRequest(["P-0006"], prices_minor={"P-0006": 14999}, day="2026-06-30"),
    )
    sales.sell(demo_shop, sales.SaleRequest(["R-0007"], day="2026-07-01"))
    sales.return_sale(demo_shop, "E-0003", "Wrong size")
    return demo_shop


def test_sales_journal_totals_reconcile_with_the_sales(sold: Shop, tmp_path: Path) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", TODAY, "csv")
    rows = read_csv(one(result.files, "sales_journal"))
    assert [r["Type"] for r in rows].count("sale") == 4
    assert [r["Type"] for r in rows].count("return") == 1
    r1 = inventory.get_item_by_sku(sold, "R-0001")
    e3 = inventory.get_item_by_sku(sold, "E-0003")
    r7 = inventory.get_item_by_sku(sold, "R-0007")
    expected = Decimal(r1.price_minor + 61480 + e3.price_minor + 14999 + r7.price_minor) / 100
    expected -= Decimal(e3.price_minor) / 100  # the return
    assert sum(Decimal(r["Total"]) for r in rows) == expected
    assert sum(Decimal(r["Tax"]) for r in rows) == Decimal("614.80")
    ret = next(r for r in rows if r["Type"] == "return")
    assert ret["SKU"] == "E-0003" and Decimal(ret["Net"]) == -Decimal(e3.price_minor) / 100
    assert ret["Return reason"] == "Wrong size"
    assert result.rows["sales_journal"] == 5


def test_the_period_bounds_are_inclusive(sold: Shop, tmp_path: Path) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-06-30", "2026-06-30", "csv")
    rows = read_csv(one(result.files, "sales_journal"))
    assert [(r["Date"], r["SKU"]) for r in rows] == [("2026-06-30", "P-0006")]
    with pytest.raises(ValidationError):
        exports.export_accountant(sold, tmp_path, "2026-07-01", "2026-06-30", "csv")
    with pytest.raises(ValidationError):
        exports.export_accountant(sold, tmp_path, "2026-02-30", "2026-06-30", "csv")


def test_metal_ledger_reconciles_with_the_lot_movements(sold: Shop, tmp_path: Path) -> None:
    lot = next(x for x in inventory.all_lots(sold) if x.lot_no == "AU750-W-2602")
    inventory.record_loss(sold, lot.id, 125, "polishing dust")
    ring = inventory.get_item_by_sku(sold, "R-0011")  # remade lighter: metal goes back to the lot
    ring.metals[0].mass_mg -= 500
    inventory.save_item(sold, ring)
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", TODAY, "csv")
    rows = {r["Lot"]: r for r in read_csv(one(result.files, "metal_ledger"))}
    assert set(rows) == {x.lot_no for x in inventory.all_lots(sold)}
    for x in inventory.all_lots(sold):
        r = rows[x.lot_no]
        opening, moved_in, out, loss, closing = (
            int(r[k]) for k in ("Opening (mg)", "In (mg)", "Out (mg)", "Loss (mg)", "Closing (mg)")
        )
        assert opening + moved_in - out - loss == closing
        assert closing == inventory.lot_balance_mg(sold, x.id)
        assert Decimal(r["Closing fine (g)"]) == Decimal(closing) * x.fineness_ppt / 10**6
    assert int(rows["AU750-W-2602"]["Loss (mg)"]) == 125
    moves = inventory.lot_movements(sold, lot.id)
    assert any(m.kind == "return" for m in moves)
    # the same ledger from a later start: what came before is the opening balance
    later = exports.export_accountant(sold, tmp_path / "later", TODAY, TODAY, "csv")
    after = {r["Lot"]: r for r in read_csv(one(later.files, "metal_ledger"))}
    r = after["AU750-W-2602"]
    assert int(r["Opening (mg)"]) + int(r["In (mg)"]) - int(r["Out (mg)"]) - int(
        r["Loss (mg)"]
    ) == int(rows["AU750-W-2602"]["Closing (mg)"])


def test_inventory_valuation_at_a_date_and_memo_goods_apart(sold: Shop, tmp_path: Path) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", "2026-06-30", "csv")
    held = {r["Reference"]: r for r in read_csv(one(result.files, "inventory_valuation"))}
    memo = {r["Reference"] for r in read_csv(one(result.files, "memo_goods_held"))}
    assert "R-0007" in held  # sold on 2026-07-01, after the date
    assert "R-0001" not in held and "P-0006" not in held  # sold by then
    assert "R-0019" in memo and "R-0019" not in held  # a supplier's goods on memo
    assert all(r["Status"] != "On memo (in)" for r in held.values())
    now = exports.export_accountant(sold, tmp_path / "now", "2026-01-01", TODAY, "csv")
    held_now = {r["Reference"] for r in read_csv(one(now.files, "inventory_valuation"))}
    assert "E-0003" in held_now  # returned, so held again
    assert "R-0007" not in held_now


def test_xlsx_has_the_csv_columns_with_types_kept(sold: Shop, tmp_path: Path) -> None:
    as_csv = exports.export_accountant(sold, tmp_path / "c", "2026-01-01", TODAY, "csv")
    as_xlsx = exports.export_accountant(sold, tmp_path / "x", "2026-01-01", TODAY, "xlsx")
    book = one(as_xlsx.files, "accounts_")
    wb = load_workbook(book)
    assert [ws.title for ws in wb.worksheets][:2] == ["Sales journal", "Purchase journal"]
    ws = wb["Sales journal"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    header = [c.value for c in ws[1]]
    csv_rows = read_csv(one(as_csv.files, "sales_journal"))
    assert header == list(csv_rows[0].keys())
    first = [c for c in ws[2]]
    assert isinstance(first[0].value, datetime) and first[0].number_format == "yyyy-mm-dd"
    total_col = header.index("Total")
    assert first[total_col].data_type == "n"
    xlsx_total = sum(Decimal(str(row[total_col].value)) for row in ws.iter_rows(min_row=2))
    assert xlsx_total == sum(Decimal(r["Total"]) for r in csv_rows)
    assert ws.max_row - 1 == len(csv_rows)
    ledger = wb["Metal ledger"]
    assert all(isinstance(c.value, int) for c in ledger[2][5:10])
    assert as_xlsx.rows == as_csv.rows


def test_quickbooks_and_xero_files_use_their_import_columns(sold: Shop, tmp_path: Path) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", TODAY, "csv")
    qbo = one(result.files, "quickbooks_sales_receipts")
    xero = one(result.files, "xero_sales_invoices")
    assert not qbo.read_bytes().startswith(b"\xef\xbb\xbf")  # import files without a BOM
    qrows = read_csv(qbo)
    assert list(qrows[0].keys()) == exports.QBO_COLUMNS
    assert len(qrows) == 4  # sales only; the return is a refund in QuickBooks
    r1 = next(r for r in qrows if r["Product/Service"] == "R-0001")
    assert r1["Tax Amount"] == "614.80" and r1["Product/Service Taxable"] == "Y"
    assert r1["Customer"] == exports.COUNTER_CUSTOMER
    xrows = read_csv(xero)
    assert list(xrows[0].keys()) == exports.XERO_COLUMNS
    assert {r["*InvoiceNumber"] for r in xrows} == {r["Sales Receipt No"] for r in qrows}
    assert all(r["*AccountCode"] and r["*TaxType"] for r in xrows)


def test_returns_go_to_quickbooks_and_xero_as_refunds_so_the_books_net_to_the_journal(
    sold: Shop, tmp_path: Path
) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", TODAY, "csv")
    journal = read_csv(one(result.files, "sales_journal"))
    net = sum(Decimal(r["Total"]) for r in journal)
    [returned] = [r for r in journal if r["Type"] == "return"]

    qbo = read_csv(one(result.files, "quickbooks_sales_receipts"))
    refunds = read_csv(one(result.files, "quickbooks_refund_receipts"))
    assert list(refunds[0].keys()) == exports.QBO_REFUND_COLUMNS
    [refund] = refunds
    assert refund["Product/Service"] == "E-0003" and "Wrong size" in refund["Memo"]
    assert returned["Invoice"] in refund["Memo"]  # names the receipt it refunds

    def qbo_total(rows: list[dict[str, str]]) -> Decimal:
        return sum(Decimal(r["Product/Service Amount"]) + Decimal(r["Tax Amount"]) for r in rows)

    assert qbo_total(qbo) - qbo_total(refunds) == net

    xero = read_csv(one(result.files, "xero_sales_invoices"))
    credits = read_csv(one(result.files, "xero_credit_notes"))
    assert list(credits[0].keys()) == exports.XERO_CREDIT_COLUMNS
    assert "*CreditNoteNumber" in credits[0] and "*CreditNoteDate" in credits[0]
    [credit] = credits
    assert credit["Reference"] == returned["Invoice"] and Decimal(credit["*UnitAmount"]) > 0
    assert credit["*CreditNoteNumber"] not in {r["*InvoiceNumber"] for r in xero}

    def xero_total(rows: list[dict[str, str]]) -> Decimal:
        return sum(Decimal(r["*UnitAmount"]) + Decimal(r["TaxAmount"]) for r in rows)

    assert xero_total(xero) - xero_total(credits) == net


def test_money_is_exact_in_the_currency_own_decimals() -> None:
    assert exports.money(125000, "JPY") == Decimal("125000")
    assert exports.money(12345, "BHD") == Decimal("12.345")
    assert exports.money(-5, "USD") == Decimal("-0.05")
    assert exports.fine_grams(4133, 750) == Decimal("3.09975")  # exact, never rounded
    assert str(exports.fine_grams(1000, 585)) == "0.585"
    assert str(exports.fine_grams(160_000, 1000)) == "160.000"
    assert str(exports.fine_grams(1, 1)) == "0.000001"


def test_the_metal_ledger_adds_up_across_each_row(sold: Shop, tmp_path: Path) -> None:
    result = exports.export_accountant(sold, tmp_path, "2026-01-01", TODAY, "csv")
    rows = read_csv(one(result.files, "metal_ledger"))
    assert rows
    for r in rows:
        mg = [
            int(r[c]) for c in ("Opening (mg)", "In (mg)", "Out (mg)", "Loss (mg)", "Closing (mg)")
        ]
        assert mg[0] + mg[1] - mg[2] - mg[3] == mg[4]
        fine = [Decimal(r[c]) for c in ("Opening fine (g)", "In fine (g)", "Out fine (g)",
                                        "Loss fine (g)", "Closing fine (g)")]  # fmt: skip
        assert fine[0] + fine[1] - fine[2] - fine[3] == fine[4], r["Lot"]


def _hostile_csv_cells_ok(data: bytes, numeric: set[int]) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows[1:]:
        for i, cell in enumerate(row):
            if not cell.startswith(DANGEROUS):
                continue
            if i in numeric:
                Decimal(cell)  # a number ("-12.50") is data, never a formula
            else:
                raise AssertionError(f"unescaped cell {cell!r}")


TEXTS = st.text(
    alphabet=st.sampled_from(list("=+-@\t\r\n'\"a1 ,;ü(")), min_size=0, max_size=12
) | st.sampled_from(['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r\n=2"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXTS, TEXTS, st.integers(-(10**9), 10**9)), min_size=1, max_size=8))
def test_no_cell_can_be_read_as_a_formula(rows) -> None:
    table = exports.Table(
        "t",
        "T",
        [
            exports.Column("Name", exports.TEXT),
            exports.Column("Note", exports.TEXT),
            exports.Column("Amount", exports.MONEY),
        ],
        [(a, b, exports.money(n, "USD")) for a, b, n in rows],
    )
    data = exports.csv_bytes(
        [c.title for c in table.columns], list(table.rows), [c.kind for c in table.columns]
    )
    _hostile_csv_cells_ok(data, {2})
    table.rows = [(a, b, exports.money(n, "USD")) for a, b, n in rows]
    wb = load_workbook(io.BytesIO(exports.xlsx_bytes([table], date(2026, 1, 1))))
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(DANGEROUS), cell.value
        a, b, _ = rows[row[0].row - 2]
        for cell, original in ((row[0], a), (row[1], b)):
            shown = cell.value or ""
            # nothing is lost: the text is there, at most behind one apostrophe
            assert shown in (original, "'" + original)


def test_end_to_end_hostile_names_are_escaped_in_every_file(demo_shop: Shop, tmp_path: Path):
    sales.sell(
        demo_shop, sales.SaleRequest(["R-0002"], customer_name="@SUM(1+1)*cmd|' /C calc'!A0")
    )
    result = exports.export_accountant(demo_shop, tmp_path, "2026-01-01", TODAY, "csv")
    for path in result.files:
        text = path.read_bytes().decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                if cell.startswith(DANGEROUS):
                    Decimal(cell)


def test_an_unwritable_folder_is_a_clear_error_and_leaves_nothing(
    sold: Shop, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StorageError, match="could not be written"):
        exports.export_accountant(sold, blocker / "out", "2026-01-01", TODAY, "csv")
    assert blocker.read_text() == "a file where the folder should be"


def test_the_same_data_exports_to_the_same_bytes(sold: Shop, tmp_path: Path) -> None:
    a = exports.export_accountant(sold, tmp_path / "a", "2026-01-01", TODAY, "csv")
    b = exports.export_accountant(sold, tmp_path / "b", "2026-01-01", TODAY, "csv")
    assert [p.read_bytes() for p in a.files] == [p.read_bytes() for p in b.files]


def test_only_dates_written_yyyy_mm_dd_make_a_period() -> None:
    from jewelerdesk.services.custody import event_time
    from jewelerdesk.services.exports import check_period

    # Python's date parser also reads these, but the records compare dates as text, so
    # "20260310" would make a period that silently holds the wrong sales
    for start, end in (("2026-03-01", "20260310"), ("20260101", "2026-12-31"),
                       ("2026-W10-1", "2026-12-31"), ("2026-03-01", "2026-02-30")):  # fmt: skip
        with pytest.raises(ValidationError, match="must look like 2026-01-31"):
            check_period(start, end)
    assert check_period("2026-03-01", "2026-03-10") == ("2026-03-01", "2026-03-10")
    for text in ("20260310", "2026-W10-1", "2026-03-10T1030"):
        with pytest.raises(ValidationError):
            event_time(text)
    assert event_time("2026-03-10") == "2026-03-10T00:00:00"
    assert event_time("2026-03-10T10:30:00+02:00") == "2026-03-10T10:30:00"
