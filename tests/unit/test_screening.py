"""Screening against the bundled lists: name variants that must match, and names that must not."""

from __future__ import annotations

from datetime import date

import pytest

from jewelerdesk.domain.gaps import Paperwork, Screening, Severity, piece_gaps
from jewelerdesk.domain.model import (
    ClaimClass,
    Item,
    Metal,
    MetalComponent,
    MetalLot,
    OriginType,
    Stone,
    StoneType,
    WarrantyStatement,
)
from jewelerdesk.domain.screening import fold_name, screen_name, screen_origin
from jewelerdesk.reference.lists import bundled

LISTS = bundled()


def test_bundled_lists_say_what_and_when() -> None:
    assert (LISTS.cahra.name, LISTS.cahra.version) == ("EU indicative CAHRA list", "June 2026")
    assert len(LISTS.cahra_regions) == 234
    assert LISTS.sanctions.version == "2024-05-03"
    assert len(LISTS.sanctioned) > 100


@pytest.mark.parametrize(
    "name",
    [
        "Alrosa",
        "ALROSA PJSC",
        "Public Joint-Stock Company “Alrosa”",
        "P.J.S.C. ALROSA",
        "alrosa, public joint stock co.",
        "Gems Enterprise, Myanma",
        "MYANMA GEMS ENTERPRISE LTD",
        "ПАО АЛРОСА",  # in its own script: read, not dropped as unreadable and passed as clean
        "Публичное акционерное общество «АЛРОСА»",
    ],
)
def test_variants_of_listed_names_match(name: str) -> None:
    hits = screen_name(name, LISTS)
    assert hits, name
    assert hits[0].list.version == "2024-05-03"


@pytest.mark.parametrize(
    "name",
    [
        "Rosa Jewellers",
        "Alpine Assay & Refining SA",
        "Meridian Diamond Wholesale BV",
        "Myanmar Pearl Traders",
        "Gems",
        "",
        "ООО Ромашка",
        "Κοσμήματα Ρόδου",
    ],
)
def test_unrelated_names_do_not_match(name: str) -> None:
    assert screen_name(name, LISTS) == []


def test_folding() -> None:
    assert fold_name("Société Générale S.A.") == fold_name("societe generale")
    assert fold_name("Almazy Rossii") == fold_name("Almazi Rossii")
    assert fold_name("Zoloto Kholding") == fold_name("Zoloto Holding")


def test_origin_screening() -> None:
    assert {h.code for h in screen_origin("CD", "CD-NK", LISTS)} >= {"CD-NK", "CD"}
    assert any("CAHRA" in h.list.name for h in screen_origin("ZW", "", LISTS))
    assert screen_origin("BW", "", LISTS) == []
    assert screen_origin("CN", "CN-XJ", LISTS)[0].code == "CN-XJ"
    assert screen_origin("CN", "", LISTS) == []


def test_g8_in_piece_gaps() -> None:
    stone = Stone(
        StoneType.DIAMOND,
        OriginType.NATURAL,
        300,
        country_of_mining="ZW",
        warranty=WarrantyStatement.SOW_2018,
        acquired_on="2026-01-01",
        supplier_id="p1",
    )
    lot = MetalLot(
        "AU-1",
        Metal.GOLD,
        750,
        ClaimClass.UNSPECIFIED,
        refiner_cid="CID000001",
        country_of_origin="CD",
    )
    item = Item(
        sku="R-1", description="Ring", stones=[stone], metals=[MetalComponent(lot.id, 100, 750)]
    )
    screening = Screening(LISTS, {"p1": ("Alrosa PJSC", screen_name("Alrosa PJSC", LISTS))})
    gaps = [
        g
        for g in piece_gaps(item, {lot.id: lot}, Paperwork(), date(2026, 11, 24), screening)
        if g.rule == "G8"
    ]
    assert [g.severity for g in gaps][0] == Severity.CRITICAL  # the sanctioned supplier first
    assert {g.component for g in gaps} == {"stone", "lot"}
    assert any("June 2026" in g.basis for g in gaps)
    assert [
        g
        for g in piece_gaps(item, {lot.id: lot}, Paperwork(), date(2026, 11, 24))
        if g.rule == "G8"
    ] == []
