"""Chain of custody: recording events (the app's own receipts and assemblies, and upstream
hops entered by hand), corrections, screening parties against the installed lists, gap
acknowledgements, and the gaps of one piece or of the whole shop."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..domain.custody import (
    CONFIDENCE_LABELS,
    UPSTREAM_HOPS,
    Confidence,
    CustodyEvent,
    EventSubject,
    Hop,
    effective_events,
    superseded_by,
)
from ..domain.gaps import (
    RULE_DATES,
    RULES_VERSION,
    CustodyRecords,
    Gap,
    Paperwork,
    Screening,
    Severity,
    lot_balance_gaps,
    piece_gaps,
    sort_gaps,
    stone_label,
)
from ..domain.model import Document, Item, Party, PartyKind, SubjectKind
from ..domain.screening import NameHit, screen_name
from ..domain.statements import statements
from ..domain.validation import is_country, is_iso_moment, is_region
from ..errors import BadDocument, Conflict, NotFound, ValidationError
from ..reference.lists import ListFormatError, ListInfo, RiskLists, active, parse_list
from ..store import backfill, events, gapcache, records
from ..store.files import write_atomic
from .shop import Shop

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- lists


def installed_lists(shop: Shop) -> RiskLists:
    """The lists in force: the bundled ones, or newer ones the shop has installed."""
    return active(tuple((x.kind, x.list_date, x.content) for x in events.installed_lists(shop.db)))


@dataclass(frozen=True)
class ListImport:
    kind: str
    info: ListInfo
    parties_to_rescreen: int


def import_list(shop: Shop, path: Path) -> ListImport:
    """Install a newer sanctions or CAHRA list after validating it. An older or identical
    list is refused; parties screened against the old list then show gap G13."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadDocument(f"Cannot read '{Path(path).name}': {exc.strerror or exc}.") from None
    try:
        parsed = parse_list(raw)
    except ListFormatError as exc:
        raise BadDocument(f"'{Path(path).name}': {exc}") from None
    current = installed_lists(shop)
    now = current.sanctions if parsed.kind == "sanctions" else current.cahra
    sha = hashlib.sha256(parsed.content.encode()).hexdigest()
    if events.list_installed(shop.db, sha):
        raise Conflict(f"This {parsed.info.name} ({parsed.info.version}) is already installed.")
    if str(parsed.info.date) > date.today().isoformat():
        raise BadDocument(
            f"'{Path(path).name}' is dated {parsed.info.date}, after today: a list cannot come "
            "from the future (a typing error would block every real list after it). Nothing "
            "was changed."
        )
    if parsed.info.date <= now.date:
        raise Conflict(
            f"'{Path(path).name}' is {parsed.info.name} version {parsed.info.version} of "
            f"{parsed.info.date}, not newer than the installed version {now.version} of "
            f"{now.date}. Nothing was changed."
        )
    with shop.db.atomic():
        events.insert_reference_list(
            shop.db,
            events.InstalledList(
                parsed.kind,
                parsed.info.name,
                parsed.info.version,
                parsed.info.date,
                parsed.info.source,
                parsed.licence,
                sha,
                parsed.content,
                records.now_iso(),
            ),
        )
    stale = 0
    if parsed.kind == "sanctions":
        latest = events.latest_screenings(shop.db)
        stale = sum(1 for r in latest.values() if r.list_version != parsed.info.version)
    return ListImport(parsed.kind, parsed.info, stale)


# ----------------------------------------------------------------------------- screening


def _hit_dict(h: NameHit) -> dict[str, str]:
    return {
        "listed_name": h.listed_name,
        "entry": h.entry,
        "program": h.program,
        "score": f"{h.score:.1f}",
    }


def screen_parties(shop: Shop, party_ids: list[str] | None = None) -> dict[str, list[NameHit]]:
    """Screen parties (all but the shop itself, when none are named) against the installed
    sanctions list and record each result with the list version used."""
    lists = installed_lists(shop)
    shop_pid = backfill.shop_party_id(shop.db)
    if party_ids is None:
        parties = [p for p in records.all_parties(shop.db) if p.id != shop_pid]
    else:
        parties = []
        for pid in party_ids:
            p = records.get_party(shop.db, pid)
            if p is None:
                raise NotFound("That party no longer exists.")
            parties.append(p)
    out: dict[str, list[NameHit]] = {}
    with shop.db.atomic():
        for p in parties:
            hits = screen_name(p.legal_name, lists)
            events.insert_screening(
                shop.db,
                p.id,
                p.legal_name,
                lists.sanctions.name,
                lists.sanctions.version,
                [_hit_dict(h) for h in hits],
            )
            out[p.id] = hits
    return out


