"""Conversions between what people type and the integer units the records keep.

Parsing is strict on purpose: "1,5" in a carat field is accepted as 1.5 (decimal comma is
common on supplier sheets) but "1.2.3", negatives and more precision than the unit can hold
are refused rather than silently rounded, because a weight on a certificate must be exact.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that are not 2. Everything else uses cents.
_CURRENCY_EXPONENT = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "XAF": 0,
    "XOF": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
}


def currency_exponent(currency: str) -> int:
    return _CURRENCY_EXPONENT.get(currency.upper(), 2)


def _decimal(text: str | int | float | Decimal, what: str) -> Decimal:
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, float):
        value = Decimal(repr(text))
    else:
        cleaned = str(text).strip().replace(" ", "").replace("\u00a0", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            head, tail = cleaned.split(",")
            if len(tail) == 3 and head.lstrip("+-") not in ("", "0"):
                # '1,500' is fifteen hundred to some and one and a half to others: ask
                raise ValueError(
                    f"{what} '{text}' could be read two ways; write it without a thousands "
                    f"separator ({head}{tail}) or with a decimal point ({head}.{tail})"
                )
            cleaned = cleaned.replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")  # thousands separators
        if not cleaned:
            raise ValueError(f"{what} is empty")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"{what} '{text}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} '{text}' is not a number")
    return value


def _scaled(text: str | int | float | Decimal, exponent: int, what: str, unit: str) -> int:
    value = _decimal(text, what)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} '{text}' has more decimals than {unit} allows")
    return int(scaled)


def carats_to_mct(text: str | int | float | Decimal) -> int:
    """'1.25' -> 1250 millicarats."""
    return _scaled(text, 3, "Weight", "a thousandth of a carat")


def grams_to_mg(text: str | int | float | Decimal) -> int:
    """'3.5' -> 3500 milligrams."""
    return _scaled(text, 3, "Mass", "a milligram")


def money_to_minor(text: str | int | float | Decimal, currency: str) -> int:
    """'1,234.50' USD -> 123450."""
    exp = currency_exponent(currency)
    return _scaled(text, exp, "Amount", f"the {currency} minor unit")


def format_mct(mct: int) -> str:
    return f"{Decimal(mct).scaleb(-3):.3f} ct"


def format_carats(mct: int) -> str:
    """Plain number for an editor field: 1250 -> '1.25'."""
    return _plain(Decimal(mct).scaleb(-3))


def format_mg(mg: int) -> str:
    return f"{Decimal(mg).scaleb(-3):.3f} g"


def format_grams(mg: int) -> str:
    return _plain(Decimal(mg).scaleb(-3))


def format_money(minor: int, currency: str) -> str:
    exp = currency_exponent(currency)
    value = Decimal(minor).scaleb(-exp)
    return f"{value:,.{exp}f} {currency}"


def money_plain(minor: int, currency: str) -> str:
    """Editor text: 123450 USD -> '1234.50'."""
    exp = currency_exponent(currency)
    return f"{Decimal(minor).scaleb(-exp):.{exp}f}"


def fine_mg(mass_mg: int, fineness_ppt: int) -> int:
    """Fine-metal content, rounded down to the milligram (never overstate fine metal)."""
    return mass_mg * fineness_ppt // 1000


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
