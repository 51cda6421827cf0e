"""Repositories: the only place that turns records into rows and back.

Functions take a sqlite-utils ``Database`` and return domain objects. They do not open
transactions for single statements; services wrap multi-step work in ``db.atomic()``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from ..domain.model import (
    ClaimClass,
    DocType,
    Document,
    Item,
    ItemCategory,
    ItemRow,
    ItemStatus,
    LotRow,
    Metal,
    MetalComponent,
    MetalForm,
    MetalLot,
    MetalPart,
    MovementKind,
    OriginType,
    Party,
    PartyKind,
    PartyRow,
    ShopIdentity,
    Stone,
    StoneRow,
    StoneType,
    SubjectKind,
    WarrantyStatement,
)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


# --------------------------------------------------------------------------- settings


def get_setting(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def get_shop(db: sqlite_utils.Database) -> ShopIdentity | None:
    raw = get_setting(db, "shop")
    if raw is None:
        return None
    data = json.loads(raw)
    known = {f.name for f in fields(ShopIdentity)}
    return ShopIdentity(**{k: v for k, v in data.items() if k in known})


def put_shop(db: sqlite_utils.Database, shop: ShopIdentity) -> None:
    put_setting(db, "shop", json.dumps(asdict(shop), sort_keys=True))


# --------------------------------------------------------------------------- parties

_PARTY_COLS = [f.name for f in fields(Party)]


def _party_from(row: Any) -> Party:
    d = dict(row)
    return Party(
        id=d["id"],
        legal_name=d["legal_name"],
        kind=PartyKind(d["kind"]),
        country=d["country"],
        address=d["address"],
        contact=d["contact"],
        tax_id=d["tax_id"],
        rmi_cid=d["rmi_cid"],
        rjc_member_no=d["rjc_member_no"],
        rjc_coc_cert_no=d["rjc_coc_cert_no"],
        rjc_coc_expiry=d["rjc_coc_expiry"],
        lbma_good_delivery=bool(d["lbma_good_delivery"]),
        wdc_sow_registered=bool(d["wdc_sow_registered"]),
        notes=d["notes"],
    )


def get_party(db: sqlite_utils.Database, party_id: str) -> Party | None:
    rows = list(db.query("SELECT * FROM party WHERE id = ?", [party_id]))
    return _party_from(rows[0]) if rows else None


def find_party_by_name(db: sqlite_utils.Database, name: str) -> Party | None:
    rows = list(
        db.query("SELECT * FROM party WHERE legal_name = ? COLLATE NOCASE LIMIT 1", [name.strip()])
    )
    return _party_from(rows[0]) if rows else None


def all_parties(db: sqlite_utils.Database, kinds: Sequence[PartyKind] | None = None) -> list[Party]:
    if kinds:
        marks = ",".join("?" for _ in kinds)
        rows = db.query(
            f"SELECT * FROM party WHERE kind IN ({marks}) ORDER BY legal_name COLLATE NOCASE",
            [str(k) for k in kinds],
        )
    else:
        rows = db.query("SELECT * FROM party ORDER BY legal_name COLLATE NOCASE")
    return [_party_from(r) for r in rows]


def save_party(db: sqlite_utils.Database, party: Party) -> None:
    values = asdict(party)
    values["kind"] = str(party.kind)
    values["lbma_good_delivery"] = int(party.lbma_good_delivery)
    values["wdc_sow_registered"] = int(party.wdc_sow_registered)
    stamp = now_iso()
    exists = db.execute("SELECT 1 FROM party WHERE id = ?", [party.id]).fetchone()
    if exists:
        sets = ", ".join(f"{c} = :{c}" for c in _PARTY_COLS if c != "id")
        db.execute(
            f"UPDATE party SET {sets}, updated_at = :updated_at WHERE id = :id",
            {**values, "updated_at": stamp},
        )
        # Names appear in the search index of pieces and stones that mention the party;
        # rewrite those rows in two set-based statements (a big supplier may cover 100k pieces).
        _register_fts_functions(db)
        affected = (
            "SELECT id FROM item WHERE supplier_id = :p OR maker_id = :p"
            " UNION SELECT item_id FROM stone WHERE supplier_id = :p AND item_id IS NOT NULL"
        )
        db.execute(
            f"DELETE FROM item_fts WHERE rowid IN (SELECT n FROM item WHERE id IN ({affected}))",
            {"p": party.id},
        )
        db.execute(
            "INSERT INTO item_fts (rowid, sku, description, report_nos, parties) "
            + _ITEM_FTS_SELECT
            + f" WHERE i.id IN ({affected})",
            {"p": party.id},
        )
        loose = "SELECT n FROM stone WHERE supplier_id = :p AND item_id IS NULL"
        db.execute(f"DELETE FROM stone_fts WHERE rowid IN ({loose})", {"p": party.id})
        db.execute(
            "INSERT INTO stone_fts (rowid, stock_no, description, report_nos, parties) "
            + _STONE_FTS_SELECT
            + " WHERE s.supplier_id = :p AND s.item_id IS NULL",
            {"p": party.id},
        )
    else:
        cols = ", ".join(_PARTY_COLS)
        marks = ", ".join(f":{c}" for c in _PARTY_COLS)
        db.execute(
            f"INSERT INTO party ({cols}, created_at, updated_at) VALUES ({marks}, :stamp, :stamp)",
            {**values, "stamp": stamp},
        )


# --------------------------------------------------------------------------- stones

_STONE_COLS = [f.name for f in fields(Stone)]


def _stone_values(stone: Stone) -> dict[str, Any]:
    v = {c: getattr(stone, c) for c in _STONE_COLS}  # shallow: asdict deep-copies (slow in bulk)
    v["stone_type"] = str(stone.stone_type)
    v["origin_type"] = str(stone.origin_type)
    v["warranty"] = str(stone.warranty)
    v["treatments"] = json.dumps(list(stone.treatments))
    v["weight_is_total"] = int(stone.weight_is_total)
    v["treatment_permanent"] = int(stone.treatment_permanent)
    v["grandfathered"] = int(stone.grandfathered)
    return v


def _stone_from(d: dict[str, Any]) -> Stone:
    kwargs = {k: d[k] for k in _STONE_COLS}
    kwargs["stone_type"] = StoneType(d["stone_type"])
    kwargs["origin_type"] = OriginType(d["origin_type"])
    kwargs["warranty"] = WarrantyStatement(d["warranty"])
    kwargs["treatments"] = json.loads(d["treatments"])
    kwargs["weight_is_total"] = bool(d["weight_is_total"])
    kwargs["treatment_permanent"] = bool(d["treatment_permanent"])
    kwargs["grandfathered"] = bool(d["grandfathered"])
    return Stone(**kwargs)


def _insert_stone(db: sqlite_utils.Database, stone: Stone, position: int, stamp: str) -> None:
    cols = ", ".join(_STONE_COLS)
    marks = ", ".join(f":{c}" for c in _STONE_COLS)
    db.execute(
        f"INSERT INTO stone ({cols}, position, created_at, updated_at) "
        f"VALUES ({marks}, :position, :stamp, :stamp)",
        {**_stone_values(stone), "position": position, "stamp": stamp},
    )


def _update_stone(db: sqlite_utils.Database, stone: Stone, position: int, stamp: str) -> None:
    cols = [c for c in _STONE_COLS if c != "id"] + ["position"]
    sets = ", ".join(f"{c} = :{c}" for c in cols)
    # a stone saved unchanged with its piece is not rewritten (nor logged as changed)
    changed = " OR ".join(f"{c} IS NOT :{c}" for c in cols)
    db.execute(
        f"UPDATE stone SET {sets}, updated_at = :stamp WHERE id = :id AND ({changed})",
        {**_stone_values(stone), "position": position, "stamp": stamp},
    )


def get_stone(db: sqlite_utils.Database, stone_id: str) -> Stone | None:
    rows = list(db.query("SELECT * FROM stone WHERE id = ?", [stone_id]))
    return _stone_from(rows[0]) if rows else None


def find_stone_by_stock_no(db: sqlite_utils.Database, stock_no: str) -> Stone | None:
    rows = list(db.query("SELECT * FROM stone WHERE stock_no = ? COLLATE NOCASE", [stock_no]))
    return _stone_from(rows[0]) if rows else None


def stones_with_report(db: sqlite_utils.Database, report_no: str) -> list[Stone]:
    return [
        _stone_from(r) for r in db.query("SELECT * FROM stone WHERE report_no = ?", [report_no])
    ]


def report_holders(
    db: sqlite_utils.Database, report_nos: Sequence[str]
) -> dict[str, tuple[str | None, str]]:
    """For each of these report numbers that a recorded stone carries: the first such stone's
    piece id (None when loose) and stock number. One query per 500 numbers."""
    out: dict[str, tuple[str | None, str]] = {}
    wanted = list(dict.fromkeys(n for n in report_nos if n))
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for report_no, item_id, stock_no in db.execute(
            f"SELECT report_no, item_id, stock_no FROM stone WHERE report_no IN ({marks}) "
            "ORDER BY n",
            chunk,
        ):
            out.setdefault(report_no, (item_id, stock_no))
    return out


def save_loose_stone(db: sqlite_utils.Database, stone: Stone) -> None:
    stamp = now_iso()
    if db.execute("SELECT 1 FROM stone WHERE id = ?", [stone.id]).fetchone():
        _update_stone(db, stone, 0, stamp)
    else:
        _insert_stone(db, stone, 0, stamp)
    reindex_stone(db, stone.id)


# --------------------------------------------------------------------------- metal lots


def _lot_from(d: dict[str, Any]) -> MetalLot:
    return MetalLot(
        id=d["id"],
        lot_no=d["lot_no"],
        metal=Metal(d["metal"]),
        fineness_ppt=d["fineness_ppt"],
        claim_class=ClaimClass(d["claim_class"]),
        form=MetalForm(d["form"]),
        refiner_id=d["refiner_id"],
        refiner_cid=d["refiner_cid"],
        bar_batch_no=d["bar_batch_no"],
        country_of_origin=d["country_of_origin"],
        supplier_id=d["supplier_id"],
        received_on=d["received_on"],
        notes=d["notes"],
    )


_LOT_COLS = [f.name for f in fields(MetalLot)]


def insert_lot(db: sqlite_utils.Database, lot: MetalLot) -> None:
    v = asdict(lot)
    v.update(metal=str(lot.metal), claim_class=str(lot.claim_class), form=str(lot.form))
    cols = ", ".join(_LOT_COLS)
    marks = ", ".join(f":{c}" for c in _LOT_COLS)
    db.execute(
        f"INSERT INTO metal_lot ({cols}, created_at) VALUES ({marks}, :stamp)",
        {**v, "stamp": now_iso()},
    )


def update_lot_details(db: sqlite_utils.Database, lot: MetalLot) -> None:
    """Descriptive fields only: metal and fineness are fixed once metal has moved."""
    db.execute(
        "UPDATE metal_lot SET lot_no = ?, form = ?, claim_class = ?, refiner_id = ?, refiner_cid = ?,"
        " bar_batch_no = ?, country_of_origin = ?, supplier_id = ?, received_on = ?, notes = ?"
        " WHERE id = ?",
        [
            lot.lot_no,
            str(lot.form),
            str(lot.claim_class),
            lot.refiner_id,
            lot.refiner_cid,
            lot.bar_batch_no,
            lot.country_of_origin,
            lot.supplier_id,
            lot.received_on,
            lot.notes,
            lot.id,
        ],
    )


def get_lot(db: sqlite_utils.Database, lot_id: str) -> MetalLot | None:
    rows = list(db.query("SELECT * FROM metal_lot WHERE id = ?", [lot_id]))
    return _lot_from(rows[0]) if rows else None


def find_lot_by_no(db: sqlite_utils.Database, lot_no: str) -> MetalLot | None:
    rows = list(db.query("SELECT * FROM metal_lot WHERE lot_no = ? COLLATE NOCASE", [lot_no]))
    return _lot_from(rows[0]) if rows else None


def all_lots(db: sqlite_utils.Database) -> list[MetalLot]:
    return [_lot_from(r) for r in db.query("SELECT * FROM metal_lot ORDER BY lot_no")]


def add_movement(
    db: sqlite_utils.Database,
    lot_id: str,
    kind: MovementKind,
    mass_mg: int,
    *,
    item_id: str | None = None,
    component_id: str | None = None,
    note: str = "",
    occurred_at: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO metal_movement (lot_id, kind, mass_mg, item_id, component_id, occurred_at, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [lot_id, str(kind), mass_mg, item_id, component_id, occurred_at or now_iso(), note],
    )


# Kept by the database as movements are appended (schema v3, trigger metal_movement_total).
_BALANCE_SQL = "SELECT COALESCE((SELECT in_mg - out_mg FROM metal_lot_total WHERE lot_id = ?), 0)"


def lot_balance_mg(db: sqlite_utils.Database, lot_id: str) -> int:
    return int(db.execute(_BALANCE_SQL, [lot_id]).fetchone()[0])


@dataclass(frozen=True)
class MovementRow:
    kind: MovementKind
    mass_mg: int
    item_sku: str
    occurred_at: str
    note: str


def lot_movements(db: sqlite_utils.Database, lot_id: str) -> list[MovementRow]:
    rows = db.query(
        "SELECT m.kind, m.mass_mg, COALESCE(i.sku, '') AS sku, m.occurred_at, m.note"
        " FROM metal_movement m LEFT JOIN item i ON i.id = m.item_id"
        " WHERE m.lot_id = ? ORDER BY m.n",
        [lot_id],
    )
    return [
        MovementRow(MovementKind(r["kind"]), r["mass_mg"], r["sku"], r["occurred_at"], r["note"])
        for r in rows
    ]


# --------------------------------------------------------------------------- items


def sku_taken(db: sqlite_utils.Database, sku: str, except_id: str | None = None) -> bool:
    row = db.execute("SELECT id FROM item WHERE sku = ? COLLATE NOCASE", [sku.strip()]).fetchone()
    return bool(row) and row[0] != except_id


def stock_no_taken(db: sqlite_utils.Database, stock_no: str, except_id: str | None = None) -> bool:
    row = db.execute(
        "SELECT id FROM stone WHERE stock_no = ? COLLATE NOCASE", [stock_no.strip()]
    ).fetchone()
    return bool(row) and row[0] != except_id


def taken_stock_nos(db: sqlite_utils.Database, stock_nos: Sequence[str]) -> set[str]:
    """Which of these stone stock numbers are recorded already (compared without case)."""
    found: set[str] = set()
    wanted = [n.strip() for n in stock_nos if n.strip()]
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found |= {
            str(r[0]).casefold()
            for r in db.execute(
                f"SELECT stock_no FROM stone WHERE stock_no COLLATE NOCASE IN ({marks})", chunk
            )
        }
    return found


def recorded_report_nos(db: sqlite_utils.Database, report_nos: Sequence[str]) -> set[str]:
    found: set[str] = set()
    wanted = [n for n in report_nos if n]
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found |= {
            str(r[0])
            for r in db.execute(f"SELECT report_no FROM stone WHERE report_no IN ({marks})", chunk)
        }
    return found


def insert_loose_stones(db: sqlite_utils.Database, stones: Sequence[Stone]) -> None:
    """Many new loose stones at once (a supplier's sheet), with their search rows."""
    if not stones:
        return
    stamp = now_iso()
    cols = ", ".join(_STONE_COLS)
    marks = ", ".join(f":{c}" for c in _STONE_COLS)
    db.conn.executemany(
        f"INSERT INTO stone ({cols}, position, created_at, updated_at) "
        f"VALUES ({marks}, 0, :stamp, :stamp)",
        [{**_stone_values(s), "stamp": stamp} for s in stones],
    )
    _register_fts_functions(db)
    db.execute(
        "INSERT INTO stone_fts (rowid, stock_no, description, report_nos, parties) "
        + _STONE_FTS_SELECT
        + " WHERE s.id IN (SELECT value FROM json_each(?)) AND s.item_id IS NULL",
        [json.dumps([s.id for s in stones])],
    )


def lot_no_taken(db: sqlite_utils.Database, lot_no: str, except_id: str | None = None) -> bool:
    row = db.execute(
        "SELECT id FROM metal_lot WHERE lot_no = ? COLLATE NOCASE", [lot_no.strip()]
    ).fetchone()
    return bool(row) and row[0] != except_id


def _item_from(d: dict[str, Any]) -> Item:
    return Item(
        id=d["id"],
        sku=d["sku"],
        description=d["description"],
        category=ItemCategory(d["category"]),
        status=ItemStatus(d["status"]),
        maker_id=d["maker_id"],
        supplier_id=d["supplier_id"],
        cost_minor=d["cost_minor"],
        price_minor=d["price_minor"],
        currency=d["currency"],
        acquired_on=d["acquired_on"],
        notes=d["notes"],
        weighed_metal_mg=d["weighed_metal_mg"],
    )


def _metal_from(d: dict[str, Any]) -> MetalComponent:
    return MetalComponent(
        id=d["id"],
        item_id=d["item_id"],
        lot_id=d["lot_id"],
        mass_mg=d["mass_mg"],
        fineness_ppt=d["fineness_ppt"],
        part=MetalPart(d["part"]),
    )


def get_item(db: sqlite_utils.Database, item_id: str) -> Item | None:
    rows = list(db.query("SELECT * FROM item WHERE id = ?", [item_id]))
    if not rows:
        return None
    item = _item_from(rows[0])
    item.stones = [
        _stone_from(r)
        for r in db.query("SELECT * FROM stone WHERE item_id = ? ORDER BY position", [item_id])
    ]
    item.metals = [
        _metal_from(r)
        for r in db.query(
            "SELECT * FROM metal_component WHERE item_id = ? ORDER BY position", [item_id]
        )
    ]
    return item


def get_items(db: sqlite_utils.Database, item_ids: Sequence[str]) -> list[Item]:
    """Several pieces with their stones and metal, in three queries."""
    if not item_ids:
        return []
    marks = ", ".join("?" * len(item_ids))
    ids = list(item_ids)
    items = {
        r["id"]: _item_from(r) for r in _rows(db, f"SELECT * FROM item WHERE id IN ({marks})", ids)
    }
    for r in _rows(
        db, f"SELECT * FROM stone WHERE item_id IN ({marks}) ORDER BY item_id, position", ids
    ):
        items[r["item_id"]].stones.append(_stone_from(r))
    for r in _rows(
        db,
        f"SELECT * FROM metal_component WHERE item_id IN ({marks}) ORDER BY item_id, position",
        ids,
    ):
        items[r["item_id"]].metals.append(_metal_from(r))
    return [items[i] for i in item_ids if i in items]


def documents_by_id(db: sqlite_utils.Database, doc_ids: Sequence[str]) -> dict[str, Document]:
    if not doc_ids:
        return {}
    marks = ", ".join("?" * len(doc_ids))
    return {
        r["id"]: _doc_from(r)
        for r in _rows(db, f"SELECT * FROM document WHERE id IN ({marks})", list(doc_ids))
    }


def documents_for_subjects(
    db: sqlite_utils.Database, subject_ids: Sequence[str]
) -> dict[tuple[str, str], list[Document]]:
    """Documents attached to any of the subjects, keyed by (subject kind, subject id)."""
    if not subject_ids:
        return {}
    marks = ", ".join("?" * len(subject_ids))
    out: dict[tuple[str, str], list[Document]] = {}
    for r in _rows(
        db,
        "SELECT d.*, l.subject_kind AS link_kind, l.subject_id AS link_subject FROM document_link l"
        f" JOIN document d ON d.id = l.document_id WHERE l.subject_id IN ({marks})"
        " ORDER BY l.linked_at",
        list(subject_ids),
    ):
        out.setdefault((r["link_kind"], r["link_subject"]), []).append(_doc_from(r))
    return out


def set_item_status(db: sqlite_utils.Database, item_id: str, status: str) -> None:
    db.execute(
        "UPDATE item SET status = ?, updated_at = ? WHERE id = ?", [status, now_iso(), item_id]
    )


def sku_of_item(db: sqlite_utils.Database, item_id: str) -> str | None:
    row = db.execute("SELECT sku FROM item WHERE id = ?", [item_id]).fetchone()
    return str(row[0]) if row else None


def part_ids_of_item(db: sqlite_utils.Database, item_id: str) -> list[str]:
    """The ids of a piece's stones and metal parts."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM stone WHERE item_id = ? UNION ALL "
            "SELECT id FROM metal_component WHERE item_id = ?",
            [item_id, item_id],
        )
    ]


def find_item_id_by_sku(db: sqlite_utils.Database, sku: str) -> str | None:
    row = db.execute("SELECT id FROM item WHERE sku = ? COLLATE NOCASE", [sku.strip()]).fetchone()
    return row[0] if row else None


def write_item_row(db: sqlite_utils.Database, item: Item, *, is_new: bool) -> None:
    """Write the piece's own row and its stones; metal draws are written by the service."""
    stamp = now_iso()
    values = {
        "id": item.id,
        "sku": item.sku.strip(),
        "description": item.description.strip(),
        "category": str(item.category),
        "status": str(item.status),
        "maker_id": item.maker_id,
        "supplier_id": item.supplier_id,
        "cost_minor": item.cost_minor,
        "price_minor": item.price_minor,
        "currency": item.currency.upper(),
        "acquired_on": item.acquired_on,
        "notes": item.notes,
        "weighed_metal_mg": item.weighed_metal_mg,
        "stone_count": sum(s.count for s in item.stones),
        "stone_mct": sum(
            s.weight_mct if s.weight_is_total else s.weight_mct * s.count for s in item.stones
        ),
        "metal_mg": sum(m.mass_mg for m in item.metals),
        "stamp": stamp,
    }
    cols = [c for c in values if c != "stamp"]
    if is_new:
        db.execute(
            f"INSERT INTO item ({', '.join(cols)}, created_at, updated_at)"
            f" VALUES ({', '.join(':' + c for c in cols)}, :stamp, :stamp)",
            values,
        )
    else:
        sets = ", ".join(f"{c} = :{c}" for c in cols if c != "id")
        changed = " OR ".join(f"{c} IS NOT :{c}" for c in cols if c != "id")
        db.execute(
            f"UPDATE item SET {sets}, updated_at = :stamp WHERE id = :id AND ({changed})", values
        )
    keep = [s.id for s in item.stones]
    existing = {r[0] for r in db.execute("SELECT id FROM stone WHERE item_id = ?", [item.id])}
    for gone in existing - set(keep):
        db.execute(
            "DELETE FROM document_link WHERE subject_kind = 'stone' AND subject_id = ?", [gone]
        )
        db.execute("DELETE FROM stone WHERE id = ?", [gone])
    for pos, stone in enumerate(item.stones):
        stone.item_id = item.id
        if stone.id in existing:
            _update_stone(db, stone, pos, stamp)
        else:
            _insert_stone(db, stone, pos, stamp)


def existing_metal_components(db: sqlite_utils.Database, item_id: str) -> dict[str, MetalComponent]:
    return {
        r["id"]: _metal_from(r)
        for r in db.query("SELECT * FROM metal_component WHERE item_id = ?", [item_id])
    }


def insert_metal_component(db: sqlite_utils.Database, mc: MetalComponent, position: int) -> None:
    db.execute(
        "INSERT INTO metal_component (id, item_id, lot_id, position, mass_mg, fineness_ppt, part)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [mc.id, mc.item_id, mc.lot_id, position, mc.mass_mg, mc.fineness_ppt, str(mc.part)],
    )


def update_metal_component_position(
    db: sqlite_utils.Database, mc: MetalComponent, position: int
) -> None:
    db.execute(
        "UPDATE metal_component SET position = ?, part = ? WHERE id = ?",
        [position, str(mc.part), mc.id],
    )


def delete_metal_component(db: sqlite_utils.Database, component_id: str) -> None:
    db.execute("DELETE FROM metal_component WHERE id = ?", [component_id])


# One definition of what each search row holds, used for single rows and full rebuilds.
_ITEM_FTS_SELECT = (
    "SELECT i.n, jd_sku_tokens(i.sku), i.description,"
    " COALESCE((SELECT group_concat(report_no, ' ') FROM stone WHERE item_id = i.id AND report_no != ''), ''),"
    " COALESCE((SELECT group_concat(legal_name, ' ') FROM party WHERE id IN (i.supplier_id, i.maker_id)"
    "   OR id IN (SELECT supplier_id FROM stone WHERE item_id = i.id)), '')"
    " FROM item i"
)
_STONE_FTS_SELECT = (
    "SELECT s.n, jd_sku_tokens(s.stock_no), trim(s.variety || ' ' || s.species || ' ' || s.stone_type"
    " || ' ' || s.shape || ' ' || s.colour || ' ' || s.clarity), s.report_no,"
    " COALESCE((SELECT legal_name FROM party WHERE id = s.supplier_id), '')"
    " FROM stone s"
)


def _register_fts_functions(db: sqlite_utils.Database) -> None:
    db.register_function(_sku_tokens, name="jd_sku_tokens", deterministic=True, replace=True)


def reindex_item(db: sqlite_utils.Database, item_id: str) -> None:
    _register_fts_functions(db)
    row = db.execute("SELECT n FROM item WHERE id = ?", [item_id]).fetchone()
    if row is None:
        return
    db.execute("DELETE FROM item_fts WHERE rowid = ?", [row[0]])
    db.execute(
        "INSERT INTO item_fts (rowid, sku, description, report_nos, parties) "
        + _ITEM_FTS_SELECT
        + " WHERE i.id = ?",
        [item_id],
    )


def reindex_stone(db: sqlite_utils.Database, stone_id: str) -> None:
    _register_fts_functions(db)
    row = db.execute("SELECT n FROM stone WHERE id = ? AND item_id IS NULL", [stone_id]).fetchone()
    if row is None:
        return
    db.execute("DELETE FROM stone_fts WHERE rowid = ?", [row[0]])
    db.execute(
        "INSERT INTO stone_fts (rowid, stock_no, description, report_nos, parties) "
        + _STONE_FTS_SELECT
        + " WHERE s.id = ?",
        [stone_id],
    )


def _sku_tokens(sku: str) -> str:
    """'R-1042' is indexed as 'R-1042 R1042' so both spellings find it as you type."""
    compact = re.sub(r"[^0-9A-Za-z]", "", sku)
    return f"{sku} {compact}" if compact != sku else sku


def fts_query(text: str) -> str | None:
    """Turn what the user types into a safe FTS5 prefix query (every word must match)."""
    words = re.findall(r"[0-9A-Za-z\u00c0-\uffff]+", text)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class ListQuery:
    """What a table shows: search text, filters and sort. ``sort`` names a column key."""

    search: str = ""
    status: str | None = None
    category: str | None = None
    kind: str | None = None
    sort: str = "sku"
    descending: bool = False


_ITEM_SORT = {
    "sku": "i.sku COLLATE NOCASE",
    "description": "i.description COLLATE NOCASE",
    "category": "i.category",
    "status": "i.status",
    "stones": "i.stone_count",
    "carats": "i.stone_mct",
    "metal": "i.metal_mg",
    "price": "i.price_minor",
    "documents": "document_count",
}


def _item_from_where(q: ListQuery) -> tuple[str, list[Any]]:
    """FROM and WHERE for a piece listing. A search drives the query from the full-text
    index (joined on item.n), which is faster than testing every piece for membership."""
    clauses: list[str] = []
    params: list[Any] = []
    source = " FROM item i"
    match = fts_query(q.search)
    if q.search.strip() and match is None:
        clauses.append("0")
    elif match:
        source = " FROM item_fts f JOIN item i ON i.n = f.rowid"
        clauses.append("item_fts MATCH ?")
        params.append(match)
    if q.status:
        clauses.append("i.status = ?")
        params.append(q.status)
    if q.category:
        clauses.append("i.category = ?")
        params.append(q.category)
    return source + ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params


def count_items(db: sqlite_utils.Database, q: ListQuery) -> int:
    match = fts_query(q.search)
    if match and not q.status and not q.category:
        # Counting matches needs only the index, not the pieces themselves.
        return int(
            db.execute("SELECT count(*) FROM item_fts WHERE item_fts MATCH ?", [match]).fetchone()[
                0
            ]
        )
    source, params = _item_from_where(q)
    return int(db.execute(f"SELECT count(*){source}", params).fetchone()[0])


def list_items(db: sqlite_utils.Database, q: ListQuery, offset: int, limit: int) -> list[ItemRow]:
    source, params = _item_from_where(q)
    order = _ITEM_SORT.get(q.sort, _ITEM_SORT["sku"])
    direction = "DESC" if q.descending else "ASC"
    sql = (
        "SELECT i.id, i.sku, i.description, i.category, i.status, i.stone_count, i.stone_mct,"
        " i.metal_mg, i.price_minor, i.currency,"
        " (SELECT count(*) FROM document_link d WHERE d.subject_kind = 'item' AND d.subject_id = i.id)"
        " AS document_count"
        f"{source} ORDER BY {order} {direction}, i.n {direction} LIMIT ? OFFSET ?"
    )
    return [ItemRow(*row) for row in db.execute(sql, [*params, limit, offset]).fetchall()]


_STONE_SORT = {
    "stock_no": "s.stock_no COLLATE NOCASE",
    "description": "description COLLATE NOCASE",
    "origin": "s.origin_type",
    "weight": "s.weight_mct",
    "lab": "s.report_lab",
    "report": "s.report_no",
    "country": "s.country_of_mining",
    "supplier": "supplier COLLATE NOCASE",
    "documents": "document_count",
}


def _stone_where(q: ListQuery) -> tuple[str, list[Any]]:
    clauses = ["s.item_id IS NULL"]
    params: list[Any] = []
    match = fts_query(q.search)
    if q.search.strip() and match is None:
        clauses.append("0")
    elif match:
        clauses.append("s.n IN (SELECT rowid FROM stone_fts WHERE stone_fts MATCH ?)")
        params.append(match)
    if q.kind:
        clauses.append("s.stone_type = ?")
        params.append(q.kind)
    if q.status:
        clauses.append("s.origin_type = ?")
        params.append(q.status)
    return " WHERE " + " AND ".join(clauses), params


def count_loose_stones(db: sqlite_utils.Database, q: ListQuery) -> int:
    where, params = _stone_where(q)
    return int(db.execute(f"SELECT count(*) FROM stone s{where}", params).fetchone()[0])


def list_loose_stones(
    db: sqlite_utils.Database, q: ListQuery, offset: int, limit: int
) -> list[StoneRow]:
    where, params = _stone_where(q)
    order = _STONE_SORT.get(q.sort, _STONE_SORT["stock_no"])
    direction = "DESC" if q.descending else "ASC"
    sql = (
        "SELECT s.id, s.stock_no,"
        " trim(CASE WHEN s.variety != '' THEN s.variety ELSE s.stone_type END || ' '"
        " || s.shape || ' ' || s.colour || ' ' || s.clarity) AS description,"
        " s.origin_type, s.weight_mct, s.report_lab, s.report_no, s.country_of_mining,"
        " COALESCE(p.legal_name, '') AS supplier,"
        " (SELECT count(*) FROM document_link d WHERE d.subject_kind = 'stone' AND d.subject_id = s.id)"
        " AS document_count"
        f" FROM stone s LEFT JOIN party p ON p.id = s.supplier_id{where}"
        f" ORDER BY {order} {direction}, s.n {direction} LIMIT ? OFFSET ?"
    )
    return [StoneRow(*row) for row in db.execute(sql, [*params, limit, offset]).fetchall()]


_LOT_SORT = {
    "lot_no": "l.lot_no COLLATE NOCASE",
    "metal": "l.metal",
    "fineness": "l.fineness_ppt",
    "claim": "l.claim_class",
    "refiner": "refiner COLLATE NOCASE",
    "received": "received_mg",
    "balance": "balance_mg",
    "documents": "document_count",
}


def _like(text: str) -> str:
    return "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _lot_where(q: ListQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q.search.strip():
        clauses.append(
            "(l.lot_no LIKE ? ESCAPE '\\' OR l.bar_batch_no LIKE ? ESCAPE '\\'"
            " OR l.refiner_cid LIKE ? ESCAPE '\\' OR r.legal_name LIKE ? ESCAPE '\\'"
            " OR sp.legal_name LIKE ? ESCAPE '\\')"
        )
        params.extend([_like(q.search)] * 5)
    if q.kind:
        clauses.append("l.metal = ?")
        params.append(q.kind)
    if q.status:
        clauses.append("l.claim_class = ?")
        params.append(q.status)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


_LOT_FROM = (
    " FROM metal_lot l LEFT JOIN party r ON r.id = l.refiner_id"
    " LEFT JOIN party sp ON sp.id = l.supplier_id"
)


def count_lots(db: sqlite_utils.Database, q: ListQuery) -> int:
    where, params = _lot_where(q)
    return int(db.execute(f"SELECT count(*){_LOT_FROM}{where}", params).fetchone()[0])


def list_lots(db: sqlite_utils.Database, q: ListQuery, offset: int, limit: int) -> list[LotRow]:
    where, params = _lot_where(q)
    order = _LOT_SORT.get(q.sort, _LOT_SORT["lot_no"])
    direction = "DESC" if q.descending else "ASC"
    sql = (
        "SELECT l.id, l.lot_no, l.metal, l.fineness_ppt, l.claim_class,"
        " COALESCE(r.legal_name, l.refiner_cid) AS refiner,"
        " (SELECT COALESCE(SUM(mass_mg), 0) FROM metal_movement m WHERE m.lot_id = l.id"
        "  AND m.kind = 'receipt') AS received_mg,"
        " COALESCE((SELECT t.in_mg - t.out_mg FROM metal_lot_total t WHERE t.lot_id = l.id), 0)"
        " AS balance_mg,"
        " (SELECT count(*) FROM document_link d WHERE d.subject_kind = 'lot' AND d.subject_id = l.id)"
        " AS document_count"
        f"{_LOT_FROM}{where} ORDER BY {order} {direction}, l.n {direction} LIMIT ? OFFSET ?"
    )
    return [LotRow(*row) for row in db.execute(sql, [*params, limit, offset]).fetchall()]


_PARTY_SORT = {
    "name": "p.legal_name COLLATE NOCASE",
    "kind": "p.kind",
    "country": "p.country",
    "identifiers": "identifiers",
    "documents": "document_count",
}


def _party_where(q: ListQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q.search.strip():
        clauses.append(
            "(p.legal_name LIKE ? ESCAPE '\\' OR p.rmi_cid LIKE ? ESCAPE '\\'"
            " OR p.rjc_member_no LIKE ? ESCAPE '\\' OR p.address LIKE ? ESCAPE '\\')"
        )
        params.extend([_like(q.search)] * 4)
    if q.kind:
        clauses.append("p.kind = ?")
        params.append(q.kind)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_parties(db: sqlite_utils.Database, q: ListQuery) -> int:
    where, params = _party_where(q)
    return int(db.execute(f"SELECT count(*) FROM party p{where}", params).fetchone()[0])


def list_parties(
    db: sqlite_utils.Database, q: ListQuery, offset: int, limit: int
) -> list[PartyRow]:
    where, params = _party_where(q)
    order = _PARTY_SORT.get(q.sort, _PARTY_SORT["name"])
    direction = "DESC" if q.descending else "ASC"
    sql = (
        "SELECT p.id, p.legal_name, p.kind, p.country,"
        " trim(CASE WHEN p.rmi_cid != '' THEN p.rmi_cid || '  ' ELSE '' END"
        " || CASE WHEN p.rjc_member_no != '' THEN 'RJC ' || p.rjc_member_no || '  ' ELSE '' END"
        " || CASE WHEN p.lbma_good_delivery THEN 'LBMA GDL  ' ELSE '' END"
        " || CASE WHEN p.wdc_sow_registered THEN 'WDC SoW' ELSE '' END) AS identifiers,"
        " (SELECT count(*) FROM document_link d WHERE d.subject_kind = 'party' AND d.subject_id = p.id)"
        " AS document_count"
        f" FROM party p{where} ORDER BY {order} {direction}, p.n {direction} LIMIT ? OFFSET ?"
    )
    return [PartyRow(*row) for row in db.execute(sql, [*params, limit, offset]).fetchall()]


def count_by(db: sqlite_utils.Database, table: str) -> int:
    assert table in {"item", "stone", "metal_lot", "party", "document"}
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def count_loose(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM stone WHERE item_id IS NULL").fetchone()[0])


# --------------------------------------------------------------------------- documents

_DOC_COLS = [f.name for f in fields(Document)]


def _doc_from(d: dict[str, Any]) -> Document:
    kwargs = {k: d[k] for k in _DOC_COLS}
    kwargs["doc_type"] = DocType(d["doc_type"])
    return Document(**kwargs)


def find_document_by_sha(db: sqlite_utils.Database, sha256: str) -> Document | None:
    rows = list(db.query("SELECT * FROM document WHERE sha256 = ?", [sha256]))
    return _doc_from(rows[0]) if rows else None


def get_document(db: sqlite_utils.Database, doc_id: str) -> Document | None:
    rows = list(db.query("SELECT * FROM document WHERE id = ?", [doc_id]))
    return _doc_from(rows[0]) if rows else None


def insert_document(db: sqlite_utils.Database, doc: Document) -> None:
    values = asdict(doc)
    values["doc_type"] = str(doc.doc_type)
    values["added_at"] = doc.added_at or now_iso()
    cols = ", ".join(_DOC_COLS)
    marks = ", ".join(f":{c}" for c in _DOC_COLS)
    db.execute(f"INSERT INTO document ({cols}) VALUES ({marks})", values)


def update_document_details(db: sqlite_utils.Database, doc: Document) -> None:
    db.execute(
        "UPDATE document SET doc_type = ?, issuer = ?, number = ?, issue_date = ?, expiry_date = ?"
        " WHERE id = ?",
        [str(doc.doc_type), doc.issuer, doc.number, doc.issue_date, doc.expiry_date, doc.id],
    )


def link_exists(db: sqlite_utils.Database, doc_id: str, kind: SubjectKind, subject_id: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM document_link WHERE document_id = ? AND subject_kind = ? AND subject_id = ?",
            [doc_id, str(kind), subject_id],
        ).fetchone()
    )


def insert_link(db: sqlite_utils.Database, doc_id: str, kind: SubjectKind, subject_id: str) -> None:
    db.execute(
        "INSERT INTO document_link (document_id, subject_kind, subject_id, linked_at) VALUES (?, ?, ?, ?)",
        [doc_id, str(kind), subject_id, now_iso()],
    )


def documents_for(db: sqlite_utils.Database, kind: SubjectKind, subject_id: str) -> list[Document]:
    rows = db.query(
        "SELECT d.* FROM document d JOIN document_link l ON l.document_id = d.id"
        " WHERE l.subject_kind = ? AND l.subject_id = ? ORDER BY l.linked_at, d.n",
        [str(kind), subject_id],
    )
    return [_doc_from(r) for r in rows]


def subject_exists(db: sqlite_utils.Database, kind: SubjectKind, subject_id: str) -> bool:
    table = {"item": "item", "stone": "stone", "lot": "metal_lot", "party": "party"}[str(kind)]
    return bool(db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [subject_id]).fetchone())


def events_exist_for(db: sqlite_utils.Database, subject_id: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM custody_subject WHERE subject_id = ? LIMIT 1", [subject_id]
        ).fetchone()
    )