def screening(shop: Shop, party_ids: list[str] | None = None) -> Screening:
    """The installed lists and each party's latest stored screening."""
    lists = installed_lists(shop)
    hits: dict[str, tuple[str, list[NameHit]]] = {}
    versions: dict[str, str] = {}
    for pid, rec in events.latest_screenings(shop.db, party_ids).items():
        versions[pid] = rec.list_version
        found = []
        for h in rec.hits:
            info = (
                lists.sanctions
                if rec.list_version == lists.sanctions.version
                else ListInfo(rec.list_name, rec.list_version, "", "")
            )
            found.append(
                NameHit(h["listed_name"], h["entry"], h["program"], float(h["score"]), info)
            )
        hits[pid] = (rec.screened_name, found)
    return Screening(lists, hits, versions)


# ----------------------------------------------------------------------------- events


def shop_party(shop: Shop) -> str:
    """The shop's own party id, created from its identity when first needed."""
    pid = backfill.shop_party_id(shop.db)
    if pid and records.get_party(shop.db, pid):
        return pid
    with shop.db.atomic():
        return backfill.ensure_shop_party(shop.db, records.get_shop(shop.db))


def event_time(day: str) -> str:
    """An ISO date (or date-time) as the stored event time."""
    text = day.strip()
    if len(text) == 10:
        text += "T00:00:00"
    try:
        datetime.fromisoformat(text)  # the whole text: an offset may follow the time
        if not is_iso_moment(text[:19]):  # stored and compared as text: no other spelling
            raise ValueError(text)
    except ValueError:
        raise ValidationError({"event_time": f"'{day}' is not a date (use YYYY-MM-DD)."}) from None
    return text[:19]


def _validate(shop: Shop, e: CustodyEvent) -> None:
    errors: dict[str, str] = {}
    if not e.retracts and not e.subjects:
        errors["subjects"] = "An event must be about at least one stone, lot or piece."
    for s in e.subjects:
        kind = SubjectKind(s.kind)
        if not records.subject_exists(shop.db, kind, s.id):
            errors["subjects"] = f"The {s.kind} this event is about no longer exists."
    for name in ("source_owner_id", "source_possessor_id", "dest_owner_id", "dest_possessor_id"):
        pid = getattr(e, name)
        if pid and records.get_party(shop.db, pid) is None:
            errors[name] = "The chosen party no longer exists."
    if e.location_country and not is_country(e.location_country):
        errors["location_country"] = f"'{e.location_country}' is not an ISO country code."
    if e.location_region and not is_region(e.location_region):
        errors["location_region"] = f"'{e.location_region}' is not an ISO 3166-2 region code."
    for d in e.evidence:
        if records.get_document(shop.db, d) is None:
            errors["evidence"] = "An evidence document no longer exists."
    if errors:
        raise ValidationError(errors)


