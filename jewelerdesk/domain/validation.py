"""Field rules for every record, with messages a shop owner understands.

Each ``validate_*`` returns a dict field -> message (empty when the record is fine); callers
raise :class:`ValidationError` with it so the editor can show the message at the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .model import (
    REFINED_METALS,
    ClaimClass,
    Item,
    MetalComponent,
    MetalLot,
    OriginType,
    Party,
    ShopIdentity,
    Stone,
    StoneType,
)

# GIA report numbers are ten digits (GIA's published format; every GIA sandbox sample
# report number is ten digits). IGI numbers are nine digits; IGI prefixes lab-grown
# reports with "LG". Other labs use their own formats, so only emptiness is checked.
_GIA_RE = re.compile(r"^\d{10}$")
_IGI_RE = re.compile(r"^(LG)?\d{9}$")
_CID_RE = re.compile(r"^CID\d{6}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")

KNOWN_LABS = ("GIA", "IGI", "AGS", "HRD", "GCAL", "GRS", "SSEF", "Gübelin", "AGL", "Other")
MAX_STONE_MCT = 10_000_000  # 10,000 ct: anything above is a typing error, not a stone
MAX_MASS_MG = 1_000_000_000  # one tonne


def _pycountry() -> Any:
    """Imported on first use: it costs ~50 ms that the main window doesn't need to show."""
    import pycountry

    return pycountry


def is_country(code: str) -> bool:
    return (
        bool(code)
        and len(code) == 2
        and _pycountry().countries.get(alpha_2=code.upper()) is not None
    )


def is_region(code: str) -> bool:
    return bool(code) and _pycountry().subdivisions.get(code=code.upper()) is not None


def country_name(code: str) -> str:
    c = _pycountry().countries.get(alpha_2=code.upper()) if code else None
    return getattr(c, "common_name", None) or (c.name if c else code)


def is_currency(code: str) -> bool:
    return (
        bool(code)
        and len(code) == 3
        and _pycountry().currencies.get(alpha_3=code.upper()) is not None
    )


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def is_iso_date(text: str) -> bool:
    """A real day written YYYY-MM-DD, and only that: dates are stored as text and compared as
    text, so "20260310" or "2026-W10-1" (which Python's parser also reads) would sort wrong."""
    if not _ISO_DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_iso_moment(text: str) -> bool:
    """A day and time written YYYY-MM-DDTHH:MM[:SS] (stored and compared as text)."""
    if not _ISO_MOMENT.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def report_number_problem(lab: str, number: str, origin: OriginType | None = None) -> str | None:
    """Why a grading report number cannot be right for its lab, or None if it can."""
    lab_u = lab.strip().upper()
    num = number.strip().upper().replace(" ", "")
    if not num:
        return None
    if lab_u == "GIA" and not _GIA_RE.match(num):
        return f"A GIA report number has 10 digits; '{number}' does not."
    if lab_u == "IGI":
        if not _IGI_RE.match(num):
            return f"An IGI report number has 9 digits (with 'LG' in front for lab-grown); '{number}' does not."
        if num.startswith("LG") and origin == OriginType.NATURAL:
            return "This IGI number starts with 'LG', which IGI uses for laboratory-grown stones, but the stone is recorded as natural."
    if not re.match(r"^[A-Z0-9-]{3,30}$", num):
        return f"Report number '{number}' has characters a lab report number does not use."
    return None


def _check_country(
    errors: dict[str, str], field: str, code: str, label: str, required: bool = False
) -> None:
    if not code:
        if required:
            errors[field] = f"{label} is required."
        return
    if not is_country(code):
        errors[field] = f"'{code}' is not an ISO country code (two letters, e.g. BW for Botswana)."


def _check_date(errors: dict[str, str], field: str, text: str, label: str) -> None:
    if text and not is_iso_date(text):
        errors[field] = f"{label} '{text}' is not a date (use YYYY-MM-DD)."


def _check_past(errors: dict[str, str], field: str, text: str, label: str) -> None:
    """A day something already happened (goods came in): a real date, and not after today
    (a receipt dated ahead would make the stock ledgers run negative until then)."""
    _check_date(errors, field, text, label)
    if field not in errors and text and text > date.today().isoformat():
        errors[field] = f"{label} {text} is after today."


def validate_stone(stone: Stone) -> dict[str, str]:
    e: dict[str, str] = {}
    if stone.weight_mct <= 0:
        e["weight_mct"] = "Weight must be greater than zero."
    elif stone.weight_mct > MAX_STONE_MCT:
        e["weight_mct"] = "Weight is over 10,000 carats; check the decimal point."
    if stone.count < 1:
        e["count"] = "Count must be at least 1."
    if stone.stone_type == StoneType.PEARL and stone.origin_type in (
        OriginType.NATURAL,
        OriginType.LAB_GROWN,
    ):
        e["origin_type"] = "For a pearl, choose cultured pearl, natural pearl or imitation."
    if stone.stone_type != StoneType.PEARL and stone.origin_type in (
        OriginType.CULTURED_PEARL,
        OriginType.NATURAL_PEARL,
    ):
        e["origin_type"] = "Cultured and natural pearl apply to pearls only."
    if stone.stone_type == StoneType.COLOURED_GEM and not (stone.species or stone.variety):
        e["variety"] = "Name the gem (for example sapphire, ruby, emerald)."
    _check_country(e, "country_of_mining", stone.country_of_mining, "Country of mining")
    _check_country(e, "country_of_cutting", stone.country_of_cutting, "Country of cutting")
    if stone.region_of_mining:
        if not is_region(stone.region_of_mining):
            e["region_of_mining"] = (
                f"'{stone.region_of_mining}' is not an ISO 3166-2 region code (e.g. CD-NK)."
            )
        elif stone.country_of_mining and not stone.region_of_mining.upper().startswith(
            stone.country_of_mining.upper() + "-"
        ):
            e["region_of_mining"] = "The region is not in the country of mining."
    if stone.report_no and not stone.report_lab:
        e["report_lab"] = "Say which laboratory issued the report."
    if stone.report_no:
        problem = report_number_problem(stone.report_lab, stone.report_no, stone.origin_type)
        if problem:
            e["report_no"] = problem
    _check_date(e, "report_date", stone.report_date, "Report date")
    _check_past(e, "acquired_on", stone.acquired_on, "Acquisition date")
    if stone.kp_cert_no and not re.match(r"^[A-Z]{2}", stone.kp_cert_no.strip()):
        e["kp_cert_no"] = (
            "A Kimberley Process certificate number starts with the issuing country's two-letter code."
        )
    if stone.treatments and not stone.treatment_permanent and not stone.special_care.strip():
        e["special_care"] = (
            "A treatment that is not permanent needs care instructions for the customer."
        )
    if stone.cost_minor < 0:
        e["cost_minor"] = "Cost cannot be negative."
    if stone.item_id is None and not stone.stock_no.strip():
        e["stock_no"] = "A loose stone needs a stock number."
    return e


