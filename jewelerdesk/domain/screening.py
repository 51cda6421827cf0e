"""Screening origins and parties against the risk and sanctions lists.

Names are compared after folding what does not identify a company: case, accents,
punctuation, legal-form words ("PJSC", "Public Joint Stock Company", "Ltd", "S.A."...), word
order and common Russian transliteration variants. A match needs nearly all the distinctive
words of both names, so "Alrosa" finds "PUBLIC JOINT STOCK COMPANY ALROSA" while "Rosa
Jewellers" or "Alpine Refining" do not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from ..reference.lists import ListInfo, RiskLists

#: Token-sort similarity (0-100) from which two folded names are the same party. Chosen so that
#: one-letter transliteration differences pass (Almazy/Almazi: 93) and a shared single word
#: does not (ALROSA vs ROSA GEMS: 57).
NAME_THRESHOLD = 90.0

_LEGAL_FORMS = [
    # the Russian forms, as the Cyrillic reads in Latin letters (PAO, OAO, ZAO, AO, OOO)
    "publichnoe aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "aktsionernoe obshchestvo",
    "obshchestvo s ogranichennoy otvetstvennostyu",
    "public joint stock company",
    "open joint stock company",
    "closed joint stock company",
    "joint stock company",
    "public joint stock",
    "joint stock",
    "limited liability company",
    "private limited",
    "public limited company",
    "societe anonyme",
    "sociedad anonima",
    "gesellschaft mit beschrankter haftung",
    "pjsc",
    "ojsc",
    "cjsc",
    "jsc",
    "pao",
    "oao",
    "zao",
    "ao",
    "ooo",
    "llc",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "nv",
    "bv",
    "srl",
    "spa",
    "pte",
    "pty",
    "pvt",
    "the",
    "and",
]
_LEGAL_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _LEGAL_FORMS), key=len, reverse=True)) + r")\b"
)
# Russian names reach Latin script several ways; fold the usual pairs to one spelling.
_TRANSLIT = [
    ("kh", "h"),
    ("zh", "j"),
    ("ya", "ia"),
    ("yu", "iu"),
    ("iy", "i"),
    ("yi", "i"),
    ("y", "i"),
    ("ts", "c"),
    ("tz", "c"),
    ("ck", "k"),
    ("w", "v"),
]


#: Cyrillic and Greek letters in Latin (BGN/PCGN-like; the folding below evens out the rest):
#: a name typed in its own script is screened, not dropped as unreadable and passed as clean.
_SCRIPTS = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        "ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ь": "", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
        **dict(zip("αβγδεζηικλμνξοπρσςτυφω", "avgdeziiklmnxoprsstyfo", strict=True)),
        "θ": "th", "χ": "ch", "ψ": "ps",
    }
)  # fmt: skip


@lru_cache(maxsize=8192)
def fold_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.lower()).translate(_SCRIPTS)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^0-9a-z]+", " ", text.replace("&", " and "))
    text = re.sub(r"\b([a-z]) (?=[a-z]\b)", r"\1", text)  # "s a" -> "sa", "p j s c" -> "pjsc"
    text = _LEGAL_RE.sub(" ", text)
    for a, b in _TRANSLIT:
        text = text.replace(a, b)
    return " ".join(sorted(text.split()))


@dataclass(frozen=True)
class NameHit:
    listed_name: str
    entry: str
    program: str
    score: float
    list: ListInfo


def screen_name(name: str, lists: RiskLists) -> list[NameHit]:
    folded = fold_name(name)
    if not folded:
        return []
    hits: list[NameHit] = []
    for party in lists.sanctioned:
        best = max(
            fuzz.token_sort_ratio(folded, fold_name(n)) for n in (party.name, *party.aliases)
        )
        if best >= NAME_THRESHOLD:
            hits.append(
                NameHit(party.name, party.entry, party.program, round(best, 1), lists.sanctions)
            )
    return sorted(hits, key=lambda h: -h.score)


@dataclass(frozen=True)
class OriginHit:
    code: str
    reason: str
    list: ListInfo


def screen_origin(country: str, region: str, lists: RiskLists) -> list[OriginHit]:
    """Risk designations for a country of origin and (optionally) its ISO 3166-2 region.
    Russia's diamond bans are left to the Russia rule (G2), which knows the thresholds."""
    country = country.upper()
    region = region.upper()
    hits: list[OriginHit] = []
    if country in lists.cahra_countries:
        hits.append(
            OriginHit(
                country,
                "whole country on the EU indicative conflict-affected and high-risk areas list",
                lists.cahra,
            )
        )
    elif region and region in lists.cahra_regions:
        hits.append(
            OriginHit(
                region,
                f"{lists.cahra_regions[region]} is on the EU indicative conflict-affected and high-risk areas list",
                lists.cahra,
            )
        )
    for f in lists.flags:
        if f.flag.startswith(("US_RUSSIA", "EU_RUSSIA", "UK_RUSSIA", "EU_CAHRA", "RMI_LEVEL2")):
            continue  # Russia: rule G2; CAHRA: above; RMI level 2 is about transit, not origin
        if f.code == country or (region and f.code == region):
            hits.append(OriginHit(f.code, f"{f.rule} ({f.applies_to})", lists.flags_info))
    return hits
