"""Backups the shop can trust, and restoring from one (RELIABILITY-NOTES §1).

A backup is a folder ``jewelerdesk-backup-<time>[-<reason>]/`` holding the database copied
through SQLite (``VACUUM INTO`` a temp file, fsync, rename, ``integrity_check`` of the copy),
every document and issued certificate it refers to (``documents/ab/<sha256>``, copied, never
linked: a link would share any damage), and ``backup.json`` with its counts.
The folder is built under a ``.part`` name and renamed when complete, then verified again.

Automatic backups live in the data folder's ``backups/`` and are pruned to 7 daily, 4 weekly
and 12 monthly copies. Backups made to a chosen folder or USB drive are never pruned.
Restoring verifies the backup first and backs up the current state before replacing it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Conflict, DatabaseTooNew, StorageError
from ..store import audit, backfill, database, records
from ..store import sales as sales_store
from ..store import staff as staff_store
from ..store.files import DocumentFiles, file_sha256, fsync_dir, write_atomic
from ..store.schema import MIGRATIONS
from .shop import Shop

log = logging.getLogger(__name__)

FORMAT = "jewelerdesk-backup/1"
PREFIX = "jewelerdesk-backup-"
DB_NAME = "jewelerdesk.db"
MANIFEST = "backup.json"
AUTO_REASONS = ("auto", "daily", "closing", "before-restore")
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12


@dataclass(frozen=True)
class BackupInfo:
    folder: Path
    created_at: str
    reason: str
    app_version: str
    schema_version: int
    counts: dict[str, int]
    documents: int
    database_sha256: str
    #: the records log's head in the backup (entry, hash); None for backups made before it
    records_log: tuple[int, str] | None = None
    #: documents the shop's own copy of was missing or damaged when the backup was made
    unavailable: tuple[str, ...] = ()
    #: the name of the shop whose records the backup holds ('' when not read)
    shop_name: str = ""
    #: that shop's own party id (kept through a change of name; '' when not read)
    shop_id: str = ""

    def unavailable_text(self) -> str:
        """What the owner must know about the documents left out ('' when none were)."""
        if not self.unavailable:
            return ""
        n = len(self.unavailable)
        return (
            f"{n} document{'s' if n != 1 else ''} could not be included: the shop's copy is "
            f"missing or damaged ({', '.join(h[:12] + '…' for h in self.unavailable[:3])}). "
            "Run 'Check the records' and put them back from an older backup."
        )

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


def _place(src: Path, dst: Path) -> None:
    """A document into the backup: a real copy, fsynced. Never a hard link: a link shares the
    bytes, so damage to the shop's copy would damage the backup too."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as a, open(dst, "wb") as b:
        shutil.copyfileobj(a, b, 1 << 20)
        b.flush()
        os.fsync(b.fileno())


