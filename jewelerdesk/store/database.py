"""Opening the shop's database: connection profile, schema version checks, migrations.

The profile follows SQLite's own advice for records that must survive power loss
(WAL + synchronous=FULL), and every migration is preceded by a verified backup because a
migration is the one moment the app rewrites a lot of the file at once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ..errors import DatabaseTooNew, StorageError
from . import audit
from .schema import MIGRATIONS

log = logging.getLogger(__name__)

#: "JDK1": marks the file as a JewelerDesk database (PRAGMA application_id).
APPLICATION_ID = 0x4A444B31
BUSY_TIMEOUT_MS = 5000

Migration = Callable[[sqlite_utils.Database], None]


#: SQLite's words for a disk that is full or failing, a file another program holds, or a
#: folder we may not write: these reach the user as a StorageError in the shop's words.
_STORAGE_WORDS = (
    "database or disk is full",
    "disk i/o error",
    "database is locked",
    "database table is locked",
    "attempt to write a readonly database",
    "unable to open database file",
)


class _Connection(sqlite3.Connection):
    """A connection whose storage failures (full disk, I/O error, locked file) are raised as
    :class:`StorageError`, so every service reports them in words and none escapes raw."""

    def _translate(self, exc: sqlite3.OperationalError) -> BaseException:
        text = str(exc).lower()
        if any(w in text for w in _STORAGE_WORDS):
            return _storage_error(exc, "")
        return exc

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    def commit(self) -> None:
        try:
            super().commit()
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc


def connect(path: Path | str, actor: audit.Actor | None = None) -> sqlite_utils.Database:
    """A connection with the house profile. Does not migrate; see :func:`open_database`.

    ``actor`` is who the audit log names for writes through this connection."""
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            factory=_Connection,
        )
        audit.register(conn, actor or audit.Actor())
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA cell_size_check = ON")
        db.execute("PRAGMA cache_size = -32768")  # 32 MB: a 100k-piece shop stays in memory
        if str(path) != ":memory:":
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                log.warning("journal_mode is %s, not WAL", mode)
        db.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        raise _storage_error(exc, path) from exc
    return db


def _storage_error(exc: sqlite3.Error, path: Path | str) -> StorageError:
    if isinstance(exc, StorageError):
        return exc
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageError(
            "The shop's database is in use by another program and did not become free in "
            f"{BUSY_TIMEOUT_MS // 1000} seconds. Close other copies of JewelerDesk and try again.",
            where=str(path) or None,
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StorageError(
            "This file is not a readable JewelerDesk database (it may be damaged). "
            "Nothing was changed. Restore it from a backup.",
            where=str(path),
        )
    if "disk" in text and ("full" in text or "i/o" in text):
        return StorageError(
            "The disk is full or failing, so the change was not saved. Free some space and try again.",
            where=str(path) or None,
        )
    if "readonly" in text or "unable to open" in text:
        return StorageError(
            "The shop's data folder cannot be written. Check that it exists and that you may write to it.",
            where=str(path) or None,
        )
    return StorageError(f"The database reported a problem: {exc}", where=str(path) or None)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return len(migrations)


def open_database(
    path: Path | str,
    *,
    backup_dir: Path | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
    actor: audit.Actor | None = None,
) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the shop's database.

    Refuses a file that is not a JewelerDesk database or that a newer version wrote.
    Before migrating an existing database, a copy is written through SQLite and checked.
    """
    app_id, version, has_tables = _peek(path)
    if has_tables and app_id != APPLICATION_ID:
        raise StorageError(
            "This file is not a JewelerDesk database. Nothing was changed.", where=str(path)
        )
    latest = latest_version(migrations)
    if version > latest:
        raise DatabaseTooNew(
            f"This shop's data was saved by a newer JewelerDesk (data version {version}; this "
            f"program understands up to {latest}). Install the newer JewelerDesk to open it. "
            "Nothing was changed.",
            where=str(path),
        )
    db = connect(path, actor)
    if version < latest:
        try:
            if has_tables and backup_dir is not None:
                backup_before_migration(db, backup_dir, version)
            migrate(db, migrations)
        except sqlite3.Error as exc:
            db.close()
            raise _storage_error(exc, path) from exc
        except BaseException:
            db.close()
            raise
    try:
        with db.atomic():
            for note in audit.ensure(db):
                log.warning("%s", note)
    except sqlite3.Error as exc:
        db.close()
        raise _storage_error(exc, path) from exc
    except BaseException:
        db.close()
        raise
    return db


