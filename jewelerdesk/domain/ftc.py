"""Names printed on a disclosure certificate, worded as the US FTC Jewelry Guides (16 CFR
Part 23) and Green Guides (16 CFR 260) require. Pure functions, table-tested.

* A laboratory-grown or imitation stone's name is *immediately preceded* by its qualifier
  ("laboratory-grown diamond", "laboratory-created sapphire", "imitation emerald"); "faux" is not
  an adequate qualifier and is never used (§23.25(a)–(c)).
* A stone filled with lead glass is not called by the gem's name (§23.25(d)).
* A treatment that is not permanent, or needs special care, is disclosed with that care
  (§23.24, §23.23 for pearls).
* Metal fineness *immediately precedes* the metal: "14K gold", "925 silver", "950 platinum";
  unqualified "gold" is reserved for 24K (§23.3–23.7), and this module always prints the karat.
* "Recycled" qualifies only the parts whose lot is recycled and declared so (Green Guides
  §260.13), never the whole piece unless every part qualifies.
* The shop never makes claims such as "conflict-free" or "ethical" (FTC deception standard,
  §23.1); a supplier's warranty is quoted as the supplier's statement.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .model import (
    METAL_LABELS,
    ClaimClass,
    Metal,
    MetalComponent,
    MetalLot,
    OriginType,
    Stone,
    StoneType,
)

#: Standard karat finenesses (parts per thousand). An alloy is named by the highest karat
#: whose standard fineness it reaches within a 3 ppt marking tolerance (the US National Gold
#: and Silver Marking Act allows 3 ppt for karat gold without solder), compared with the
#: exact fraction k/24 (see :func:`karat`): 581 ppt is 14K, 580 ppt is not.
KARATS = ((24, 999), (22, 916), (20, 833), (18, 750), (14, 583), (12, 500), (10, 417), (9, 375))
KARAT_TOLERANCE_PPT = 3

#: Claims the shop never makes as its own (G14 flags them in a description; a certificate is
#: refused until they are gone). Longer phrases first, so "ethically sourced" wins over "ethical".
FORBIDDEN_CLAIMS = (
    "conflict-free",
    "ethically sourced",
    "ethical",
    "eco-friendly",
    "sustainable",
    "faux",
)


def _claim_pattern(claim: str) -> str:
    # "conflict-free", "conflict free" and "conflictfree" alike; any spacing between words.
    return r"[\s-]+".join(w.replace("-", "[- ]?") for w in claim.split())


FORBIDDEN_RE = re.compile(
    r"\b(?:" + "|".join(f"({_claim_pattern(c)})" for c in FORBIDDEN_CLAIMS) + r")\b", re.I
)


def karat(fineness_ppt: int) -> int | None:
    """The karat an alloy may be marked, compared exactly: 14K is 14/24 = 583⅓ ppt, so with
    the 3 ppt tolerance 581 ppt is 14K and 580 is not (the table's whole numbers would let
    580 pass). 24K is the trade's 999 fine."""
    for k, ppt in KARATS:
        standard = Fraction(ppt) if k == 24 else Fraction(k * 1000, 24)
        if fineness_ppt >= standard - KARAT_TOLERANCE_PPT:
            return k
    return None


def metal_name(metal: Metal, fineness_ppt: int) -> str:
    """The metal with its fineness immediately before it."""
    word = METAL_LABELS[metal]
    if metal == Metal.GOLD:
        k = karat(fineness_ppt)
        # Below 9K the law does not allow the word gold for the alloy without its fineness.
        return f"{k}K gold" if k else f"{fineness_ppt} gold alloy"
    if metal == Metal.SILVER:
        # "Silver"/"sterling" need 925 ppt; 900 is "coin silver"; lower needs its fineness.
        return f"{fineness_ppt} silver"
    if metal in (Metal.PLATINUM, Metal.PALLADIUM):
        # Unqualified platinum needs 950 ppt; 850–949 carries its fineness; 500–849 only with
        # full disclosure of the alloy, so it is named an alloy.
        if fineness_ppt >= 850:
            return f"{fineness_ppt} {word}"
        return f"{fineness_ppt} {word} alloy"
    return f"{fineness_ppt} {word}"


def metal_wording_problem(metal: Metal, fineness_ppt: int) -> str | None:
    """Why the metal cannot be named on a certificate at all, or None.

    Platinum and palladium under 850/1000 may carry the metal's name only with full disclosure
    of the other metals in the alloy (16 CFR 23.7, 2010 amendment; palladium since 2018), which
    the shop's records do not hold; under 500/1000 the name may not be used at all.
    """
    if metal not in (Metal.PLATINUM, Metal.PALLADIUM) or fineness_ppt >= 850:
        return None
    word = METAL_LABELS[metal]
    if fineness_ppt < 500:
        return (
            f"{fineness_ppt}/1000 is too little {word} for the alloy to be called {word} "
            "(the FTC Jewelry Guides need at least 500/1000)."
        )
    return (
        f"a {fineness_ppt}/1000 {word} alloy may be called {word} only with every other metal "
        "in it named with its share (FTC Jewelry Guides), and the records do not hold them."
    )