def all_documents(db: sqlite_utils.Database) -> list[Document]:
    return [_doc_from(r) for r in db.query("SELECT * FROM document")]


def stones_covered_by(db: sqlite_utils.Database, document_id: str) -> list[Stone]:
    """Stones a document speaks for: those it is attached to, and those of the pieces it is
    attached to."""
    return [
        _stone_from(r)
        for r in db.query(
            "SELECT * FROM stone WHERE id IN (SELECT subject_id FROM document_link"
            " WHERE document_id = :d AND subject_kind = 'stone')"
            " OR item_id IN (SELECT subject_id FROM document_link"
            " WHERE document_id = :d AND subject_kind = 'item') ORDER BY n",
            {"d": document_id},
        )
    ]


def fill_stone_origin(db: sqlite_utils.Database, stone_id: str, country: str, region: str) -> None:
    db.execute(
        "UPDATE stone SET country_of_mining = ?, region_of_mining = ?, updated_at = ?"
        " WHERE id = ? AND country_of_mining = ''",
        [country, region, now_iso(), stone_id],
    )


def follow_stone_origin(
    db: sqlite_utils.Database,
    stone_id: str,
    was: tuple[str, str],
    now: tuple[str, str],
) -> None:
    """The stone's country (and region) of mining becomes ``now`` if it still says ``was``:
    what a corrected or withdrawn mining event had put there (or agreed with)."""
    db.execute(
        "UPDATE stone SET country_of_mining = ?, region_of_mining = ?, updated_at = ?"
        " WHERE id = ? AND country_of_mining = ? AND region_of_mining = ?",
        [now[0], now[1], now_iso(), stone_id, was[0], was[1]],
    )