def needs_update(path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> bool:
    """True when an existing shop's data was written by an older JewelerDesk and opening it
    will first update it (which can take a minute on a large shop). Reads without writing."""
    app_id, version, has_tables = _peek(path)
    return has_tables and app_id == APPLICATION_ID and version < latest_version(migrations)


def _peek(path: Path | str) -> tuple[int, int, bool]:
    """Read the file's identity without changing a byte (setting WAL would rewrite the header)."""
    if str(path) == ":memory:" or not Path(path).exists() or Path(path).stat().st_size == 0:
        return 0, 0, False
    try:
        conn = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
        try:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            has_tables = bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _storage_error(exc, path) from exc
    return app_id, version, has_tables


def migrate(db: sqlite_utils.Database, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Apply pending migrations, each in its own transaction with its user_version bump.

    If a migration fails, its transaction rolls back and the database stays at the last
    version that completed.
    """
    current = schema_version(db)
    for number, step in enumerate(migrations, start=1):
        if number <= current:
            continue
        with db.atomic():
            if number == 1:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            step(db)
            audit.ensure(db, migrating=True)  # a step may change a logged table's columns
            db.execute(f"PRAGMA user_version = {number}")
        log.info("migrated database to version %d", number)


def backup_before_migration(db: sqlite_utils.Database, backup_dir: Path, version: int) -> Path:
    from .files import sweep_parts

    sweep_parts(backup_dir)  # an unfinished copy a crash left (a whole database's worth)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"before-migration-v{version}-{stamp}.db"
    return write_verified_copy(db, target)


def write_verified_copy(db: sqlite_utils.Database, target: Path) -> Path:
    """VACUUM INTO a temp file, fsync it, rename, then integrity_check the copy.

    VACUUM INTO does not fsync its output, so the fsync is ours. A copy that fails its
    check is removed and reported: an unverified backup is worse than none because it
    would be trusted.
    """
    # the writer's process id in the name: a copy left by a crash is swept at the next open
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        db.execute("VACUUM INTO ?", [str(tmp)])
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        check = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            result = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
    except (sqlite3.Error, OSError, StorageError) as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(
            f"A backup copy could not be written ({exc}). Nothing was changed.", where=str(target)
        ) from exc
    if result != "ok":
        target.unlink(missing_ok=True)
        raise StorageError("The backup copy failed its integrity check.", where=str(target))
    return target


def _fsync_dir(path: Path) -> None:
    from .files import fsync_dir

    fsync_dir(path)


# ----------------------------------------------------------------------------- backups, checks

COUNTED_TABLES = (
    "party",
    "item",
    "stone",
    "metal_lot",
    "metal_component",
    "metal_movement",
    "document",
    "custody_event",
    "sale",
    "certificate",
)


def open_readonly(path: Path) -> sqlite_utils.Database:
    """A database file someone hands us (a backup): read-only, its schema not trusted."""
    if not path.is_file():
        raise StorageError("There is no database file in that backup.", where=str(path))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
        return sqlite_utils.Database(conn)
    except sqlite3.Error as exc:
        raise _storage_error(exc, path) from exc


def integrity_problems(db: sqlite_utils.Database, full: bool = False) -> list[str]:
    """SQLite's own check of the file's structure: [] when sound."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [r[0] for r in db.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def application_id(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA application_id").fetchone()[0])


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per main table (tables an older schema lacks are left out)."""
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in COUNTED_TABLES
        if t in present
    }


def copy_into(source: sqlite_utils.Database, target: sqlite_utils.Database) -> None:
    """Replace ``target``'s content with ``source``'s through SQLite's backup API (safe while
    ``target`` is open elsewhere; never a file copy)."""
    source.conn.backup(target.conn)


def foreign_key_problems(db: sqlite_utils.Database) -> list[str]:
    return [
        f"{r[0]} row {r[1]} points at a missing {r[2]} record"
        for r in db.execute("PRAGMA foreign_key_check")
    ]


_GUARDS: list[tuple[str, str]] = []  # (name, SQL with spaces normalised)


def missing_guards(db: sqlite_utils.Database) -> list[str]:
    """Triggers the schema defines (append-only guards, running totals, cache invalidation)
    that the file lacks. The audit log's own triggers are put back at every open."""
    if not _GUARDS:
        fresh = connect(":memory:")
        try:
            migrate(fresh)
            generated = {
                f"audit_{t}_{op}" for t in audit.AUDITED for op in ("insert", "update", "delete")
            }
            _GUARDS.extend(
                (r[0], " ".join(str(r[1]).split()))
                for r in fresh.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
                )
                if r[0] not in generated
            )
        finally:
            fresh.close()
    present = {
        r[0]: " ".join(str(r[1]).split())
        for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    return [name for name, sql in _GUARDS if present.get(name) != sql]