def validate_party(party: Party) -> dict[str, str]:
    e: dict[str, str] = {}
    if not party.legal_name.strip():
        e["legal_name"] = "Legal name is required."
    _check_country(e, "country", party.country, "Country", required=True)
    if party.rmi_cid and not _CID_RE.match(party.rmi_cid.strip().upper()):
        e["rmi_cid"] = "An RMI smelter id is 'CID' followed by six digits, e.g. CID002030."
    _check_date(e, "rjc_coc_expiry", party.rjc_coc_expiry, "RJC CoC expiry")
    return e


def validate_lot(lot: MetalLot) -> dict[str, str]:
    e: dict[str, str] = {}
    if not lot.lot_no.strip():
        e["lot_no"] = "Lot number is required."
    if not 1 <= lot.fineness_ppt <= 1000:
        e["fineness_ppt"] = "Fineness is in parts per thousand, from 1 to 1000 (585 for 14K)."
    if lot.refiner_cid and not _CID_RE.match(lot.refiner_cid.strip().upper()):
        e["refiner_cid"] = "An RMI smelter id is 'CID' followed by six digits, e.g. CID002030."
    _check_country(e, "country_of_origin", lot.country_of_origin, "Country of origin")
    _check_past(e, "received_on", lot.received_on, "Received date")
    if (
        lot.claim_class == ClaimClass.MINED_CERTIFIED
        and lot.metal in REFINED_METALS
        and not (lot.refiner_id or lot.refiner_cid)
    ):
        e["refiner_id"] = "Certified mined metal must name its refiner."
    return e


def validate_metal_component(mc: MetalComponent) -> dict[str, str]:
    e: dict[str, str] = {}
    if mc.mass_mg <= 0:
        e["mass_mg"] = "Mass must be greater than zero."
    elif mc.mass_mg > MAX_MASS_MG:
        e["mass_mg"] = "Mass is over a tonne; check the decimal point."
    if not 1 <= mc.fineness_ppt <= 1000:
        e["fineness_ppt"] = "Fineness is in parts per thousand, from 1 to 1000."
    if not mc.lot_id:
        e["lot_id"] = "Choose the metal lot this metal is drawn from."
    return e


def validate_item(item: Item) -> dict[str, str]:
    e: dict[str, str] = {}
    sku = item.sku.strip()
    if not sku:
        e["sku"] = "Stock number (SKU) is required."
    elif not _SKU_RE.match(sku):
        e["sku"] = "A stock number uses letters, digits and . _ / - (up to 40 characters)."
    if not item.description.strip():
        e["description"] = "Description is required."
    if item.price_minor < 0:
        e["price_minor"] = "Price cannot be negative."
    if item.cost_minor < 0:
        e["cost_minor"] = "Cost cannot be negative."
    if not is_currency(item.currency):
        e["currency"] = f"'{item.currency}' is not an ISO 4217 currency code."
    _check_past(e, "acquired_on", item.acquired_on, "Acquisition date")
    for i, stone in enumerate(item.stones, 1):
        for f, msg in validate_stone(stone).items():
            e.setdefault(f"stones[{i}].{f}", f"Stone {i}: {msg}")
    for i, mc in enumerate(item.metals, 1):
        for f, msg in validate_metal_component(mc).items():
            e.setdefault(f"metals[{i}].{f}", f"Metal {i}: {msg}")
    return e


def validate_shop(shop: ShopIdentity) -> dict[str, str]:
    e: dict[str, str] = {}
    if not shop.name.strip():
        e["name"] = "The shop's name is required."
    if not shop.address.strip():
        e["address"] = "The shop's address is required; it is printed on certificates."
    _check_country(e, "country", shop.country, "Country", required=True)
    if shop.email and not _EMAIL_RE.match(shop.email.strip()):
        e["email"] = f"'{shop.email}' is not an e-mail address."
    if not re.match(r"^[A-Z0-9]{1,8}$", shop.certificate_prefix.strip().upper()):
        e["certificate_prefix"] = "The certificate prefix is 1 to 8 letters or digits."
    if not is_currency(shop.currency):
        e["currency"] = f"'{shop.currency}' is not an ISO 4217 currency code."
    if shop.paper_size not in ("A4", "Letter"):
        e["paper_size"] = "Paper size is A4 or Letter."
    return e
