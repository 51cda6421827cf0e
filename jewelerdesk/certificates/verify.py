"""Offline verification of an issued certificate: no network, no database needed.

A certificate is *valid* when the record embedded in the PDF hashes to the value in the signed
QR record, that signature checks out with a key the verifier trusts, the QR record names this
certificate, and the PDF's own signature is intact, covers the whole file and was made with the
signing certificate the record names. Anything else is reported in plain words.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import BadDocument
from . import pdf as pdffile
from .keys import fingerprint, verify_signature
from .payload import QrRecord, canonical_bytes, parse_payload, parse_qr

VALID, TAMPERED, UNKNOWN_KEY = "valid", "tampered", "unknown_key"


@dataclass
class Verification:
    status: str  # VALID, TAMPERED or UNKNOWN_KEY
    number: str = ""
    version: int = 0
    sku: str = ""
    shop: str = ""
    fingerprint: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # superseded / voided, from the shop's records
    payload: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == VALID and not self.problems

    def summary(self) -> str:
        if self.status == VALID:
            head = f"Valid: certificate {self.number} version {self.version} for {self.sku}, issued by {self.shop}."
        elif self.status == UNKNOWN_KEY:
            head = (
                f"Signed by an unknown key (fingerprint {self.fingerprint}). It is intact, but "
                "it was not signed by a key you trust."
            )
        elif self.status == "voided":
            head = (
                f"Void: certificate {self.number} version {self.version} was withdrawn by the shop."
            )
        else:
            head = "Not valid: this certificate has been altered."
        return " ".join([head, *self.problems, *self.notes])


def _embedded_key(payload: dict[str, Any]) -> Ed25519PublicKey | None:
    try:
        raw = base64.b64decode(payload["shop"]["public_key"])
        return Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError):
        return None


def check_record(
    record: QrRecord,
    payload_bytes: bytes | None,
    trusted: list[Ed25519PublicKey],
) -> Verification:
    """The signed QR record against the record it should cover (if one is at hand)."""
    v = Verification(TAMPERED, number=record.number, version=record.version)
    payload = None
    if payload_bytes is not None:
        payload = parse_payload(payload_bytes)
        v.payload = payload
        v.sku = str(payload.get("piece", {}).get("sku", ""))
        v.shop = str(payload.get("shop", {}).get("name", ""))
        if hashlib.sha256(payload_bytes).hexdigest() != record.sha256:
            v.problems.append(
                "The record inside the PDF no longer matches its signed hash: something in it "
                "(a weight, a name, a date…) was changed after it was issued."
            )
        if canonical_bytes(payload) != payload_bytes:
            v.problems.append("The embedded record is not in the form the shop wrote it.")
        if (str(payload.get("number", "")).upper(), payload.get("version")) != (
            record.number,
            record.version,
        ):
            v.problems.append(
                f"The QR record belongs to certificate {record.number} version {record.version}, "
                f"not to this one ({payload.get('number')} version {payload.get('version')})."
            )
    keys = list(trusted)
    signer = next((k for k in keys if verify_signature(k, record.signature, record.message)), None)
    if signer is not None:
        v.fingerprint = fingerprint(signer)
        if not v.problems:
            v.status = VALID
        return v
    embedded = _embedded_key(payload) if payload else None
    if embedded is not None and verify_signature(embedded, record.signature, record.message):
        v.fingerprint = fingerprint(embedded)
        if not v.problems:
            v.status = UNKNOWN_KEY
        return v
    v.problems.append("The signature does not match: the QR record was altered or forged.")
    return v


def verify_pdf(data: bytes, trusted: list[Ed25519PublicKey]) -> Verification:
    """Verify an issued certificate PDF. BadDocument if it is not one at all."""
    contents = pdffile.read(data)
    if contents.record is None or contents.qr_text is None:
        if contents.signed and not contents.intact:
            return Verification(TAMPERED, problems=["The PDF was altered after it was signed."])
        raise BadDocument("That PDF is not a JewelerDesk certificate (it carries no record).")
    v = check_record(parse_qr(contents.qr_text), contents.record, trusted)
    if not contents.signed:
        v.problems.append("The PDF's own signature is missing.")
    elif not contents.intact:
        v.problems.append("The PDF was altered after it was signed (its signature is broken).")
    elif not contents.whole_file:
        v.problems.append("Something was added to the PDF after it was signed.")
    expected = (v.payload or {}).get("shop", {}).get("pdf_cert_sha256")
    if contents.signed and contents.intact and expected and contents.signer_sha256 != expected:
        v.problems.append("The PDF was signed with a certificate other than the shop's.")
    if v.problems:
        v.status = TAMPERED
    return v


def verify_qr_text(
    text: str, trusted: list[Ed25519PublicKey], payload_bytes: bytes | None = None
) -> Verification:
    """Verify a scanned or pasted QR record, with the archived record when one is at hand."""
    return check_record(parse_qr(text), payload_bytes, trusted)
