"""The regulator's due-diligence pack: one ZIP for the whole shop, a date range or chosen
pieces (DESIGN §5).

- ``epcis.jsonld``: the custody events as an EPCIS 2.0 document; each ``eventID`` is the
  event's canonical GS1 event hash (computed by ``epcis-event-hash-generator``, kept in the
  database once computed); names, weights and origins as master data in the header.
- ``us_customs_diamonds.csv``, ``eu_2017_821_lots.csv``, ``warranty_reconciliation.csv``,
  ``refiners.csv`` (CMRT smelter-list columns).
- ``documents/`` with every file the pack refers to, ``manifest.csv`` (path, sha256, size,
  type) and ``README.txt``.

The same records give the same bytes: entries in a fixed order with fixed timestamps, the
document's creation date taken from the newest record, not the clock.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain import epcis
from ..domain.model import (
    CLAIM_CLASS_LABELS,
    METAL_LABELS,
    ORIGIN_TYPE_LABELS,
    STONE_TYPE_LABELS,
    WarrantyStatement,
    label_of,
)
from ..errors import Cancelled, NotFound, StorageError, ValidationError
from ..store import audit, records
from ..store import events as event_store
from ..store import exports as q
from ..store.files import write_atomic
from .exports import check_period, csv_bytes, fine_grams, grams
from .shop import Shop

#: Changes whenever ``domain.epcis.event_json`` would write an event differently.
HASH_SCHEME = "jewelerdesk-epcis-1"
HASH_BATCH = 250
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the ZIP format's earliest date: no clock in the bytes
EARLIEST, LATEST = "0001-01-01", "9999-12-31"  # a pack without a period

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "text/plain": ".txt",
    "text/csv": ".csv",
}


@dataclass(frozen=True)
class PackResult:
    path: Path
    events: int
    hashed_now: int  # events whose hash had to be computed for this pack
    documents: int
    files: dict[str, int]  # name in the ZIP -> size


#: CBV and GS1 vocabulary URIs that JSON-LD expansion gives the bare strings of an event, by the
#: event's vocabulary signature (see :func:`_hash_documents`)
_VOCAB: dict[frozenset[tuple[str, str]], frozenset[str]] = {}
_VOCAB_PREFIXES = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")
_IDENTIFIER = re.compile(
    r"^(urn:uuid:|ni:///)|^\d{4}-\d{2}-\d{2}T|^[+-]\d{2}:\d{2}$|^[0-9a-f-]{32,}$"
)


def _signature(node: Any, out: set[tuple[str, str]], key: str = "") -> None:
    """Every (key, string) of an event except identifiers and times: all that JSON-LD
    expansion can turn into a vocabulary URI."""
    if isinstance(node, dict):
        for k, v in node.items():
            out.add((k, ""))
            if not k.startswith("jd:"):  # the shop's own facts: never GS1 vocabulary
                _signature(v, out, k)
    elif isinstance(node, list):
        for v in node:
            _signature(v, out, key)
    elif isinstance(node, str) and not _IDENTIFIER.search(node):
        out.add((key, node))


def _hash_documents(doc: dict[str, Any]) -> list[str]:
    """GS1 canonical event hashes of the events of an EPCIS document, in order. The document
    is consumed (its strings are rewritten in place).

    The steps of ``epcis_event_hash_generator``'s ``event_list_from_epcis_document_json``
    and ``epcis_hashes_from_events``, with three changes for speed, none to the result:

    - that function expands the whole document with JSON-LD only to learn which vocabulary
      URIs its bare strings ("receiving", "owning_party"...) stand for, which costs
      milliseconds an event. Expansion treats each event on its own, so the URIs of a document
      are the union of its events'; they are learnt once per distinct vocabulary signature (a
      few dozen in a shop) and reused;
    - the library deep-copies the document and the event list to leave its caller's objects
      untouched; these are built for hashing alone, so they are not copied;
    - the library's value and timestamp canonicalisations are pure functions of one string
      and the same few thousand strings recur in every event (steps, parties, countries,
      times), so they are remembered while hashing (:func:`_remembered_canonical_forms`).

    Each event's pre-hash string is still built by the library's own functions. The tests
    recompute every hash with the library's own, unchanged path and compare."""
    from epcis_event_hash_generator import JOIN_BY, PROP_ORDER, hash_generator, json_to_py
    from epcis_event_hash_generator import json_xml_model_mismatch_correction as fix
    from pyld import jsonld

    header = {k: v for k, v in doc.items() if k != "epcisBody"}
    vocab: set[str] = set()
    for event in doc["epcisBody"]["eventList"]:
        sig: set[tuple[str, str]] = set()
        _signature(event, sig)
        key = frozenset(sig)
        known = _VOCAB.get(key)
        if known is None:
            single = json.loads(json.dumps({**header, "epcisBody": {"eventList": [event]}}))
            values: list[str] = []
            json_to_py._find_expanded_values(jsonld.expand(single), values)
            known = frozenset(v for v in values if v.startswith(_VOCAB_PREFIXES))
            if len(_VOCAB) > 5000:
                _VOCAB.clear()  # a bound for a long session; it refills from use
            _VOCAB[key] = known
        vocab |= known
    obj = json_to_py._replace_bare_string_values(doc, vocab)
    json_to_py._collect_namespaces_from_jsonld_context(obj["@context"])
    join = hash_generator.JOIN_BY = JOIN_BY  # the library's default separator
    prehashes = []
    with _remembered_canonical_forms(hash_generator):
        for e in obj["epcisBody"]["eventList"]:
            event = fix.deep_structure_correction(json_to_py._json_to_py(e))
            prehashes.append(
                "eventType="
                + event[0]
                + join
                + hash_generator._recurse_through_children_in_order(event[2], PROP_ORDER)
                + join
                + hash_generator._gather_elements_not_in_order(event[2], PROP_ORDER)
            )
    return hash_generator.calculate_hashes_from_pre_hashes(prehashes)


