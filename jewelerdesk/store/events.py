"""Repositories for custody events, gap acknowledgements, screening results, installed risk
lists and confirmed statements. Everything here is append-only: the schema's triggers refuse
UPDATE and DELETE, and these functions only ever insert."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..domain.custody import Confidence, CustodyEvent, EventSubject, Hop, LotTotals
from .records import _rows, now_iso

# --------------------------------------------------------------------------- events

_EVENT_COLS = (
    "id, event_type, action, hop, biz_step, disposition, event_time, tz_offset, recorded_at, "
    "source_owner_id, source_possessor_id, dest_owner_id, dest_possessor_id, location_country, "
    "location_region, biz_transactions, confidence, note, corrects_event_id, retracts, recorded_by"
)


def event_row(e: CustodyEvent) -> tuple[Any, ...]:
    info = e.hop.info
    return (
        e.id,
        str(info.event_type),
        info.action,
        str(e.hop),
        info.biz_step,
        info.disposition,
        e.event_time,
        e.tz_offset,
        e.recorded_at or now_iso(),
        e.source_owner_id,
        e.source_possessor_id,
        e.dest_owner_id,
        e.dest_possessor_id,
        e.location_country,
        e.location_region,
        json.dumps([list(t) for t in e.biz_transactions]),
        str(e.confidence),
        e.note,
        e.corrects_event_id,
        int(e.retracts),
        e.recorded_by,
    )


def subject_rows(e: CustodyEvent) -> list[tuple[Any, ...]]:
    return [(e.id, s.role, s.kind, s.id, s.quantity, s.uom) for s in e.subjects]


_INSERT_EVENT = f"INSERT INTO custody_event ({_EVENT_COLS}) VALUES ({', '.join('?' * 21)})"
_INSERT_SUBJECT = (
    "INSERT INTO custody_subject (event_id, role, subject_kind, subject_id, quantity, uom)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def insert_event(db: sqlite_utils.Database, e: CustodyEvent) -> None:
    if not e.recorded_at:
        e.recorded_at = now_iso()
    db.execute(_INSERT_EVENT, event_row(e))
    db.conn.executemany(_INSERT_SUBJECT, subject_rows(e))
    db.conn.executemany(
        "INSERT INTO custody_evidence (event_id, document_id) VALUES (?, ?)",
        [(e.id, d) for d in dict.fromkeys(e.evidence)],
    )


def insert_events_bulk(db: sqlite_utils.Database, events: Iterable[CustodyEvent]) -> int:
    """Fast path for backfills and generated shops (no evidence rows)."""
    evs = list(events)
    stamp = now_iso()
    for e in evs:
        e.recorded_at = e.recorded_at or stamp
    db.conn.executemany(_INSERT_EVENT, [event_row(e) for e in evs])
    db.conn.executemany(_INSERT_SUBJECT, [r for e in evs for r in subject_rows(e)])
    return len(evs)


def _event_from(r: Any) -> CustodyEvent:
    return CustodyEvent(
        id=r["id"],
        hop=Hop(r["hop"]),
        event_time=r["event_time"],
        tz_offset=r["tz_offset"],
        confidence=Confidence(r["confidence"]),
        source_owner_id=r["source_owner_id"],
        source_possessor_id=r["source_possessor_id"],
        dest_owner_id=r["dest_owner_id"],
        dest_possessor_id=r["dest_possessor_id"],
        location_country=r["location_country"],
        location_region=r["location_region"],
        biz_transactions=[(t[0], t[1]) for t in json.loads(r["biz_transactions"])],
        note=r["note"],
        corrects_event_id=r["corrects_event_id"],
        retracts=bool(r["retracts"]),
        recorded_at=r["recorded_at"],
        recorded_by=r["recorded_by"],
    )


def _load(db: sqlite_utils.Database, where: str, params: Sequence[Any]) -> list[CustodyEvent]:
    events = {
        r["id"]: _event_from(r)
        for r in _rows(db, f"SELECT * FROM custody_event e WHERE {where} ORDER BY n", params)
    }
    if not events:
        return []
    ids = list(events)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        marks = ", ".join("?" * len(part))
        for r in _rows(
            db,
            f"SELECT * FROM custody_subject WHERE event_id IN ({marks}) ORDER BY rowid",
            part,
        ):
            events[r["event_id"]].subjects.append(
                EventSubject(r["role"], r["subject_kind"], r["subject_id"], r["quantity"], r["uom"])
            )
        for r in _rows(
            db, f"SELECT * FROM custody_evidence WHERE event_id IN ({marks}) ORDER BY rowid", part
        ):
            events[r["event_id"]].evidence.append(r["document_id"])
    return list(events.values())


def load_events(db: sqlite_utils.Database, ids: Sequence[str]) -> list[CustodyEvent]:
    """The events with these ids, in the order given."""
    found: dict[str, CustodyEvent] = {}
    for i in range(0, len(ids), 900):
        part = list(ids[i : i + 900])
        for e in _load(db, f"e.id IN ({', '.join('?' * len(part))})", part):
            found[e.id] = e
    return [found[i] for i in ids if i in found]


def get_event(db: sqlite_utils.Database, event_id: str) -> CustodyEvent | None:
    found = _load(db, "e.id = ?", [event_id])
    return found[0] if found else None


def events_about(db: sqlite_utils.Database, subject_ids: Sequence[str]) -> list[CustodyEvent]:
    """Every event (corrected ones and corrections included) that names any of the subjects."""
    if not subject_ids:
        return []
    marks = ", ".join("?" * len(subject_ids))
    return _load(
        db,
        f"e.id IN (SELECT event_id FROM custody_subject WHERE subject_id IN ({marks}))"
        " OR e.corrects_event_id IN (SELECT event_id FROM custody_subject"
        f" WHERE subject_id IN ({marks}))",
        [*subject_ids, *subject_ids],
    )


def events_for_pieces(
    db: sqlite_utils.Database, subject_ids: Sequence[str], lot_ids: Sequence[str]
) -> list[CustodyEvent]:
    """The events that bear on some pieces: every event about the pieces or their stones,
    and the lots' own events (their receipts, not every other piece's assembly)."""
    if not subject_ids and not lot_ids:
        return []
    a = ", ".join("?" * len(subject_ids)) or "NULL"
    b = ", ".join("?" * len(lot_ids)) or "NULL"
    ids = (
        f"SELECT event_id FROM custody_subject WHERE subject_id IN ({a})"
        # A lot is an input of every piece made from it; those assemblies belong to their
        # pieces. The lot's own events name it as subject (receipts, hops) or output (refined).
        f" UNION SELECT event_id FROM custody_subject WHERE subject_id IN ({b})"
        " AND role IN ('subject', 'output')"
    )
    found = list(dict.fromkeys(r[0] for r in db.execute(ids, [*subject_ids, *lot_ids])))
    if not found:
        return []
    marks = ", ".join("?" * len(found))
    found += [
        r[0]
        for r in db.execute(
            f"SELECT id FROM custody_event WHERE corrects_event_id IN ({marks})", found
        )
    ]
    unique = list(dict.fromkeys(found))
    return _load(db, f"e.id IN ({', '.join('?' * len(unique))})", unique)


def corrections_of(db: sqlite_utils.Database, event_id: str) -> list[str]:
    return [
        r[0]
        for r in db.execute("SELECT id FROM custody_event WHERE corrects_event_id = ?", [event_id])
    ]


def all_events_by_subject(db: sqlite_utils.Database) -> dict[str, list[CustodyEvent]]:
    """Every event, keyed by each subject it names (for shop-wide checks). A correction is
    filed under the subjects of the event it corrects when it names none itself."""
    events = {r["id"]: _event_from(r) for r in _rows(db, "SELECT * FROM custody_event ORDER BY n")}
    for r in _rows(db, "SELECT * FROM custody_subject"):
        e = events.get(r["event_id"])
        if e is not None:
            e.subjects.append(
                EventSubject(r["role"], r["subject_kind"], r["subject_id"], r["quantity"], r["uom"])
            )
    for r in _rows(db, "SELECT event_id, document_id FROM custody_evidence"):
        if r["event_id"] in events:
            events[r["event_id"]].evidence.append(r["document_id"])
    out: dict[str, list[CustodyEvent]] = {}
    for e in events.values():
        subjects = e.subjects
        if not subjects and e.corrects_event_id in events:
            subjects = events[e.corrects_event_id].subjects
        # A lot feeds thousands of pieces: its assemblies are filed under each piece (their
        # output), not under the lot, or every piece would scan every other piece's assembly.
        for sid in dict.fromkeys(
            s.id for s in subjects if not (s.role == "input" and s.kind == "lot")
        ):
            out.setdefault(sid, []).append(e)
    return out


def count_events(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM custody_event").fetchone()[0])


# --------------------------------------------------------------------------- acknowledgements


@dataclass(frozen=True)
class Acknowledgement:
    rule: str
    component_id: str
    reason: str
    recorded_at: str


def insert_ack(
    db: sqlite_utils.Database, rule: str, component_id: str, reason: str, withdrawn: bool = False
) -> None:
    db.execute(
        "INSERT INTO gap_ack (rule, component_id, reason, withdrawn, recorded_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [rule, component_id, reason, int(withdrawn), now_iso()],
    )


def _acks(rows: Iterator[Any]) -> dict[tuple[str, str], Acknowledgement]:
    out: dict[tuple[str, str], Acknowledgement] = {}
    for r in rows:  # in insertion order: the newest row for a key wins
        key = (r["rule"], r["component_id"])
        if r["withdrawn"]:
            out.pop(key, None)
        else:
            out[key] = Acknowledgement(r["rule"], r["component_id"], r["reason"], r["recorded_at"])
    return out


def acks_for(
    db: sqlite_utils.Database, component_ids: Sequence[str]
) -> dict[tuple[str, str], Acknowledgement]:
    if not component_ids:
        return {}
    marks = ", ".join("?" * len(component_ids))
    return _acks(
        _rows(
            db, f"SELECT * FROM gap_ack WHERE component_id IN ({marks}) ORDER BY n", component_ids
        )
    )


def all_acks(db: sqlite_utils.Database) -> dict[tuple[str, str], Acknowledgement]:
    return _acks(_rows(db, "SELECT * FROM gap_ack ORDER BY n"))


# --------------------------------------------------------------------------- screening


def insert_screening(
    db: sqlite_utils.Database,
    party_id: str,
    name: str,
    list_name: str,
    list_version: str,
    hits: list[dict[str, str]],
) -> None:
    db.execute(
        "INSERT INTO party_screening (party_id, screened_name, list_name, list_version, hits,"
        " screened_at) VALUES (?, ?, ?, ?, ?, ?)",
        [party_id, name, list_name, list_version, json.dumps(hits, sort_keys=True), now_iso()],
    )


@dataclass(frozen=True)
class ScreeningRecord:
    party_id: str
    screened_name: str
    list_name: str
    list_version: str
    hits: list[dict[str, str]]
    screened_at: str


def latest_screenings(
    db: sqlite_utils.Database, party_ids: Sequence[str] | None = None
) -> dict[str, ScreeningRecord]:
    where = ""
    params: list[Any] = []
    if party_ids is not None:
        if not party_ids:
            return {}
        where = f"WHERE party_id IN ({', '.join('?' * len(party_ids))})"
        params = list(party_ids)
    out: dict[str, ScreeningRecord] = {}
    for r in _rows(db, f"SELECT * FROM party_screening {where} ORDER BY n", params):
        out[r["party_id"]] = ScreeningRecord(
            r["party_id"],
            r["screened_name"],
            r["list_name"],
            r["list_version"],
            json.loads(r["hits"]),
            r["screened_at"],
        )
    return out


# --------------------------------------------------------------------------- reference lists


@dataclass(frozen=True)
class InstalledList:
    kind: str
    name: str
    version: str
    list_date: str
    source: str
    licence: str
    sha256: str
    content: str
    installed_at: str


def insert_reference_list(db: sqlite_utils.Database, lst: InstalledList) -> None:
    db.execute(
        "INSERT INTO reference_list (kind, name, version, list_date, source, licence, sha256,"
        " content, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            lst.kind,
            lst.name,
            lst.version,
            lst.list_date,
            lst.source,
            lst.licence,
            lst.sha256,
            lst.content,
            lst.installed_at,
        ],
    )


def installed_lists(db: sqlite_utils.Database) -> list[InstalledList]:
    return [
        InstalledList(
            r["kind"],
            r["name"],
            r["version"],
            r["list_date"],
            r["source"],
            r["licence"],
            r["sha256"],
            r["content"],
            r["installed_at"],
        )
        for r in _rows(db, "SELECT * FROM reference_list ORDER BY list_date, n")
    ]


def list_installed(db: sqlite_utils.Database, sha256: str) -> bool:
    return bool(db.execute("SELECT 1 FROM reference_list WHERE sha256 = ?", [sha256]).fetchone())


# --------------------------------------------------------------------------- statements


def confirm_statement(db: sqlite_utils.Database, document_id: str, statement: str) -> bool:
    """Record that the owner confirmed a statement on a document; False if already done."""
    cur = db.execute(
        "INSERT OR IGNORE INTO statement_confirmation (document_id, statement, confirmed_at)"
        " VALUES (?, ?, ?)",
        [document_id, statement, now_iso()],
    )
    return cur.rowcount > 0


def confirmed_statements(db: sqlite_utils.Database, document_ids: Sequence[str]) -> set[str]:
    if not document_ids:
        return set()
    marks = ", ".join("?" * len(document_ids))
    return {
        r[0]
        for r in db.execute(
            f"SELECT statement FROM statement_confirmation WHERE document_id IN ({marks})",
            list(document_ids),
        )
    }


# --------------------------------------------------------------------------- metal balance


def lot_totals(
    db: sqlite_utils.Database, lot_ids: Sequence[str] | None = None
) -> dict[str, LotTotals]:
    """Metal in and out of every lot (or of the lots named), from the running totals the
    database keeps as movements are appended."""
    where = ""
    params: list[str] = []
    if lot_ids is not None:
        if not lot_ids:
            return {}
        where = f" WHERE lot_id IN ({', '.join('?' * len(lot_ids))})"
        params = list(lot_ids)
    return {
        lot_id: LotTotals(in_mg, out_mg)
        for lot_id, in_mg, out_mg in db.execute(
            f"SELECT lot_id, in_mg, out_mg FROM metal_lot_total{where}", params
        )
    }
