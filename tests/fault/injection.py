"""Failure injection at the low-level steps an operation really takes.

An :class:`Injector` counts the operation's *steps* in the order they happen and makes step
``k`` fail. Steps are the calls that change something on disk or in the database:

* SQL statements through the shop's connection (``execute``/``executemany``/``executescript``,
  cursors included) that write, control a transaction, or run while one is open; pure reads
  outside a transaction (and the savepoint sqlite_utils wraps around each ``query``) are not
  steps: stopping before one leaves the same disk state as stopping before the next write;
* ``open`` for writing and each ``write``/``flush`` on such a file; ``os.open`` for writing,
  ``os.write``, ``os.fsync``, ``os.replace``/``os.rename``, ``os.unlink``/``os.remove``,
  ``os.mkdir``, ``os.chmod``;
* starting a subprocess (the document reader); what runs inside ``subprocess.run`` is not
  counted.

Two kinds of failure:

``crash``
    :class:`SimulatedCrash` (a ``BaseException``, so no ``except OSError`` handler takes it)
    at step ``k``, and at every later step and read: the process is gone, nothing after that
    point reaches the disk, not even a rollback or a clean-up. A file write that crashes writes
    half its bytes first. The caller then lets go of the connection with :func:`drop` (what
    the OS does for a dead process) and reopens the shop.
``error``
    one realistic error at step ``k`` (``OSError(EIO)`` for a file step,
    ``sqlite3.OperationalError('disk I/O error')`` for SQL); everything else runs normally, so
    the product's own error handling (rollback, temp-file removal) is exercised.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_REAL = {
    name: getattr(os, name)
    for name in (
        "fsync",
        "replace",
        "rename",
        "unlink",
        "remove",
        "mkdir",
        "chmod",
        "open",
        "write",
    )
}
_REAL_OPEN = builtins.open
_REAL_RUN = subprocess.run
_QUERY_SAVEPOINT = '"SQLITE_UTILS_QUERY"'
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SimulatedCrash(BaseException):
    """The process died at this point."""


def _is_read(sql: str) -> bool:
    s = sql.lstrip().upper()
    if s.startswith(("SELECT", "EXPLAIN")):
        return True
    if s.startswith("PRAGMA"):
        return "=" not in s and not any(
            k in s for k in ("CHECKPOINT", "OPTIMIZE", "INCREMENTAL_VACUUM", "SHRINK_MEMORY")
        )
    if s.startswith("WITH"):
        return not any(k in s for k in ("INSERT", "UPDATE", "DELETE", "REPLACE"))
    return False


def _short(sql: str) -> str:
    return " ".join(sql.split())[:70]


class Injector:
    def __init__(self, fail_at: int | None = None, mode: str = "crash"):
        assert mode in ("crash", "error")
        self.fail_at = fail_at
        self.mode = mode
        self.steps: list[str] = []
        self.crashed = False
        self.fired: str | None = None
        self._quiet = 0  # inside a call whose internals are not steps

    @property
    def counting(self) -> bool:
        return self._quiet == 0

    def alive(self) -> None:
        if self.crashed:
            raise SimulatedCrash("the process is gone")

    def step(
        self,
        label: str,
        error: Callable[[], BaseException],
        partial: Callable[[], object] | None = None,
    ) -> None:
        self.alive()
        self.steps.append(label)
        if len(self.steps) != self.fail_at:
            return
        self.fired = label
        if self.mode == "error":
            raise error()
        if partial is not None:
            partial()
        self.crashed = True
        raise SimulatedCrash(f"crash at step {len(self.steps)}: {label}")

    def file_step(self, label: str, partial: Callable[[], object] | None = None) -> None:
        self.step(
            label, lambda: OSError(errno.EIO, f"Input/output error (injected: {label})"), partial
        )

    def sql(self, sql: str, in_transaction: bool) -> None:
        if not self.counting:
            return
        if in_transaction or not _is_read(sql):
            self.step(_short(sql), lambda: sqlite3.OperationalError("disk I/O error"))
        else:
            self.alive()


# ----------------------------------------------------------------------------- the connection


class CursorProxy:
    def __init__(self, cur: sqlite3.Cursor, conn: ConnProxy):
        object.__setattr__(self, "_cur", cur)
        object.__setattr__(self, "_conn", conn)

    def execute(self, sql: str, *args: Any) -> Any:
        self._conn._see(sql)
        self._cur.execute(sql, *args)
        return self

    def executemany(self, sql: str, seq: Any) -> Any:
        self._conn._see(sql)
        self._cur.executemany(sql, seq)
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._cur, name, value)


class ConnProxy:
    """Stands in for a ``sqlite3.Connection``; every statement goes past the injector."""

    def __init__(self, conn: sqlite3.Connection, inj: Injector):
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_inj", inj)
        object.__setattr__(self, "_read_savepoint", False)

    def _see(self, sql: str) -> None:
        """sqlite_utils wraps each ``query`` in a savepoint; outside a transaction that
        savepoint and the read inside it change nothing, so they are not steps."""
        head = sql.lstrip().upper()
        if _QUERY_SAVEPOINT in head:
            if head.startswith("SAVEPOINT") and not self._conn.in_transaction:
                object.__setattr__(self, "_read_savepoint", True)
                self._inj.alive()
                return
            if self._read_savepoint and head.startswith(("RELEASE", "ROLLBACK")):
                if head.startswith("RELEASE"):
                    object.__setattr__(self, "_read_savepoint", False)
                self._inj.alive()
                return
        try:
            self._inj.sql(sql, self._conn.in_transaction and not self._read_savepoint)
        except sqlite3.OperationalError as exc:
            # raised as if from inside the product's own connection, which says storage
            # failures in the shop's words (see store.database._Connection)
            translate = getattr(self._conn, "_translate", None)
            raise (translate(exc) if translate else exc) from exc

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._see(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, seq: Any) -> sqlite3.Cursor:
        self._see(sql)
        return self._conn.executemany(sql, seq)

    def executescript(self, script: str) -> sqlite3.Cursor:
        self._see(script)
        return self._conn.executescript(script)

    def cursor(self, *args: Any) -> CursorProxy:
        return CursorProxy(self._conn.cursor(*args), self)

    def close(self) -> None:
        if self._inj.crashed:
            drop(self._conn)
        self._conn.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


# ----------------------------------------------------------------------------- files


class WriteProxy:
    """A file opened for writing: each write and flush is a step."""

    def __init__(self, fh: Any, inj: Injector, name: str):
        self._fh = fh
        self._inj = inj
        self._name = name

    def write(self, data: Any) -> int:
        def half() -> None:
            self._fh.write(data[: len(data) // 2])

        if self._inj.counting:
            self._inj.file_step(f"write {self._name}", half)
        return self._fh.write(data)

    def flush(self) -> None:
        if self._inj.counting:
            self._inj.file_step(f"flush {self._name}")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> WriteProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


def _name(path: Any) -> str:
    try:
        return Path(os.fsdecode(path)).name
    except TypeError:
        return f"fd {path}"


@contextmanager
def instrument(
    inj: Injector, db: Any = None, on_connect: Callable[[Any], None] | None = None
) -> Iterator[Injector]:
    """Route the operation's steps through ``inj`` while the block runs.

    ``db`` is a sqlite_utils Database whose connection is watched; with ``on_connect``,
    every connection ``jewelerdesk.store.database.connect`` makes is watched too (and handed
    to ``on_connect``), for operations that open their own (migrations).
    """
    from jewelerdesk.store import database

    saved: list[tuple[Any, str, Any]] = []

    def patch(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def simple(name: str, label: Callable[..., str]) -> None:
        real = _REAL[name]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if inj.counting:
                inj.file_step(label(*args))
            return real(*args, **kwargs)

        patch(os, name, wrapper)

    simple("fsync", lambda fd, *a: "fsync")
    simple("replace", lambda src, dst, *a: f"rename into {_name(dst)}")
    simple("rename", lambda src, dst, *a: f"rename into {_name(dst)}")
    simple("unlink", lambda p, *a: f"unlink {_name(p)}")
    simple("remove", lambda p, *a: f"unlink {_name(p)}")
    simple("mkdir", lambda p, *a: f"mkdir {_name(p)}")
    simple("chmod", lambda p, *a: f"chmod {_name(p)}")

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if inj.counting:
            if flags & _WRITE_FLAGS:
                inj.file_step(f"create {_name(path)}")
            else:
                inj.alive()
        return _REAL["open"](path, flags, *args, **kwargs)

    def os_write(fd: int, data: Any) -> int:
        def half() -> None:
            _REAL["write"](fd, bytes(data)[: len(data) // 2])

        if inj.counting:
            inj.file_step("write", half)
        return _REAL["write"](fd, data)

    def py_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if not inj.counting:
            return _REAL_OPEN(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+"):
            inj.file_step(f"open {_name(file)} for writing")
            return WriteProxy(_REAL_OPEN(file, mode, *args, **kwargs), inj, _name(file))
        inj.alive()
        return _REAL_OPEN(file, mode, *args, **kwargs)

    def run(*args: Any, **kwargs: Any) -> Any:
        if inj.counting:
            inj.file_step("start a subprocess")
        inj._quiet += 1
        try:
            return _REAL_RUN(*args, **kwargs)
        finally:
            inj._quiet -= 1

    patch(os, "open", os_open)
    patch(os, "write", os_write)
    patch(builtins, "open", py_open)
    patch(io, "open", py_open)
    patch(subprocess, "run", run)

    if on_connect is not None:
        real_connect = database.connect

        def connect(*args: Any, **kwargs: Any) -> Any:
            made = real_connect(*args, **kwargs)
            made.conn = ConnProxy(made.conn, inj)
            on_connect(made)
            return made

        patch(database, "connect", connect)

    real_conn = None
    if db is not None:
        real_conn = db.conn
        db.conn = ConnProxy(real_conn, inj)
    try:
        yield inj
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)
        if db is not None:
            db.conn = real_conn


def real_connection(db: Any) -> sqlite3.Connection:
    conn = db.conn
    return conn._conn if isinstance(conn, ConnProxy) else conn


def drop(conn: sqlite3.Connection) -> None:
    """What the OS does to a dead process's connection: its open transaction and its locks are
    gone. (Closing alone is not enough here: a cursor kept alive by a traceback keeps a closed
    connection, its transaction and the write lock alive.)"""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass
    conn.close()


class FailingStatements:
    """A connection whose first ``times`` statements containing ``needle`` fail with SQLite's
    I/O error (reads included): for faults that a step-by-step sweep does not reach."""

    def __init__(self, conn: sqlite3.Connection, needle: str, times: int = 1):
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_needle", needle.upper())
        object.__setattr__(self, "left", times)
        object.__setattr__(self, "failed", [])

    def _see(self, sql: str) -> None:
        if self.left and self._needle in " ".join(sql.upper().split()):
            object.__setattr__(self, "left", self.left - 1)
            self.failed.append(_short(sql))
            raise sqlite3.OperationalError("disk I/O error")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._see(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, seq: Any) -> sqlite3.Cursor:
        self._see(sql)
        return self._conn.executemany(sql, seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)
