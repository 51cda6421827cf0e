"""The kept custody checks (``gap_cache``; see schema v6 for what invalidates a row)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

FIELD, RECORD = "\x1f", "\x1e"

#: sku, description, lot ids, gap rows (each: rule, severity, component, component id, label,
#: title, ack reason, ack time; the last two empty for an open gap)
Kept = tuple[str, str, list[str], list[list[str]]]


def valid_rows(db: sqlite_utils.Database, today: str) -> dict[str, Kept]:
    """item id -> what was kept of its check, for the rows still valid on ``today``."""
    return {
        r[0]: (
            r[1],
            r[2],
            r[3].split(",") if r[3] else [],
            [g.split(FIELD) for g in r[4].split(RECORD)] if r[4] else [],
        )
        for r in db.execute(
            "SELECT item_id, sku, description, lot_ids, gaps FROM gap_cache"
            " WHERE valid_until = '' OR valid_until > ?",
            [today],
        )
    }


def put(
    db: sqlite_utils.Database,
    rows: Iterable[tuple[str, str, str, str, Sequence[str], Sequence[Sequence[Any]]]],
) -> None:
    """(item id, valid until, sku, description, lot ids, gap rows) — replacing what was kept."""
    db.conn.executemany(
        "INSERT OR REPLACE INTO gap_cache (item_id, valid_until, sku, description, lot_ids, gaps)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                i,
                until,
                sku,
                desc,
                ",".join(lots),
                RECORD.join(FIELD.join(_clean(v) for v in g) for g in gaps),
            )
            for i, until, sku, desc, lots, gaps in rows
        ],
    )


def data_version(db: sqlite_utils.Database) -> int:
    """Changes whenever another connection commits (``PRAGMA data_version``)."""
    return int(db.execute("PRAGMA data_version").fetchone()[0])


def put_if_unchanged(
    db: sqlite_utils.Database,
    since: int,
    rows: Iterable[tuple[str, str, str, str, Sequence[str], Sequence[Sequence[Any]]]],
) -> bool:
    """Keep ``rows`` only if no other connection committed since ``data_version`` was
    ``since``: checks judged from records someone changed meanwhile would be stale (their
    triggers fired before the rows existed). The check and the write hold the write lock."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if data_version(db) != since:
            db.execute("ROLLBACK")
            return False
        put(db, rows)
        db.execute("COMMIT")
        return True
    except BaseException:
        db.execute("ROLLBACK")
        raise


def as_kept(gaps: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Gap rows as ``valid_rows`` gives them back."""
    return [[_clean(v) for v in g] for g in gaps]


def _clean(value: Any) -> str:
    """A field as kept: the two separators cannot occur in it."""
    return "" if value is None else str(value).replace(FIELD, " ").replace(RECORD, " ")


RULES_KEY = "gap_rules_version"


def kept_under(db: sqlite_utils.Database) -> str | None:
    """The version of the gap rules the kept checks were judged by."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [RULES_KEY]).fetchone()
    return str(row[0]) if row else None


def forget_all(db: sqlite_utils.Database, rules_version: str) -> None:
    """Drop every kept check (judged by other rules) and note the rules now in force."""
    with db.atomic():
        db.execute("DELETE FROM gap_cache")
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [RULES_KEY, rules_version],
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