def record_hop(
    shop: Shop,
    hop: Hop,
    subject_kind: SubjectKind,
    subject_id: str,
    day: str,
    *,
    party_id: str | None = None,
    from_party_id: str | None = None,
    country: str = "",
    region: str = "",
    confidence: Confidence | None = None,
    evidence: list[str] | None = None,
    transactions: list[tuple[str, str]] | None = None,
    note: str = "",
    corrects: str | None = None,
) -> CustodyEvent:
    """Record an upstream hop by hand (mined by, cut by, sold on to…), or correct one.

    The hop's party is recorded as the new owner (mining, sale) or as the possessor (cutting,
    grading, export). Without evidence a hand-entered hop is owner-asserted."""
    if hop not in UPSTREAM_HOPS:
        raise ValidationError(
            {"hop": "Receipts, assembly and sales are recorded by the app itself."}
        )
    info = hop.info
    e = CustodyEvent(
        hop,
        event_time(day),
        confidence or (Confidence.DOCUMENTED if evidence else Confidence.OWNER_ASSERTED),
        [EventSubject("subject", str(subject_kind), subject_id)],
        tz_offset=backfill.local_offset(),
        location_country=country.strip().upper(),
        location_region=region.strip().upper(),
        evidence=list(evidence or []),
        biz_transactions=list(transactions or []),
        note=note.strip(),
        corrects_event_id=corrects,
    )
    if info.role == "owner":
        e.dest_owner_id = party_id
        e.source_owner_id = from_party_id
    else:
        e.dest_possessor_id = party_id
        e.source_possessor_id = from_party_id
    with shop.db.atomic():
        replaced = events.get_event(shop.db, corrects) if corrects else None
        _append(shop, e)
        # The record follows the chain: a stone whose country of mining was blank takes the
        # one its mining event names; a corrected mining event takes the stone's country
        # with it (when the stone still says what the replaced event said).
        if subject_kind == SubjectKind.STONE:
            if replaced is not None and replaced.hop == Hop.MINED:
                _follow_mining(shop, subject_id, replaced)
            elif hop == Hop.MINED and e.location_country:
                records.fill_stone_origin(
                    shop.db, subject_id, e.location_country, e.location_region
                )
    return e


def _follow_mining(shop: Shop, stone_id: str, was: CustodyEvent) -> None:
    """After a mining event is corrected or withdrawn: the stone's country of mining becomes
    the one its standing mining events name (the latest), or none, if it still says what
    the replaced event said."""
    left = [
        x
        for x in effective_events(events.events_about(shop.db, [stone_id]))
        if x.hop == Hop.MINED and x.location_country
    ]
    now = (left[-1].location_country, left[-1].location_region) if left else ("", "")
    records.follow_stone_origin(shop.db, stone_id, (was.location_country, was.location_region), now)


def _append(shop: Shop, e: CustodyEvent) -> CustodyEvent:
    _validate(shop, e)
    with shop.db.atomic():
        if e.corrects_event_id:
            target = events.get_event(shop.db, e.corrects_event_id)
            if target is None:
                raise NotFound("The event to correct does not exist.")
            later = events.corrections_of(shop.db, target.id)
            if later:
                raise Conflict("That event has already been corrected; correct the newer entry.")
            if target.hop not in UPSTREAM_HOPS and not e.retracts and e.hop != target.hop:
                raise Conflict(
                    "A correction must be the same kind of event as the one it corrects."
                )
        events.insert_event(shop.db, e)
    return e


def correct_hop(shop: Shop, event_id: str, **changes: object) -> CustodyEvent:
    """A new event that replaces ``event_id`` (which stays visible as corrected)."""
    old = get_event(shop, event_id)
    subj = old.subjects[0] if old.subjects else None
    if subj is None:
        raise Conflict("Only an event about a stone, lot or piece can be corrected.")
    party = old.dest_owner_id if old.info.role == "owner" else old.dest_possessor_id
    source = old.source_owner_id if old.info.role == "owner" else old.source_possessor_id
    args: dict[str, object] = {
        "day": old.event_time,
        "party_id": party,
        "from_party_id": source,
        "country": old.location_country,
        "region": old.location_region,
        "confidence": old.confidence,
        "evidence": old.evidence,
        "transactions": old.biz_transactions,
        "note": old.note,
    }
    args.update(changes)
    hop = Hop(str(args.pop("hop", old.hop)))
    return record_hop(
        shop,
        hop,
        SubjectKind(subj.kind),
        subj.id,
        corrects=event_id,
        **args,  # type: ignore[arg-type]
    )


def retract_event(shop: Shop, event_id: str, reason: str) -> CustodyEvent:
    """Say an event should never have been recorded. Both stay in the history."""
    if not reason.strip():
        raise ValidationError({"note": "Say why the event is withdrawn."})
    old = get_event(shop, event_id)
    e = replace(
        old,
        id=CustodyEvent(old.hop, old.event_time, old.confidence).id,
        corrects_event_id=old.id,
        retracts=True,
        note=reason.strip(),
        recorded_at="",
        evidence=[],
        subjects=list(old.subjects),
    )
    with shop.db.atomic():
        _append(shop, e)
        stones = [x.id for x in old.subjects if x.kind == SubjectKind.STONE]
        if old.hop == Hop.MINED and stones:
            _follow_mining(shop, stones[0], old)  # no longer vouched for by that event
    return e


