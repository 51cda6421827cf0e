"""The custody events a shop's existing records imply: receipts of lots, loose stones, stones
and bought-in pieces, and the assembly of each bench-made piece. Used once by the v2
migration (for records made before custody events existed, marked *inferred*) and by the
demo's bulk loader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from ..domain.custody import Confidence, CustodyEvent, EventSubject, Hop
from ..domain.model import Party, PartyKind, ShopIdentity
from . import events, records

SHOP_PARTY_KEY = "shop_party_id"


def local_offset() -> str:
    off = datetime.now().astimezone().strftime("%z") or "+0000"
    return f"{off[:3]}:{off[3:]}"


def shop_party_id(db: sqlite_utils.Database) -> str | None:
    return records.get_setting(db, SHOP_PARTY_KEY)


def ensure_shop_party(db: sqlite_utils.Database, identity: ShopIdentity | None) -> str:
    """The shop as a party of its own chain (custody events name it as receiver and seller),
    kept in step with the shop's identity."""
    pid = shop_party_id(db)
    current = records.get_party(db, pid) if pid else None
    name = identity.name if identity else "This shop"
    country = identity.country if identity else ""
    address = identity.address if identity else ""
    if current is None:
        party = Party(name, PartyKind.SHOP, country, address=address)
        records.save_party(db, party)
        records.put_setting(db, SHOP_PARTY_KEY, party.id)
        return party.id
    if (current.legal_name, current.country, current.address) != (name, country, address):
        current.legal_name, current.country, current.address = name, country, address
        records.save_party(db, current)
    return current.id


def _when(*days: str) -> str:
    day = max((d[:10] for d in days if d), default="")
    return f"{day}T00:00:00" if day else datetime.now().strftime("%Y-%m-%dT%H:%M:%S")


def implied_events(
    db: sqlite_utils.Database,
    shop_pid: str | None,
    confidence: Confidence,
    *,
    include_lots: bool = True,
) -> list[CustodyEvent]:
    tz = local_offset()
    note = "recorded from the stock records" if confidence == Confidence.INFERRED else ""
    out: list[CustodyEvent] = []

    def receipt(day: str, supplier: str | None, subjects: list[EventSubject]) -> CustodyEvent:
        e = CustodyEvent(
            Hop.RECEIVED,
            _when(day),
            confidence,
            subjects,
            tz_offset=tz,
            source_owner_id=supplier,
            dest_owner_id=shop_pid,
            note=note,
        )
        out.append(e)
        return e

    lot_rows = records._rows(
        db,
        "SELECT l.id, l.supplier_id, l.received_on, l.created_at,"
        " (SELECT sum(mass_mg) FROM metal_movement m WHERE m.lot_id = l.id AND kind = 'receipt')"
        " AS mg FROM metal_lot l ORDER BY l.n",
    )
    for r in lot_rows if include_lots else ():
        receipt(
            r["received_on"] or r["created_at"],
            r["supplier_id"],
            [EventSubject("subject", "lot", r["id"], r["mg"] or 0, "mg")],
        )
    items: dict[str, Any] = {
        r["id"]: r
        for r in records._rows(
            db, "SELECT id, supplier_id, maker_id, acquired_on, created_at FROM item ORDER BY n"
        )
    }
    stones_of: dict[str, list[Any]] = {}
    for r in records._rows(
        db,
        "SELECT id, item_id, supplier_id, acquired_on, created_at, count, weight_mct,"
        " weight_is_total FROM stone ORDER BY n",
    ):
        mct = r["weight_mct"] if r["weight_is_total"] else r["weight_mct"] * r["count"]
        subject = EventSubject("subject", "stone", r["id"], mct, "mct")
        if r["item_id"] is None:
            receipt(r["acquired_on"] or r["created_at"], r["supplier_id"], [subject])
        else:
            stones_of.setdefault(r["item_id"], []).append((r, subject))
    metals_of: dict[str, list[EventSubject]] = {}
    for r in records._rows(
        db, "SELECT item_id, lot_id, mass_mg FROM metal_component ORDER BY item_id, position"
    ):
        metals_of.setdefault(r["item_id"], []).append(
            EventSubject("input", "lot", r["lot_id"], r["mass_mg"], "mg")
        )
    for item_id, it in items.items():
        stones = stones_of.get(item_id, [])
        day = it["acquired_on"] or it["created_at"]
        if it["supplier_id"]:
            receipt(day, it["supplier_id"], [EventSubject("subject", "item", item_id, 1, "ea")])
            continue
        groups: dict[tuple[str | None, str], list[EventSubject]] = {}
        for r, subject in stones:
            groups.setdefault((r["supplier_id"], r["acquired_on"] or day), []).append(subject)
        latest = day
        for (supplier, got), subjects in groups.items():
            receipt(got, supplier, subjects)
            latest = max(latest[:10], got[:10])
        inputs = [EventSubject("input", "stone", s.id, s.quantity, s.uom) for _, s in stones]
        inputs += metals_of.get(item_id, [])
        if inputs:
            out.append(
                CustodyEvent(
                    Hop.ASSEMBLED,
                    _when(latest),
                    confidence,
                    [*inputs, EventSubject("output", "item", item_id, 1, "ea")],
                    tz_offset=tz,
                    dest_possessor_id=it["maker_id"],
                    note=note,
                )
            )
    return out


def backfill(db: sqlite_utils.Database, confidence: Confidence) -> int:
    identity = records.get_shop(db)
    shop_pid = ensure_shop_party(db, identity) if identity else None
    return events.insert_events_bulk(db, implied_events(db, shop_pid, confidence))


def backfill_v2(db: sqlite_utils.Database) -> None:
    backfill(db, Confidence.INFERRED)
