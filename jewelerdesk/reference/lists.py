"""The bundled, dated risk and sanctions lists, loaded once. Every hit names the list and
version it came from, so a screening result can always say what it was checked against."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class ListInfo:
    name: str
    version: str
    date: str
    source: str


@dataclass(frozen=True)
class OriginFlag:
    code: str  # ISO 3166-1 alpha-2, or an ISO 3166-2 region
    flag: str  # e.g. DODD_FRANK_COVERED, US_CBP_WRO, US_UFLPA
    applies_to: str
    rule: str


@dataclass(frozen=True)
class SanctionedParty:
    entry: str
    name: str
    aliases: tuple[str, ...]
    program: str


@dataclass(frozen=True)
class RiskLists:
    cahra: ListInfo
    cahra_countries: frozenset[str]  # whole-country designations
    cahra_regions: dict[str, str]  # ISO 3166-2 code -> region name
    flags_info: ListInfo
    flags: tuple[OriginFlag, ...]
    sanctions: ListInfo
    sanctioned: tuple[SanctionedParty, ...]


def _data(name: str) -> str:
    return files("jewelerdesk.reference").joinpath("data", name).read_text("utf-8")


_AKA = re.compile(r"a\.k\.a\.\s+'([^']+)'", re.I)


@cache
def bundled() -> RiskLists:
    raw = json.loads(_data("eu_cahra_indicative_list_2026-06.json"))
    meta = raw["meta"]
    countries = frozenset(
        e["iso2"] for e in raw["entries"] if e.get("wholeCountry") or not e.get("regions")
    )
    regions = {r["code"]: r["name"] for e in raw["entries"] for r in (e.get("regions") or [])}
    cahra = ListInfo(
        "EU indicative CAHRA list", "June 2026", meta["reportsUpdated"][:10], meta["website"]
    )
    flags = tuple(
        OriginFlag(r["iso2"], r["flag_code"], r["applies_to"], r["rule"])
        for r in csv.DictReader(io.StringIO(_data("country_flags_compiled.csv")))
    )
    sdn = tuple(
        SanctionedParty(
            r["ent_num"], r["sdn_name"], tuple(_AKA.findall(r["remarks"] or "")), r["program"]
        )
        for r in csv.DictReader(io.StringIO(_data("ofac_sdn_20240503_mining_gems_gold_subset.csv")))
    )
    return RiskLists(
        cahra=cahra,
        cahra_countries=countries,
        cahra_regions=regions,
        flags_info=ListInfo(
            "Country risk flags (compiled)", "2026-06", "2026-06-30", "see each row"
        ),
        flags=flags,
        sanctions=ListInfo(
            "OFAC SDN list, mining/gems/gold subset", "2024-05-03", "2024-05-03", "US Treasury OFAC"
        ),
        sanctioned=sdn,
    )