def get_event(shop: Shop, event_id: str) -> CustodyEvent:
    e = events.get_event(shop.db, event_id)
    if e is None:
        raise NotFound("That custody event does not exist.")
    return e


def record_receipt(
    shop: Shop,
    subjects: list[EventSubject],
    supplier_id: str | None,
    day: str,
    evidence: list[str] | None = None,
) -> CustodyEvent:
    """The shop received goods (called inside the caller's transaction)."""
    e = _receipt(subjects, supplier_id, day, evidence, _shop_party_id(shop))
    events.insert_event(shop.db, e)
    return e


def _shop_party_id(shop: Shop) -> str:
    return backfill.ensure_shop_party(shop.db, records.get_shop(shop.db))


def _receipt(
    subjects: list[EventSubject],
    supplier_id: str | None,
    day: str,
    evidence: list[str] | None,
    shop_party: str,
) -> CustodyEvent:
    return CustodyEvent(
        Hop.RECEIVED,
        event_time(day) if day else _now(),
        Confidence.DOCUMENTED if evidence else Confidence.OWNER_ASSERTED,
        subjects,
        tz_offset=backfill.local_offset(),
        source_owner_id=supplier_id,
        dest_owner_id=shop_party,
        evidence=list(evidence or []),
    )


def record_receipts(
    shop: Shop, receipts: list[tuple[list[EventSubject], str | None, str]]
) -> list[CustodyEvent]:
    """Many receipts without evidence at once, each (subjects, supplier id, day): a supplier's
    stock sheet. Called inside the caller's transaction."""
    party = _shop_party_id(shop)
    made = [_receipt(subjects, supplier, day, None, party) for subjects, supplier, day in receipts]
    events.insert_events_bulk(shop.db, made)
    return made


def record_assembly(
    shop: Shop, item: Item, inputs: list[EventSubject], day: str, maker_id: str | None
) -> CustodyEvent:
    e = CustodyEvent(
        Hop.ASSEMBLED,
        event_time(day) if day else _now(),
        Confidence.OWNER_ASSERTED,
        [*inputs, EventSubject("output", "item", item.id, 1, "ea")],
        tz_offset=backfill.local_offset(),
        dest_possessor_id=maker_id,
    )
    events.insert_event(shop.db, e)
    return e


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%dT%H:%M:%S")


# ----------------------------------------------------------------------------- the timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a component's timeline."""

    event: CustodyEvent
    label: str
    party: str
    country: str
    day: str
    confidence: str
    evidence: list[Document]
    corrected_by: str | None  # id of the event that replaced this one
    retracted: bool


@dataclass(frozen=True)
class ComponentChain:
    kind: str  # "stone", "lot" or "piece"
    id: str
    label: str
    hops: list[TimelineEntry]  # every event, corrected ones included, in time order
    documents: list[Document]  # the component's own paperwork


@dataclass(frozen=True)
class PieceCustody:
    item_id: str
    sku: str
    description: str
    components: list[ComponentChain]


def _party_name(parties: dict[str, Party], pid: str | None) -> str:
    return parties[pid].legal_name if pid and pid in parties else ""


