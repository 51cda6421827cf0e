"""The database file: profile, version checks, migrations with backups, append-only rows."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import pytest

from jewelerdesk.errors import DatabaseTooNew, StorageError
from jewelerdesk.store.database import APPLICATION_ID, open_database, schema_version
from jewelerdesk.store.files import DocumentFiles
from jewelerdesk.store.schema import MIGRATIONS


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_profile(tmp_path: Path) -> None:
    db = open_database(tmp_path / "shop.db")
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert schema_version(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_database_from_a_newer_app_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    db = open_database(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = sha(path)
    with pytest.raises(DatabaseTooNew, match="newer JewelerDesk"):
        open_database(path, backup_dir=tmp_path / "backups")
    assert sha(path) == before


def test_foreign_and_garbage_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = sha(other)
    with pytest.raises(StorageError, match="not a JewelerDesk database"):
        open_database(other)
    assert sha(other) == before
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    with pytest.raises(StorageError):
        open_database(garbage)


def test_migration_writes_a_verified_backup_first(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    open_database(path).close()

    def v2_add_notes(db) -> None:
        db.execute("CREATE TABLE later (x INTEGER)")

    backups = tmp_path / "backups"
    db = open_database(path, backup_dir=backups, migrations=[*MIGRATIONS, v2_add_notes])
    assert schema_version(db) == len(MIGRATIONS) + 1
    db.close()
    copies = list(backups.glob(f"before-migration-v{len(MIGRATIONS)}-*.db"))
    assert len(copies) == 1
    check = sqlite3.connect(copies[0])
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert "later" not in {r[0] for r in check.execute("SELECT name FROM sqlite_master")}
    check.close()


def test_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    open_database(path).close()

    def v2_broken(db) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("step failed midway")

    with pytest.raises(RuntimeError):
        open_database(path, backup_dir=tmp_path / "b", migrations=[*MIGRATIONS, v2_broken])
    db = open_database(path)
    assert schema_version(db) == len(MIGRATIONS)
    assert "half_done" not in db.table_names()
    db.close()


def test_metal_movements_are_append_only(shop) -> None:
    from jewelerdesk.domain.model import ClaimClass, Metal, MetalLot
    from jewelerdesk.services import inventory

    lot = inventory.receive_lot(
        shop, MetalLot("AG-1", Metal.SILVER, 925, ClaimClass.RECYCLED), 10_000
    )
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        shop.db.execute("UPDATE metal_movement SET mass_mg = 1 WHERE lot_id = ?", [lot.id])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        shop.db.execute("DELETE FROM metal_movement WHERE lot_id = ?", [lot.id])
    assert inventory.lot_balance_mg(shop, lot.id) == 10_000


def test_lot_running_totals_follow_every_movement(shop) -> None:
    from jewelerdesk.domain.model import ClaimClass, Metal, MetalLot
    from jewelerdesk.services import inventory
    from jewelerdesk.store import events, records

    lot = inventory.receive_lot(
        shop, MetalLot("AU-1", Metal.GOLD, 750, ClaimClass.UNSPECIFIED), 50_000
    )
    other = inventory.receive_lot(
        shop, MetalLot("AU-2", Metal.GOLD, 585, ClaimClass.UNSPECIFIED), 7_000
    )
    records.add_movement(shop.db, lot.id, "draw", 3_200)
    records.add_movement(shop.db, lot.id, "loss", 150)
    records.add_movement(shop.db, lot.id, "return", 400)
    totals = events.lot_totals(shop.db)
    assert (totals[lot.id].in_mg, totals[lot.id].out_mg) == (50_400, 3_350)
    assert (totals[other.id].in_mg, totals[other.id].out_mg) == (7_000, 0)
    assert inventory.lot_balance_mg(shop, lot.id) == 47_050
    summed = shop.db.execute(
        "SELECT sum(CASE WHEN kind IN ('receipt','return') THEN mass_mg ELSE -mass_mg END)"
        " FROM metal_movement WHERE lot_id = ?",
        [lot.id],
    ).fetchone()[0]
    assert summed == 47_050


def test_migration_to_v3_totals_the_movements_already_there(tmp_path: Path) -> None:
    from jewelerdesk.store import events

    path = tmp_path / "v2.db"
    db = open_database(path, migrations=MIGRATIONS[:2])
    stamp = "2025-05-01T10:00:00+00:00"
    db.execute(
        "INSERT INTO metal_lot (id, lot_no, metal, fineness_ppt, claim_class, created_at,"
        " form) VALUES ('l1', 'AG-9', 'silver', 925, 'unspecified', ?, 'sheet')",
        [stamp],
    )
    for kind, mg in (("receipt", 9_000), ("draw", 2_500), ("receipt", 1_000), ("loss", 20)):
        db.execute(
            "INSERT INTO metal_movement (lot_id, kind, mass_mg, occurred_at) VALUES ('l1', ?, ?, ?)",
            [kind, mg, stamp],
        )
    db.close()
    db = open_database(path, backup_dir=tmp_path / "backups")
    assert schema_version(db) == len(MIGRATIONS)
    totals = events.lot_totals(db, ["l1"])["l1"]
    assert (totals.in_mg, totals.out_mg) == (10_000, 2_520)
    db.close()


def test_document_files_are_content_addressed_and_swept(tmp_path: Path) -> None:
    files = DocumentFiles(tmp_path / "documents")
    src = tmp_path / "a.pdf"
    src.write_bytes(b"%PDF-1.4 same bytes")
    sha1, size = files.put(src)
    sha2, _ = files.put(src)
    assert sha1 == sha2 == hashlib.sha256(src.read_bytes()).hexdigest() and size == 19
    assert files.path_for(sha1) == tmp_path / "documents" / sha1[:2] / sha1
    assert files.verify(sha1)
    assert list((tmp_path / "documents" / ".incoming").glob("*.part")) == []
    stale = tmp_path / "documents" / ".incoming" / "dead.part"
    stale.write_bytes(b"half")
    young = tmp_path / "documents" / ".incoming" / "live.part"
    young.write_bytes(b"in progress")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    orphan_src = tmp_path / "b.pdf"
    orphan_src.write_bytes(b"%PDF-1.4 orphan")
    orphan, _ = files.put(orphan_src)
    os.utime(files.path_for(orphan), (old, old))
    removed = files.sweep(referenced={sha1})
    assert removed == 2
    assert not stale.exists() and young.exists()
    assert files.exists(sha1) and not files.exists(orphan)


def test_failed_store_leaves_no_temp_file(tmp_path: Path) -> None:
    files = DocumentFiles(tmp_path / "documents")
    with pytest.raises(StorageError):
        files.put(tmp_path)  # a folder, not a file
    assert list((tmp_path / "documents" / ".incoming").glob("*.part")) == []
