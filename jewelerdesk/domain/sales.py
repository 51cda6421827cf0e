"""Sales, returns and issued certificates (DESIGN §2): plain records, money in minor units."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import new_id

PAYMENT_METHODS = ("card", "cash", "bank transfer", "cheque", "other")


@dataclass
class SaleLine:
    item_id: str
    price_minor: int
    tax_minor: int = 0


@dataclass
class Sale:
    invoice_no: str
    sold_at: str  # ISO 8601 with offset
    currency: str
    lines: list[SaleLine]
    payment_method: str = "card"
    customer_name: str = ""  # printed only if entered
    customer_contact: str = ""
    id: str = field(default_factory=new_id)
    event_id: str | None = None
    recorded_at: str = ""

    @property
    def total_minor(self) -> int:
        return sum(li.price_minor + li.tax_minor for li in self.lines)


@dataclass(frozen=True)
class IssuedCertificate:
    id: str
    number: str
    version: int
    item_id: str
    sale_id: str | None
    issued_at: str
    payload: str  # the canonical JSON text
    payload_sha256: str
    signature: str  # base32, as in the QR record
    key_fingerprint: str
    pdf_sha256: str
    pdf_size: int
    status: str = "current"  # "current", "superseded" or "voided"
    status_reason: str = ""