def piece_custody(shop: Shop, sku: str) -> PieceCustody:
    item_id = records.find_item_id_by_sku(shop.db, sku)
    item = records.get_item(shop.db, item_id) if item_id else None
    if item is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    lots = {m.lot_id: records.get_lot(shop.db, m.lot_id) for m in item.metals}
    evs = events.events_for_pieces(shop.db, [item.id, *(s.id for s in item.stones)], list(lots))
    parties = {p.id: p for p in records.all_parties(shop.db)}
    replaced = superseded_by(evs)
    docs: dict[str, Document] = {}

    def doc(did: str) -> Document | None:
        if did not in docs:
            d = records.get_document(shop.db, did)
            if d is None:
                return None
            docs[did] = d
        return docs[did]

    def hops_for(*subject_ids: str) -> list[TimelineEntry]:
        chosen = [
            e for e in evs if any(e.about(s) for s in subject_ids) and e.belongs_to_piece(item.id)
        ]
        ids_ = {e.id for e in chosen}
        chosen += [e for e in evs if e.corrects_event_id in ids_ and e.id not in ids_]
        chosen.sort(key=lambda e: (e.event_time, e.info.stage, e.recorded_at))
        out = []
        for e in chosen:
            out.append(
                TimelineEntry(
                    e,
                    ("Withdrawn: " if e.retracts else "") + e.info.label,
                    _party_name(parties, e.party_id),
                    e.location_country,
                    e.day,
                    CONFIDENCE_LABELS[e.confidence],
                    [d for d in (doc(x) for x in e.evidence) if d is not None],
                    replaced[e.id].id if e.id in replaced else None,
                    e.retracts,
                )
            )
        return out

    comps: list[ComponentChain] = []
    for i, s in enumerate(item.stones, 1):
        comps.append(
            ComponentChain(
                "stone",
                s.id,
                stone_label(s, i),
                hops_for(s.id, item.id),
                records.documents_for(shop.db, SubjectKind.STONE, s.id),
            )
        )
    for lot_id, lot in lots.items():
        if lot is None:
            continue
        comps.append(
            ComponentChain(
                "lot",
                lot_id,
                f"Metal lot {lot.lot_no} ({lot.fineness_ppt} {lot.metal})",
                hops_for(lot_id, item.id),
                records.documents_for(shop.db, SubjectKind.LOT, lot_id),
            )
        )
    return PieceCustody(item.id, item.sku, item.description, comps)


def effective_chain(chain: ComponentChain) -> list[CustodyEvent]:
    return effective_events(h.event for h in chain.hops)


# ----------------------------------------------------------------------------- gaps


@dataclass(frozen=True)
class Acknowledged:
    gap: Gap
    reason: str
    recorded_at: str


@dataclass(frozen=True)
class PieceGaps:
    item_id: str
    sku: str
    description: str
    gaps: list[Gap]  # open gaps, most severe first
    acknowledged: list[Acknowledged] = field(default_factory=list)

    @property
    def worst(self) -> Severity | None:
        return max((g.severity for g in self.gaps), default=None)


@dataclass
class ShopGaps:
    pieces: list[PieceGaps]  # pieces with at least one open gap, most severe first
    pieces_checked: int
    by_rule: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0


def _paperwork(item: Item, docs: dict[tuple[str, str], list[Document]]) -> Paperwork:
    return Paperwork(
        for_piece=docs.get((str(SubjectKind.ITEM), item.id), []),
        for_stone={s.id: docs.get((str(SubjectKind.STONE), s.id), []) for s in item.stones},
        for_lot={m.lot_id: docs.get((str(SubjectKind.LOT), m.lot_id), []) for m in item.metals},
    )


@cache
def _countries() -> frozenset[str]:
    from ..domain.validation import _pycountry

    return frozenset(c.alpha_2 for c in _pycountry().countries)


def _split(
    item: Item, gaps: list[Gap], acks: dict[tuple[str, str], events.Acknowledgement]
) -> PieceGaps:
    open_, done = [], []
    for g in gaps:
        a = acks.get((g.rule, g.component_id))
        if a is None:
            open_.append(g)
        else:
            done.append(Acknowledged(g, a.reason, a.recorded_at))
    return PieceGaps(item.id, item.sku, item.description, open_, done)


def gaps_for_piece(shop: Shop, sku: str, today: date | None = None) -> PieceGaps:
    item_id = records.find_item_id_by_sku(shop.db, sku)
    if item_id is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    return gaps_for_items(shop, [item_id], today)[0]


def gaps_for_item_id(shop: Shop, item_id: str, today: date | None = None) -> PieceGaps:
    found = gaps_for_items(shop, [item_id], today)
    if not found:
        raise NotFound("That piece no longer exists.")
    return found[0]