_CANONICAL_LOCK = threading.Lock()


@contextmanager
def _remembered_canonical_forms(hash_generator: Any) -> Iterator[None]:
    """The library's ``_canonize_value`` and ``_fix_time_stamp_format`` (each a pure
    function of one string) remembered while a batch is hashed, then put back as they were:
    the library stays unchanged for everyone else."""
    with _CANONICAL_LOCK:
        saved = hash_generator._canonize_value, hash_generator._fix_time_stamp_format
        if not _REMEMBERED:
            _REMEMBERED.extend(functools.lru_cache(maxsize=100_000)(f) for f in saved)
        hash_generator._canonize_value, hash_generator._fix_time_stamp_format = _REMEMBERED
        try:
            yield
        finally:
            hash_generator._canonize_value, hash_generator._fix_time_stamp_format = saved


_REMEMBERED: list[Any] = []


def event_hashes(
    shop: Shop,
    events: Sequence[Any],
    facts: epcis.Facts,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[str], int]:
    """Each event's hash: from the database if computed before, else computed now (in
    batches, reporting progress) and kept."""
    known = q.known_hashes(shop.db, HASH_SCHEME)
    missing = [e for e in events if (e.id, len(e.evidence)) not in known]
    for i in range(0, len(missing), HASH_BATCH):
        batch = missing[i : i + HASH_BATCH]
        doc = epcis.document([epcis.event_json(e, facts) for e in batch], "1970-01-01T00:00:00Z")
        hashes = _hash_documents(doc)
        rows = [(e.id, len(e.evidence), h) for e, h in zip(batch, hashes, strict=True)]
        with shop.db.atomic():
            q.insert_hashes(shop.db, HASH_SCHEME, rows)
        known.update({(e, n): h for e, n, h in rows})
        if progress:
            progress(min(i + HASH_BATCH, len(missing)), len(missing))
    return [known[(e.id, len(e.evidence))] for e in events], len(missing)


# ----------------------------------------------------------------------------- content


def _carats(mct: int) -> Decimal:
    return Decimal(mct).scaleb(-3)


def _stone_total(count: int, mct: int, is_total: int) -> int:
    return mct if is_total else mct * count