def _lead_glass(stone: Stone) -> bool:
    return any(re.search(r"lead[- ]?glass|glass[- ]fill", t, re.I) for t in stone.treatments)


def _base_name(stone: Stone) -> str:
    if stone.stone_type == StoneType.DIAMOND:
        return "diamond"
    if stone.stone_type == StoneType.PEARL:
        return "pearl"
    name = (stone.variety or stone.species).strip().lower()
    return name or ("gemstone" if stone.stone_type == StoneType.COLOURED_GEM else "stone")


def stone_name(stone: Stone) -> str:
    """The stone's name with its qualifier immediately before it."""
    if _lead_glass(stone) and stone.stone_type == StoneType.COLOURED_GEM:
        return "lead-glass-filled composite stone"
    base = _base_name(stone)
    if stone.origin_type == OriginType.LAB_GROWN:
        word = "laboratory-grown" if stone.stone_type == StoneType.DIAMOND else "laboratory-created"
        return f"{word} {base}"
    if stone.origin_type == OriginType.IMITATION:
        return f"imitation {base}"
    if stone.origin_type == OriginType.CULTURED_PEARL:
        return "cultured pearl"
    if stone.origin_type == OriginType.NATURAL_PEARL:
        return "natural pearl"
    return base


def carats(mct: int) -> str:
    return f"{mct / 1000:.3f} ct" if mct % 10 else f"{mct / 1000:.2f} ct"


def stone_quantity(stone: Stone) -> str:
    """'1 stone, 0.50 ct' / '3 stones, 0.30 ct total' / '3 stones, 0.10 ct each'."""
    noun = "stone" if stone.count == 1 else "stones"
    weight = carats(stone.weight_mct)
    if stone.count > 1:
        weight += " total" if stone.weight_is_total else " each"
    return f"{stone.count} {noun}, {weight}"


#: The trade's one-letter treatment codes (AGTA Gemstone Enhancement codes, as suppliers print
#: them on memos and invoices) in words a customer reads. A code not listed is printed as typed.
TREATMENT_CODES = {
    "N": "",  # not enhanced: nothing to disclose
    "E": "an enhancement the supplier did not name",
    "B": "bleaching",
    "C": "coating",
    "D": "dyeing",
    "F": "filling",
    "H": "heating",
    "HP": "heating under pressure",
    "I": "impregnation",
    "L": "lasering",
    "O": "oiling or resin infusion",
    "R": "irradiation",
    "U": "diffusion",
    "W": "waxing",
}


def treatment_words(treatments: list[str]) -> list[str]:
    """Each treatment as words: codes spelled out, free text kept, "N" (none) dropped."""
    out: list[str] = []
    for t in treatments:
        t = t.strip()
        word = TREATMENT_CODES.get(t.upper(), t) if t else ""
        if word and word not in out:
            out.append(word)
    return out


def treatment_disclosure(stone: Stone) -> str:
    words = treatment_words(stone.treatments)
    if not words:
        return ""
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    text = f"Treated: {listed}."
    if not stone.treatment_permanent:
        text += " This treatment may not be permanent."
    care = stone.special_care.strip()
    if care:
        text += f" Special care: {care}" + ("" if care.endswith(".") else ".")
    return text


def recycled_qualifies(lot: MetalLot, declared: bool) -> bool:
    """Only a lot recycled by class *and* backed by a recycled declaration may be called so."""
    return lot.claim_class == ClaimClass.RECYCLED and declared


def metal_part_name(component: MetalComponent, lot: MetalLot, declared: bool) -> str:
    name = metal_name(lot.metal, component.fineness_ppt or lot.fineness_ppt)
    return f"recycled {name}" if recycled_qualifies(lot, declared) else name


def piece_metal_summary(parts: list[tuple[MetalComponent, MetalLot, bool]]) -> str:
    """One line for the piece: each distinct metal; "recycled" only where every part of that
    metal qualifies."""
    names: dict[str, bool] = {}
    for comp, lot, declared in parts:
        n = metal_name(lot.metal, comp.fineness_ppt or lot.fineness_ppt)
        names[n] = names.get(n, True) and recycled_qualifies(lot, declared)
    words = [f"recycled {n}" if rec else n for n, rec in names.items()]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def own_claim_problems(text: str) -> list[str]:
    """Which forbidden claims ``text`` makes, each once, in the spelling of FORBIDDEN_CLAIMS."""
    found: list[str] = []
    for m in FORBIDDEN_RE.finditer(text):
        claim = FORBIDDEN_CLAIMS[m.lastindex - 1 if m.lastindex else 0]
        if claim not in found:
            found.append(claim)
    return found


def supplier_statement(party_name: str, document: str, text: str) -> str:
    """A warranty quoted as the supplier's own words: the shop quotes, it does not claim."""
    return f"{party_name} states in {document}: “{text.strip()}”"