def set_stone_warranty(db: sqlite_utils.Database, stone_id: str, warranty: str) -> None:
    db.execute(
        "UPDATE stone SET warranty = ?, updated_at = ? WHERE id = ?",
        [warranty, now_iso(), stone_id],
    )


def all_document_hashes(db: sqlite_utils.Database) -> set[str]:
    """Every blob the store must keep: attached documents, logos and issued certificates."""
    has_certificates = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'certificate'"
    ).fetchone()
    found = {
        r[0]
        for r in db.execute(
            "SELECT sha256 FROM document"
            + (" UNION SELECT pdf_sha256 FROM certificate" if has_certificates else "")
        )
    }
    shop = get_shop(db)
    if shop is not None and shop.logo_sha256:
        found.add(shop.logo_sha256)
    return found


# --------------------------------------------------------------------------- bulk (demo)


def bulk_insert(
    db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]], batch: int = 2000
) -> None:
    """Fast path for generated shops: plain executemany inside the caller's transaction."""
    it: Iterator[dict[str, Any]] = iter(rows)
    first = next(it, None)
    if first is None:
        return
    cols = list(first)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    chunk = [tuple(first[c] for c in cols)]
    for row in it:
        chunk.append(tuple(row[c] for c in cols))
        if len(chunk) >= batch:
            db.conn.executemany(sql, chunk)
            chunk = []
    if chunk:
        db.conn.executemany(sql, chunk)