def _master_data(shop: Shop, subject_ids: set[str], party_ids: set[str]) -> dict[str, Any]:
    pieces = {
        r[0]: {"sku": r[1], "description": r[2], "category": r[3]}
        for r in q.item_facts(shop.db)
        if r[0] in subject_ids
    }
    stones = {}
    for r in q.stone_facts(shop.db):
        if r[0] not in subject_ids:
            continue
        (sid, item_id, ref, kind, origin, variety, count, mct, is_total, mined, region, cut) = r[
            :12
        ]
        stones[sid] = {
            "reference": ref,
            "inPiece": epcis.uuid_uri(item_id) if item_id else "",
            "stoneType": kind,
            "name": variety or label_of(STONE_TYPE_LABELS, kind).lower(),
            "origin": origin,
            "labGrown": origin == "laboratory_grown",
            "count": count,
            "caratsTotal": float(_carats(_stone_total(count, mct, is_total))),
            "countryOfMining": mined,
            "regionOfMining": region,
            "countryOfCutting": cut,
            "gradingLab": r[12],
            "reportNumber": r[13],
            "kpCertificate": r[14],
            "grandfathered": bool(r[15]),
            "warranty": r[16],
        }
    lots = {
        r[0]: {
            "lotNumber": r[1],
            "metal": r[2],
            "finenessPpt": r[3],
            "form": r[4],
            "claim": r[5],
            "refiner": r[6],
            "refinerCID": r[7],
            "countryOfOrigin": r[9],
        }
        for r in q.lot_facts(shop.db)
        if r[0] in subject_ids
    }
    parties = {
        r[0]: {"name": r[1], "country": r[2], "role": r[3], "rmiCID": r[4]}
        for r in q.party_facts(shop.db)
        if r[0] in party_ids
    }
    return epcis.master_data({"Piece": pieces, "Stone": stones, "MetalLot": lots, "Party": parties})


def _diamonds_csv(shop: Shop, stone_ids: set[str], docs_of: dict[str, list[str]]) -> bytes:
    header = [
        "stone_id",
        "piece_or_stock_no",
        "stones",
        "carats_total",
        "origin",
        "country_of_mining",
        "country_of_cutting",
        "grandfathered",
        "kp_certificate",
        "grading_lab",
        "report_number",
        "acquired_on",
        "supplier",
        "evidence_sha256",
    ]
    rows = []
    for r in q.stone_facts(shop.db):
        if r[0] not in stone_ids or r[3] != "diamond":
            continue
        rows.append(
            [
                r[0],
                r[2],
                r[6],
                f"{_carats(_stone_total(r[6], r[7], r[8])):f}",
                label_of(ORIGIN_TYPE_LABELS, r[4]),
                r[9],
                r[11],
                "yes" if r[15] else "no",
                r[14],
                r[12],
                r[13],
                r[17],
                r[18],
                " ".join(docs_of.get(r[0], [])),
            ]
        )
    return csv_bytes(header, rows, bom=False)


def _lots_csv(shop: Shop, lot_ids: set[str], docs_of: dict[str, list[str]]) -> bytes:
    header = [
        "lot_number",
        "description",
        "metal",
        "fineness_ppt",
        "claim",
        "supplier",
        "supplier_country",
        "country_of_origin",
        "refiner",
        "refiner_cid",
        "refiner_country",
        "received_on",
        "received_g",
        "fine_metal_g",
        "bar_or_batch_no",
        "evidence_sha256",
    ]
    rows = []
    for r in q.lot_facts(shop.db):
        if r[0] not in lot_ids:
            continue
        rows.append(
            [
                r[1],
                f"{r[3]} {label_of(METAL_LABELS, r[2])}, {r[4].replace('_', ' ')}",
                r[2],
                str(r[3]),
                label_of(CLAIM_CLASS_LABELS, r[5]),
                r[10],
                r[11],
                r[9],
                r[6],
                r[7],
                r[8],
                r[12],
                f"{grams(r[13]):f}",
                f"{fine_grams(r[13], r[3]):f}",
                r[14],
                " ".join(docs_of.get(r[0], [])),
            ]
        )
    return csv_bytes(header, rows, bom=False)


