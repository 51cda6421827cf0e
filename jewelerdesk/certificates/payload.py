"""The canonical certificate payload and its compact signed QR record.

The payload is a plain JSON-able dict built by the certificate service. Its canonical bytes
(keys sorted, no insignificant white space, UTF-8, integers for every unit) are what is hashed,
signed, embedded in the PDF and archived: the same facts always give the same bytes.

The QR record follows the offline-verification pattern of the EU digital COVID certificate: a
bare hash proves nothing on paper, so the QR carries a *signed* record::

    JWC1:<certificate number>:<version>:<base32 sha256 of payload>:<base32 Ed25519 signature>

Every character is in the QR alphanumeric set, so it fits a version-7 code at level M.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..errors import BadDocument

FORMAT = "jewelerdesk-certificate/1"
QR_PREFIX = "JWC1"
ATTACHMENT_NAME = "certificate.json"


def canonical_bytes(payload: dict[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, compact separators, UTF-8 (not ASCII escapes)."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def payload_sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def signed_message(number: str, version: int, sha256_hex: str) -> bytes:
    """What the Ed25519 signature covers: the certificate's identity and its payload hash."""
    return f"{QR_PREFIX}:{number.upper()}:{version}:{sha256_hex.lower()}".encode("ascii")


@dataclass(frozen=True)
class QrRecord:
    number: str
    version: int
    sha256: str  # hex
    signature: bytes

    def text(self) -> str:
        return (
            f"{QR_PREFIX}:{self.number.upper()}:{self.version}:"
            f"{_b32(bytes.fromhex(self.sha256))}:{_b32(self.signature)}"
        )

    @property
    def message(self) -> bytes:
        return signed_message(self.number, self.version, self.sha256)


def parse_qr(text: str) -> QrRecord:
    """The record from a QR code's text (as scanned or pasted)."""
    parts = text.strip().split(":")
    if len(parts) != 5 or parts[0].upper() != QR_PREFIX:
        raise BadDocument("That is not the text of a JewelerDesk certificate QR code.")
    try:
        digest = _unb32(parts[3].upper())
        signature = _unb32(parts[4].upper())
        version = int(parts[2])
    except (ValueError, TypeError) as exc:
        raise BadDocument("The QR text is damaged: it cannot be read.") from exc
    if len(digest) != 32 or len(signature) != 64:
        raise BadDocument("The QR text is damaged: the hash or signature has the wrong length.")
    return QrRecord(parts[1].upper(), version, digest.hex(), signature)


def parse_payload(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadDocument("The certificate's embedded record is damaged.") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise BadDocument("The embedded record is not a JewelerDesk certificate.")
    return payload


def records_log_of(payload_text: str) -> tuple[int, str] | None:
    """(entry, hash) of the records log a certificate was issued at; None for certificates
    issued before the log existed."""
    try:
        log = json.loads(payload_text).get("records_log")
        return int(log["entry"]), str(log["sha256"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
