"""Custody events as a GS1 EPCIS 2.0 JSON-LD document (pure functions, no I/O).

Identifiers are ``urn:uuid:`` of the record's permanent id (a SKU can be retyped; the id never
changes); the SKU, stock number or lot number travels beside it in the JewelerDesk namespace.
Quantities use UN/CEFACT units: CTM (metric carat) and GRM (gram). Facts EPCIS has no word for
(country of mining, laboratory-grown, fineness, how a hop is known, the evidence's hashes) are
``jd:`` properties, the prefix declared in ``@context``.

A corrected event is published again with an ``errorDeclaration`` naming the correcting
event, as EPCIS 2.0 §7.4.1.4 prescribes; both stay in the document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from .custody import CustodyEvent, EventSubject, EventType

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
JD_NS = "https://jewelerdesk.example/ns/"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"jd": JD_NS}]

UOM = {"mct": ("CTM", 3), "mg": ("GRM", 3)}  # our integer unit -> (UN/CEFACT code, decimals)


def uuid_uri(record_id: str) -> str:
    return f"urn:uuid:{record_id}"


def transaction_uri(kind: str, number: str) -> str:
    return f"urn:jewelerdesk:{kind}:{quote(number, safe='')}"


@dataclass(frozen=True)
class Facts:
    """What an event body may say about the records it names. Only what never changes goes
    into an event (its hash must stay the same); names, weights and origins are master data
    in the document's header (``master_data``)."""

    documents: Mapping[str, str]  # document id -> its SHA-256 (the file never changes)


def _quantity(s: EventSubject) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": uuid_uri(s.id)}
    unit = UOM.get(s.uom)
    if unit and s.quantity:
        element["quantity"] = float(Decimal(s.quantity).scaleb(-unit[1]))
        element["uom"] = unit[0]
    return element


def _is_class(s: EventSubject) -> bool:
    """Lots are classes measured by mass; pieces and stones are individual objects."""
    return s.kind == "lot"


def _time(e: CustodyEvent) -> str:
    t = e.event_time if "T" in e.event_time else f"{e.event_time}T00:00:00"
    return f"{t}{e.tz_offset}"


def event_json(e: CustodyEvent, facts: Facts) -> dict[str, Any]:
    """One event as EPCIS 2.0 JSON (without ``eventID``: that is its hash, added later)."""
    info = e.info
    out: dict[str, Any] = {
        "type": str(info.event_type),
        "eventTime": _time(e),
        "eventTimeZoneOffset": e.tz_offset,
    }
    if e.recorded_at:
        out["recordTime"] = e.recorded_at
    if info.event_type == EventType.TRANSFORMATION:
        inputs = [s for s in e.subjects if s.role == "input"]
        outputs = [s for s in e.subjects if s.role != "input"]
        for name, group in (("input", inputs), ("output", outputs)):
            objects = [uuid_uri(s.id) for s in group if not _is_class(s)]
            classes = [_quantity(s) for s in group if _is_class(s)]
            if objects:
                out[f"{name}EPCList"] = objects
            if classes:
                out[f"{name}QuantityList"] = classes
    else:
        out["epcList"] = [uuid_uri(s.id) for s in e.subjects if not _is_class(s)]
        classes = [_quantity(s) for s in e.subjects if _is_class(s)]
        if classes:
            out["quantityList"] = classes
        out["action"] = info.action or "OBSERVE"
    out["bizStep"] = info.biz_step
    if info.disposition:
        out["disposition"] = info.disposition
    if e.biz_transactions:
        out["bizTransactionList"] = [
            {"type": t if t in _BIZ_TYPES else "inv", "bizTransaction": transaction_uri(t, n)}
            for t, n in e.biz_transactions
        ]
    sources = [
        {"type": kind, "source": uuid_uri(pid)}
        for kind, pid in (
            ("owning_party", e.source_owner_id),
            ("possessing_party", e.source_possessor_id),
        )
        if pid
    ]
    dests = [
        {"type": kind, "destination": uuid_uri(pid)}
        for kind, pid in (
            ("owning_party", e.dest_owner_id),
            ("possessing_party", e.dest_possessor_id),
        )
        if pid
    ]
    if sources:
        out["sourceList"] = sources
    if dests:
        out["destinationList"] = dests
    # --- what EPCIS has no word for
    out["jd:recordId"] = e.id
    out["jd:hop"] = str(e.hop)
    out["jd:confidence"] = str(e.confidence)
    if e.location_country:
        out["jd:locationCountry"] = e.location_country
    if e.location_region:
        out["jd:locationRegion"] = e.location_region
    evidence = [facts.documents[d] for d in e.evidence if d in facts.documents]
    if evidence:
        out["jd:evidenceSha256"] = evidence
    if e.note:
        out["jd:note"] = e.note
    if e.corrects_event_id:
        out["jd:correctsRecord"] = e.corrects_event_id
        out["jd:retracts"] = e.retracts
    return out


_BIZ_TYPES = frozenset(
    ["bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma"]
)


def _attribute(value: Any) -> Any:
    """EPCIS attribute values are numbers, strings or objects: a yes/no is written as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def master_data(vocabularies: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """``{vocabulary type name: {record id: {attribute: value}}}`` as an EPCIS header. Attribute
    and type names are local names in the JewelerDesk namespace; empty values are left out."""
    return {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": f"{JD_NS}vtype/{vtype}",
                    "vocabularyElementList": [
                        {
                            "id": uuid_uri(rid),
                            "attributes": [
                                {"id": f"{JD_NS}{name}", "attribute": _attribute(value)}
                                for name, value in attrs.items()
                                if value not in ("", None)
                            ],
                        }
                        for rid, attrs in elements.items()
                    ],
                }
                for vtype, elements in vocabularies.items()
                if elements
            ]
        }
    }


def document(events: Sequence[dict[str, Any]], created: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": list(events)},
    }


def publish(
    events: Sequence[CustodyEvent],
    facts: Facts,
    created: str,
    hashes: Sequence[str],
    header: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The EPCIS document of ``events`` (oldest first), each with its event hash (``hashes``,
    computed from ``event_json`` by the GS1 algorithm) as ``eventID``; corrected events carry
    an ``errorDeclaration`` naming their corrections."""
    bodies = [event_json(e, facts) for e in events]
    by_record = {e.id: h for e, h in zip(events, hashes, strict=True)}
    for body, h in zip(bodies, hashes, strict=True):
        body["eventID"] = h
    corrections: dict[str, list[CustodyEvent]] = {}
    for c in events:
        if c.corrects_event_id:
            corrections.setdefault(c.corrects_event_id, []).append(c)
    for e, body in zip(events, bodies, strict=True):
        fixes = corrections.get(e.id)
        if not fixes:
            continue
        first = min(fixes, key=lambda c: c.recorded_at)
        declaration: dict[str, Any] = {
            "declarationTime": first.recorded_at,
            "reason": "incorrect_data",
        }
        corrective = [by_record[c.id] for c in fixes if not c.retracts]
        if corrective:
            declaration["correctiveEventIDs"] = corrective
        body["errorDeclaration"] = declaration
    doc = document(bodies, created)
    if header:
        doc["epcisHeader"] = header
        doc = {
            k: doc[k]
            for k in (
                "@context",
                "type",
                "schemaVersion",
                "creationDate",
                "epcisHeader",
                "epcisBody",
            )
        }
    return doc