def _warranty_csv(
    shop: Shop, stone_ids: set[str], subject_ids: set[str], start: str, end: str
) -> bytes:
    """Per month of the pack's period: the pack's natural diamonds received with and without a
    System of Warranties statement, and sold on (from stones that came with one, and
    without). Stones received on a day not recorded count only in a pack without a period."""
    months: dict[str, list[int]] = {}
    whole = (start, end) == (EARLIEST, LATEST)
    for r in q.stone_facts(shop.db):
        if r[0] not in stone_ids or r[3] != "diamond" or r[4] != "natural":
            continue
        day = r[17] or ""
        if not (start <= day <= end or (whole and not day)):
            continue
        month = day[:7] or "unknown"
        with_sow = r[16] != WarrantyStatement.NONE
        m = months.setdefault(month, [0] * 8)
        i = 0 if with_sow else 2
        m[i] += r[6]
        m[i + 1] += _stone_total(r[6], r[7], r[8])
    for stone_id, item_id, month, warranty, stones, mct in q.sold_diamonds(shop.db, start, end):
        if stone_id not in stone_ids and item_id not in subject_ids:
            continue  # a piece outside the pack (its sale event names the piece)
        m = months.setdefault(month, [0] * 8)
        i = 4 if warranty != WarrantyStatement.NONE else 6
        m[i] += stones
        m[i + 1] += mct
    header = [
        "month",
        "received_with_sow_stones",
        "received_with_sow_carats",
        "received_without_sow_stones",
        "received_without_sow_carats",
        "sold_with_sow_stones",
        "sold_with_sow_carats",
        "sold_without_sow_stones",
        "sold_without_sow_carats",
    ]
    rows = [
        [month] + [f"{_carats(v):f}" if k % 2 else str(v) for k, v in enumerate(m)]
        for month, m in sorted(months.items())
    ]
    return csv_bytes(header, rows, bom=False)


#: The Smelter List columns of the RMI Conflict Minerals Reporting Template (CMRT 6.x).
CMRT_COLUMNS = [
    "Metal",
    "Smelter Look-up",
    "Smelter Name",
    "Smelter Country",
    "Smelter Identification",
    "Source of Smelter Identification Number",
    "Smelter Street",
    "Smelter City",
    "Smelter Facility Location: State / Province",
    "Smelter Contact Name",
    "Smelter Contact Email",
    "Proposed next steps",
    "Name of Mine(s) or if recycled or scrap sourced, enter 'Recycled' or 'Scrap'",
    "Location (Country) of Mine(s) or if recycled or scrap sourced, enter 'Recycled' or 'Scrap'",
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
    "Comments",
]
CMRT_METALS = {"Au": "Gold", "Ag": "Silver", "Pt": "Platinum", "Pd": "Palladium"}


def _refiners_csv(shop: Shop, lot_ids: set[str]) -> bytes:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in q.lot_facts(shop.db):
        if r[0] not in lot_ids or not (r[6] or r[7]):
            continue
        key = (r[2], r[6], r[7])
        entry = seen.setdefault(key, {"recycled": True, "lots": []})
        entry["recycled"] = entry["recycled"] and r[5] == "recycled"
        entry["lots"].append(r[1])
        entry["country"] = r[8]
    rows = []
    for (metal, name, cid), entry in sorted(seen.items()):
        recycled = entry["recycled"]
        rows.append(
            [
                CMRT_METALS.get(metal, metal),
                "Smelter not listed" if not cid else "",
                name,
                entry["country"],
                cid,
                "RMI" if cid.startswith("CID") else ("" if not cid else "Other"),
                "",
                "",
                "",
                "",
                "",
                "",
                "Recycled" if recycled else "",
                "Recycled" if recycled else "",
                "Yes" if recycled else "Unknown",
                "Lots: " + ", ".join(sorted(entry["lots"])),
            ]
        )
    return csv_bytes(CMRT_COLUMNS, rows, bom=False)