def gaps_for_items(shop: Shop, item_ids: list[str], today: date | None = None) -> list[PieceGaps]:
    """The gaps of a few pieces (one, or a page of the inventory table), reading only what
    bears on them: a handful of queries whatever the size of the shop."""
    items = records.get_items(shop.db, item_ids)
    if not items:
        return []
    lots = {lot.id: lot for lot in records.all_lots(shop.db)}
    own = [i.id for i in items] + [s.id for i in items for s in i.stones]
    lot_ids = list(dict.fromkeys(m.lot_id for i in items for m in i.metals))
    docs = records.documents_for_subjects(shop.db, [*own, *lot_ids])
    evs = events.events_for_pieces(shop.db, own, lot_ids)
    by_id = {e.id: e for e in evs}
    by_subject: dict[str, list[CustodyEvent]] = {}
    for e in evs:
        target = by_id.get(e.corrects_event_id or "")
        subjects = e.subjects or (target.subjects if target else [])
        for sid in dict.fromkeys(x.id for x in subjects):
            by_subject.setdefault(sid, []).append(e)
    evidence = {d for e in evs for d in e.evidence}
    custody = _custody_records(
        shop, by_subject, records.documents_by_id(shop.db, list(evidence)), lot_ids
    )
    screened = screening(shop, list(custody.parties))
    acks = events.acks_for(shop.db, [*own, *lot_ids])
    day = today or date.today()
    return [
        _split(item, piece_gaps(item, lots, _paperwork(item, docs), day, screened, custody), acks)
        for item in items
    ]


def _custody_records(
    shop: Shop,
    by_subject: dict[str, list[CustodyEvent]],
    documents: dict[str, Document],
    lot_ids: list[str] | None = None,
) -> CustodyRecords:
    return CustodyRecords(
        events={k: effective_events(v) for k, v in by_subject.items()},
        parties={p.id: p for p in records.all_parties(shop.db)},
        documents=documents,
        lot_totals=events.lot_totals(shop.db, lot_ids),
        countries=_countries(),
        shop_party_id=backfill.shop_party_id(shop.db),
    )


def _full_pass(shop: Shop, wanted: set[str], day: date) -> list[PieceGaps]:
    """The gaps of many pieces at once: every record read in one pass (cheaper than piece by
    piece when most of the shop is to be judged)."""
    lots = {lot.id: lot for lot in records.all_lots(shop.db)}
    docs = records.documents_by_subject(shop.db)
    screened = screening(shop)
    custody = _custody_records(
        shop,
        events.all_events_by_subject(shop.db),
        {d.id: d for d in records.all_documents(shop.db)},
    )
    acks = events.all_acks(shop.db)
    return [
        _split(item, piece_gaps(item, lots, _paperwork(item, docs), day, screened, custody), acks)
        for item in records.iter_items_full(shop.db)
        if item.id in wanted
    ]


def _is_lot_balance(g: Gap) -> bool:
    return g.rule == "G11" and g.component == "lot"


def _gap_row(g: Gap, reason: str | None = None, at: str | None = None) -> tuple[Any, ...]:
    """What the dashboard shows of a gap; its explanation and actions are read per piece."""
    return (
        g.rule,
        int(g.severity),
        g.component,
        g.component_id,
        g.component_label,
        g.title,
        reason,
        at,
    )


_SEVERITIES = {str(int(s)): s for s in Severity}


def _kept(item_id: str, kept: gapcache.Kept) -> PieceGaps:
    sku, description, _lots, rows = kept
    open_: list[Gap] = []
    acknowledged: list[Acknowledged] = []
    for rule, severity, component, cid, label, title, reason, at in rows:
        g = Gap(rule, _SEVERITIES[severity], component, cid, label, title, "", "")
        if reason:
            acknowledged.append(Acknowledged(g, reason, at))
        else:
            open_.append(g)
    return PieceGaps(item_id, sku, description, open_, acknowledged)


def _keep(p: PieceGaps) -> list[tuple[Any, ...]]:
    """A piece's gaps as kept: all but its lots' balances (judged when read)."""
    return [_gap_row(g) for g in p.gaps if not _is_lot_balance(g)] + [
        _gap_row(a.gap, a.reason, a.recorded_at)
        for a in p.acknowledged
        if not _is_lot_balance(a.gap)
    ]


def _valid_until(shop: Shop, day: date) -> str:
    dates = [d.isoformat() for d in RULE_DATES if d > day]
    due = gapcache.next_date_after(shop.db, day.isoformat())
    return min([*dates, *([due] if due else [])], default="")


