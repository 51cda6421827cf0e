"""Certificate wording under the FTC Jewelry Guides and Green Guides: tables that can fail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jewelerdesk.domain import ftc
from jewelerdesk.domain.model import (
    ClaimClass,
    Metal,
    MetalComponent,
    MetalLot,
    MetalPart,
    OriginType,
    Stone,
    StoneType,
)


@pytest.mark.parametrize(
    ("stone_type", "origin", "variety", "treatments", "expected"),
    [
        (StoneType.DIAMOND, OriginType.NATURAL, "", [], "diamond"),
        (StoneType.DIAMOND, OriginType.LAB_GROWN, "", [], "laboratory-grown diamond"),
        (
            StoneType.COLOURED_GEM,
            OriginType.LAB_GROWN,
            "Sapphire",
            [],
            "laboratory-created sapphire",
        ),
        (StoneType.COLOURED_GEM, OriginType.NATURAL, "Ruby", [], "ruby"),
        (StoneType.DIAMOND, OriginType.IMITATION, "", [], "imitation diamond"),
        (StoneType.COLOURED_GEM, OriginType.IMITATION, "emerald", [], "imitation emerald"),
        (StoneType.PEARL, OriginType.CULTURED_PEARL, "", [], "cultured pearl"),
        (StoneType.PEARL, OriginType.NATURAL_PEARL, "", [], "natural pearl"),
        (StoneType.COLOURED_GEM, OriginType.NATURAL, "", [], "gemstone"),
        (
            StoneType.COLOURED_GEM,
            OriginType.NATURAL,
            "Ruby",
            ["lead glass filling"],
            "lead-glass-filled composite stone",
        ),
    ],
)
def test_stone_names(stone_type, origin, variety, treatments, expected) -> None:
    s = Stone(stone_type, origin, 500, variety=variety, treatments=treatments)
    assert ftc.stone_name(s) == expected


@given(
    st.sampled_from([StoneType.DIAMOND, StoneType.COLOURED_GEM]),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "Zs"]), max_size=20),
)
def test_lab_grown_qualifier_always_comes_first_and_never_faux(kind, variety) -> None:
    name = ftc.stone_name(Stone(kind, OriginType.LAB_GROWN, 100, variety=variety))
    assert name.startswith("laboratory-")
    assert "faux" not in name and "synthetic" not in name


@pytest.mark.parametrize(
    ("mct", "count", "total", "expected"),
    [
        (500, 1, False, "1 stone, 0.50 ct"),
        (499, 1, False, "1 stone, 0.499 ct"),
        (1000, 1, False, "1 stone, 1.00 ct"),
        (300, 3, True, "3 stones, 0.30 ct total"),
        (100, 3, False, "3 stones, 0.10 ct each"),
    ],
)
def test_quantities(mct, count, total, expected) -> None:
    s = Stone(StoneType.DIAMOND, OriginType.NATURAL, mct, count=count, weight_is_total=total)
    assert ftc.stone_quantity(s) == expected


def test_treatments_disclosed_with_care() -> None:
    s = Stone(StoneType.COLOURED_GEM, OriginType.NATURAL, 800, variety="emerald")
    assert ftc.treatment_disclosure(s) == ""
    s.treatments = ["oiled"]
    s.treatment_permanent = False
    s.special_care = "Avoid ultrasonic cleaners"
    assert ftc.treatment_disclosure(s) == (
        "Treated: oiled. This treatment may not be permanent. "
        "Special care: Avoid ultrasonic cleaners."
    )
    s.treatment_permanent = True
    s.special_care = ""
    assert ftc.treatment_disclosure(s) == "Treated: oiled."


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["H"], "Treated: heating."),
        (["h", " HP "], "Treated: heating and heating under pressure."),
        (["F", "L", "H"], "Treated: filling, lasering and heating."),
        (["N"], ""),  # not enhanced: nothing to disclose
        (["H", "H"], "Treated: heating."),
        (["glass filled"], "Treated: glass filled."),  # free text kept as typed
        (["Q"], "Treated: Q."),  # an unknown code is not guessed at
    ],
)
def test_treatment_codes_are_spelled_out(codes: list[str], expected: str) -> None:
    s = Stone(StoneType.COLOURED_GEM, OriginType.NATURAL, 980, variety="sapphire")
    s.treatments = codes
    assert ftc.treatment_disclosure(s) == expected


@pytest.mark.parametrize(
    ("metal", "ppt", "expected"),
    [
        (Metal.GOLD, 999, "24K gold"),
        (Metal.GOLD, 916, "22K gold"),
        (Metal.GOLD, 750, "18K gold"),
        (Metal.GOLD, 585, "14K gold"),
        (Metal.GOLD, 583, "14K gold"),
        (Metal.GOLD, 581, "14K gold"),  # within 3 ppt of 14/24 = 583⅓
        (Metal.GOLD, 580, "12K gold"),  # 3⅓ ppt short of 14K: not 14K
        (Metal.GOLD, 914, "22K gold"),  # 22/24 = 916⅔, less 3
        (Metal.GOLD, 913, "20K gold"),
        (Metal.GOLD, 830, "18K gold"),  # 20/24 = 833⅓, less 3 is 830⅓
        (Metal.GOLD, 579, "12K gold"),
        (Metal.GOLD, 414, "10K gold"),
        (Metal.GOLD, 413, "9K gold"),
        (Metal.GOLD, 417, "10K gold"),
        (Metal.GOLD, 416, "10K gold"),
        (Metal.GOLD, 375, "9K gold"),
        (Metal.GOLD, 300, "300 gold alloy"),
        (Metal.SILVER, 925, "925 silver"),
        (Metal.SILVER, 900, "900 silver"),
        (Metal.SILVER, 800, "800 silver"),
        (Metal.PLATINUM, 950, "950 platinum"),
        (Metal.PLATINUM, 900, "900 platinum"),
        (Metal.PLATINUM, 600, "600 platinum alloy"),
        (Metal.PALLADIUM, 950, "950 palladium"),
    ],
)
def test_fineness_immediately_precedes_the_metal(metal, ppt, expected) -> None:
    assert ftc.metal_name(metal, ppt) == expected


def _part(claim: ClaimClass, ppt: int = 585, metal: Metal = Metal.GOLD) -> tuple:
    lot = MetalLot("L", metal, ppt, claim)
    return MetalComponent(lot.id, 3200, ppt, MetalPart.SHANK), lot


@pytest.mark.parametrize(
    ("claim", "declared", "expected"),
    [
        (ClaimClass.RECYCLED, True, "recycled 14K gold"),
        (ClaimClass.RECYCLED, False, "14K gold"),
        (ClaimClass.MINED_CERTIFIED, True, "14K gold"),
        (ClaimClass.UNSPECIFIED, False, "14K gold"),
    ],
)
def test_recycled_only_when_declared(claim, declared, expected) -> None:
    comp, lot = _part(claim)
    assert ftc.metal_part_name(comp, lot, declared) == expected


def test_piece_summary_qualifies_recycled_per_metal() -> None:
    a, la = _part(ClaimClass.RECYCLED)
    b, lb = _part(ClaimClass.UNSPECIFIED)
    c, lc = _part(ClaimClass.RECYCLED, 950, Metal.PLATINUM)
    assert ftc.piece_metal_summary([(a, la, True)]) == "recycled 14K gold"
    # One 14K part is not recycled: the 14K gold as a whole is not called recycled.
    assert ftc.piece_metal_summary([(a, la, True), (b, lb, False)]) == "14K gold"
    assert (
        ftc.piece_metal_summary([(b, lb, False), (c, lc, True)])
        == "14K gold and recycled 950 platinum"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Conflict-Free diamond ring", ["conflict-free"]),
        ("conflict free and ethical", ["conflict-free", "ethical"]),
        ("An eco friendly band", ["eco-friendly"]),
        ("Ethically sourced sapphire", ["ethically sourced"]),
        ("Faux pearl studs", ["faux"]),
        ("14K gold ring with a laboratory-grown diamond", []),
        ("Conflicting schedules", []),
    ],
)
def test_forbidden_claims(text, found) -> None:
    assert ftc.own_claim_problems(text) == found


def test_supplier_statement_is_quoted_as_theirs() -> None:
    text = ftc.supplier_statement("Meridian Diamonds", "invoice 123", "The diamonds herein ...")
    assert text.startswith("Meridian Diamonds states in invoice 123: “")


@pytest.mark.parametrize(
    ("metal", "ppt", "refused"),
    [
        (Metal.PLATINUM, 950, False),
        (Metal.PLATINUM, 850, False),  # named with its fineness: "850 platinum"
        (Metal.PLATINUM, 849, True),  # needs the whole alloy disclosed
        (Metal.PLATINUM, 585, True),
        (Metal.PLATINUM, 499, True),  # not platinum at all
        (Metal.PALLADIUM, 500, True),
        (Metal.PALLADIUM, 950, False),
        (Metal.GOLD, 375, False),
        (Metal.SILVER, 800, False),
    ],
)
def test_low_platinum_group_alloys_are_not_named_without_full_disclosure(
    metal, ppt, refused
) -> None:
    problem = ftc.metal_wording_problem(metal, ppt)
    assert (problem is not None) == refused
    if problem and ppt < 500:
        assert "at least 500/1000" in problem
