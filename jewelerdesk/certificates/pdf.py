"""Finishing an issued PDF: embed the canonical record and sign the file (PAdES B-B).

Both happen in one incremental update written by pyHanko after ReportLab's drawing, so the
signature covers the drawing, the embedded record and the QR record; any later change to the
file breaks it. Reading back uses pypdf for the attachments and pyHanko for the signature.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

from ..errors import BadDocument
from .keys import ShopKeys
from .payload import ATTACHMENT_NAME

QR_ATTACHMENT = "certificate-qr.txt"
SIGNATURE_FIELD = "ShopSignature"

log = logging.getLogger(__name__)


def pdf_cert_sha256(keys: ShopKeys) -> str:
    from cryptography.hazmat.primitives import serialization

    return hashlib.sha256(keys.rsa_cert.public_bytes(serialization.Encoding.DER)).hexdigest()


_signers: dict[str, tuple[Any, int]] = {}


def warm_up() -> None:
    """Import pyHanko's signing machinery (most of a fresh process's first certificate)."""
    import pyhanko.pdf_utils.embed  # noqa: F401
    import pyhanko.pdf_utils.incremental_writer  # noqa: F401
    import pyhanko.sign.signers  # noqa: F401


def _signer(keys: ShopKeys) -> tuple[Any, int]:
    """A pyHanko signer for the shop's RSA key, made once per key, and the room to reserve for
    its signature.

    pyHanko's ``SimpleSigner`` re-reads (and re-checks) the private key for every signature, and
    without a reserved size it signs twice (once to measure): ~130 ms per certificate. This
    signer holds the key object; the room is the certificate plus the signature and attributes,
    with a margin, in hex digits as pyHanko counts them.
    """
    from asn1crypto import keys as akeys
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = keys.rsa_cert.public_bytes(serialization.Encoding.DER)
    tag = hashlib.sha256(der).hexdigest()
    known = _signers.get(tag)
    if known is not None:
        return known
    rsa_key = keys.rsa_key

    class _ShopSigner(signers.SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            if algo != "rsassa_pkcs1v15":
                return bytes(super().sign_raw(data, digest_algorithm))
            return rsa_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

    cert = ax509.Certificate.load(der)
    key = akeys.PrivateKeyInfo.load(
        rsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = _ShopSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])
    )
    reserve = 2 * (2 * len(der) + rsa_key.key_size // 8 + 2048)
    _signers[tag] = (signer, reserve)
    return signer, reserve


def finish(pdf: bytes, record: bytes, qr_text: str, keys: ShopKeys, shop_name: str) -> bytes:
    """Embed ``record`` (and the QR text) in ``pdf`` and sign the result."""
    from pyhanko.pdf_utils import embed, generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name, data, mime, what in (
        (ATTACHMENT_NAME, record, "application/json", "The certificate's canonical record"),
        (QR_ATTACHMENT, qr_text.encode("ascii"), "text/plain", "The signed QR record"),
    ):
        ef = embed.EmbeddedFileObject.from_file_data(
            w, data=data, mime_type=mime, params=embed.EmbeddedFileParams()
        )
        embed.embed_file(
            w,
            embed.FileSpec(
                file_spec_string=name,
                file_name=name,
                embedded_data=ef,
                description=what,
                af_relationship=generic.NameObject("/Source"),
            ),
        )
    signer, reserve = _signer(keys)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason="Disclosure certificate issued",
        name=shop_name,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    out = io.BytesIO()
    signers.sign_pdf(w, meta, signer=signer, output=out, bytes_reserved=reserve)
    return out.getvalue()


@dataclass(frozen=True)
class PdfContents:
    record: bytes | None
    qr_text: str | None
    signed: bool
    intact: bool  # the signed bytes are unchanged
    whole_file: bool  # nothing was added after signing
    signer_sha256: str  # SHA-256 of the signing certificate (DER), "" if unsigned


def read(data: bytes) -> PdfContents:
    """What an issued certificate PDF carries; BadDocument if it is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise BadDocument("That file is not a PDF.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        attachments = reader.attachments
        record = attachments.get(ATTACHMENT_NAME, [None])[0]
        qr = attachments.get(QR_ATTACHMENT, [None])[0]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadDocument("The PDF is damaged: its contents cannot be read.") from exc
    signed, intact, whole, signer = _signature(data)
    qr_text = None
    if qr is not None:
        try:
            qr_text = qr.decode("ascii")
        except UnicodeDecodeError:
            qr_text = None
    return PdfContents(record, qr_text, signed, intact, whole, signer)


def _signature(data: bytes) -> tuple[bool, bool, bool, str]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        log.info("signature unreadable: %s", exc)
        return False, False, False, ""
    if not sigs:
        return False, False, False, ""
    sig = sigs[0]
    try:
        # The signer's own certificate is taken as the root here: whether it is the shop's is
        # decided against the fingerprint in the signed record, not by a PKI.
        cert = sig.signer_cert
        context = ValidationContext(trust_roots=[cert]) if cert is not None else None
        status = validate_pdf_signature(sig, context)
    except (SignatureValidationError, ValueError, KeyError) as exc:
        log.info("signature invalid: %s", exc)
        return True, False, False, ""
    if cert is None or not _contents_as_written(sig, cert):
        return True, False, False, ""
    signer = hashlib.sha256(cert.dump()).hexdigest()
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return True, bool(status.intact and status.valid), whole, signer


def _contents_as_written(sig: Any, cert: Any) -> bool:
    """The bytes a PDF signature leaves unsigned, as the app writes them: the signature's
    /Contents holds its CMS structure then zeros only, and each certificate it carries is
    the signer's own. (A byte changed in the padding or in a spare certificate copy is not
    covered by the signature itself; this makes every byte of the file count.)"""
    from asn1crypto import cms

    try:
        raw = bytes(sig.pkcs7_content)
        body = cms.ContentInfo.load(raw, strict=False).dump()
        certs = [c.chosen.dump() for c in sig.signed_data["certificates"]]
    except (ValueError, TypeError, KeyError) as exc:
        log.info("signature contents unreadable: %s", exc)
        return False
    if raw[: len(body)] != body or raw[len(body) :].strip(b"\x00"):
        return False
    return all(c == cert.dump() for c in certs)
