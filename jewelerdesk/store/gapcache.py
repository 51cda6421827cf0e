"""The kept custody checks (``gap_cache``; see schema v6 for what invalidates a row)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

Kept = tuple[str, str, list[str], list[tuple[Any, ...]]]  # sku, description, lots, gap rows


def valid_rows(db: sqlite_utils.Database, today: str) -> dict[str, Kept]:
    """item id -> (sku, description, its lot ids, its gap rows) for the rows still valid on
    ``today``. A gap row is (rule, severity, component, component id, label, title,
    ack reason, ack time); an acknowledged gap has a reason."""
    out: dict[str, Kept] = {
        r[0]: (r[1], r[2], r[3].split(",") if r[3] else [], [])
        for r in db.execute(
            "SELECT item_id, sku, description, lot_ids FROM gap_cache"
            " WHERE valid_until = '' OR valid_until > ?",
            [today],
        )
    }
    for r in db.execute(
        "SELECT g.item_id, g.rule, g.severity, g.component, g.component_id, g.component_label,"
        " g.title, g.ack_reason, g.ack_at FROM gap_cache_gap g JOIN gap_cache c USING (item_id)"
        " WHERE c.valid_until = '' OR c.valid_until > ? ORDER BY g.item_id, g.seq",
        [today],
    ):
        out[r[0]][3].append(r[1:])
    return out


def put(
    db: sqlite_utils.Database,
    rows: Iterable[tuple[str, str, str, str, Sequence[str], Sequence[tuple[Any, ...]]]],
) -> None:
    """(item id, valid until, sku, description, lot ids, gap rows) — replacing what was kept."""
    rows = list(rows)
    db.conn.executemany(
        "INSERT OR REPLACE INTO gap_cache (item_id, valid_until, sku, description, lot_ids)"
        " VALUES (?, ?, ?, ?, ?)",
        [(i, until, sku, desc, ",".join(lots)) for i, until, sku, desc, lots, _g in rows],
    )
    db.conn.executemany(
        "INSERT INTO gap_cache_gap (item_id, seq, rule, severity, component, component_id,"
        " component_label, title, ack_reason, ack_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(i, n, *g) for i, _u, _s, _d, _l, gaps in rows for n, g in enumerate(gaps)],
    )


def count(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM gap_cache").fetchone()[0])


def all_item_ids(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT id FROM item ORDER BY n")]


def lots_of_items(db: sqlite_utils.Database, item_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in item_ids}
    for start in range(0, len(item_ids), 900):
        part = list(item_ids[start : start + 900])
        marks = ", ".join("?" * len(part))
        for item_id, lot_id in db.execute(
            "SELECT item_id, lot_id FROM metal_component"
            f" WHERE item_id IN ({marks}) ORDER BY item_id, position",
            part,
        ):
            if lot_id not in out[item_id]:
                out[item_id].append(lot_id)
    return out


def next_date_after(db: sqlite_utils.Database, today: str) -> str:
    """The first day after ``today`` on which a recorded date comes due (an event dated in the
    future, a certification that expires): a kept check may change on that day."""
    row = db.execute(
        "SELECT min(d) FROM ("
        # an event dated in the future stops being flagged on its day
        " SELECT substr(event_time, 1, 10) AS d FROM custody_event"
        " WHERE substr(event_time, 1, 10) > ?"
        # a certification is lapsed from the day after it expires
        " UNION ALL SELECT date(rjc_coc_expiry, '+1 day') FROM party"
        " WHERE rjc_coc_expiry <> '' AND rjc_coc_expiry >= ?)",
        [today, today],
    ).fetchone()
    return row[0] or ""
