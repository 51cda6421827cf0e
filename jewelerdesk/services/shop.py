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
from ..store import records
from ..store.database import open_database
from ..store.files import DocumentFiles

log = logging.getLogger(__name__)


class Shop:
    def __init__(self, paths: DataPaths, db: sqlite_utils.Database):
        self.paths = paths
        self.db = db
        self.files = DocumentFiles(paths.documents)

    @classmethod
    def open(cls, paths: DataPaths, *, sweep: bool = True) -> Shop:
        paths.ensure()
        db = open_database(paths.database, backup_dir=paths.backups)
        shop = cls(paths, db)
        if sweep:
            removed = shop.files.sweep(records.all_document_hashes(db))
            if removed:
                log.info("removed %d leftover document files", removed)
        return shop

    def reopen(self) -> Shop:
        """A second connection to the same shop, for another thread."""
        return Shop.open(self.paths, sweep=False)

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
