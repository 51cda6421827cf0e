"""Custody events (DESIGN §2), shaped like GS1 EPCIS 2.0 events, and the rules that judge a
component's chain of custody: G9 (broken chain), G10 (expired or malformed document), G11
(mass balance) and G13 (supplier not screened).

A *hop* is what a shop owner calls an event ("mined", "cut", "received"); each hop maps to
the EPCIS event type, CBV business step and disposition it is exported as. Events are never
changed: a correction is a new event naming the one it corrects (``corrects_event_id``);
``retracts`` marks a correction that says the original should not have been recorded at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .model import ClaimClass, DocType, Document, MetalLot, Party, new_id


class EventType(StrEnum):
    OBJECT = "ObjectEvent"
    TRANSFORMATION = "TransformationEvent"
    TRANSACTION = "TransactionEvent"
    AGGREGATION = "AggregationEvent"


class Confidence(StrEnum):
    DOCUMENTED = "documented"
    SUPPLIER_DECLARED = "supplier_declared"
    OWNER_ASSERTED = "owner_asserted"
    INFERRED = "inferred"


CONFIDENCE_LABELS = {
    Confidence.DOCUMENTED: "Documented",
    Confidence.SUPPLIER_DECLARED: "Supplier-declared",
    Confidence.OWNER_ASSERTED: "Owner-asserted",
    Confidence.INFERRED: "Inferred",
}

#: Colours the timeline and certificate use for each confidence (text always says it too).
CONFIDENCE_COLOURS = {
    Confidence.DOCUMENTED: "#1b7a3a",
    Confidence.SUPPLIER_DECLARED: "#1f5fa8",
    Confidence.OWNER_ASSERTED: "#9a6400",
    Confidence.INFERRED: "#6b6b6b",
}


class Stage:
    ORIGIN = 0
    UPSTREAM = 1
    RECEIVED = 2
    IN_SHOP = 3
    SALE = 4


@dataclass(frozen=True)
class HopInfo:
    label: str  # "Mined", shown in the timeline
    verb: str  # "mined by", used in sentences
    stage: int
    event_type: EventType
    action: str  # EPCIS action ('' for transformations)
    biz_step: str  # CBV 2.0 business step
    disposition: str  # CBV 2.0 disposition
    role: str  # how the hop's party is recorded: "owner" (custody starts or changes) or "possessor"


class Hop(StrEnum):
    MINED = "mined"
    GROWN = "grown"
    REFINED = "refined"
    RECYCLED = "recycled"
    GRANDFATHERED = "grandfathered"
    CUT = "cut"
    GRADED = "graded"
    EXPORTED = "exported"
    IMPORTED = "imported"
    TRANSFERRED = "transferred"
    RECEIVED = "received"
    ASSEMBLED = "assembled"
    REPAIRED = "repaired"
    SOLD = "sold"
    RETURNED = "returned"

    @property
    def info(self) -> HopInfo:
        return HOPS[self]


_O, _T = EventType.OBJECT, EventType.TRANSFORMATION
HOPS: dict[Hop, HopInfo] = {
    Hop.MINED: HopInfo(
        "Mined", "mined by", Stage.ORIGIN, _O, "ADD", "commissioning", "active", "owner"
    ),
    Hop.GROWN: HopInfo(
        "Grown", "grown by", Stage.ORIGIN, _O, "ADD", "commissioning", "active", "owner"
    ),
    Hop.REFINED: HopInfo(
        "Refined", "refined by", Stage.ORIGIN, _O, "ADD", "commissioning", "active", "owner"
    ),
    Hop.RECYCLED: HopInfo(
        "Recycled", "recycled by", Stage.ORIGIN, _O, "ADD", "commissioning", "active", "owner"
    ),
    Hop.GRANDFATHERED: HopInfo(
        "Held as pre-ban stock",
        "held before the bans by",
        Stage.ORIGIN,
        _O,
        "OBSERVE",
        "storing",
        "active",
        "owner",
    ),
    Hop.CUT: HopInfo(
        "Cut and polished",
        "cut by",
        Stage.UPSTREAM,
        _O,
        "OBSERVE",
        "transforming",
        "in_progress",
        "possessor",
    ),
    Hop.GRADED: HopInfo(
        "Graded",
        "graded by",
        Stage.UPSTREAM,
        _O,
        "OBSERVE",
        "inspecting",
        "conformant",
        "possessor",
    ),
    Hop.EXPORTED: HopInfo(
        "Exported",
        "exported by",
        Stage.UPSTREAM,
        _O,
        "OBSERVE",
        "departing",
        "in_transit",
        "possessor",
    ),
    Hop.IMPORTED: HopInfo(
        "Imported",
        "imported by",
        Stage.UPSTREAM,
        _O,
        "OBSERVE",
        "arriving",
        "in_progress",
        "possessor",
    ),
    Hop.TRANSFERRED: HopInfo(
        "Sold on", "sold on to", Stage.UPSTREAM, _O, "OBSERVE", "shipping", "in_transit", "owner"
    ),
    Hop.RECEIVED: HopInfo(
        "Received by the shop",
        "received from",
        Stage.RECEIVED,
        _O,
        "OBSERVE",
        "receiving",
        "in_progress",
        "owner",
    ),
    Hop.ASSEMBLED: HopInfo(
        "Set into the piece",
        "made by",
        Stage.IN_SHOP,
        _T,
        "",
        "assembling",
        "sellable_accessible",
        "possessor",
    ),
    Hop.REPAIRED: HopInfo(
        "Repaired",
        "repaired by",
        Stage.IN_SHOP,
        _O,
        "OBSERVE",
        "repairing",
        "sellable_accessible",
        "possessor",
    ),
    Hop.SOLD: HopInfo(
        "Sold", "sold to", Stage.SALE, _O, "OBSERVE", "retail_selling", "retail_sold", "owner"
    ),
    Hop.RETURNED: HopInfo(
        "Returned", "returned by", Stage.SALE, _O, "OBSERVE", "receiving", "returned", "owner"
    ),
}

#: Hops a person records by hand for what happened before the shop (the wizard's "add an
#: upstream hop"). The shop's own receipts, assembly and sales are recorded by the app.
UPSTREAM_HOPS = (
    Hop.MINED,
    Hop.GROWN,
    Hop.REFINED,
    Hop.RECYCLED,
    Hop.GRANDFATHERED,
    Hop.CUT,
    Hop.GRADED,
    Hop.EXPORTED,
    Hop.IMPORTED,
    Hop.TRANSFERRED,
)


@dataclass(frozen=True)
class EventSubject:
    role: str  # "subject", "input" or "output"
    kind: str  # "item", "stone" or "lot"
    id: str
    quantity: int = 0
    uom: str = ""  # "mct", "mg" or "ea"


@dataclass
class CustodyEvent:
    hop: Hop
    event_time: str  # ISO 8601 date-time without offset; the offset is tz_offset
    confidence: Confidence
    subjects: list[EventSubject] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    tz_offset: str = "+00:00"
    source_owner_id: str | None = None
    source_possessor_id: str | None = None
    dest_owner_id: str | None = None
    dest_possessor_id: str | None = None
    location_country: str = ""
    location_region: str = ""
    biz_transactions: list[tuple[str, str]] = field(default_factory=list)  # (type, id)
    evidence: list[str] = field(default_factory=list)  # document ids
    note: str = ""
    corrects_event_id: str | None = None
    retracts: bool = False
    recorded_at: str = ""
    recorded_by: str = ""

    @property
    def info(self) -> HopInfo:
        return self.hop.info

    @property
    def day(self) -> str:
        return self.event_time[:10]

    @property
    def party_id(self) -> str | None:
        """The party the hop is about: who mined, cut, supplied or bought it."""
        if self.hop == Hop.RECEIVED:
            return self.source_owner_id
        if self.hop in (Hop.SOLD, Hop.TRANSFERRED):
            return self.dest_owner_id
        if self.hop == Hop.RETURNED:
            return self.source_owner_id
        return self.dest_owner_id or self.dest_possessor_id

    def about(self, subject_id: str) -> bool:
        return any(s.id == subject_id for s in self.subjects)

    def belongs_to_piece(self, item_id: str) -> bool:
        """False for another piece's assembly (a lot feeds many pieces)."""
        outputs = [s.id for s in self.subjects if s.role == "output" and s.kind == "item"]
        return not outputs or item_id in outputs


