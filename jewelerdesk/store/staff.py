"""Staff profiles: rows of ``staff`` (never deleted: the records log names them)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..domain.model import new_id
from .records import get_setting, now_iso, put_setting

IDLE_KEY = "staff.idle_lock_minutes"


def all_staff(db: sqlite_utils.Database, include_inactive: bool = False) -> list[dict[str, Any]]:
    where = "" if include_inactive else "WHERE active = 1"
    return list(db.query(f"SELECT * FROM staff {where} ORDER BY name COLLATE NOCASE"))


def find(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM staff WHERE name = ? COLLATE NOCASE", [name.strip()]))
    return rows[0] if rows else None


def any_active(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM staff WHERE active = 1 LIMIT 1").fetchone() is not None


def insert(db: sqlite_utils.Database, name: str, role: str, pin_hash: str) -> str:
    sid = new_id()
    db.execute(
        "INSERT INTO staff (id, name, role, pin_hash, active, created_at) VALUES (?, ?, ?, ?, 1, ?)",
        [sid, name.strip(), role, pin_hash, now_iso()],
    )
    return sid


def set_pin_hash(db: sqlite_utils.Database, staff_id: str, pin_hash: str) -> None:
    db.execute("UPDATE staff SET pin_hash = ? WHERE id = ?", [pin_hash, staff_id])


def set_active(db: sqlite_utils.Database, staff_id: str, active: bool) -> None:
    db.execute("UPDATE staff SET active = ? WHERE id = ?", [int(active), staff_id])


def set_role(db: sqlite_utils.Database, staff_id: str, role: str) -> None:
    db.execute("UPDATE staff SET role = ? WHERE id = ?", [role, staff_id])


def idle_minutes(db: sqlite_utils.Database) -> int:
    raw = get_setting(db, IDLE_KEY)
    try:
        return max(0, int(raw)) if raw else 0
    except ValueError:
        return 0


def set_idle_minutes(db: sqlite_utils.Database, minutes: int) -> None:
    put_setting(db, IDLE_KEY, str(minutes))


def carry_over(db: sqlite_utils.Database, people: list[dict[str, Any]]) -> int:
    """Make the profiles in ``db`` (records just put back from a backup) the ``people`` who
    work in the shop now: same roles, PINs and who has left. Someone the backup knows and
    the shop no longer does cannot sign in. Returns the number of profiles changed."""
    changed = 0
    now_ids = set()
    for p in people:
        row = db.execute(
            "SELECT id, role, pin_hash, active FROM staff WHERE id = ? OR name = ? COLLATE NOCASE",
            [p["id"], p["name"]],
        ).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO staff (id, name, role, pin_hash, active, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [p["id"], p["name"], p["role"], p["pin_hash"], p["active"], p["created_at"]],
            )
            now_ids.add(p["id"])
            changed += 1
            continue
        now_ids.add(row[0])
        if (row[1], row[2], row[3]) != (p["role"], p["pin_hash"], p["active"]):
            db.execute(
                "UPDATE staff SET role = ?, pin_hash = ?, active = ? WHERE id = ?",
                [p["role"], p["pin_hash"], p["active"], row[0]],
            )
            changed += 1
    for (sid,) in db.execute("SELECT id FROM staff WHERE active = 1").fetchall():
        if sid not in now_ids:
            db.execute("UPDATE staff SET active = 0 WHERE id = ?", [sid])
            changed += 1
    return changed
