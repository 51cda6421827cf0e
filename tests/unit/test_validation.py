"""Field rules: boundaries and formats a clerk will hit."""

from __future__ import annotations

import pytest

from jewelerdesk.domain.model import (
    ClaimClass,
    Item,
    Metal,
    MetalComponent,
    MetalLot,
    OriginType,
    Party,
    PartyKind,
    ShopIdentity,
    Stone,
    StoneType,
)
from jewelerdesk.domain.validation import (
    report_number_problem,
    validate_item,
    validate_lot,
    validate_metal_component,
    validate_party,
    validate_shop,
    validate_stone,
)


def diamond(**kw) -> Stone:
    base = {
        "stone_type": StoneType.DIAMOND,
        "origin_type": OriginType.NATURAL,
        "weight_mct": 1000,
        "item_id": "x",
    }
    base.update(kw)
    return Stone(**base)


@pytest.mark.parametrize(
    ("weight", "ok"), [(0, False), (-5, False), (1, True), (10_000_000, True), (10_000_001, False)]
)
def test_stone_weight_bounds(weight, ok) -> None:
    assert ("weight_mct" not in validate_stone(diamond(weight_mct=weight))) is ok


@pytest.mark.parametrize(
    ("fineness", "ok"), [(0, False), (1, True), (585, True), (1000, True), (1001, False)]
)
def test_fineness_bounds(fineness, ok) -> None:
    lot = MetalLot("L1", Metal.SILVER, fineness, ClaimClass.UNSPECIFIED)
    assert ("fineness_ppt" not in validate_lot(lot)) is ok
    mc = MetalComponent(lot_id="l", mass_mg=10, fineness_ppt=fineness)
    assert ("fineness_ppt" not in validate_metal_component(mc)) is ok


def test_countries_and_regions() -> None:
    assert "country_of_mining" not in validate_stone(diamond(country_of_mining="BW"))
    assert "country_of_mining" in validate_stone(diamond(country_of_mining="XX"))
    assert "country_of_mining" in validate_stone(diamond(country_of_mining="BWA"))
    assert "region_of_mining" not in validate_stone(
        diamond(country_of_mining="CD", region_of_mining="CD-NK")
    )
    assert "region_of_mining" in validate_stone(
        diamond(country_of_mining="BW", region_of_mining="CD-NK")
    )
    assert "region_of_mining" in validate_stone(diamond(region_of_mining="CD-ZZ"))


@pytest.mark.parametrize(
    ("lab", "number", "origin", "ok"),
    [
        ("GIA", "2141438169", OriginType.NATURAL, True),
        ("GIA", "214143816", OriginType.NATURAL, False),
        ("GIA", "21414381690", OriginType.NATURAL, False),
        ("IGI", "123456789", OriginType.NATURAL, True),
        ("IGI", "LG123456789", OriginType.LAB_GROWN, True),
        ("IGI", "LG123456789", OriginType.NATURAL, False),
        ("IGI", "12345678", OriginType.NATURAL, False),
        ("HRD", "230000123456", OriginType.NATURAL, True),
        ("HRD", "12 34!", OriginType.NATURAL, False),
    ],
)
def test_report_number_formats(lab, number, origin, ok) -> None:
    assert (report_number_problem(lab, number, origin) is None) is ok


def test_stone_rules() -> None:
    assert "report_lab" in validate_stone(diamond(report_no="2141438169"))
    assert "special_care" in validate_stone(diamond(treatments=["F"], treatment_permanent=False))
    assert "special_care" not in validate_stone(diamond(treatments=["H"], treatment_permanent=True))
    assert "kp_cert_no" in validate_stone(diamond(kp_cert_no="123"))
    assert "stock_no" in validate_stone(diamond(item_id=None))
    assert "origin_type" in validate_stone(
        Stone(StoneType.PEARL, OriginType.LAB_GROWN, 100, item_id="x")
    )
    assert "variety" in validate_stone(
        Stone(StoneType.COLOURED_GEM, OriginType.NATURAL, 100, item_id="x")
    )


def test_item_rules() -> None:
    assert validate_item(Item(sku="R-1", description="Ring")) == {}
    errors = validate_item(Item(sku="", description=" ", currency="XYZ", price_minor=-1))
    assert {"sku", "description", "currency", "price_minor"} <= set(errors)
    assert "sku" in validate_item(Item(sku="R 1", description="Ring"))
    nested = validate_item(Item(sku="R-2", description="Ring", stones=[diamond(weight_mct=0)]))
    assert nested == {"stones[1].weight_mct": "Stone 1: Weight must be greater than zero."}


def test_party_and_shop_rules() -> None:
    assert (
        validate_party(Party("Alpine Refining SA", PartyKind.REFINER, "CH", rmi_cid="CID002030"))
        == {}
    )
    errors = validate_party(Party("", PartyKind.REFINER, "", rmi_cid="CID12"))
    assert {"legal_name", "country", "rmi_cid"} <= set(errors)
    shop = ShopIdentity(name="Shop", address="1 Main St", country="US")
    assert validate_shop(shop) == {}
    bad = ShopIdentity(
        name="",
        address="",
        country="ZZ",
        email="nope",
        certificate_prefix="TOO-LONG-PREFIX",
        paper_size="A3",
    )
    assert {"name", "address", "country", "email", "certificate_prefix", "paper_size"} <= set(
        validate_shop(bad)
    )


def test_goods_cannot_have_come_in_after_today() -> None:
    from datetime import date, timedelta

    from jewelerdesk.domain.model import ClaimClass, Metal, MetalLot, OriginType, Stone, StoneType
    from jewelerdesk.domain.validation import validate_lot, validate_stone

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    lot = MetalLot("FUT750", Metal.GOLD, 750, ClaimClass.RECYCLED, received_on=tomorrow)
    assert "after today" in validate_lot(lot)["received_on"]
    stone = Stone(StoneType.DIAMOND, OriginType.NATURAL, 500, acquired_on=tomorrow)
    assert "after today" in validate_stone(stone)["acquired_on"]
    today = date.today().isoformat()
    assert "received_on" not in validate_lot(
        MetalLot("NOW750", Metal.GOLD, 750, ClaimClass.RECYCLED, received_on=today)
    )