def back_up(
    shop: Shop,
    dest_root: Path | None = None,
    reason: str = "manual",
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> BackupInfo:
    """A complete, verified backup of the shop into a new folder under ``dest_root`` (the data
    folder's ``backups/`` by default)."""
    root = dest_root or shop.paths.backups
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    name = (
        PREFIX + moment.strftime("%Y-%m-%dT%H%M%S") + ("" if reason == "manual" else f"-{reason}")
    )
    base, n = name, 1
    while (root / name).exists() or list(root.glob(f"{name}.*.part")):
        n += 1  # two backups in the same second
        name = f"{base}~{n}"
    final = root / name
    part = root / f"{name}.{os.getpid()}.part"  # swept at the next open if this process dies
    try:
        root.mkdir(parents=True, exist_ok=True)
        if part.exists():
            shutil.rmtree(part)
        part.mkdir()
        database.write_verified_copy(shop.db, part / DB_NAME)
        copy = database.open_readonly(part / DB_NAME)
        try:
            hashes = sorted(records.all_document_hashes(copy))
            counts = database.table_counts(copy)
            version = database.schema_version(copy)
            log_head = audit.head(copy)
        finally:
            copy.close()
        unavailable: list[str] = []
        kept = DocumentFiles(part / "documents")
        for i, sha in enumerate(hashes):
            # One lost or damaged scan must not stop every backup: the records and every sound
            # file are backed up, and the backup says which documents it could not include.
            src = shop.files.path_for(sha)
            if not src.is_file():
                unavailable.append(sha)
                continue
            _place(src, kept.path_for(sha))
            if not kept.verify(sha):
                kept.path_for(sha).unlink()
                unavailable.append(sha)
            if progress and i % 200 == 0:
                progress(i, len(hashes))
        if unavailable:
            log.warning("backup without %d missing or damaged documents", len(unavailable))
        manifest = {
            "format": FORMAT,
            "created_at": moment.isoformat(timespec="microseconds"),
            "reason": reason,
            "app_version": __version__,
            "schema_version": version,
            "counts": counts,
            "documents": len(hashes),
            "database_sha256": file_sha256(part / DB_NAME),
            "records_log": {"entry": log_head[0], "sha256": log_head[1]},
            "unavailable_documents": unavailable,
        }
        write_atomic(part / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        fsync_dir(part)
        if final.exists():
            raise StorageError(f"A backup named {name} already exists.", where=str(root))
        os.replace(part, final)
        fsync_dir(root)
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise StorageError(
            f"The backup could not be written: {exc.strerror or exc}. Nothing was changed; the "
            "unfinished copy was removed.",
            where=str(root),
        ) from exc
    except StorageError:
        shutil.rmtree(part, ignore_errors=True)
        raise
    try:
        info = verify_backup(final)
    except StorageError:
        shutil.rmtree(final, ignore_errors=True)  # a backup that does not verify is not kept
        raise
    if progress:
        progress(len(hashes), len(hashes))
    log.info("backup %s: %s", reason, final)
    return info


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        raise StorageError(
            "That folder is not a JewelerDesk backup (it has no backup.json).", where=str(folder)
        ) from None
    except (OSError, ValueError) as exc:
        raise StorageError(
            f"The backup's description (backup.json) cannot be read: {exc}", where=str(folder)
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StorageError("That folder is not a JewelerDesk backup.", where=str(folder))
    return data


def _refuse_links(folder: Path) -> None:
    """A backup is plain files: a symbolic link could make a restore read, or a later clean-up
    touch, something outside it."""
    for p in (folder, folder / MANIFEST, folder / DB_NAME, folder / "documents"):
        if p.is_symlink():
            raise StorageError(
                f"The backup holds a link ({p.name}) where a file or folder should be; it was "
                "not made by JewelerDesk and is not used.",
                where=str(folder),
            )


def verify_backup(folder: Path) -> BackupInfo:
    """Check a backup before trusting it: its database is sound, is a JewelerDesk database,
    holds what its description says, and every document it refers to is there, unchanged."""
    data = _manifest(folder)
    db_path = folder / DB_NAME
    _refuse_links(folder)
    if not db_path.is_file():
        raise StorageError(
            f"The backup has no database file ({DB_NAME}); it is incomplete and cannot be used.",
            where=str(folder),
        )
    if file_sha256(db_path) != data.get("database_sha256"):
        raise StorageError(
            "The backup's database file has changed since the backup was made.", where=str(folder)
        )
    db = database.open_readonly(db_path)
    try:
        problems = database.integrity_problems(db, full=True)
        if problems:
            raise StorageError(
                f"The backup's database is damaged: {problems[0]}", where=str(folder)
            )
        if database.application_id(db) != database.APPLICATION_ID:
            raise StorageError(
                "The backup does not hold a JewelerDesk database.", where=str(folder)
            )
        version = database.schema_version(db)
        counts = database.table_counts(db)
        hashes = sorted(records.all_document_hashes(db))
        log_head = audit.head(db)
        ident = records.get_shop(db)
        shop_id = backfill.shop_party_id(db) or ""
    finally:
        db.close()
    logged = data.get("records_log")
    if isinstance(logged, dict) and (logged.get("entry"), logged.get("sha256")) != log_head:
        raise StorageError(
            "The backup's records log does not end where its description says.",
            where=str(folder),
        )
    if counts != data.get("counts"):
        raise StorageError(
            "The backup's database does not hold what its description says.", where=str(folder)
        )
    kept = DocumentFiles(folder / "documents")
    unavailable = tuple(str(h) for h in data.get("unavailable_documents") or ())
    for sha in hashes:
        if sha in unavailable and not kept.path_for(sha).exists():
            continue  # left out when the backup was made, and said so
        if kept.path_for(sha).is_symlink():
            raise StorageError(
                "The backup holds a link where a document should be; it was not made by "
                "JewelerDesk and is not used.",
                where=str(folder),
            )
        if not kept.exists(sha):
            raise StorageError(
                f"The backup is missing a document ({sha[:12]}…).", where=str(folder)
            )
        if not kept.verify(sha):
            raise StorageError(
                f"A document in the backup has changed ({sha[:12]}…).", where=str(folder)
            )
    return BackupInfo(
        folder,
        str(data.get("created_at", "")),
        str(data.get("reason", "")),
        str(data.get("app_version", "")),
        version,
        counts,
        len(hashes),
        str(data["database_sha256"]),
        log_head if isinstance(logged, dict) else None,
        unavailable,
        ident.name if ident else "",
        shop_id,
    )


def list_backups(root: Path) -> list[BackupInfo]:
    """The backups in ``root``, newest first (unreadable folders are left out, not trusted)."""
    out: list[BackupInfo] = []
    if not root.is_dir():
        return out
    for folder in root.iterdir():
        if not folder.is_dir() or not folder.name.startswith(PREFIX) or folder.suffix == ".part":
            continue
        try:
            data = _manifest(folder)
        except StorageError:
            continue
        out.append(
            BackupInfo(
                folder,
                str(data.get("created_at", "")),
                str(data.get("reason", "")),
                str(data.get("app_version", "")),
                int(data.get("schema_version", 0)),
                dict(data.get("counts", {})),
                int(data.get("documents", 0)),
                str(data.get("database_sha256", "")),
                _head_of(data),
                tuple(str(h) for h in data.get("unavailable_documents") or ()),
            )
        )
    return sorted(out, key=lambda b: b.created_at, reverse=True)


def _head_of(data: dict[str, Any]) -> tuple[int, str] | None:
    log_head = data.get("records_log")
    try:
        return int(log_head["entry"]), str(log_head["sha256"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None


RESTORES = "restores.json"


def last_restore(shop: Shop) -> str:
    """When the records were last replaced by a backup ('' if never): backups made before
    then may hold a longer history than the records now do, rightly."""
    try:
        entries = json.loads((shop.paths.root / RESTORES).read_text("utf-8"))
        return str(entries[-1]["at"]) if entries else ""
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return ""


def _remember_restore(shop: Shop, info: BackupInfo) -> None:
    path = shop.paths.root / RESTORES
    try:
        entries = json.loads(path.read_text("utf-8"))
        if not isinstance(entries, list):
            entries = []
    except (OSError, ValueError):
        entries = []
    entries.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "backup": info.folder.name,
            "created_at": info.created_at,
            "by": shop.actor.name,
        }
    )
    write_atomic(path, json.dumps(entries, indent=1).encode("utf-8"))


def prune(root: Path, today: date | None = None) -> list[Path]:
    """Thin the automatic backups to the newest of each of the last 7 days, 4 weeks and 12
    months. Manual backups and anything not recognised are never removed."""
    today = today or datetime.now(UTC).date()
    auto = [b for b in list_backups(root) if b.reason in AUTO_REASONS]
    keep: set[Path] = set()
    for span, key in (
        (KEEP_DAILY, lambda d: d.isoformat()),
        (KEEP_WEEKLY, lambda d: d.isocalendar()[:2]),
        (KEEP_MONTHLY, lambda d: (d.year, d.month)),
    ):
        seen: list[Any] = []
        for b in auto:  # newest first: the first of each period is the one kept
            k = key(b.when.date())
            if k in seen:
                continue
            if len(seen) == span:
                break
            seen.append(k)
            keep.add(b.folder)
    removed = []
    for b in auto:
        if b.folder not in keep and b.when.date() < today:
            shutil.rmtree(b.folder, ignore_errors=True)
            removed.append(b.folder)
    return removed


def changed_since_last_backup(shop: Shop) -> bool:
    """Whether the database was written after the newest automatic backup."""
    newest = next((b for b in list_backups(shop.paths.backups) if b.reason in AUTO_REASONS), None)
    if newest is None:
        return True
    written = max(
        (p.stat().st_mtime for p in (shop.paths.database, Path(f"{shop.paths.database}-wal"))
         if p.exists()),
        default=0.0,
    )  # fmt: skip
    return datetime.fromtimestamp(written, UTC) > newest.when


def automatic_backup(
    shop: Shop, reason: str, now: datetime | None = None, changed: bool | None = None
) -> BackupInfo | None:
    """The app's own backup: on closing when something changed (``changed``, when the caller
    knows; else the files' times say), and once a day. Never raises for lack of space or a
    damaged copy: it is logged and the next one tries again."""
    moment = now or datetime.now(UTC)
    if changed is False:
        return None
    if reason == "daily":
        newest = next(
            (b for b in list_backups(shop.paths.backups) if b.reason in AUTO_REASONS), None
        )
        if newest is not None and moment - newest.when < timedelta(hours=24):
            return None
    elif changed is None and not changed_since_last_backup(shop):
        return None
    try:
        return _back_up_and_prune(shop, reason, moment)
    except StorageError as exc:
        log.warning("automatic backup failed: %s", exc)
        return None


def closing_backup(shop: Shop) -> BackupInfo:
    """The backup made when the window closes after a change: like :func:`automatic_backup`,
    but a failure is raised, so the window can say so before it closes."""
    return _back_up_and_prune(shop, "closing", datetime.now(UTC))


def _back_up_and_prune(shop: Shop, reason: str, moment: datetime) -> BackupInfo:
    info = back_up(shop, reason=reason, now=moment)
    prune(shop.paths.backups, moment.date())
    return info


def set_aside_damaged(shop: Shop) -> Path:
    """Keep a byte copy of a damaged database (and its WAL) in ``backups/`` before it is
    replaced: whatever can still be read from it is not thrown away."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
    target = shop.paths.backups / f"damaged-{stamp}"
    target.mkdir(parents=True, exist_ok=True)
    for p in (shop.paths.database, Path(f"{shop.paths.database}-wal")):
        if p.exists():
            shutil.copy2(p, target / p.name)
    return target


def other_shop(shop: Shop, info: BackupInfo) -> str | None:
    """The backup's shop name when it is not this shop's (None when it is, or unknown). The
    same shop under a new name (its own party id) and the same shop set up afresh on a new
    computer (its name) are this shop."""
    try:
        current = shop.identity()
        current_id = backfill.shop_party_id(shop.db) or ""
    except sqlite3.DatabaseError:
        return None  # too damaged to say
    if current is None or not info.shop_name:
        return None
    if info.shop_id and info.shop_id == current_id:
        return None
    same = info.shop_name.strip().casefold() == current.name.strip().casefold()
    return None if same else info.shop_name


def restore(
    shop: Shop,
    folder: Path,
    keep_current: bool = True,
    manager_pin: str | None = None,
    allow_other_shop: bool = False,
) -> BackupInfo:
    """Replace the shop's records with a backup's: verified first, the current state backed up
    before anything is replaced, the database copied in through SQLite, the documents put back.
    ``shop`` stays open and shows the restored records afterwards. With staff profiles, a
    manager's PIN is needed (unless the current records are too damaged to read them)."""
    from . import staff

    try:
        staff.authorise(shop, manager_pin, "restore a backup")
    except sqlite3.DatabaseError as exc:
        log.warning("staff profiles unreadable (%s); restoring without a manager's PIN", exc)
    info = verify_backup(folder)
    foreign = other_shop(shop, info)
    if foreign and not allow_other_shop:
        ident = shop.identity()
        raise Conflict(
            f"This backup holds the records of another shop ('{foreign}'), not of "
            f"'{ident.name if ident else ''}'. Restoring it would replace this shop's records "
            "with that shop's. Nothing was changed."
        )
    if info.schema_version > len(MIGRATIONS):
        raise DatabaseTooNew(
            f"That backup was made by a newer JewelerDesk ({info.app_version}). Update the app "
            "first.",
            where=str(folder),
        )
    try:  # the certificates and invoices issued so far are out in the world
        issued = sales_store.highest_certificate_serial(shop.db)
        invoiced = sales_store.highest_invoice_serial(shop.db)
        # who works here now: a restore puts back records, not last year's staff and PINs
        people = staff_store.all_staff(shop.db, include_inactive=True)
        idle = staff_store.idle_minutes(shop.db)
    except sqlite3.DatabaseError:
        issued = invoiced = idle = 0  # too damaged to read
        people = None
    if keep_current:
        try:
            back_up(shop, reason="before-restore")
        except StorageError as exc:
            # The current records are what is damaged: keep them byte for byte instead.
            log.warning("current records could not be backed up before restoring: %s", exc)
            set_aside_damaged(shop)
    else:
        set_aside_damaged(shop)
    source = database.open_readonly(folder / DB_NAME)
    try:
        audit.register(source.conn, audit.Actor())  # read-only: for the log's own checks
        broken = list(audit.chain_problems(source))
        broken += [m.text(f"#{m.row_key}") for m in audit.unlogged_changes(source)[:1]]
        if broken:
            raise StorageError(
                f"The backup's records were changed outside JewelerDesk ({broken[0]}); it is "
                "not used.",
                where=str(folder),
            )
        backed = DocumentFiles(folder / "documents")
        for sha in sorted(records.all_document_hashes(source)):
            if not backed.exists(sha):
                continue  # the backup says it could not include it; 'check' will name it
            if shop.files.exists(sha) and not shop.files.verify(sha):
                shop.files.path_for(sha).unlink()  # damaged: the backup's copy replaces it
            if not shop.files.exists(sha):
                shop.files.put(backed.path_for(sha))
        database.copy_into(source, shop.db)
    finally:
        source.close()
    database.migrate(shop.db)
    with shop.db.atomic():
        if issued > sales_store.highest_certificate_serial(shop.db):
            sales_store.note_serial_floor(shop.db, issued)  # never reuse a number given out
        if invoiced > sales_store.highest_invoice_serial(shop.db):
            sales_store.note_serial_floor(shop.db, invoiced, sales_store.INVOICE_FLOOR)
        if people is not None:
            staff_store.carry_over(shop.db, people)
            if staff_store.idle_minutes(shop.db) != idle:
                staff_store.set_idle_minutes(shop.db, idle)
    try:
        _remember_restore(shop, info)
    except OSError as exc:
        log.warning("could not note the restore: %s", exc)
    log.info("restored from %s by %s", folder, shop.actor.name)
    return info