def effective_events(events: Iterable[CustodyEvent]) -> list[CustodyEvent]:
    """The events that stand: each corrected event is replaced by its newest correction, and
    a retraction removes its target. Sorted by time, then by stage."""
    evs = list(events)
    corrected: dict[str, CustodyEvent] = {}
    for e in sorted(evs, key=lambda e: e.recorded_at):
        if e.corrects_event_id:
            corrected[e.corrects_event_id] = e
    out = [e for e in evs if e.id not in corrected and not e.retracts]
    return sorted(out, key=lambda e: (e.event_time, e.info.stage))


def superseded_by(events: Iterable[CustodyEvent]) -> dict[str, CustodyEvent]:
    """Which event corrected which (id of the corrected event -> the correcting event)."""
    return {e.corrects_event_id: e for e in events if e.corrects_event_id}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


# --- rules ------------------------------------------------------------------------------
# These rules build gaps with the same shape as domain.gaps; they are imported there.


@dataclass(frozen=True)
class ChainFinding:
    rule: str
    severity: int  # a domain.gaps.Severity value
    title: str
    explanation: str
    basis: str
    actions: tuple[str, ...]  # "hop", "attach", "field:<name>", "screen:<party id>"


def chain_findings(
    events: Sequence[CustodyEvent],
    parties: dict[str, Party],
    today: date,
    needs_origin: bool,
    origin_words: str,
) -> list[ChainFinding]:
    """G9 over one component's effective events (sorted by time).

    * every hand-over must start where the last one ended: the party that hands the goods on
      must be the last known owner;
    * time must not run backwards: nothing upstream (mining, cutting…) after the shop
      received it, nothing dated in the future;
    * the first event should be at an origin node (mine, grower, refiner, recycler, or stock
      held before the bans) — only for components where origin matters (``needs_origin``).
    """
    out: list[ChainFinding] = []

    def name(pid: str | None) -> str:
        return parties[pid].legal_name if pid and pid in parties else "an unnamed party"

    owner: str | None = None
    owner_event: CustodyEvent | None = None
    for e in events:
        if e.source_owner_id and owner and e.source_owner_id != owner:
            assert owner_event is not None
            out.append(
                ChainFinding(
                    "G9",
                    2,
                    "The chain of custody is broken",
                    f"On {e.day} the goods were {e.info.label.lower()} from {name(e.source_owner_id)}, "
                    f"but the last known owner was {name(owner)} ({owner_event.info.label.lower()} "
                    f"on {owner_event.day}). Someone in between is missing.",
                    "OECD Due Diligence Guidance (chain of custody); RJC Chain-of-Custody standard",
                    ("hop",),
                )
            )
        if e.dest_owner_id:
            owner, owner_event = e.dest_owner_id, e
    latest_stage = -1
    latest: CustodyEvent | None = None
    for e in events:
        if latest is not None and e.info.stage < latest_stage and e.day > latest.day:
            out.append(
                ChainFinding(
                    "G9",
                    2,
                    "Dates in the chain run backwards",
                    f"“{e.info.label}” is dated {e.day}, after “{latest.info.label}” on {latest.day}; "
                    "that cannot be. One of the dates is wrong: correct the event.",
                    "Chain-of-custody records must be in time order (OECD Due Diligence Guidance)",
                    ("hop",),
                )
            )
        if e.info.stage >= latest_stage:
            latest_stage, latest = e.info.stage, e
        d = _day(e.event_time)
        if d is not None and d > today:
            out.append(
                ChainFinding(
                    "G9",
                    2,
                    "An event is dated in the future",
                    f"“{e.info.label}” is dated {e.day}, which has not happened yet. Correct the date.",
                    "Chain-of-custody records must be in time order",
                    ("hop",),
                )
            )
    if needs_origin:
        first = events[0] if events else None
        if first is None or first.info.stage != Stage.ORIGIN:
            start = (
                f"The recorded history starts when it was {first.info.verb} "
                f"{name(first.party_id)} on {first.day}."
                if first is not None
                else "No custody history is recorded."
            )
            out.append(
                ChainFinding(
                    "G9",
                    1,
                    f"The chain does not reach the {origin_words}",
                    f"{start} Nothing says where it began ({origin_words}). Add what you know of the "
                    "earlier hops from the supplier's paperwork, or record it as unknown.",
                    "OECD Due Diligence Guidance step 1 (chain of custody back to origin)",
                    ("hop", "attach"),
                )
            )
    return out