README = """JewelerDesk due-diligence pack
==============================

Shop: {shop}
Covers: {scope}
Records up to: {created}
Shop records log at export: entry {log_entry}, SHA-256 {log_hash}
    (every change to the shop's records is appended to a hash-chained log; this entry's hash
    fixes the whole history up to it, so a later rewrite of that history cannot match it)

epcis.jsonld
    The chain-of-custody events as a GS1 EPCIS 2.0 document (JSON-LD). Each eventID is the
    event's canonical GS1 event hash (ni:///sha-256;...?ver=CBV2.0). Pieces, stones, metal lots
    and parties are named by urn:uuid identifiers; their stock numbers, weights, origins and
    names are master data in epcisHeader. Facts EPCIS has no word for use the "jd" namespace
    ({ns}): jd:confidence says how each step is known (documented, supplier-declared,
    owner-asserted, inferred); jd:evidenceSha256 names the supporting documents (see
    documents/). A corrected event carries an errorDeclaration naming its correction.
us_customs_diamonds.csv
    Every diamond: country of mining and of cutting, carats, whether held as pre-ban
    (grandfathered) stock, the Kimberley Process certificate and the SHA-256 of the evidence.
eu_2017_821_lots.csv
    Every metal lot (EU Regulation 2017/821 style): description, supplier, country of origin,
    refiner, quantities (grams and fine grams) and receipt date.
warranty_reconciliation.csv
    Natural diamonds received with and without a System of Warranties statement, and sold on,
    per month (stones and carats).
refiners.csv
    The refiners of the shop's gold and platinum-group metal in the column names of the RMI
    Conflict Minerals Reporting Template's Smelter List.
documents/
    The supporting documents, byte for byte as received, named by their SHA-256.
manifest.csv
    Every file in this pack with its SHA-256, size and type. Recompute the hashes to confirm
    nothing was changed.
"""


#: the containers of an EPCIS document laid out over several lines; everything inside them
#: (an event, a master-data element) is written on one line of its own
_OPEN = frozenset(
    {
        "epcisHeader",
        "epcisMasterData",
        "vocabularyList",
        "vocabularyElementList",
        "epcisBody",
        "eventList",
    }
)


def _layout(node: Any, depth: int = 0) -> str:
    """The document as JSON a person can read in a text viewer, one event or master-data
    element a line. (Python's indenting JSON writer is pure Python and took most of a large
    pack's time; each line here comes from the C writer.)"""
    pad, end = " " * (depth + 1), " " * depth

    def one_line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def is_open(value: Any) -> bool:
        return isinstance(value, dict) and any(k in _OPEN for k in value)

    if isinstance(node, dict) and (depth == 0 or is_open(node)):
        parts = [
            f"{pad}{one_line(k)}: {_layout(v, depth + 1) if k in _OPEN else one_line(v)}"
            for k, v in node.items()
        ]
    elif isinstance(node, list) and node:
        parts = [pad + (_layout(v, depth + 1) if is_open(v) else one_line(v)) for v in node]
        return "[\n" + ",\n".join(parts) + "\n" + end + "]"
    else:
        return one_line(node)
    return "{\n" + ",\n".join(parts) + "\n" + end + "}"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, entries[name])
    return buf.getvalue()