def gaps_for_shop(
    shop: Shop,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ShopGaps:
    """Every piece's open gaps, for the dashboard: each gap's rule, severity, component and
    title (its explanation and the actions that close it come from ``gaps_for_items``).

    Checks kept from earlier runs are reused (the database drops a piece's kept check whenever
    something it depends on changes); only the rest are judged now and kept. Each lot's balance
    (G11) is judged afresh and added to its pieces."""
    with _no_cycle_collection():
        return _gaps_for_shop(shop, today or date.today(), progress)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """For building hundreds of thousands of small objects with no reference cycles among
    them: the cycle collector would run dozens of times for nothing (it doubles the time of a
    shop-wide check at 100,000 pieces). Switched back on afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _gaps_for_shop(shop: Shop, day: date, progress: Callable[[int, int], None] | None) -> ShopGaps:
    if gapcache.kept_under(shop.db) != RULES_VERSION:
        gapcache.forget_all(shop.db, RULES_VERSION)
    since = gapcache.data_version(shop.db)
    kept = gapcache.valid_rows(shop.db, day.isoformat())
    all_ids = gapcache.all_item_ids(shop.db)
    missing = [i for i in all_ids if i not in kept]
    if missing:
        until = _valid_until(shop, day)
        if len(missing) > 2000:
            judged = _full_pass(shop, set(missing), day)
        else:
            judged = []
            for start in range(0, len(missing), 500):
                judged += gaps_for_items(shop, missing[start : start + 500], day)
                if progress:
                    progress(start, len(missing))
        lots_of = gapcache.lots_of_items(shop.db, [p.item_id for p in judged])
        rows = [
            (p.item_id, until, p.sku, p.description, lots_of[p.item_id], _keep(p)) for p in judged
        ]
        if not gapcache.put_if_unchanged(shop.db, since, rows):
            log.info("records changed during the shop-wide check; its results were not kept")
        kept.update(
            {i: (sku, d, list(lots), gapcache.as_kept(gaps)) for i, _u, sku, d, lots, gaps in rows}
        )
    # the lots' own balances, once per lot
    lots = {lot.id: lot for lot in records.all_lots(shop.db)}
    totals = events.lot_totals(shop.db, list(lots))
    parties = {p.id: p for p in records.all_parties(shop.db)}
    balance = {
        lot_id: lot_balance_gaps(lot, totals.get(lot_id), parties) for lot_id, lot in lots.items()
    }
    acks = events.all_acks(shop.db) if any(balance.values()) else {}
    result = ShopGaps(pieces=[], pieces_checked=len(all_ids))
    rules: list[str] = []
    severities: list[Severity] = []
    acknowledged = 0
    for item_id in all_ids:
        held = kept[item_id]
        found = _kept(item_id, held)
        extra = [g for lot_id in held[2] for g in balance.get(lot_id, [])]
        if extra:
            for g in extra:
                a = acks.get((g.rule, g.component_id))
                if a is None:
                    found.gaps.append(g)
                else:
                    found.acknowledged.append(Acknowledged(g, a.reason, a.recorded_at))
            found.gaps[:] = sort_gaps(found.gaps)
        acknowledged += len(found.acknowledged)
        if found.gaps:
            result.pieces.append(found)
            for g in found.gaps:
                rules.append(g.rule)
                severities.append(g.severity)
    result.acknowledged = acknowledged
    result.by_rule.update(rules)  # counted once, in C (per piece it cost a second at 100k)
    labels = {s: s.label for s in Severity}
    result.by_severity.update({labels[s]: n for s, n in Counter(severities).items()})
    # a piece's gaps are most severe first: the first one is its worst
    result.pieces.sort(key=lambda p: (-p.gaps[0].severity, -len(p.gaps), p.sku))
    return result


def gaps_for_shop_uncached(shop: Shop, today: date | None = None) -> ShopGaps:
    """Every piece judged from its records now, each gap in full (explanation, basis,
    actions): for a complete report, and to check the kept checks against."""
    day = today or date.today()
    result = ShopGaps(pieces=[], pieces_checked=0)
    with _no_cycle_collection():
        judged = _full_pass(shop, set(gapcache.all_item_ids(shop.db)), day)
    for found in judged:
        result.pieces_checked += 1
        result.acknowledged += len(found.acknowledged)
        if found.gaps:
            result.pieces.append(found)
            result.by_rule.update(g.rule for g in found.gaps)
            result.by_severity.update(g.severity.label for g in found.gaps)
    result.pieces.sort(key=lambda p: (-(p.worst or 0), -len(p.gaps), p.sku))
    return result


# ----------------------------------------------------------------------------- closing gaps


WIZARD_FILE = "wizard-skipped.json"


def wizard_skipped(shop: Shop) -> set[tuple[str, str, str]]:
    """The gaps the owner chose to skip in the wizard, as (rule, component id, title): a
    working note kept in the data folder, not a record (it is not logged or backed up)."""
    try:
        raw = json.loads((shop.paths.root / WIZARD_FILE).read_text(encoding="utf-8"))
        return {(str(a), str(b), str(c)) for a, b, c in raw}
    except (OSError, ValueError, TypeError):
        return set()


def save_wizard_skipped(shop: Shop, keys: set[tuple[str, str, str]]) -> None:
    """Remember the skipped gaps (at worst, on a full disk, the wizard shows them again)."""
    try:
        write_atomic(
            shop.paths.root / WIZARD_FILE,
            json.dumps(sorted(list(k) for k in keys)).encode("utf-8"),
        )
    except OSError as exc:
        log.warning("could not remember the skipped gaps: %s", exc)


def acknowledge_gap(shop: Shop, rule: str, component_id: str, reason: str) -> None:
    """Record a gap as unknown, with the reason; the certificate states it as owner-asserted."""
    if len(reason.strip()) < 5:
        raise ValidationError({"reason": "Say in a few words why this is unknown."})
    with shop.db.atomic():
        events.insert_ack(shop.db, rule, component_id, reason.strip())


def withdraw_acknowledgement(shop: Shop, rule: str, component_id: str) -> None:
    with shop.db.atomic():
        events.insert_ack(shop.db, rule, component_id, "withdrawn", withdrawn=True)


#: Which confirmed statement stands for which warranty on a stone (gap G1).
_WARRANTY_OF = {"WDC_SOW_2018_GUIDELINES": "sow_2018", "WDC_SOW_2002": "sow_2002"}


def confirm_statement(shop: Shop, document_id: str, statement: str) -> int:
    """The owner confirms a statement detected on a document. A warranty statement is then
    recorded on every natural diamond the document covers (its stones, or the stones of the
    pieces it is attached to) that has no better warranty. Returns how many stones changed."""
    from ..domain.model import OriginType, StoneType, WarrantyStatement

    doc = records.get_document(shop.db, document_id)
    if doc is None:
        raise NotFound("That document no longer exists.")
    if statement not in {s.id for s in statements()}:
        raise ValidationError({"statement": f"'{statement}' is not a known trade statement."})
    changed = 0
    with shop.db.atomic():
        events.confirm_statement(shop.db, document_id, statement)
        warranty = _WARRANTY_OF.get(statement)
        if warranty is None:
            return 0
        rank = {"none": 0, "sow_2002": 1, "sow_2018": 2}
        for stone in records.stones_covered_by(shop.db, document_id):
            if stone.stone_type != StoneType.DIAMOND or stone.origin_type != OriginType.NATURAL:
                continue
            if rank[str(stone.warranty)] >= rank[warranty]:
                continue
            stone.warranty = WarrantyStatement(warranty)
            records.set_stone_warranty(shop.db, stone.id, warranty)
            changed += 1
    return changed


def confirmed_statements(shop: Shop, document_id: str) -> set[str]:
    return events.confirmed_statements(shop.db, [document_id])


def screen_party_now(shop: Shop, party_id: str) -> list[NameHit]:
    return screen_parties(shop, [party_id])[party_id]


def upstream_parties(shop: Shop) -> list[Party]:
    """Parties offered for an upstream hop (everyone but customers and the shop)."""
    return [
        p
        for p in records.all_parties(shop.db)
        if p.kind not in (PartyKind.CUSTOMER, PartyKind.SHOP)
    ]


def confidence_choices() -> list[tuple[Confidence, str]]:
    return [(c, CONFIDENCE_LABELS[c]) for c in Confidence if c != Confidence.INFERRED]