def kp_number_problem(number: str, issuer: str, countries: frozenset[str] | None) -> str | None:
    """A Kimberley Process certificate number starts with its issuing country's ISO code."""
    n = number.strip().upper()
    if not n:
        return None
    prefix = n[:2]
    if not prefix.isalpha() or (countries is not None and prefix not in countries):
        return (
            f"KP certificate number “{number}” does not start with the issuing country's "
            "two-letter ISO code."
        )
    iss = issuer.strip().upper()
    if len(iss) == 2 and iss.isalpha() and iss != prefix:
        return f"KP certificate number “{number}” starts with {prefix}, but it was issued by {iss}."
    return None


def document_findings(
    events: Sequence[CustodyEvent],
    docs: Sequence[Document],
    docs_by_id: dict[str, Document],
    kp_cert_no: str,
    countries: frozenset[str] | None,
) -> list[ChainFinding]:
    """G10: a document relied on after it expired, or a malformed KP certificate number.

    Evidence of an event is judged at that event's date; other documents of the component at
    the date the shop received it (when it relied on them), if that is recorded."""
    out: list[ChainFinding] = []
    seen: set[str] = set()
    received = next((e for e in reversed(events) if e.hop == Hop.RECEIVED), None)
    pairs: list[tuple[Document, CustodyEvent | None]] = []
    for e in events:
        pairs += [(docs_by_id[d], e) for d in e.evidence if d in docs_by_id]
    pairs += [(d, received) for d in docs]
    for doc, at in pairs:
        if doc.id in seen or not doc.expiry_date or at is None:
            continue
        expiry, when = _day(doc.expiry_date), _day(at.event_time)
        if expiry is not None and when is not None and expiry < when:
            seen.add(doc.id)
            out.append(
                ChainFinding(
                    "G10",
                    2,
                    "A document had expired when it was relied on",
                    f"{doc.original_name} expired on {doc.expiry_date}, before “{at.info.label}” on "
                    f"{at.day}. Ask the supplier for a current one.",
                    "Documents must be valid at the time of the transaction (OECD; RJC CoC)",
                    ("attach",),
                )
            )
    kp_numbers = [(kp_cert_no, "")] if kp_cert_no else []
    kp_numbers += [(d.number, d.issuer) for d in docs if d.doc_type == DocType.KP_CERTIFICATE]
    for number, issuer in kp_numbers:
        problem = kp_number_problem(number, issuer, countries)
        if problem:
            out.append(
                ChainFinding(
                    "G10",
                    2,
                    "Kimberley Process certificate number looks wrong",
                    problem + " Check it against the certificate.",
                    "Kimberley Process Certification Scheme, Annex I (certificate numbering)",
                    ("field:kp_cert_no",),
                )
            )
            break
    return out


