"""Supplier stock sheets (CSV and XLSX) into a real shop: mapping, checking, all-or-nothing
writing, and files built to hurt."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jewelerdesk.domain.model import (
    ClaimClass,
    Metal,
    MetalLot,
    OriginType,
    Party,
    PartyKind,
    Stone,
    StoneType,
)
from jewelerdesk.errors import BadDocument, Conflict, JewelerDeskError, NotFound, ValidationError
from jewelerdesk.services import inventory, stock_import
from jewelerdesk.services.demo import GIA_NUMBERS
from jewelerdesk.services.inventory import ListQuery
from jewelerdesk.services.stock_import import (
    ImportKind,
    Sheet,
    commit_import,
    import_sheet,
    plan_import,
    propose_mapping,
    read_sheet,
)

SHEETS = Path(__file__).parent.parent / "data" / "stock_sheets"


# ----------------------------------------------------------------------------- helpers


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def replace_in_zip(path: Path, changes: dict[str, bytes]) -> None:
    """Rewrite or add parts of an XLSX (the way a hostile sender would)."""
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    parts.update(changes)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, content in parts.items():
            zout.writestr(name, content)


def snapshot(shop) -> tuple[object, int, int]:
    """Everything an import could touch: record counts, custody events, metal movements."""
    events = shop.db.execute("SELECT count(*) FROM custody_event").fetchone()[0]
    moves = shop.db.execute("SELECT count(*) FROM metal_movement").fetchone()[0]
    return inventory.shop_counts(shop), events, moves


def stone_by_stock_no(shop, stock_no: str) -> Stone:
    kind, stone_id, _ = inventory.find_subject(shop, stock_no)
    assert kind == "stone"
    return inventory.get_stone(shop, stone_id)


def lot_by_no(shop, lot_no: str) -> MetalLot:
    kind, lot_id, _ = inventory.find_subject(shop, lot_no)
    assert kind == "lot"
    return inventory.get_lot(shop, lot_id)


def plan_file(shop, path: Path, kind: str = "stones", supplier: str | None = None):
    sheet = read_sheet(path)
    return plan_import(shop, sheet, propose_mapping(sheet.headers, kind), kind, supplier)


def supplier(shop, name: str = "Acme Gem Traders NV", kind=PartyKind.SUPPLIER) -> Party:
    return inventory.save_party(shop, Party(name, kind, "BE"))


# ----------------------------------------------------------------------------- happy paths


def test_stones_from_csv_land_in_integer_units(shop, tmp_path: Path) -> None:
    acme = supplier(shop)
    path = tmp_path / "acme.csv"
    path.write_text(
        "Stock #,Carat,Cert No,Lab,Shape,Color,Clarity,Origin,Price\n"
        'A-1,1.02,1234567890,GIA,RD,g,vs1,Botswana,"1,020.50"\n'
        "A-2,0.5,,,Oval,F,SI1,CA,980\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path, supplier="acme gem traders nv")
    assert plan.errors == [] and plan.flagged == []
    assert [r.row for r in plan.stones] == [2, 3]
    before = snapshot(shop)

    result = commit_import(shop, plan)

    assert result.imported == 2 and result.skipped == 0 and len(result.ids) == 2
    a1 = stone_by_stock_no(shop, "A-1")
    assert a1.id == result.ids[0]
    assert (a1.weight_mct, a1.cost_minor) == (1020, 102050)
    assert (a1.shape, a1.colour, a1.clarity) == ("Round brilliant", "G", "VS1")
    assert (a1.report_lab, a1.report_no, a1.country_of_mining) == ("GIA", "1234567890", "BW")
    assert (a1.stone_type, a1.origin_type) == (StoneType.DIAMOND, OriginType.NATURAL)
    assert a1.supplier_id == acme.id and a1.item_id is None
    a2 = stone_by_stock_no(shop, "A-2")
    assert (a2.weight_mct, a2.cost_minor, a2.country_of_mining) == (500, 98000, "CA")
    counts, events, _ = snapshot(shop)
    assert counts.loose_stones == before[0].loose_stones + 2
    assert events == before[1] + 2  # each stone received from the supplier


def test_stones_from_xlsx_with_number_cells(shop, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "stones.xlsx",
        [
            ["Item", "Cts", "Report #", "Grading lab", "Natural/Lab", "Pcs", "Amount (USD)"],
            ["X-1", 1.02, 1234567890, "gia", "Natural", 1, 1020.5],
            ["X-2", 0.755, "LG612345678", "IGI", "CVD", 1, 640],
            ["X-3", 0.3, None, None, "LGD", 12, 1200],
        ],
    )
    plan = plan_file(shop, path)
    assert plan.errors == []
    commit_import(shop, plan)
    x1, x2, x3 = (stone_by_stock_no(shop, n) for n in ("X-1", "X-2", "X-3"))
    assert (x1.weight_mct, x1.cost_minor, x1.report_no, x1.report_lab) == (
        1020,
        102050,
        "1234567890",
        "GIA",
    )
    assert (x2.weight_mct, x2.origin_type, x2.growth_method) == (755, OriginType.LAB_GROWN, "CVD")
    assert (x3.count, x3.weight_is_total, x3.origin_type) == (12, True, OriginType.LAB_GROWN)


def test_lots_from_xlsx_land_in_milligrams(shop, tmp_path: Path) -> None:
    refiner = inventory.save_party(
        shop, Party("Alpine Assay & Refining SA", PartyKind.REFINER, "CH", rmi_cid="CID999001")
    )
    path = write_xlsx(
        tmp_path / "lots.xlsx",
        [
            [
                "Lot #",
                "Metal",
                "Karat",
                "Weight (g)",
                "Refiner",
                "Country of origin",
                "Recycled/Mined",
            ],
            ["Y18-001", "Yellow gold", "18K", 4.85, "Alpine Assay & Refining SA", "", "Recycled"],
            ["PT-7", "Platinum", 950, 12, "", "South Africa", "Mined certified"],
        ],
    )
    # the platinum lot is certified mined, which needs a refiner: give its CID in the Refiner cell
    wb = openpyxl.load_workbook(path)
    wb.active["E3"] = "CID999001"
    wb.save(path)
    plan = plan_file(shop, path, "lots")
    assert plan.errors == []
    result = commit_import(shop, plan)
    assert result.kind == ImportKind.LOTS and result.imported == 2
    gold = lot_by_no(shop, "Y18-001")
    assert (gold.metal, gold.fineness_ppt, gold.claim_class) == (
        Metal.GOLD,
        750,
        ClaimClass.RECYCLED,
    )
    assert gold.refiner_id == refiner.id
    assert inventory.lot_balance_mg(shop, gold.id) == 4850
    pt = lot_by_no(shop, "PT-7")
    assert (pt.metal, pt.fineness_ppt, pt.refiner_cid, pt.country_of_origin) == (
        Metal.PLATINUM,
        950,
        "CID999001",
        "ZA",
    )
    assert inventory.lot_balance_mg(shop, pt.id) == 12_000


def test_lots_from_csv_with_fineness_in_the_metal_and_decimal_commas(shop, tmp_path: Path) -> None:
    path = tmp_path / "lots.csv"
    path.write_text(
        "Lot No;Metal;Fineness;Grams;Claim;Form\n"
        "AG-1;Sterling silver;;1.250,5;recycled;wire\n"
        "PD-1;Pd;0,950;10;;bar\n"
        "AU-1;Gold;99,9%;2,5;Mined;grain\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path, "lots")
    assert plan.errors == []
    commit_import(shop, plan)
    ag, pd, au = (lot_by_no(shop, n) for n in ("AG-1", "PD-1", "AU-1"))
    assert (ag.metal, ag.fineness_ppt, ag.form) == (Metal.SILVER, 925, "wire")
    assert inventory.lot_balance_mg(shop, ag.id) == 1_250_500
    assert (pd.metal, pd.fineness_ppt, pd.form) == (Metal.PALLADIUM, 950, "bar")
    # "Mined" alone does not say certified: kept as unspecified, the words kept in the notes
    assert (au.fineness_ppt, au.claim_class) == (999, ClaimClass.UNSPECIFIED)
    assert "Mined" in au.notes
    assert inventory.lot_balance_mg(shop, au.id) == 2500


# ----------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Stock #", "stock_no"),
        ("Stock No.", "stock_no"),
        ("SKU", "stock_no"),
        ("Lot #", "stock_no"),
        ("Carat", "weight"),
        ("CARATS", "weight"),
        (" cts ", "weight"),
        ("Ct.", "weight"),
        ("Weight", "weight"),
        ("Cert No", "report_no"),
        ("Cert. #", "report_no"),
        ("Certificate", "report_no"),
        ("Report #", "report_no"),
        ("Report No.", "report_no"),
        ("Lab", "report_lab"),
        ("Grading lab", "report_lab"),
        ("Shape", "shape"),
        ("Color", "colour"),
        ("Colour", "colour"),
        ("Clarity", "clarity"),
        ("Origin", "country_of_mining"),
        ("Country of origin", "country_of_mining"),
        ("Mine country", "country_of_mining"),
        ("Stone type", "stone_type"),
        ("Natural/Lab", "origin_type"),
        ("Growth", "origin_type"),
        ("Price", "cost"),
        ("Cost (USD)", "cost"),
        ("Total", "cost"),
        ("Amount", "cost"),
        ("Pcs", "count"),
        ("Pieces", "count"),
        ("Qty", "count"),
    ],
)
def test_stone_header_synonyms(header: str, field: str) -> None:
    assert propose_mapping(["Unrelated", header], "stones") == {field: 1}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Lot No", "lot_no"),
        ("Metal", "metal"),
        ("Fineness", "fineness"),
        ("Purity", "fineness"),
        ("Karat", "fineness"),
        ("Weight (g)", "mass"),
        ("Grams", "mass"),
        ("Mass", "mass"),
        ("Gross wt", "mass"),
        ("Refiner", "refiner"),
        ("Refiner CID", "refiner_cid"),
        ("Country of origin", "country_of_origin"),
        ("Recycled/Mined", "claim_class"),
    ],
)
def test_lot_header_synonyms(header: str, field: str) -> None:
    assert propose_mapping([header, "Unrelated"], ImportKind.LOTS) == {field: 0}


def test_each_column_fills_one_field_and_the_most_specific_name_wins() -> None:
    headers = ["Weight", "Carat", "Origin", "Country of mining", "Total", "Price"]
    mapping = propose_mapping(headers, "stones")
    assert mapping == {"weight": 1, "country_of_mining": 2, "cost": 5}
    assert len(set(mapping.values())) == len(mapping)


# ----------------------------------------------------------------------------- encodings


def test_utf8_with_bom_reads_the_first_header_cleanly(shop, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("Stock #,Carat,Origin\nB-1,1.1,Côte d'Ivoire\n".encode("utf-8-sig"))
    sheet = read_sheet(path)
    assert sheet.headers[0] == "Stock #" and sheet.encoding == "utf-8"
    plan = plan_import(shop, sheet, propose_mapping(sheet.headers, "stones"), "stones")
    assert plan.errors == []
    assert plan.stones[0].stone.country_of_mining == "CI"


def test_windows_1252_names_are_read_and_matched(shop, tmp_path: Path) -> None:
    refiner = supplier(shop, "Zürich Affinage SA", PartyKind.REFINER)
    path = tmp_path / "cp1252.csv"
    path.write_bytes(
        "Lot #;Metal;Fineness;Grams;Refiner;Origin\n"
        "Z-1;Gold;750;5,25;Zürich Affinage SA;Côte d'Ivoire\n".encode("cp1252")
    )
    sheet = read_sheet(path)
    assert sheet.encoding == "windows-1252" and sheet.delimiter == ";"
    assert sheet.rows[0].cells[4] == "Zürich Affinage SA"
    plan = plan_import(shop, sheet, propose_mapping(sheet.headers, "lots"), "lots")
    assert plan.errors == []
    commit_import(shop, plan)
    lot = lot_by_no(shop, "Z-1")
    assert (lot.refiner_id, lot.country_of_origin) == (refiner.id, "CI")
    assert inventory.lot_balance_mg(shop, lot.id) == 5250


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_sheets_with_decimal_commas(shop, tmp_path: Path, delimiter: str) -> None:
    lines = [
        ["Stock", "Carats", "Price"],
        ["S-1", "1,02", "1.234,50"],
        ["S-2", "0,755", "980"],
        ["S-3", "2", "1.020"],
    ]
    path = tmp_path / "eu.csv"
    path.write_text("\n".join(delimiter.join(r) for r in lines) + "\n", encoding="utf-8")
    plan = plan_file(shop, path)
    assert plan.errors == []
    got = [(r.stone.stock_no, r.stone.weight_mct, r.stone.cost_minor) for r in plan.stones]
    assert got == [("S-1", 1020, 123450), ("S-2", 755, 98000), ("S-3", 2000, 102000)]


def test_comma_sheet_reads_a_lone_comma_in_money_as_thousands(shop, tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text('Stock,Carats,Price\nU-1,1.02,"1,020"\nU-2,"1,02",12.50\n', encoding="utf-8")
    plan = plan_file(shop, path)
    assert plan.errors == []
    got = [(r.stone.weight_mct, r.stone.cost_minor) for r in plan.stones]
    assert got == [(1020, 102000), (1020, 1250)]


def test_costs_headed_in_another_currency_are_not_taken_as_the_shops(shop, tmp_path) -> None:

    path = tmp_path / "eur.csv"
    path.write_text("Stock;Carats;Price EUR\nE-1;1,02;1.234,50\n", encoding="utf-8")
    plan = plan_file(shop, path)  # the shop keeps its books in USD
    assert [(e.row, e.column) for e in plan.errors] == [(1, "Price EUR")]
    assert "in EUR" in plan.errors[0].message and "USD" in plan.errors[0].message
    sheet = read_sheet(path)
    mapping = propose_mapping(sheet.headers, "stones")
    mapping.pop("cost")  # left unmatched: the stones come in without a cost
    assert plan_import(shop, sheet, mapping, "stones").ok
    euro = tmp_path / "euro-sign.csv"
    euro.write_text("Stock,Carats,Cost (€)\nE-2,1.02,1234.50\n", encoding="utf-8")
    assert "in EUR" in plan_file(shop, euro).errors[0].message
    from jewelerdesk.domain.model import ShopIdentity

    inventory.save_shop_identity(shop, ShopIdentity("Atelier", "1 Rue", "FR", currency="EUR"))
    assert plan_file(shop, path).ok  # a euro shop takes euro costs
    dollars = tmp_path / "usd.csv"
    dollars.write_text("Stock,Carats,Price $\nD-1,1.02,1234.50\n", encoding="utf-8")
    assert plan_file(shop, dollars).ok  # '$' names no one currency: left alone


def test_bundled_sample_sheets_import(shop) -> None:
    plan = plan_file(shop, SHEETS / "stones_semicolon_cp1252.csv")
    assert plan.errors == []
    got = [
        (s.stock_no, s.weight_mct, s.cost_minor, s.origin_type, s.country_of_mining)
        for s in (r.stone for r in plan.stones)
    ]
    assert got == [
        ("MER-1041", 1020, 425000, OriginType.NATURAL, "BW"),
        ("MER-1042", 755, 118050, OriginType.LAB_GROWN, ""),
        ("MER-1043", 310, 39500, OriginType.NATURAL, "CI"),
    ]
    lot_plan = plan_file(shop, SHEETS / "lots_utf8_bom.csv", "lots")
    assert lot_plan.errors == []
    lots = [(r.lot.lot_no, r.lot.fineness_ppt, r.mass_mg) for r in lot_plan.lots]
    assert lots == [("Y18-2026-07", 750, 4850), ("AG925-2026-07", 925, 1_250_500)]


# ----------------------------------------------------------------------------- errors


def test_problems_are_reported_by_row_and_column_and_block_the_commit(shop, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Stock #,Carat,Cert No,Lab,Origin,Natural/Lab,Price\n"
        "G-1,1.02,1234567890,GIA,BW,natural,100\n"  # row 2: fine
        "G-2,abc,,,Atlantis,,100\n"  # row 3: weight and country
        ",0.5,,,,,100\n"  # row 4: no stock number
        "G-4,0.5,LG612345678,IGI,,natural,100\n"  # row 5: LG number on a natural stone
        "G-5,0.5,1234567899,,,maybe,=1+1\n"  # row 6: no lab, unknown origin, formula-ish price
        "G-6,1.0205,,,,,-5\n",  # row 7: too precise, negative cost
        encoding="utf-8",
    )
    before = snapshot(shop)
    plan = plan_file(shop, path)
    where = {(e.row, e.column) for e in plan.errors}
    assert where == {
        (3, "Carat"),
        (3, "Origin"),
        (4, "Stock #"),
        (5, "Cert No"),
        (6, "Lab"),
        (6, "Natural/Lab"),
        (6, "Price"),
        (7, "Carat"),
        (7, "Price"),
    }
    by = {(e.row, e.column): e.message for e in plan.errors}
    assert by[(3, "Carat")] == "'abc' is not a number."
    assert "Atlantis" in by[(3, "Origin")] and "two-letter code" in by[(3, "Origin")]
    assert "stock number" in by[(4, "Stock #")]
    assert "'LG'" in by[(5, "Cert No")]
    assert by[(6, "Price")] == "'=1+1' is not a number."
    assert "thousandth of a carat" in by[(7, "Carat")]
    assert "negative" in by[(7, "Price")]
    assert str(plan.errors[0]).startswith("Row 3, Carat: ")
    assert [r.row for r in plan.stones] == [2]
    with pytest.raises(ValidationError, match="row 3, Carat"):
        commit_import(shop, plan)
    assert snapshot(shop) == before


def test_text_that_looks_like_a_formula_is_kept_as_text(shop, tmp_path: Path) -> None:
    path = tmp_path / "inject.csv"
    path.write_text(
        "Stock #,Carat,Shape,Clarity\n@SUM(1+1),+1.02,\"=cmd|' /C calc'!A0\",-VS1\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path)
    assert plan.errors == []
    commit_import(shop, plan)
    stone = stone_by_stock_no(shop, "@SUM(1+1)")
    assert stone.weight_mct == 1020
    assert stone.shape == "=cmd|' /C calc'!A0"
    assert stone.clarity == "-VS1"


def test_an_unknown_supplier_is_refused(shop, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Stock #,Carat\nS-1,1\n", encoding="utf-8")
    with pytest.raises(NotFound, match="No supplier named 'Nobody Ltd'"):
        plan_file(shop, path, supplier="Nobody Ltd")


def test_an_unknown_refiner_is_a_row_error(shop, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("Lot #,Metal,Fineness,Grams,Refiner\nL-1,Gold,750,5,Ghost Refinery\n")
    plan = plan_file(shop, path, "lots")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "Refiner")]
    assert "Ghost Refinery" in plan.errors[0].message


def test_the_mapping_can_be_fixed_by_the_user(shop, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Ref,Mass of stone,Remarks\nR-1,1.5,free text\n", encoding="utf-8")
    sheet = read_sheet(path)
    proposed = propose_mapping(sheet.headers, "stones")
    assert proposed == {"stock_no": 0}
    plan = plan_import(shop, sheet, proposed, "stones")
    assert [(e.row, e.column) for e in plan.errors] == [(1, "Carat weight")]
    assert plan.stones == []
    doubled = plan_import(shop, sheet, {"stock_no": 0, "weight": 0}, "stones")
    assert "matched to both" in doubled.errors[0].message
    fixed = plan_import(shop, sheet, {"stock_no": 0, "weight": 1}, "stones")
    assert fixed.errors == [] and fixed.stones[0].stone.weight_mct == 1500


# ----------------------------------------------------------------------------- duplicates


def test_a_report_already_recorded_is_flagged_not_duplicated(shop, tmp_path: Path) -> None:
    inventory.save_loose_stone(
        shop,
        Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            1020,
            stock_no="OLD-1",
            report_lab="GIA",
            report_no="1234567890",
        ),
    )
    path = tmp_path / "again.csv"
    path.write_text(
        "Stock #,Carat,Cert No,Lab\nN-1,1.02,1234567890,GIA\nN-2,0.9,2234567890,GIA\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path)
    assert plan.errors == []
    assert [(f.row, f.key) for f in plan.flagged] == [(2, "1234567890")]
    assert "OLD-1" in plan.flagged[0].reason
    result = commit_import(shop, plan)
    assert (result.imported, result.skipped) == (1, 1)
    assert len(inventory.stones_with_report(shop, "1234567890")) == 1
    assert inventory.count_loose_stones(shop, ListQuery()) == 2


def test_a_report_set_in_a_demo_piece_is_flagged(demo_shop, tmp_path: Path) -> None:
    known = next(n for n in GIA_NUMBERS if inventory.stones_with_report(demo_shop, n))
    path = tmp_path / "demo.csv"
    path.write_text(f"Stock #,Carat,Report #,Lab\nD-1,1.0,{known},GIA\n", encoding="utf-8")
    before = snapshot(demo_shop)
    plan = plan_file(demo_shop, path)
    assert plan.stones == [] and [f.key for f in plan.flagged] == [known]
    commit_import(demo_shop, plan)
    assert snapshot(demo_shop) == before


def test_a_sheet_without_report_numbers_imported_again_skips_by_stock_number(
    shop, tmp_path: Path
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Stock #,Carat\nP-1,0.50\np-2,0.75\n", encoding="utf-8")
    first = commit_import(shop, plan_file(shop, path))
    assert first.imported == 2
    path.write_text("Stock #,Carat\nP-1,0.50\nP-2,0.75\nP-3,1.10\n", encoding="utf-8")
    plan = plan_file(shop, path)  # the same sheet, one stone more, P-2 in other case
    assert [(f.row, f.key) for f in plan.flagged] == [(2, "P-1"), (3, "P-2")]
    assert "already recorded as a loose stone" in plan.flagged[0].reason
    assert [r.stone.stock_no for r in plan.stones] == ["P-3"]
    assert commit_import(shop, plan).imported == 1
    assert inventory.count_loose_stones(shop, ListQuery()) == 3


def test_a_new_report_under_a_stock_number_already_used_is_an_error(shop, tmp_path: Path) -> None:
    inventory.save_loose_stone(
        shop, Stone(StoneType.DIAMOND, OriginType.NATURAL, 500, stock_no="OLD-7")
    )
    path = tmp_path / "clash.csv"
    path.write_text("Stock #,Carat,Report #,Lab\nold-7,1.02,1234567890,GIA\n", encoding="utf-8")
    plan = plan_file(shop, path)
    assert plan.stones == [] and [(e.row, e.column) for e in plan.errors] == [(2, "Stock #")]


def test_a_report_twice_in_the_sheet_is_imported_once(shop, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        "Stock #,Carat,Cert No,Lab\n"
        "T-1,1.0,1234567890,GIA\n"
        "T-2,1.0,1234 567 890,gia\n"  # the same number, typed with spaces
        "T-1,0.5,,\n",  # a second stone under the first one's stock number
        encoding="utf-8",
    )
    plan = plan_file(shop, path)
    assert [(f.row, f.key) for f in plan.flagged] == [(3, "1234567890")]
    assert "row 2" in plan.flagged[0].reason
    assert [(e.row, e.column) for e in plan.errors] == [(4, "Stock #")]
    assert "also used on row 2" in plan.errors[0].message


def test_a_lot_already_recorded_is_flagged(shop, tmp_path: Path) -> None:
    inventory.receive_lot(shop, MetalLot("AU-9", Metal.GOLD, 750, ClaimClass.RECYCLED), 1000)
    path = tmp_path / "lots.csv"
    path.write_text("Lot #,Metal,Fineness,Grams\nau-9,Gold,750,5\nAU-10,Gold,750,5\n")
    plan = plan_file(shop, path, "lots")
    assert [f.row for f in plan.flagged] == [2] and [r.row for r in plan.lots] == [3]


# ----------------------------------------------------------------------------- all or nothing


def test_a_failure_in_the_middle_of_the_commit_writes_nothing(shop, tmp_path: Path) -> None:
    path = tmp_path / "race.csv"
    path.write_text(
        "Stock #,Carat,Cert No,Lab\n"
        "R-1,1.0,1234567890,GIA\n"
        "R-2,1.1,2234567890,GIA\n"
        "R-3,1.2,3234567890,GIA\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path)
    assert plan.ready_count == 3
    # between the check and the commit, someone records a stone as R-3
    inventory.save_loose_stone(
        shop, Stone(StoneType.DIAMOND, OriginType.NATURAL, 500, stock_no="R-3")
    )
    before = snapshot(shop)
    with pytest.raises(Conflict, match=r"Row 4: .*R-3.*Nothing was imported"):
        commit_import(shop, plan)
    assert snapshot(shop) == before
    assert inventory.stones_with_report(shop, "1234567890") == []
    # the shop is still usable after the rollback
    plan = plan_file(shop, path)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "Stock #")]


def test_a_lot_failing_at_commit_rolls_back_the_lots_before_it(shop, tmp_path: Path) -> None:
    path = tmp_path / "lots.csv"
    path.write_text("Lot #,Metal,Fineness,Grams\nL-1,Gold,750,5\nL-2,Silver,925,50\n")
    plan = plan_file(shop, path, "lots")
    inventory.receive_lot(shop, MetalLot("L-2", Metal.SILVER, 925, ClaimClass.RECYCLED), 1)
    before = snapshot(shop)
    with pytest.raises(Conflict, match="Row 3"):
        commit_import(shop, plan)
    assert snapshot(shop) == before
    with pytest.raises(NotFound):
        inventory.find_subject(shop, "L-1")


def test_a_report_recorded_after_the_check_stops_the_commit(shop, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Stock #,Carat,Cert No,Lab\nQ-1,1,1234567890,GIA\nQ-2,1,2234567890,GIA\n")
    plan = plan_file(shop, path)
    inventory.save_loose_stone(
        shop,
        Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            1000,
            stock_no="OTHER",
            report_lab="GIA",
            report_no="2234567890",
        ),
    )
    before = snapshot(shop)
    with pytest.raises(Conflict, match="Row 3: Report 2234567890"):
        commit_import(shop, plan)
    assert snapshot(shop) == before


def test_dry_run_and_progress(shop, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Stock #,Carat\nP-1,1\nP-2,2\n", encoding="utf-8")
    before = snapshot(shop)
    plan, result = import_sheet(shop, path, "stones", dry_run=True)
    assert result is None and plan.ready_count == 2 and snapshot(shop) == before
    assert plan.summary() == "2 stones ready."
    seen: list[tuple[int, int]] = []
    result = commit_import(shop, plan, progress=lambda done, total: seen.append((done, total)))
    assert result.imported == 2 and seen[-1] == (2, 2)


# ----------------------------------------------------------------------------- hostile files


def assert_refused(shop, path: Path, match: str, kind: str = "stones") -> None:
    before = snapshot(shop)
    with pytest.raises(JewelerDeskError, match=match):
        import_sheet(shop, path, kind)
    assert snapshot(shop) == before


def test_a_formula_cell_is_refused_naming_the_cell(shop, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "formula.xlsx",
        [["Stock #", "Carat", "Price"], ["F-1", 1.0, 100], ["F-2", 0.5, "=B3*1000"]],
    )
    assert_refused(shop, path, r"formulas in cell C3\. .*Paste Values")


def test_a_file_over_the_size_limit_is_refused_before_reading(shop, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"Stock #,Carat\nH-1,1\n")
        fh.truncate(stock_import.MAX_FILE_BYTES + 1)  # sparse: instant, no real 20 MB write
    assert_refused(shop, path, r"is 20\.0 MB; a stock sheet may be at most 20 MB")


def test_a_sheet_over_the_row_limit_is_refused(shop, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(stock_import, "MAX_ROWS", 5)
    path = tmp_path / "rows.csv"
    path.write_text("Stock #,Carat\n" + "".join(f"S-{i},1\n" for i in range(5)))
    assert read_sheet(path).rows[-1].number == 6  # exactly at the limit is fine
    path.write_text("Stock #,Carat\n" + "".join(f"S-{i},1\n" for i in range(6)))
    assert_refused(shop, path, "more than 5 rows")
    xlsx = write_xlsx(
        tmp_path / "rows.xlsx", [["Stock #", "Carat"]] + [[f"S-{i}", 1] for i in range(6)]
    )
    assert_refused(shop, xlsx, "more than 5 rows")


def test_a_zip_bomb_is_refused_before_unpacking(shop, tmp_path: Path) -> None:
    """The sheet's XML padded with whitespace (still valid XML) until it unpacks past the
    limit: a few hundred kilobytes on disk."""
    good = write_xlsx(tmp_path / "good.xlsx", [["Stock #", "Carat"], ["B-1", 1]])
    path = tmp_path / "bomb.xlsx"
    block = b" " * (1024 * 1024)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            with zout.open(info.filename, "w") as member:
                member.write(zin.read(info.filename))
                if info.filename == "xl/worksheets/sheet1.xml":
                    for _ in range(stock_import.MAX_UNPACKED_BYTES // len(block) + 1):
                        member.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    assert_refused(shop, path, "would unpack to 151 MB")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


SHEET_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_an_xml_bomb_in_the_sheet_is_refused(shop, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "laughs.xlsx", [["Stock #", "Carat"], ["B-1", 1]])
    sheet = (
        b"<worksheet " + SHEET_NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr">'
        b"<is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
    )
    replace_in_zip(path, {"xl/worksheets/sheet1.xml": BILLION_LAUGHS + sheet})
    assert_refused(shop, path, "entity declarations")


def test_an_xml_bomb_in_the_shared_strings_is_refused(shop, tmp_path: Path) -> None:
    """Excel keeps text in sharedStrings.xml, read when the workbook opens."""
    path = write_xlsx(tmp_path / "laughs.xlsx", [["Stock #", "Carat"], ["B-1", 1]])
    with zipfile.ZipFile(path) as zf:
        types = zf.read("[Content_Types].xml")
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    sheet = (
        b"<worksheet " + SHEET_NS + b'><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>B-1</t></is></c></row></sheetData></worksheet>'
    )
    strings = b"<sst " + SHEET_NS + b' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    replace_in_zip(
        path,
        {
            "[Content_Types].xml": types.replace(b"</Types>", override + b"</Types>"),
            "xl/worksheets/sheet1.xml": sheet,
            "xl/sharedStrings.xml": BILLION_LAUGHS + strings,
        },
    )
    # without the entities the same file is read: the refusal is about the bomb
    clean = tmp_path / "clean.xlsx"
    clean.write_bytes(path.read_bytes())
    replace_in_zip(clean, {"xl/sharedStrings.xml": strings.replace(b"&lol9;", b"Stock #")})
    assert read_sheet(clean).headers == ("Stock #",)
    assert_refused(shop, path, "entity declarations")


def test_xlsx_is_refused_without_defusedxml(shop, tmp_path: Path, monkeypatch) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", [["Stock #", "Carat"], ["B-1", 1]])
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    assert_refused(shop, path, "safe XML reader")


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e2212bc30000000049454e44ae426082"
)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("photo.csv", PNG, "really a PNG image"),
        ("invoice.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "really a PDF"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Excel 97-2003"),
        ("random.csv", b"Stock,Carat\n\x00\x01\x02\x03garbage", "binary data"),
        ("empty.csv", b"", r"empty \(0 bytes\)"),
        ("blank.csv", b"\r\n  \r\n,,\r\n", "no rows at all"),
        ("header.csv", b"Stock #,Carat,Cert No\r\n\r\n", "header row but no rows"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "damaged"),
    ],
)
def test_wrong_or_empty_files_are_refused(
    shop, tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert_refused(shop, path, match)


def test_other_zip_files_are_not_taken_for_workbooks(shop, tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert_refused(shop, path, "ZIP archive, not an Excel workbook")
    ods = tmp_path / "sheet.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert_refused(shop, ods, "OpenDocument")


def test_a_header_only_workbook_is_refused(shop, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "header.xlsx", [["Stock #", "Carat"]])
    assert_refused(shop, path, "header row but no rows")


def test_a_csv_named_xlsx_is_read_by_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "really-text.xlsx"
    path.write_text("Stock #,Carat\nC-1,1\n", encoding="utf-8")
    sheet = read_sheet(path)
    assert sheet.file_type == "csv" and sheet.rows[0].cells == ("C-1", "1")


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "ppt"),
    [("18K", 750), ("14 kt", 585), ("9ct", 375), ("750", 750), ("0.925", 925), ("99.9%", 999),
     ("999.9", 999), ("24", 999)],
)  # fmt: skip
def test_fineness_as_suppliers_write_it(shop, tmp_path: Path, text: str, ppt: int) -> None:
    path = tmp_path / "f.csv"
    metal = "Silver" if ppt == 925 else "Gold"
    path.write_text(f'Lot #,Metal,Purity,Grams\nF-1,{metal},"{text}",1\n', encoding="utf-8")
    plan = plan_file(shop, path, "lots")
    assert plan.errors == [] and plan.lots[0].lot.fineness_ppt == ppt


def test_karat_without_a_metal_column_means_gold_and_karat_silver_is_refused(
    shop, tmp_path: Path
) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Lot #,Karat,Grams\nK-1,14K,2\n", encoding="utf-8")
    plan = plan_file(shop, path, "lots")
    assert plan.errors == [] and plan.lots[0].lot.metal == Metal.GOLD
    path.write_text("Lot #,Metal,Karat,Grams\nK-1,Silver,14K,2\n", encoding="utf-8")
    plan = plan_file(shop, path, "lots")
    assert [(e.column, "gold only" in e.message) for e in plan.errors] == [("Karat", True)]


def test_stone_types_and_origin_words(shop, tmp_path: Path) -> None:
    path = tmp_path / "types.csv"
    path.write_text(
        "Stock #,Carat,Type,Natural/Lab\n"
        "T-1,1,Natural sapphire,\n"
        "T-2,1,Lab-grown diamond,\n"
        "T-3,1,Cultured pearl,\n"
        "T-4,1,Diamond,HPHT\n"
        "T-5,1,Lab grown diamond,Natural\n",
        encoding="utf-8",
    )
    plan = plan_file(shop, path)
    got = {r.row: (r.stone.stone_type, r.stone.variety, r.stone.origin_type) for r in plan.stones}
    assert got[2] == (StoneType.COLOURED_GEM, "Sapphire", OriginType.NATURAL)
    assert got[3] == (StoneType.DIAMOND, "", OriginType.LAB_GROWN)
    assert got[4] == (StoneType.PEARL, "", OriginType.CULTURED_PEARL)
    assert got[5] == (StoneType.DIAMOND, "", OriginType.LAB_GROWN)
    assert [(e.row, e.column) for e in plan.errors] == [(6, "Natural/Lab")]


amounts = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2)


@given(amount=amounts, decimal_comma=st.booleans(), grouping=st.booleans())
def test_money_reads_back_in_any_common_notation(
    amount: Decimal, decimal_comma: bool, grouping: bool
) -> None:
    text = f"{amount:,.2f}" if grouping else f"{amount:.2f}"
    if decimal_comma:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    value = stock_import._parse_decimal(text, decimal_comma=decimal_comma)
    assert value == amount


@given(mct=st.integers(min_value=1, max_value=999_999), comma=st.booleans(), trim=st.booleans())
def test_carats_read_back_with_either_decimal_mark(mct: int, comma: bool, trim: bool) -> None:
    value = Decimal(mct).scaleb(-3)
    text = f"{value:.3f}"  # '1.020' is 1.02 ct, never 1020 ct
    if trim:
        text = text.rstrip("0").rstrip(".")
    if comma:
        text = text.replace(".", ",")
    for sheet_comma in (False, True):
        parsed = stock_import._parse_decimal(text, decimal_comma=sheet_comma, grouped=False)
        assert parsed == value


# Printable ASCII and accented letters: none is a UTF-8 continuation byte in Windows-1252,
# so a Windows-1252 file can never also be valid UTF-8 by accident.
cell_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("äöüÄÖÜéèçñßÉ"),
    max_size=12,
).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_csv_reads_back_cell_for_cell(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    delimiter: str,
    encoding: str,
) -> None:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Stock #", "Carat", "Notes"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "sheet.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    kept = [r for r in rows if any(r)]
    if not kept:
        with pytest.raises(BadDocument):
            read_sheet(path)
        return
    sheet = read_sheet(path)
    assert isinstance(sheet, Sheet)
    assert sheet.headers == ("Stock #", "Carat", "Notes") and sheet.delimiter == delimiter
    assert [list(r.cells) for r in sheet.rows] == kept


# ----------------------------------------------------------------------------- the day goods came in


def test_imported_goods_are_dated_today_and_counted_as_purchases(shop, tmp_path: Path) -> None:
    from datetime import date

    from jewelerdesk.services import exports

    stones = tmp_path / "stones.csv"
    stones.write_text("Stock #,Carat,Price\nM1,0.50,100.00\nM2,0.75,200.00\n", encoding="utf-8")
    lots = tmp_path / "lots.csv"
    lots.write_text("Lot,Karat,Weight (g)\nL77,18K,25.0\n", encoding="utf-8")
    import_sheet(shop, stones, "stones")
    import_sheet(shop, lots, "lots")
    today = date.today().isoformat()
    assert stone_by_stock_no(shop, "M1").acquired_on == today
    [lot] = [x for x in inventory.all_lots(shop) if x.lot_no == "L77"]
    assert lot.received_on == today
    journal = list(exports.purchase_journal(shop, today, today).rows)
    refs = {r[2]: r for r in journal}
    assert {"M1", "M2", "L77"} <= set(refs)
    assert refs["M1"][7] == Decimal("100.00") and refs["M2"][7] == Decimal("200.00")
    yesterday = date.fromordinal(date.today().toordinal() - 1).isoformat()
    held = list(exports.inventory_valuation(shop, yesterday)[0].rows)
    assert not {"M1", "M2"} & {r[1] for r in held}  # not in stock before they came in


def test_the_day_goods_came_in_can_be_given_and_is_checked(shop, tmp_path: Path) -> None:
    from datetime import date, timedelta

    sheet = tmp_path / "s.csv"
    sheet.write_text("Stock #,Carat\nD1,0.50\n", encoding="utf-8")
    for bad in ("20261110", "2026-W45-2", "2026-02-30", "last Tuesday"):
        with pytest.raises(ValidationError) as err:
            import_sheet(shop, sheet, "stones", received_on=bad)
        assert "must look like" in err.value.errors["received_on"]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="after today"):
        import_sheet(shop, sheet, "stones", received_on=tomorrow)
    assert inventory.count_loose_stones(shop, ListQuery()) == 0
    import_sheet(shop, sheet, "stones", received_on="2026-03-02")
    assert stone_by_stock_no(shop, "D1").acquired_on == "2026-03-02"
    from jewelerdesk.store import events

    [event] = events.events_about(shop.db, [stone_by_stock_no(shop, "D1").id])
    assert event.event_time.startswith("2026-03-02")


def test_a_parcel_count_is_read_in_the_sheets_own_number_style(shop, tmp_path: Path) -> None:
    comma = tmp_path / "parcel_eu.csv"
    comma.write_text(
        "Stock No;Carat;Pcs;Price;Type\nP1;12,50;1.000;5.000,00;Diamond\n", encoding="utf-8"
    )
    [ready] = plan_file(shop, comma).stones
    assert (ready.stone.count, ready.stone.weight_mct, ready.stone.weight_is_total) == (
        1000,
        12_500,
        True,
    )  # a parcel of a thousand melee weighing 12.5 ct in all, not one 12.5 ct stone
    assert ready.stone.cost_minor == 500_000
    point = tmp_path / "parcel_us.csv"
    point.write_text('Stock No,Carat,Pcs,Price\nP2,12.50,"1,000","5,000.00"\n', encoding="utf-8")
    [ready] = plan_file(shop, point).stones
    assert (ready.stone.count, ready.stone.weight_mct) == (1000, 12_500)


# ----------------------------------------------------------------------------- where the header is


def test_a_title_above_the_header_and_excels_sep_line_are_passed_over(shop, tmp_path: Path) -> None:
    titled = tmp_path / "titled.csv"
    titled.write_text(
        "Meridian Gems — stock list\n2026-11-20\n\nStock #,Carat,Report #,Lab\n"
        "T-1,1.02,1234567890,GIA\nT-2,0.50,,\n",
        encoding="utf-8",
    )
    sheet = read_sheet(titled)
    assert sheet.header_row == 4 and sheet.headers[:2] == ("Stock #", "Carat")
    assert [r.number for r in sheet.rows] == [5, 6]
    plan = plan_file(shop, titled)
    assert plan.errors == [] and [r.stone.stock_no for r in plan.stones] == ["T-1", "T-2"]

    hinted = tmp_path / "hinted.csv"
    hinted.write_text("sep=;\nStock #;Carat;Price\nH-1;1,05;1.234,50\n", encoding="utf-8")
    sheet = read_sheet(hinted)
    assert sheet.delimiter == ";" and sheet.headers == ("Stock #", "Carat", "Price")
    [ready] = plan_file(shop, hinted).stones
    assert (ready.stone.weight_mct, ready.stone.cost_minor) == (1050, 123_450)

    book = write_xlsx(
        tmp_path / "titled.xlsx",
        [["Stock list from Meridian Gems"], [], ["Stock #", "Carats", "Cert No"], ["X-1", 0.7, ""]],
    )
    sheet = read_sheet(book)
    assert sheet.header_row == 3 and [r.cells[0] for r in sheet.rows] == ["X-1"]


def test_a_header_of_unknown_names_stays_the_header(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,Wt,Cert\nA-1,1.0,2141438169\nA-2,0.5,2141438170\n", encoding="utf-8")
    sheet = read_sheet(odd)
    assert sheet.header_row == 1 and sheet.headers == ("Ref", "Wt", "Cert")
    assert len(sheet.rows) == 2


def test_a_second_column_with_the_same_header_is_pointed_out(shop, tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("Stock #,Carat,Shape,Carat\nW-1,1.05,Oval,0.99\n", encoding="utf-8")
    plan = plan_file(shop, twice)
    assert plan.ok and [r.stone.weight_mct for r in plan.stones] == [1050]
    [note] = plan.notes
    assert "columns B and D" in note and "Carat weight" in note and "D is left out" in note
    plain = tmp_path / "plain.csv"
    plain.write_text("Stock #,Carat\nW-2,1.05\n", encoding="utf-8")
    assert plan_file(shop, plain).notes == []
