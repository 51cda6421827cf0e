"""Issuing, reprinting, reissuing, voiding and verifying disclosure certificates.

Issuing builds the canonical payload from the shop's records, signs its hash (Ed25519, for the
QR record), draws the PDF, embeds the record and signs the file (PAdES), archives the bytes in
the content-addressed store (fsynced) and only then records the certificate row. A crash before
the row leaves an orphan file the sweeper removes; nothing issued is ever changed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..certificates import payload as pl
from ..certificates.keys import (
    ED25519_PRIVATE,
    ShopKeys,
    has_keys,
    install,
    load_or_create,
    load_public_key,
    read_backup,
)
from ..certificates.pdf import pdf_cert_sha256
from ..certificates.verify import VALID, Verification, verify_pdf, verify_qr_text
from ..domain import ftc
from ..domain.custody import Hop
from ..domain.gaps import ORIGIN_EVIDENCE, wording_gaps
from ..domain.model import (
    CLAIM_CLASS_LABELS,
    DOC_TYPE_LABELS,
    DocType,
    Document,
    Item,
    MetalLot,
    OriginType,
    StoneType,
    SubjectKind,
    new_id,
)
from ..domain.sales import IssuedCertificate, Sale
from ..domain.statements import statements
from ..errors import BadDocument, Conflict, NotFound, StorageError, ValidationError
from ..store import audit, events, records
from ..store import sales as store
from . import custody, staff
from .shop import Shop

log = logging.getLogger(__name__)


KEY_MISSING = (
    "This data folder has no signing key, but the shop's certificates were signed with the "
    "key {fingerprint}. Put that key back from its key backup (Sales → Restore the signing "
    "keys…, or 'jewelerdesk keys restore FOLDER'), so new certificates carry the same key. "
    "If the key is lost for good, start a new one with 'jewelerdesk keys new'."
)


def shop_keys(shop: Shop) -> ShopKeys:
    """The shop's signing keys, made on first use: never silently in place of a key that
    has signed certificates (a restored shop without its key backup)."""
    ident = shop.identity()
    if ident is None:
        raise ValidationError({"shop": "Set up the shop's name and address first."})
    if not has_keys(shop.paths.keys):
        used = store.signing_fingerprints(shop.db)
        if used:
            raise StorageError(KEY_MISSING.format(fingerprint=max(used, key=used.__getitem__)))
    return load_or_create(shop.paths.keys, ident.name, ident.country)


def restore_keys(
    shop: Shop, folder: Path, passphrase: str, manager_pin: str | None = None
) -> ShopKeys:
    """Put the shop's signing keys back from a key backup (needs its passphrase, and with staff
    profiles a manager's PIN). A key already in place that has signed certificates is never
    replaced by another."""
    from . import staff

    staff.authorise(shop, manager_pin, "restore the signing keys")
    restored = read_backup(folder, passphrase)
    dest = shop.paths.keys
    if has_keys(dest):
        current = shop_keys(shop)
        if current.fingerprint == restored.fingerprint:
            return current
        signed = store.signing_fingerprints(shop.db).get(current.fingerprint, 0)
        if signed:
            raise Conflict(
                f"The key in place ({current.fingerprint}) has signed {signed} certificate "
                f"version(s) of this shop; the backup holds another key ({restored.fingerprint}). "
                "Nothing was changed."
            )
    dest.mkdir(parents=True, exist_ok=True)
    keys = install(restored, dest)
    log.info("signing keys restored from %s (%s)", folder, keys.fingerprint)
    return keys


def new_keys(shop: Shop, manager_pin: str | None = None) -> ShopKeys:
    """A fresh signing key for a shop whose key is lost for good (its earlier certificates
    still verify against the public key they were issued with)."""
    from . import staff

    staff.authorise(shop, manager_pin, "start a new signing key")
    if has_keys(shop.paths.keys):
        raise Conflict("This data folder already has a signing key. Nothing was changed.")
    ident = shop.identity()
    if ident is None:
        raise ValidationError({"shop": "Set up the shop's name and address first."})
    return load_or_create(shop.paths.keys, ident.name, ident.country)


@dataclass(frozen=True)
class Issued:
    certificate: IssuedCertificate
    pdf: bytes
    qr_text: str


# ----------------------------------------------------------------------------- the payload


def _confidence_key(label: str) -> str:
    return label.lower().replace("-", "_")


def _origin_confidence(chain: custody.ComponentChain, country: str) -> str:
    """How the country of mining is known: from a recorded 'mined' hop, else unknown."""
    effective = {e.id for e in custody.effective_chain(chain)}
    for h in chain.hops:
        if h.event.id in effective and h.event.hop == Hop.MINED:
            return str(h.event.confidence)
    if country:
        documented = any(
            d.doc_type in ORIGIN_EVIDENCE  # a grading report says what, not where from
            for d in chain.documents
        )
        return "documented" if documented else "owner_asserted"
    return "unknown"


def _doc_label(d: Document) -> str:
    label = DOC_TYPE_LABELS[d.doc_type]
    return f"{label} {d.number}".strip() if d.number else label


def _hops(chain: custody.ComponentChain) -> list[dict[str, Any]]:
    effective = {e.id for e in custody.effective_chain(chain)}
    return [
        {
            "date": h.day,
            "step": h.label,
            "party": h.party,
            "country": h.country,
            "evidence": [_doc_label(d) for d in h.evidence],
            "evidence_sha256": [d.sha256 for d in h.evidence],
            "confidence": str(h.event.confidence),
        }
        for h in chain.hops
        if h.event.id in effective and not h.event.retracts
    ]


def _recycled_declared(shop: Shop, lot: MetalLot) -> bool:
    return any(
        d.doc_type == DocType.RECYCLED_DECLARATION
        for d in records.documents_for(shop.db, SubjectKind.LOT, lot.id)
    )


def build_payload(
    shop: Shop,
    item: Item,
    sale: Sale | None,
    number: str,
    version: int,
    issued_at: str,
    keys: ShopKeys,
    supersedes: IssuedCertificate | None = None,
) -> dict[str, Any]:
    ident = shop.identity()
    assert ident is not None
    chains = custody.piece_custody(shop, item.sku)
    by_id = {c.id: c for c in chains.components}
    gaps = custody.gaps_for_item_id(shop, item.id)
    parties = {p.id: p for p in records.all_parties(shop.db)}
    texts = {s.id: s.canonical for s in statements()}

    # Components are named on the certificate as the FTC requires, not by the shop's shorthand.
    labels = {
        s.id: f"Stone {i}: {ftc.stone_name(s)} ({ftc.stone_quantity(s)})"
        for i, s in enumerate(item.stones, 1)
    }
    stones: list[dict[str, Any]] = []
    for s in item.stones:
        chain = by_id.get(s.id)
        stones.append(
            {
                "label": labels[s.id],
                "name": ftc.stone_name(s),
                "quantity": ftc.stone_quantity(s),
                "count": s.count,
                "weight_mct": s.weight_mct,
                "weight_is_total": s.weight_is_total,
                "shape": s.shape,
                "colour": s.colour,
                "clarity": s.clarity,
                "lab": s.report_lab,
                "report_no": s.report_no,
                "report_date": s.report_date,
                "treatment": ftc.treatment_disclosure(s),
                "growth_method": s.growth_method if s.origin_type == OriginType.LAB_GROWN else "",
                "country_of_mining": (
                    s.country_of_mining
                    if s.origin_type == OriginType.NATURAL and s.stone_type != StoneType.PEARL
                    else ""
                ),
                "origin_confidence": (
                    _origin_confidence(chain, s.country_of_mining)
                    if chain and s.origin_type == OriginType.NATURAL
                    else ("not_applicable" if s.origin_type != OriginType.NATURAL else "unknown")
                ),
                "country_of_cutting": s.country_of_cutting,
            }
        )
    for row in stones:
        if row["origin_confidence"] == "not_applicable":
            row["origin_confidence"] = "documented" if row["report_no"] else "owner_asserted"
            row["country_of_mining"] = "not mined"
    metals = []
    parts = []
    lots: dict[str, MetalLot] = {}
    for m in item.metals:
        lot = lots.get(m.lot_id) or records.get_lot(shop.db, m.lot_id)
        if lot is None:
            continue
        lots[lot.id] = lot
        declared = _recycled_declared(shop, lot)
        parts.append((m, lot, declared))
        refiner = parties[lot.refiner_id].legal_name if lot.refiner_id in parties else ""
        if lot.refiner_cid:
            refiner = f"{refiner} ({lot.refiner_cid})".strip()
        claim = CLAIM_CLASS_LABELS[lot.claim_class]
        if lot.claim_class.value == "recycled" and not declared:
            claim = "Recycled (not declared in writing)"
        metals.append(
            {
                "part": m.part.value.capitalize(),
                "name": ftc.metal_part_name(m, lot, declared),
                "mass_mg": m.mass_mg,
                "fineness_ppt": m.fineness_ppt or lot.fineness_ppt,
                "lot_no": lot.lot_no,
                "refiner": refiner,
                "claim": claim,
            }
        )
    statements_out = []
    seen: set[tuple[str, str]] = set()
    docs = [d for c in chains.components for d in c.documents] + records.documents_for(
        shop.db, SubjectKind.ITEM, item.id
    )
    for d in docs:
        for sid in sorted(events.confirmed_statements(shop.db, [d.id])):
            key = (d.id, sid)
            if key in seen or sid not in texts:
                continue
            seen.add(key)
            statements_out.append(
                {
                    "supplier": d.issuer or "The supplier",
                    "document": _doc_label(d),
                    "statement": sid,
                    "text": texts[sid],
                }
            )
    lists = custody.installed_lists(shop)
    raw_key = keys.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "format": pl.FORMAT,
        "number": number,
        "version": version,
        "issued_at": issued_at,
        "issued_on": issued_at[:10],
        "supersedes": (
            {
                "number": supersedes.number,
                "version": supersedes.version,
                "payload_sha256": supersedes.payload_sha256,
            }
            if supersedes
            else None
        ),
        "shop": {
            "name": ident.name,
            "address": ident.address,
            "country": ident.country,
            "phone": ident.phone,
            "email": ident.email,
            "paper_size": ident.paper_size,
            "key_fingerprint": keys.fingerprint,
            "public_key": base64.b64encode(raw_key).decode("ascii"),
            "pdf_cert_sha256": pdf_cert_sha256(keys),
        },
        # The shop's records log as it stood at issue: a history rewritten later cannot
        # match this signed entry number and hash.
        "records_log": _records_log(shop),
        "piece": {
            "sku": item.sku,
            "description": item.description,
            "category": item.category.value,
            "metal": ftc.piece_metal_summary(parts),
        },
        "sale": (
            {
                "invoice_no": sale.invoice_no,
                "date": sale.sold_at[:10],
                "currency": sale.currency,
                "price_minor": next(li.price_minor for li in sale.lines if li.item_id == item.id),
                "tax_minor": next(li.tax_minor for li in sale.lines if li.item_id == item.id),
                "customer": sale.customer_name,
            }
            if sale
            else None
        ),
        "stones": stones,
        "metals": metals,
        "custody": [
            {"component": labels.get(c.id, c.label), "kind": c.kind, "hops": _hops(c)}
            for c in chains.components
        ],
        "gaps": [
            {
                "rule": g.rule,
                "severity": g.severity.label,
                "component": labels.get(g.component_id, g.component_label),
                "title": g.title,
                "explanation": g.explanation,
                "basis": g.basis,
            }
            for g in gaps.gaps
        ],
        "acknowledged": [
            {
                "rule": a.gap.rule,
                "component": labels.get(a.gap.component_id, a.gap.component_label),
                "title": a.gap.title,
                "reason": a.reason,
            }
            for a in gaps.acknowledged
        ],
        "supplier_statements": statements_out,
        "screening_lists": [
            {"name": x.name, "version": x.version, "date": x.date}
            for x in (lists.cahra, lists.flags_info, lists.sanctions)
        ],
    }


# ----------------------------------------------------------------------------- issuing


def _records_log(shop: Shop) -> dict[str, Any]:
    seq, digest = audit.head(shop.db)
    return {"entry": seq, "sha256": digest}


def _item(shop: Shop, sku: str) -> Item:
    item_id = records.find_item_id_by_sku(shop.db, sku)
    item = records.get_item(shop.db, item_id) if item_id else None
    if item is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    return item


def _check_wording(shop: Shop, item: Item) -> None:
    bad = ftc.own_claim_problems(item.description)
    if bad:
        raise ValidationError(
            {
                "description": f"The description says “{bad[0]}”, a claim the shop cannot print as "
                "its own (FTC). Reword the description, then issue the certificate."
            }
        )
    lots = {
        m.lot_id: lot
        for m in item.metals
        if (lot := records.get_lot(shop.db, m.lot_id)) is not None
    }
    for g in wording_gaps(item, lots):  # an unqualified "diamond" for a lab-grown stone...
        raise ValidationError(
            {
                "description": f"{g.title}: {g.explanation} The certificate would repeat it to "
                "the customer (FTC). Reword the description, then issue the certificate."
            }
        )
    for n, part in enumerate(item.metals, start=1):
        lot = lots.get(part.lot_id)
        if lot is None:
            continue
        problem = ftc.metal_wording_problem(lot.metal, part.fineness_ppt or lot.fineness_ppt)
        if problem:
            raise ValidationError(
                {
                    f"metals[{n}]": f"Metal {n} (lot {lot.lot_no}) cannot go on a certificate: "
                    f"{problem} Record the metal as marked by the refiner, then issue it."
                }
            )


def _logo(shop: Shop) -> bytes | None:
    ident = shop.identity()
    if ident and ident.logo_sha256 and shop.files.exists(ident.logo_sha256):
        return shop.files.read(ident.logo_sha256)
    return None


def _photo(shop: Shop, item: Item) -> bytes | None:
    for d in records.documents_for(shop.db, SubjectKind.ITEM, item.id):
        if d.doc_type == DocType.PHOTO and d.media_type in ("image/jpeg", "image/png"):
            if shop.files.exists(d.sha256):
                return shop.files.read(d.sha256)
    return None


def render_pdf(shop: Shop, payload: dict[str, Any], qr_text: str, item: Item) -> bytes:
    from ..certificates.render import render

    buf = io.BytesIO()
    render(payload, qr_text, buf, logo=_logo(shop), photo=_photo(shop, item))
    return buf.getvalue()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _issue(
    shop: Shop,
    item: Item,
    number: str,
    version: int,
    supersedes: IssuedCertificate | None,
    reason: str = "",
) -> Issued:
    from ..certificates.pdf import finish

    ident = shop.identity()
    assert ident is not None
    keys = shop_keys(shop)
    sale = store.open_sale_for_item(shop.db, item.id)
    issued_at = _now()
    payload = build_payload(shop, item, sale, number, version, issued_at, keys, supersedes)
    record = pl.canonical_bytes(payload)
    digest = hashlib.sha256(record).hexdigest()
    qr = pl.QrRecord(number, version, digest, keys.sign(pl.signed_message(number, version, digest)))
    pdf = finish(render_pdf(shop, payload, qr.text(), item), record, qr.text(), keys, ident.name)
    pdf_sha, size = shop.files.put_bytes(pdf)
    cert = IssuedCertificate(
        id=new_id(),
        number=number,
        version=version,
        item_id=item.id,
        sale_id=sale.id if sale else None,
        issued_at=issued_at,
        payload=record.decode("utf-8"),
        payload_sha256=digest,
        signature=qr.text().rsplit(":", 1)[1],
        key_fingerprint=keys.fingerprint,
        pdf_sha256=pdf_sha,
        pdf_size=size,
    )
    try:
        with shop.db.atomic():
            store.insert_certificate(shop.db, cert)
            if supersedes is not None:
                why = f"replaced by version {version}" + (f": {reason}" if reason else "")
                store.insert_status(shop.db, supersedes.id, "superseded", why, cert.id)
    except sqlite3.IntegrityError as exc:
        # Another window or command issued this number a moment ago; the PDF just written is
        # an orphan the sweeper removes.
        raise Conflict(
            f"Certificate {number} version {version} was issued elsewhere just now. Try again."
        ) from exc
    return Issued(cert, pdf, qr.text())


def warm_up(shop: Shop) -> None:
    """Load what issuing needs (ReportLab, the fonts, pyHanko, the shop's keys) ahead of the
    first certificate. A fresh process spends about a second on these imports; the GUI calls
    this in the background while the sale is being typed, so the counter never waits for it."""
    from ..certificates import pdf, render

    render.warm_up()
    pdf.warm_up()
    if shop.identity() is not None:
        shop_keys(shop)


def issue_certificate(shop: Shop, sku: str) -> Issued:
    """Issue version 1 of a piece's certificate (for its sale, if it was sold)."""
    item = _item(shop, sku)
    _check_wording(shop, item)
    current = [c for c in store.certificates_for_item(shop.db, item.id) if c.status == "current"]
    if current:
        c = current[-1]
        raise Conflict(
            f"{sku} already has certificate {c.number} (version {c.version}). Reprint it, or "
            "reissue it if something changed."
        )
    ident = shop.identity()
    assert ident is not None
    number = store.next_certificate_number(shop.db, ident.certificate_prefix)
    return _issue(shop, item, number, 1, None)


def preview_certificate(shop: Shop, sku: str) -> bytes:
    """The certificate as it would be issued now, marked as a preview and not signed."""
    item = _item(shop, sku)
    _check_wording(shop, item)
    keys = shop_keys(shop)
    sale = store.open_sale_for_item(shop.db, item.id)
    payload = build_payload(shop, item, sale, "PREVIEW", 1, _now(), keys)
    digest = pl.payload_sha256(payload)
    qr = pl.QrRecord("PREVIEW", 1, digest, bytes(64))
    return render_pdf(shop, payload, qr.text(), item)


def get_certificate(shop: Shop, number: str, version: int | None = None) -> IssuedCertificate:
    c = store.find_certificate(shop.db, number.strip(), version)
    if c is None:
        raise NotFound(f"No certificate has the number {number}.")
    return c


def reprint(shop: Shop, number: str, version: int | None = None) -> bytes:
    """The archived bytes of an issued certificate, exactly as issued, to print or hand out
    again. A voided one is not: a clean copy of it could be handed out as if it still stood
    (:func:`archived_copy` shows it to the shop)."""
    c = get_certificate(shop, number, version)
    if c.status == "voided":
        raise Conflict(
            f"Certificate {c.number} was voided ({c.status_reason}); it is not printed again. "
            "Verifying the customer's copy shows it as voided."
        )
    return archived_copy(shop, c.number, c.version)


def archived_copy(shop: Shop, number: str, version: int | None = None) -> bytes:
    """The archived bytes of any issued certificate version, voided ones included (for the
    shop's own eyes: the certificate window shows them marked VOID, with printing off)."""
    c = get_certificate(shop, number, version)
    if not shop.files.exists(c.pdf_sha256):
        raise StorageError(
            f"The archived PDF of {c.number} v{c.version} is missing. Restore a backup."
        )
    data = shop.files.read(c.pdf_sha256)
    if hashlib.sha256(data).hexdigest() != c.pdf_sha256:
        raise StorageError(
            f"The archived PDF of {c.number} v{c.version} is damaged. Restore a backup."
        )
    return data


def reissue(shop: Shop, number: str, reason: str, manager_pin: str | None = None) -> Issued:
    """A corrected certificate: version n+1; the old version is marked superseded."""
    if not reason.strip():
        raise ValidationError({"reason": "Say what was corrected."})
    old = get_certificate(shop, number)
    if old.status == "voided":
        raise Conflict(f"{old.number} was voided and cannot be reissued.")
    item = records.get_item(shop.db, old.item_id)
    if item is None:
        raise NotFound("The piece of that certificate no longer exists.")
    _check_wording(shop, item)
    manager = staff.authorise(shop, manager_pin, "reissue a certificate")
    with staff.approved_by(shop, manager):
        return _issue(shop, item, old.number, old.version + 1, old, reason.strip())


def void(shop: Shop, number: str, reason: str, manager_pin: str | None = None) -> IssuedCertificate:
    if not reason.strip():
        raise ValidationError({"reason": "A void needs a reason."})
    c = get_certificate(shop, number)
    if c.status == "voided":
        raise Conflict(f"{c.number} is already void.")
    manager = staff.authorise(shop, manager_pin, "void a certificate")
    with staff.approved_by(shop, manager):
        store.insert_status(shop.db, c.id, "voided", reason.strip())
    return get_certificate(shop, number, c.version)


def certificates_of(shop: Shop, sku: str) -> list[IssuedCertificate]:
    return store.certificates_for_item(shop.db, _item(shop, sku).id)


# ----------------------------------------------------------------------------- verifying


def _trusted_keys(public_key: Path | None, shop: Shop | None) -> list[Ed25519PublicKey]:
    """The key given, else the shop's own key if this shop has one (none is made here)."""
    if public_key is not None:
        try:
            return [load_public_key(public_key.read_bytes())]
        except OSError as exc:
            raise BadDocument(
                f"The key file cannot be read: {exc.strerror or exc}", where=str(public_key)
            ) from exc
    if shop is not None and (shop.paths.keys / ED25519_PRIVATE).is_file():
        return [shop_keys(shop).public]
    return []


def verify_file(
    path: Path, public_key: Path | None = None, shop: Shop | None = None
) -> Verification:
    """Verify a certificate PDF against the given public key (else the shop's own key, if a
    shop is at hand); with the shop's records, also say if it was superseded or voided."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(
            f"The file cannot be read: {exc.strerror or exc}", where=str(path)
        ) from exc
    trusted = _trusted_keys(public_key, shop)
    result = verify_pdf(data, trusted)
    if shop is not None and result.number and public_key is None:
        _add_history(shop, result)  # this shop's own certificate: what became of it since
    return result


def verify_qr(text: str, public_key: Path | None = None, shop: Shop | None = None) -> Verification:
    trusted = _trusted_keys(public_key, shop)
    record = pl.parse_qr(text)
    archived = None
    own = shop is not None and public_key is None  # another shop's is not in these records
    if own and shop is not None:
        c = store.find_certificate(shop.db, record.number, record.version)
        archived = c.payload.encode("utf-8") if c else None
    result = verify_qr_text(text, trusted, archived)
    if own and shop is not None:
        _add_history(shop, result)
    return result


def _same_key(a: str, b: str) -> bool:
    return a.replace(" ", "").upper() == b.replace(" ", "").upper()


def _add_history(shop: Shop, result: Verification) -> None:
    c = store.find_certificate(shop.db, result.number, result.version)
    if c is None or not _same_key(c.key_fingerprint, result.fingerprint):
        return  # not one of this shop's certificates (another shop may use the same number)
    # The signed certificate names the records log's entry and hash at issue: a shop whose
    # log no longer has that hash there has had its history rewritten since.
    logged = (result.payload or {}).get("records_log")
    if isinstance(logged, dict) and result.status == VALID:
        try:
            now = audit.hash_at(shop.db, int(logged["entry"])) if logged["entry"] else None
        except (KeyError, TypeError, ValueError):
            now = None
        if logged.get("entry") and now != logged.get("sha256"):
            result.problems.append(
                f"The shop's records log no longer matches entry #{logged['entry']} printed on "
                "this certificate: the shop's history was changed after it was issued."
            )
    if c.status == "superseded":
        latest = store.find_certificate(shop.db, result.number)
        result.notes.append(
            f"The shop has since replaced it with version {latest.version if latest else '?'}."
        )
    elif c.status == "voided":
        result.status = "voided"
        result.notes.append(f"The shop has voided it: {c.status_reason}")
    returned = store.return_of(shop.db, c.sale_id, c.item_id) if c.sale_id else None
    if returned is not None:
        result.notes.append(
            f"The piece was brought back to the shop on {returned[0][:10]} ({returned[1]}): the "
            "sale this certificate records was reversed."
        )
