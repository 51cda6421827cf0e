"""A realistic demo shop: suppliers, a lab, refiners, metal lots, about thirty pieces and
sample paperwork. Some records deliberately lack paperwork (no warranty on one invoice, a
diamond with no country of mining, a recycled lot without its declaration, a platinum lot
with no refiner) so the custody-gap work has something true to find.

Everything is generated from a fixed seed, so two demo shops are the same shop. Large shops
(``--items 100000``) use bulk inserts inside one transaction and rebuild the search index
once at the end.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..domain.custody import Confidence, Hop
from ..domain.model import (
    ClaimClass,
    DocType,
    ItemCategory,
    ItemStatus,
    Metal,
    MetalForm,
    MetalLot,
    MetalPart,
    MovementKind,
    OriginType,
    Party,
    PartyKind,
    ShopIdentity,
    Stone,
    StoneType,
    SubjectKind,
    WarrantyStatement,
    new_id,
)
from ..errors import Conflict
from ..store import backfill, events, records
from . import custody, demo_papers, inventory, paperwork
from .shop import Shop

DEFAULT_ITEMS = 30
SEED = 20261124

DEMO_SHOP = ShopIdentity(
    name="Harbour Lane Jewellers (demo)",
    address="12 Harbour Lane, Portsmouth, NH 03801",
    country="US",
    phone="+1 603 555 0142",
    email="counter@harbourlane.example",
    certificate_prefix="HLJ",
    currency="USD",
    paper_size="Letter",
)

# GIA sandbox report numbers (MIT, gialaboratory): real numbers GIA publishes for testing.
GIA_NUMBERS = [
    "2141438169",
    "2141438170",
    "2225529493",
    "2225737134",
    "5221758381",
    "6223737136",
    "1226529465",
    "2141438171",
    "2141438172",
    "6204990354",
]

ProgressFn = Callable[[int, int], None]


@dataclass
class DemoSummary:
    pieces: int
    loose_stones: int
    lots: int
    parties: int
    documents: int


def _parties() -> dict[str, Party]:
    P = Party
    return {
        "meridian": P(
            "Meridian Diamond Wholesale BV",
            PartyKind.WHOLESALER,
            "BE",
            address="Hoveniersstraat 30, 2018 Antwerpen",
            wdc_sow_registered=True,
            rjc_member_no="M-0000-DEMO1",
        ),
        "lakeside": P(
            "Lakeside Lab-Grown Diamonds Pvt Ltd",
            PartyKind.GROWER,
            "IN",
            address="Surat Diamond Bourse, Surat, Gujarat",
        ),
        "ceylon": P(
            "Ratnapura Gem Exports (Pvt) Ltd",
            PartyKind.WHOLESALER,
            "LK",
            address="Main Street, Ratnapura",
        ),
        "pearl": P(
            "Kimberley Coast Pearl Co.",
            PartyKind.SUPPLIER,
            "AU",
            address="Broome, Western Australia",
        ),
        "gia": P(
            "Gemological Institute of America",
            PartyKind.GRADING_LAB,
            "US",
            address="5345 Armada Drive, Carlsbad, CA",
        ),
        "alpine": P(
            "Alpine Assay & Refining SA",
            PartyKind.REFINER,
            "CH",
            address="Via Industria 4, Mendrisio",
            rmi_cid="CID999001",
            lbma_good_delivery=True,
        ),
        "loop": P(
            "Greenloop Precious Metals Recycling Inc.",
            PartyKind.RECYCLER,
            "US",
            address="88 Foundry Road, Providence, RI",
            rmi_cid="CID999002",
        ),
        "bench": P(
            "Bench & Bezel Casting Co.",
            PartyKind.MANUFACTURER,
            "US",
            address="401 Jewelers Row, Providence, RI",
        ),
        "kalahari": P(
            "Kalahari Plains Mining (Pty) Ltd",
            PartyKind.MINE,
            "BW",
            address="Plot 204, Orapa",
        ),
        "facet": P(
            "Antwerp Facet Works NV",
            PartyKind.CUTTER,
            "BE",
            address="Schupstraat 9, 2018 Antwerpen",
            rjc_coc_cert_no="COC-DEMO-0042",
            rjc_coc_expiry="2026-06-30",
        ),
        "estate": P("Harbour Estate Buying", PartyKind.SUPPLIER, "US", address="Portsmouth, NH"),
        "silver": P(
            "Taxco Plata Mayorista SA de CV",
            PartyKind.SUPPLIER,
            "MX",
            address="Taxco de Alarcón, Guerrero",
        ),
    }


# lot key -> (lot no, metal, fineness, form, claim, refiner key, cid, origin, supplier key)
_LOTS: dict[str, tuple[str, Metal, int, MetalForm, ClaimClass, str | None, str, str, str]] = {
    "y14": (
        "AU585-Y-2601",
        Metal.GOLD,
        585,
        MetalForm.CASTING_GRAIN,
        ClaimClass.RECYCLED,
        "loop",
        "CID999002",
        "",
        "loop",
    ),
    "w18": (
        "AU750-W-2602",
        Metal.GOLD,
        750,
        MetalForm.CASTING_GRAIN,
        ClaimClass.MINED_CERTIFIED,
        "alpine",
        "CID999001",
        "PE",
        "alpine",
    ),
    "y18": (
        "AU750-Y-2603",
        Metal.GOLD,
        750,
        MetalForm.WIRE,
        ClaimClass.UNSPECIFIED,
        "alpine",
        "",
        "",
        "alpine",
    ),
    "ag925": (
        "AG925-2604",
        Metal.SILVER,
        925,
        MetalForm.SHEET,
        ClaimClass.RECYCLED,
        None,
        "",
        "",
        "silver",
    ),
    "pt950": (
        "PT950-2605",
        Metal.PLATINUM,
        950,
        MetalForm.CASTING_GRAIN,
        ClaimClass.UNSPECIFIED,
        None,
        "",
        "",
        "bench",
    ),
}

_KARAT = {
    "y14": "14K yellow gold",
    "w18": "18K white gold",
    "y18": "18K yellow gold",
    "ag925": "925 silver",
    "pt950": "950 platinum",
}


def _templates() -> list[dict[str, Any]]:
    """Kinds of piece the demo makes; ``gaps`` notes what each deliberately lacks."""
    return [
        {
            "cat": ItemCategory.RING,
            "desc": "Solitaire engagement ring, round brilliant natural diamond",
            "lot": "w18",
            "mg": 4200,
            "part": MetalPart.SHANK,
            "stones": [
                ("diamond_gia", 1),
            ],
            "price": (320000, 900000),
        },
        {
            "cat": ItemCategory.RING,
            "desc": "Three-stone ring, natural diamonds",
            "lot": "y18",
            "mg": 5100,
            "part": MetalPart.SHANK,
            "stones": [("diamond_gia", 1), ("diamond_small", 2)],
            "price": (280000, 640000),
        },
        {
            "cat": ItemCategory.EARRINGS,
            "desc": "Stud earrings, laboratory-grown diamonds",
            "lot": "y14",
            "mg": 1800,
            "part": MetalPart.SETTING,
            "stones": [("lab_diamond", 2)],
            "price": (90000, 240000),
        },
        {
            "cat": ItemCategory.PENDANT,
            "desc": "Pendant, blue sapphire with diamond halo",
            "lot": "w18",
            "mg": 2600,
            "part": MetalPart.HEAD,
            "stones": [("sapphire", 1), ("melee", 12)],
            "price": (180000, 420000),
        },
        {
            "cat": ItemCategory.EARRINGS,
            "desc": "Drop earrings, Akoya cultured pearls",
            "lot": "y14",
            "mg": 1500,
            "part": MetalPart.FINDING,
            "stones": [("pearl", 2)],
            "price": (45000, 120000),
        },
        {
            "cat": ItemCategory.PENDANT,
            "desc": "Bar pendant",
            "lot": "ag925",
            "mg": 6800,
            "part": MetalPart.BODY,
            "stones": [],
            "price": (6500, 19000),
        },
        {
            "cat": ItemCategory.RING,
            "desc": "Wedding band, comfort fit",
            "lot": "pt950",
            "mg": 7400,
            "part": MetalPart.SHANK,
            "stones": [],
            "price": (140000, 260000),
        },
        {
            "cat": ItemCategory.RING,
            "desc": "Eternity band, laboratory-grown diamonds",
            "lot": "y14",
            "mg": 3300,
            "part": MetalPart.SHANK,
            "stones": [("lab_melee", 18)],
            "price": (120000, 260000),
        },
        {
            "cat": ItemCategory.RING,
            "desc": "Cocktail ring, natural diamond, no paperwork from estate",
            "lot": "y18",
            "mg": 6100,
            "part": MetalPart.SHANK,
            "stones": [("diamond_unknown", 1)],
            "price": (150000, 380000),
        },
        {
            "cat": ItemCategory.PENDANT,
            "desc": "Heart pendant with chain",
            "lot": "ag925",
            "mg": 5200,
            "part": MetalPart.CHAIN,
            "stones": [],
            "price": (7900, 16000),
        },
    ]


def _gia_number(serial: int) -> str:
    """A report number for the demo's ``serial``-th stone: GIA's published sandbox numbers
    first, then made-up ten-digit ones, so no two demo stones share a report."""
    if serial < len(GIA_NUMBERS):
        return GIA_NUMBERS[serial]
    return f"{3_100_000_000 + serial * 7:010d}"


def _stone(kind: str, count: int, rng: random.Random, suppliers: dict[str, Party], n: int) -> Stone:
    """A demo stone of a kind; ``n`` is unique to it (its report number comes from it)."""
    if kind == "diamond_gia":
        return Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            rng.choice([450, 499, 500, 700, 1010, 1200]),
            count=count,
            shape="Round brilliant",
            colour=rng.choice("DEFGH"),
            clarity=rng.choice(["VVS2", "VS1", "VS2", "SI1"]),
            report_lab="GIA",
            report_no=_gia_number(n),
            report_date="2025-11-03",
            country_of_mining=rng.choice(["BW", "CA", "NA", ""]),
            country_of_cutting="BE",
            warranty=WarrantyStatement.SOW_2018,
            supplier_id=suppliers["meridian"].id,
            acquired_on="2026-02-10",
        )
    if kind == "diamond_small":
        return Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            250,
            count=count,
            weight_is_total=True,
            shape="Round brilliant",
            colour="G",
            clarity="VS2",
            warranty=WarrantyStatement.SOW_2018,
            country_of_cutting="IN",
            supplier_id=suppliers["meridian"].id,
            acquired_on="2026-02-10",
        )
    if kind == "diamond_unknown":
        return Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            1050,
            count=count,
            shape="Old European",
            colour="J",
            clarity="SI2",
            supplier_id=suppliers["estate"].id,
            acquired_on="2024-05-20",
        )
    if kind == "lab_diamond":
        return Stone(
            StoneType.DIAMOND,
            OriginType.LAB_GROWN,
            rng.choice([500, 750, 1000]),
            count=count,
            shape="Round brilliant",
            colour="E",
            clarity="VS1",
            growth_method="CVD",
            report_lab="IGI",
            report_no=f"LG{600000000 + n * 7919 % 99999999:09d}",
            country_of_cutting="IN",
            supplier_id=suppliers["lakeside"].id,
            acquired_on="2026-03-04",
        )
    if kind == "lab_melee":
        return Stone(
            StoneType.DIAMOND,
            OriginType.LAB_GROWN,
            900,
            count=count,
            weight_is_total=True,
            shape="Round brilliant",
            colour="F",
            clarity="VS",
            growth_method="HPHT",
            supplier_id=suppliers["lakeside"].id,
            acquired_on="2026-03-04",
        )
    if kind == "sapphire":
        return Stone(
            StoneType.COLOURED_GEM,
            OriginType.NATURAL,
            rng.choice([1520, 2030, 980]),
            count=count,
            species="corundum",
            variety="sapphire",
            shape="Oval",
            colour="Royal blue",
            treatments=["H"],
            treatment_permanent=True,
            country_of_mining="LK",
            supplier_id=suppliers["ceylon"].id,
            acquired_on="2026-01-15",
        )
    if kind == "melee":
        return Stone(
            StoneType.DIAMOND,
            OriginType.NATURAL,
            240,
            count=count,
            weight_is_total=True,
            shape="Round brilliant",
            colour="G",
            clarity="SI1",
            supplier_id=suppliers["meridian"].id,
            acquired_on="2026-02-10",
        )
    if kind == "pearl":
        return Stone(
            StoneType.PEARL,
            OriginType.CULTURED_PEARL,
            2100,
            count=count,
            weight_is_total=True,
            species="Pinctada fucata",
            variety="Akoya pearl",
            shape="Round 7.5 mm",
            colour="White rosé",
            supplier_id=suppliers["pearl"].id,
            acquired_on="2026-04-01",
        )
    raise ValueError(kind)


def build_demo(
    shop: Shop,
    items: int = DEFAULT_ITEMS,
    loose: int | None = None,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Fill an empty shop with the demo. Refuses a shop that already holds pieces."""
    if records.count_by(shop.db, "item") or records.count_by(shop.db, "party"):
        raise Conflict("This data folder already holds a shop; the demo needs an empty folder.")
    rng = random.Random(SEED)
    loose = loose if loose is not None else max(8, min(items // 3, 5000))
    report = progress or (lambda done, total: None)
    report(0, items)
    inventory.save_shop_identity(shop, ShopIdentity(**DEMO_SHOP.__dict__))
    parties = _parties()
    for p in parties.values():
        inventory.save_party(shop, p)

    templates = _templates()
    plan = [templates[i % len(templates)] for i in range(items)]
    need: dict[str, int] = {}
    for t in plan:
        need[t["lot"]] = need.get(t["lot"], 0) + t["mg"]
    lots: dict[str, MetalLot] = {}
    for key, (no, metal, fine, form, claim, refiner, cid, origin, supplier) in _LOTS.items():
        lot = MetalLot(
            no,
            metal,
            fine,
            claim,
            form=form,
            refiner_id=parties[refiner].id if refiner else None,
            refiner_cid=cid,
            bar_batch_no=f"B{rng.randint(10000, 99999)}",
            country_of_origin=origin,
            supplier_id=parties[supplier].id,
            received_on="2026-01-05",
        )
        lots[key] = inventory.receive_lot(shop, lot, need.get(key, 0) * 6 // 5 + 250_000)

    stamp = records.now_iso()
    start = date(2026, 1, 10)
    item_rows: list[dict[str, Any]] = []
    stone_rows: list[dict[str, Any]] = []
    metal_rows: list[dict[str, Any]] = []
    move_rows: list[dict[str, Any]] = []
    sku_width = max(4, len(str(items)))
    statuses = [ItemStatus.IN_STOCK] * 8 + [ItemStatus.MEMO_IN, ItemStatus.SOLD]
    for n, t in enumerate(plan):
        item_id = new_id()
        prefix = {"ring": "R", "pendant": "P", "earrings": "E"}.get(str(t["cat"]), "X")
        sku = f"{prefix}-{n + 1:0{sku_width}d}"
        stones = [_stone(k, c, rng, parties, n) for k, c in t["stones"]]
        lot = lots[t["lot"]]
        mg = t["mg"] + rng.randint(-150, 150)
        desc = f"{_KARAT[t['lot']]} {t['desc'][0].lower()}{t['desc'][1:]}"
        lo, hi = t["price"]
        item_rows.append(
            {
                "id": item_id,
                "sku": sku,
                "description": desc,
                "category": str(t["cat"]),
                "status": str(statuses[n % len(statuses)] if n >= 10 else ItemStatus.IN_STOCK),
                "maker_id": parties["bench"].id,
                "supplier_id": None,
                "cost_minor": 0,
                "price_minor": rng.randrange(lo, hi, 500),
                "currency": "USD",
                "acquired_on": (start + timedelta(days=n % 300)).isoformat(),
                "notes": "",
                "stone_count": sum(s.count for s in stones),
                "stone_mct": sum(
                    s.weight_mct if s.weight_is_total else s.weight_mct * s.count for s in stones
                ),
                "metal_mg": mg,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        for pos, s in enumerate(stones):
            s.item_id = item_id
            row = records._stone_values(s)
            row.update(position=pos, created_at=stamp, updated_at=stamp)
            stone_rows.append(row)
        comp_id = new_id()
        metal_rows.append(
            {
                "id": comp_id,
                "item_id": item_id,
                "lot_id": lot.id,
                "position": 0,
                "mass_mg": mg,
                "fineness_ppt": lot.fineness_ppt,
                "part": str(t["part"]),
            }
        )
        move_rows.append(
            {
                "lot_id": lot.id,
                "kind": str(MovementKind.DRAW),
                "mass_mg": mg,
                "item_id": item_id,
                "component_id": comp_id,
                "occurred_at": stamp,
                "note": f"drawn into {sku}",
            }
        )
        if progress and n % 5000 == 4999:
            report(n + 1, items)

    loose_kinds = ["diamond_gia", "lab_diamond", "sapphire", "diamond_unknown"]
    for n in range(loose):
        s = _stone(loose_kinds[n % len(loose_kinds)], 1, rng, parties, items + n)
        s.stock_no = f"LS-{n + 1:0{sku_width}d}"
        row = records._stone_values(s)
        row.update(position=0, created_at=stamp, updated_at=stamp)
        stone_rows.append(row)

    with shop.db.atomic():
        records.bulk_insert(shop.db, "item", item_rows)
        records.bulk_insert(shop.db, "stone", stone_rows)
        records.bulk_insert(shop.db, "metal_component", metal_rows)
        records.bulk_insert(shop.db, "metal_movement", move_rows)
        records.rebuild_search_index(shop.db)
        # Receipts of the stones and pieces and the assembly of each piece, as the editor
        # would have recorded them one by one (lots were received through the service).
        events.insert_events_bulk(
            shop.db,
            backfill.implied_events(
                shop.db,
                backfill.shop_party_id(shop.db),
                Confidence.OWNER_ASSERTED,
                include_lots=False,
            ),
        )
    report(items, items)

    documents = _demo_paperwork(shop, parties, lots, item_rows)
    _demo_upstream(shop, parties, item_rows)
    return DemoSummary(
        pieces=items, loose_stones=loose, lots=len(lots), parties=len(parties), documents=documents
    )


def _demo_paperwork(
    shop: Shop,
    parties: dict[str, Party],
    lots: dict[str, MetalLot],
    item_rows: list[dict[str, Any]],
) -> int:
    """Generate and attach the sample PDFs. The estate piece and the silver and platinum
    lots get none, on purpose."""
    attached = 0
    with tempfile.TemporaryDirectory(prefix="jd-demo-") as tmp:
        folder = Path(tmp)
        rows = item_rows[:4]

        inv = folder / "meridian-invoice-MDW-26-0114.pdf"
        demo_papers.invoice(
            inv,
            parties["meridian"].legal_name,
            "MDW-26-0114",
            "2026-02-10",
            DEMO_SHOP.name,
            [[r["sku"], r["description"][:48], "", "", ""] for r in rows[:4]],
            with_warranty=True,
        )
        inv2 = folder / "lakeside-invoice-LLG-3312.pdf"
        demo_papers.invoice(
            inv2,
            parties["lakeside"].legal_name,
            "LLG-3312",
            "2026-03-04",
            DEMO_SHOP.name,
            [["", "Laboratory-grown diamonds, CVD, E VS1", "", "", ""]],
            with_warranty=False,
        )
        report = folder / f"GIA-{GIA_NUMBERS[0]}.pdf"
        demo_papers.grading_report(
            report,
            "Gemological Institute of America",
            GIA_NUMBERS[0],
            "2025-11-03",
            [
                ("Shape", "Round brilliant"),
                ("Carat weight", "1.01 carat"),
                ("Colour grade", "F"),
                ("Clarity grade", "VS1"),
                ("Inscription", f"GIA {GIA_NUMBERS[0]}"),
            ],
        )
        assay = folder / "alpine-assay-AAR-77120.pdf"
        demo_papers.assay_certificate(
            assay,
            parties["alpine"].legal_name,
            "AAR-77120",
            "2026-01-05",
            [
                ("Lot", lots["w18"].lot_no),
                ("Fineness", "750.2 ‰ Au"),
                ("Refiner RMI id", "CID999001"),
            ],
        )
        decl = folder / "greenloop-recycled-RD-1189.pdf"
        demo_papers.recycled_declaration(
            decl, parties["loop"].legal_name, "RD-1189", "2026-01-05", lots["y14"].lot_no
        )

        def attach(
            kind: SubjectKind,
            sid: str,
            path: Path,
            dt: DocType,
            issuer: str,
            number: str,
            issued: str,
        ) -> None:
            nonlocal attached
            paperwork.attach(
                shop, kind, sid, path, dt, issuer=issuer, number=number, issue_date=issued
            )
            attached += 1

        attach(
            SubjectKind.PARTY,
            parties["meridian"].id,
            inv,
            DocType.INVOICE,
            parties["meridian"].legal_name,
            "MDW-26-0114",
            "2026-02-10",
        )
        attach(
            SubjectKind.PARTY,
            parties["lakeside"].id,
            inv2,
            DocType.INVOICE,
            parties["lakeside"].legal_name,
            "LLG-3312",
            "2026-03-04",
        )
        attach(
            SubjectKind.LOT,
            lots["w18"].id,
            assay,
            DocType.ASSAY_CERTIFICATE,
            parties["alpine"].legal_name,
            "AAR-77120",
            "2026-01-05",
        )
        attach(
            SubjectKind.LOT,
            lots["y14"].id,
            decl,
            DocType.RECYCLED_DECLARATION,
            parties["loop"].legal_name,
            "RD-1189",
            "2026-01-05",
        )
        # The invoice and report also belong to the pieces they cover (shown in each piece).
        natural = [
            r
            for r in item_rows[:40]
            if "natural diamond" in r["description"] and "estate" not in r["description"]
        ]
        for r in natural[:3]:
            paperwork.attach(shop, SubjectKind.ITEM, r["id"], inv, DocType.INVOICE)
        if natural:
            paperwork.attach(
                shop,
                SubjectKind.ITEM,
                natural[0]["id"],
                report,
                DocType.GRADING_REPORT,
                issuer="Gemological Institute of America",
                number=GIA_NUMBERS[0],
                issue_date="2025-11-03",
            )
            attached += 1
    return attached


def _demo_upstream(shop: Shop, parties: dict[str, Party], item_rows: list[dict[str, Any]]) -> None:
    """Hand-entered history for two diamonds: one complete from the mine to the shop, one
    with a hand-over missing (gap G9), as a shop owner would enter from the paperwork."""
    natural = [
        r
        for r in item_rows[:40]
        if "natural diamond" in r["description"] and "estate" not in r["description"]
    ]
    if len(natural) < 2:
        return
    first = records.get_item(shop.db, natural[0]["id"])
    second = records.get_item(shop.db, natural[1]["id"])
    assert first is not None and second is not None
    report = next(
        (
            d
            for d in records.documents_for(shop.db, SubjectKind.ITEM, first.id)
            if d.doc_type == DocType.GRADING_REPORT
        ),
        None,
    )
    stone = first.stones[0]
    mine, facet, gia, meridian = (
        parties["kalahari"].id,
        parties["facet"].id,
        parties["gia"].id,
        parties["meridian"].id,
    )
    S = SubjectKind.STONE
    custody.record_hop(
        shop,
        Hop.MINED,
        S,
        stone.id,
        "2024-10-14",
        party_id=mine,
        country="BW",
        confidence=Confidence.SUPPLIER_DECLARED,
    )
    custody.record_hop(
        shop,
        Hop.TRANSFERRED,
        S,
        stone.id,
        "2025-01-22",
        party_id=facet,
        from_party_id=mine,
        country="BW",
        confidence=Confidence.SUPPLIER_DECLARED,
    )
    custody.record_hop(
        shop,
        Hop.CUT,
        S,
        stone.id,
        "2025-06-03",
        party_id=facet,
        country="BE",
        confidence=Confidence.SUPPLIER_DECLARED,
    )
    custody.record_hop(
        shop,
        Hop.GRADED,
        S,
        stone.id,
        "2025-11-03",
        party_id=gia,
        country="US",
        evidence=[report.id] if report else [],
    )
    custody.record_hop(
        shop,
        Hop.TRANSFERRED,
        S,
        stone.id,
        "2026-01-20",
        party_id=meridian,
        from_party_id=facet,
        country="BE",
        confidence=Confidence.SUPPLIER_DECLARED,
    )
    custody.record_hop(
        shop,
        Hop.MINED,
        S,
        second.stones[0].id,
        "2024-11-02",
        party_id=mine,
        country="BW",
        confidence=Confidence.OWNER_ASSERTED,
        note="from the supplier's telephone answer",
    )