#: Scales and assays disagree by a little: a lot is out of balance only when more than
#: max(10 mg, 0.1 %) of what came in went out.
BALANCE_TOLERANCE_MG = 10
BALANCE_TOLERANCE_PPM = 1000
#: Casting and finishing lose metal: a finished piece weighs up to 8 % less than the metal
#: drawn for it (plus 20 mg for the scale), never more than was drawn.
CASTING_LOSS_PPT = 80
WEIGHING_TOLERANCE_MG = 20


@dataclass(frozen=True)
class LotTotals:
    in_mg: int  # receipts and returns
    out_mg: int  # draws and losses


def lot_balance_finding(lot: MetalLot, totals: LotTotals) -> ChainFinding | None:
    """G11: more metal out of a lot than in, beyond the tolerance."""
    allowed = max(BALANCE_TOLERANCE_MG, totals.in_mg * BALANCE_TOLERANCE_PPM // 1_000_000)
    over = totals.out_mg - totals.in_mg
    if over <= allowed:
        return None
    recycled = lot.claim_class == ClaimClass.RECYCLED
    fine = over * lot.fineness_ppt / 1_000_000
    return ChainFinding(
        "G11",
        3 if recycled else 2,
        "More metal used than the lot received",
        f"{totals.out_mg / 1000:.2f} g went out of lot {lot.lot_no} but only {totals.in_mg / 1000:.2f} g "
        f"came in ({fine:.2f} g of fine metal unaccounted for)."
        + (
            " For a recycled lot this means metal of unknown origin was sold as recycled."
            if recycled
            else ""
        )
        + " Record the missing receipt, or correct the draws.",
        "Mass balance (RJC CoC standard; LBMA Responsible Gold Guidance for recycled claims)",
        ("attach",),
    )


def piece_mass_finding(weighed_mg: int, drawn_mg: int) -> ChainFinding | None:
    """G11: a weighed piece must fit the metal drawn for it, less casting loss."""
    if weighed_mg <= 0 or drawn_mg <= 0:
        return None
    low = drawn_mg * (1000 - CASTING_LOSS_PPT) // 1000 - WEIGHING_TOLERANCE_MG
    high = drawn_mg + WEIGHING_TOLERANCE_MG
    if low <= weighed_mg <= high:
        return None
    why = (
        "more than the metal drawn for it: some metal is not recorded"
        if weighed_mg > high
        else f"over {CASTING_LOSS_PPT // 10} % less than the metal drawn for it: a draw is too large or a loss is missing"
    )
    return ChainFinding(
        "G11",
        2,
        "The piece's metal does not add up",
        f"The piece weighs {weighed_mg / 1000:.2f} g of metal, {why} (drawn: {drawn_mg / 1000:.2f} g).",
        "Mass balance between lots and pieces (RJC CoC standard)",
        ("field:weighed_metal_mg",),
    )


def screening_findings(
    party: Party, screened_version: str | None, installed_version: str, today: date
) -> list[ChainFinding]:
    """G13: a party never screened, screened against an older list than the one installed,
    or whose RJC certification has lapsed."""
    out: list[ChainFinding] = []
    if screened_version is None:
        out.append(
            ChainFinding(
                "G13",
                2,
                f"{party.legal_name} has never been screened",
                f"{party.legal_name} has not been checked against the sanctions list. Screen it "
                f"against the installed list ({installed_version}).",
                "US Treasury OFAC sanctions compliance; OECD Due Diligence Guidance step 2",
                (f"screen:{party.id}",),
            )
        )
    elif screened_version != installed_version:
        out.append(
            ChainFinding(
                "G13",
                2,
                f"{party.legal_name} was screened against an older list",
                f"{party.legal_name} was last screened against version {screened_version}; version "
                f"{installed_version} is now installed. Screen it again.",
                "US Treasury OFAC sanctions compliance (screen against the current list)",
                (f"screen:{party.id}",),
            )
        )
    expiry = _day(party.rjc_coc_expiry) if party.rjc_coc_expiry else None
    if expiry is not None and expiry < today:
        out.append(
            ChainFinding(
                "G13",
                2,
                f"{party.legal_name}'s RJC certification has lapsed",
                f"The RJC Chain-of-Custody certificate {party.rjc_coc_cert_no or ''} expired on "
                f"{party.rjc_coc_expiry}. Ask for the renewed certificate.",
                "Responsible Jewellery Council Chain-of-Custody certification",
                ("attach", f"party:{party.id}"),
            )
        )
    return out