def export_regulator(
    shop: Shop,
    out: Path,
    start: str | None = None,
    end: str | None = None,
    skus: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Write the pack to ``out`` (a .zip). ``skus`` limits it to those pieces (with their
    stones and the lots their metal came from); ``start``/``end`` to events in that period."""
    ident = shop.identity()
    if ident is None:
        raise ValidationError({"shop": "Set up the shop's name and address first."})
    if start or end:
        check_period(start or EARLIEST, end or LATEST)
    log_head = audit.head(shop.db)
    subject_filter: list[str] | None = None
    scope = "the whole shop"
    piece_ids: list[str] = []
    if skus:
        for sku in skus:
            item_id = records.find_item_id_by_sku(shop.db, sku.strip())
            if item_id is None:
                raise NotFound(f"No piece has the stock number '{sku}'.")
            piece_ids.append(item_id)
        subject_filter = list(piece_ids)
        scope = "pieces " + ", ".join(skus)
    if start or end:
        scope += f", events from {start or 'the start'} to {end or 'today'}"

    if subject_filter is None:
        ids = q.event_ids(shop.db, start, end, None)
    else:
        chosen = set(q.event_ids(shop.db, None, None, subject_filter))
        first = event_store.load_events(shop.db, sorted(chosen))
        # the chosen pieces' stones and lots, with their own (receipt, upstream) events
        parts = sorted({s.id for e in first for s in e.subjects if s.kind in ("stone", "lot")})
        chosen |= set(q.event_ids(shop.db, None, None, parts))
        if start or end:
            chosen &= set(q.event_ids(shop.db, start, end, None))
        ids = q.in_order(shop.db, chosen)
    events = event_store.load_events(shop.db, ids)

    documents = {r[0]: r for r in q.documents(shop.db)}
    facts = epcis.Facts({d: documents[d][1] for d in documents})
    hashes, computed = event_hashes(shop, events, facts, progress)

    subject_ids = {s.id for e in events for s in e.subjects}
    party_ids = {
        p
        for e in events
        for p in (e.source_owner_id, e.source_possessor_id, e.dest_owner_id, e.dest_possessor_id)
        if p
    }
    created = max((e.recorded_at for e in events), default="1970-01-01T00:00:00+00:00")
    header = _master_data(shop, subject_ids, party_ids)
    doc = epcis.publish(events, facts, created, hashes, header)

    # the documents the pack refers to: evidence of its events and papers of its records
    docs_of: dict[str, list[str]] = {}
    for _kind, sid, did in q.document_links(shop.db):
        if sid in subject_ids or sid in party_ids:
            docs_of.setdefault(sid, []).append(documents[did][1])
    wanted_docs = {facts.documents[d] for e in events for d in e.evidence if d in facts.documents}
    wanted_docs |= {h for hs in docs_of.values() for h in hs}
    stone_ids = {s.id for e in events for s in e.subjects if s.kind == "stone"}
    lot_ids = {s.id for e in events for s in e.subjects if s.kind == "lot"}

    entries: dict[str, bytes] = {
        "epcis.jsonld": (_layout(doc) + "\n").encode("utf-8"),
        "us_customs_diamonds.csv": _diamonds_csv(shop, stone_ids, docs_of),
        "eu_2017_821_lots.csv": _lots_csv(shop, lot_ids, docs_of),
        "warranty_reconciliation.csv": _warranty_csv(
            shop, stone_ids, subject_ids, start or EARLIEST, end or LATEST
        ),
        "refiners.csv": _refiners_csv(shop, lot_ids),
        "README.txt": README.format(
            shop=ident.name,
            scope=scope,
            created=created,
            ns=epcis.JD_NS,
            log_entry=log_head[0],
            log_hash=log_head[1],
        ).encode("utf-8"),
    }
    kinds = {
        "epcis.jsonld": "EPCIS 2.0 document",
        "us_customs_diamonds.csv": "per-diamond origin (US customs)",
        "eu_2017_821_lots.csv": "per-lot origin (EU 2017/821)",
        "warranty_reconciliation.csv": "System of Warranties reconciliation",
        "refiners.csv": "refiner list (CMRT columns)",
        "README.txt": "what each file is",
    }
    by_sha = {r[1]: r for r in documents.values()}
    for sha in sorted(wanted_docs):
        r = by_sha[sha]
        name = f"documents/{sha}{EXTENSIONS.get(r[3], '')}"
        try:
            data = shop.files.read(sha)
        except (OSError, StorageError) as exc:
            raise StorageError(
                f"The document {r[5]} is missing from the shop's files. Run a check and "
                "restore it from a backup before exporting."
            ) from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise StorageError(
                f"The stored copy of {r[5]} no longer matches its fingerprint. Restore it from "
                "a backup before exporting."
            )
        entries[name] = data
        kinds[name] = f"document: {r[2].replace('_', ' ')} ({r[5]})"
    manifest_rows = [
        [name, hashlib.sha256(data).hexdigest(), str(len(data)), kinds[name]]
        for name, data in sorted(entries.items())
    ]
    entries["manifest.csv"] = csv_bytes(
        ["path", "sha256", "size", "type"], manifest_rows, bom=False
    )

    if progress:
        progress(len(events), len(events))
    try:
        write_atomic(out, _zip(entries))
    except Cancelled:
        raise
    except OSError as exc:
        raise StorageError(
            f"The pack could not be written to {out}: {exc.strerror or exc}. Nothing was left "
            "half-written."
        ) from exc
    return PackResult(
        out,
        len(events),
        computed,
        len(wanted_docs),
        {n: len(d) for n, d in sorted(entries.items())},
    )
