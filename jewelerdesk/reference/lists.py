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


# --------------------------------------------------------------------------- newer lists

#: A list file larger than this is refused before it is parsed.
MAX_LIST_BYTES = 20 * 1024 * 1024


class ListFormatError(ValueError):
    """The file is not a risk list this app can read; the message says why."""


@dataclass(frozen=True)
class ParsedList:
    kind: str  # "sanctions" or "cahra"
    info: ListInfo
    licence: str
    content: str  # the normalised JSON text that is stored


def _date(text: object, what: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError:
        raise ListFormatError(f"{what} “{text}” is not a date (YYYY-MM-DD).") from None


def parse_list(raw: bytes) -> ParsedList:
    """Read a sanctions list (JewelerDesk list JSON) or an EU CAHRA list (the cahraslist.net
    JSON the app bundles). Raises ListFormatError with a one-line reason."""
    if len(raw) > MAX_LIST_BYTES:
        raise ListFormatError("The file is too large to be a risk list (over 20 MB).")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ListFormatError(
            f"The file is not a JSON risk list ({exc.__class__.__name__})."
        ) from None
    if not isinstance(data, dict):
        raise ListFormatError("The file is not a risk list: expected a JSON object.")
    if isinstance(data.get("meta"), dict) and isinstance(data.get("entries"), list):
        return _parse_cahra(data)
    if data.get("kind") == "sanctions":
        return _parse_sanctions(data)
    raise ListFormatError(
        'The file is neither a sanctions list ("kind": "sanctions") nor an EU CAHRA list.'
    )


def _parse_sanctions(data: dict) -> ParsedList:
    for key in ("name", "version", "date", "entries"):
        if key not in data:
            raise ListFormatError(f"The sanctions list has no “{key}”.")
    entries = data["entries"]
    if not isinstance(entries, list) or not entries:
        raise ListFormatError("The sanctions list has no entries.")
    clean = []
    for i, e in enumerate(entries, 1):
        if not isinstance(e, dict) or not str(e.get("name", "")).strip():
            raise ListFormatError(f"Entry {i} of the sanctions list has no name.")
        aliases = e.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ListFormatError(f"Entry {i}: “aliases” must be a list of names.")
        clean.append(
            {
                "entry": str(e.get("entry", i)),
                "name": str(e["name"]).strip(),
                "aliases": [a.strip() for a in aliases if a.strip()],
                "program": str(e.get("program", "")),
            }
        )
    info = ListInfo(
        str(data["name"]).strip(),
        str(data["version"]).strip(),
        _date(data["date"], "The list date"),
        str(data.get("source", "")),
    )
    if not info.name or not info.version:
        raise ListFormatError("The sanctions list needs a name and a version.")
    content = json.dumps(
        {"kind": "sanctions", **info.__dict__, "entries": clean}, sort_keys=True, ensure_ascii=False
    )
    return ParsedList("sanctions", info, str(data.get("licence", "")), content)


def _parse_cahra(data: dict) -> ParsedList:
    meta = data["meta"]
    if "reportsUpdated" not in meta:
        raise ListFormatError("The CAHRA list has no “reportsUpdated” date in its meta.")
    for i, e in enumerate(data["entries"], 1):
        if not isinstance(e, dict) or not re.fullmatch(r"[A-Z]{2}", str(e.get("iso2", ""))):
            raise ListFormatError(f"CAHRA entry {i} has no two-letter country code.")
        for r in e.get("regions") or []:
            if not isinstance(r, dict) or not re.fullmatch(r"[A-Z]{2}-\w{1,3}", str(r.get("code"))):
                raise ListFormatError(f"CAHRA entry {i} ({e['iso2']}) has a malformed region code.")
    day = _date(meta["reportsUpdated"], "The list date")
    info = ListInfo(
        "EU indicative CAHRA list", str(meta.get("version", day)), day, str(meta.get("website", ""))
    )
    content = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return ParsedList("cahra", info, str(meta.get("license", "")), content)


def _cahra_parts(raw: dict) -> tuple[frozenset[str], dict[str, str]]:
    countries = frozenset(
        e["iso2"] for e in raw["entries"] if e.get("wholeCountry") or not e.get("regions")
    )
    regions = {r["code"]: r["name"] for e in raw["entries"] for r in (e.get("regions") or [])}
    return countries, regions


@cache
def _with_installed(installed: tuple[tuple[str, str], ...]) -> RiskLists:
    base = bundled()
    lists = base
    for kind, content in installed:
        data = json.loads(content)
        if kind == "sanctions":
            info = ListInfo(data["name"], data["version"], data["date"], data["source"])
            sanctioned = tuple(
                SanctionedParty(e["entry"], e["name"], tuple(e["aliases"]), e["program"])
                for e in data["entries"]
            )
            lists = RiskLists(
                lists.cahra,
                lists.cahra_countries,
                lists.cahra_regions,
                lists.flags_info,
                lists.flags,
                info,
                sanctioned,
            )
        elif kind == "cahra":
            parsed = _parse_cahra(data)
            countries, regions = _cahra_parts(data)
            lists = RiskLists(
                parsed.info,
                countries,
                regions,
                lists.flags_info,
                lists.flags,
                lists.sanctions,
                lists.sanctioned,
            )
    return lists


def active(installed: tuple[tuple[str, str, str], ...]) -> RiskLists:
    """The bundled lists with each kind replaced by the newest installed list that is newer
    than the bundled one. ``installed`` holds (kind, list date, content), oldest first."""
    base = bundled()
    bundled_dates = {"sanctions": base.sanctions.date, "cahra": base.cahra.date}
    newest: dict[str, tuple[str, str]] = {}
    for kind, day, content in installed:
        if day > bundled_dates.get(kind, "") and day >= newest.get(kind, ("", ""))[0]:
            newest[kind] = (day, content)
    if not newest:
        return base
    return _with_installed(tuple((k, c) for k, (_, c) in sorted(newest.items())))
