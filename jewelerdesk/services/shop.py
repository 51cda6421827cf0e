"""The open shop: its data folder, database connection and document files.

One ``Shop`` per thread: SQLite connections are not shared between threads, so a background
task opens its own with :meth:`Shop.reopen`.
"""

from __future__ import annotations

import logging
import sqlite3

import sqlite_utils

from ..domain.model import ShopIdentity
from ..paths import DataPaths
from ..store import audit, records
from ..store.database import needs_update, open_database
from ..store.files import DocumentFiles, sweep_parts

log = logging.getLogger(__name__)


class Shop:
    def __init__(
        self, paths: DataPaths, db: sqlite_utils.Database, actor: audit.Actor | None = None
    ):
        self.paths = paths
        self.db = db
        self.files = DocumentFiles(paths.documents)
        #: who the audit log names for this shop's writes (shared with reopened connections)
        self.actor = actor or audit.Actor()

    @classmethod
    def open(
        cls, paths: DataPaths, *, sweep: bool = True, actor: audit.Actor | None = None
    ) -> Shop:
        paths.ensure()
        actor = actor or audit.Actor()
        db = open_database(paths.database, backup_dir=paths.backups, actor=actor)
        shop = cls(paths, db, actor)
        if sweep:
            removed = shop.files.sweep(records.all_document_hashes(db))
            # unfinished writes a crash left: signing keys, backups, files in the data folder
            for folder in (paths.keys, paths.backups, paths.root):
                removed += sweep_parts(folder)
            if removed:
                log.info("removed %d leftover temp or document files", removed)
        return shop

    @staticmethod
    def needs_update(paths: DataPaths) -> bool:
        """True when opening will first update records an older JewelerDesk wrote (a copy
        is kept first; it can take a minute on a large shop)."""
        return needs_update(paths.database)

    def reopen(self) -> Shop:
        """A second connection to the same shop, for another thread."""
        return Shop.open(self.paths, sweep=False, actor=self.actor)

    def close(self) -> None:
        self.db.close()

    def changes(self) -> int | None:
        """Rows written through this connection since it opened (None once it is closed)."""
        try:
            return int(self.db.conn.total_changes)
        except sqlite3.ProgrammingError:
            return None

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Shop identity -----------------------------------------------------------------
    def identity(self) -> ShopIdentity | None:
        return records.get_shop(self.db)

    def is_set_up(self) -> bool:
        return self.identity() is not None