def rebuild_search_index(db: sqlite_utils.Database) -> None:
    """Re-create both search indexes from the records (used after bulk loads)."""
    _register_fts_functions(db)
    db.execute("DELETE FROM item_fts")
    db.execute("DELETE FROM stone_fts")
    db.execute(
        "INSERT INTO item_fts (rowid, sku, description, report_nos, parties) " + _ITEM_FTS_SELECT
    )
    db.execute(
        "INSERT INTO stone_fts (rowid, stock_no, description, report_nos, parties) "
        + _STONE_FTS_SELECT
        + " WHERE s.item_id IS NULL"
    )


# --------------------------------------------------------------------------- whole-shop reads


def _rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
    """Rows addressable by column name, built in C (much cheaper than dicts for bulk reads)."""
    cur = db.conn.cursor()
    cur.row_factory = sqlite3.Row
    yield from cur.execute(sql, params)


def iter_items_full(db: sqlite_utils.Database) -> Iterator[Item]:
    """Every piece with its stones and metal, in three queries (for shop-wide checks)."""
    stones: dict[str, list[Stone]] = {}
    for r in _rows(db, "SELECT * FROM stone WHERE item_id IS NOT NULL ORDER BY item_id, position"):
        stones.setdefault(r["item_id"], []).append(_stone_from(r))
    metals: dict[str, list[MetalComponent]] = {}
    for r in _rows(db, "SELECT * FROM metal_component ORDER BY item_id, position"):
        metals.setdefault(r["item_id"], []).append(_metal_from(r))
    for r in _rows(db, "SELECT * FROM item ORDER BY sku COLLATE NOCASE"):
        item = _item_from(r)
        item.stones = stones.get(item.id, [])
        item.metals = metals.get(item.id, [])
        yield item


def documents_by_subject(db: sqlite_utils.Database) -> dict[tuple[str, str], list[Document]]:
    """All attached documents, keyed by (subject kind, subject id)."""
    out: dict[tuple[str, str], list[Document]] = {}
    docs = {r["id"]: _doc_from(r) for r in db.query("SELECT * FROM document")}
    for r in db.query(
        "SELECT document_id, subject_kind, subject_id FROM document_link ORDER BY linked_at"
    ):
        out.setdefault((r["subject_kind"], r["subject_id"]), []).append(docs[r["document_id"]])
    return out
