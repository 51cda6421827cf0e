"""Content-addressed document files: ``documents/ab/<sha256>``.

A file is copied to a ``.part`` temp file while hashing, fsynced, renamed into place and its
folder fsynced; only then may a database row point at it. The stored bytes are the original
bytes, unchanged, so a document's hash proves it is the paper the supplier sent.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import StorageError

CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


class DocumentFiles:
    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / ".incoming"

    def path_for(self, sha256: str) -> Path:
        """Where a file lives. The name must be a SHA-256 in hex: a name taken from a database
        someone handed us (a backup) can never point outside the store ("../")."""
        if len(sha256) != 64 or not _HEX.issuperset(sha256):
            raise StorageError(
                "A document is listed under a name that is not a SHA-256 hash; the records "
                "naming it were not written by JewelerDesk. Nothing was changed."
            )
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, source: Path) -> tuple[str, int]:
        """Store a copy of ``source``; returns (sha256, size). Idempotent for identical bytes."""

        def copy(dst: BinaryIO, digest: Any) -> int:
            size = 0
            with open(source, "rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
            return size

        return self._store(copy, "document", str(source))

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data`` (an issued certificate, say) the same way as a copied file."""

        def write(dst: BinaryIO, digest: Any) -> int:
            digest.update(data)
            dst.write(data)
            return len(data)

        return self._store(write, "file", None)

    def _store(
        self, fill: Callable[[BinaryIO, Any], int], what: str, where: str | None
    ) -> tuple[str, int]:
        """Write to a ``.part`` file while hashing, fsync, rename into place, fsync the folder."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        part = self.tmp / f"{os.getpid()}-{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        try:
            with open(part, "wb") as dst:
                size = fill(dst, digest)
                dst.flush()
                os.fsync(dst.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file() and final.stat().st_size == size:
                part.unlink()
                return sha, size
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)
            _fsync_dir(final.parent)
            return sha, size
        except OSError as exc:
            part.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise StorageError(
                    f"The disk is full, so the {what} was not stored. Free some space and try again.",
                    where=where,
                ) from exc
            raise StorageError(
                f"The {what} could not be stored: {exc.strerror or exc}", where=where
            ) from exc

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        return path.is_file() and file_sha256(path) == sha256

    def sweep(self, referenced: set[str] | None = None, *, min_age_s: float = 3600) -> int:
        """Remove temp files left by a crash (and, given the referenced set, orphan blobs).

        Only files older than ``min_age_s`` go: a younger one may belong to an attach that
        another window is finishing right now. Returns how many files were removed.
        """
        removed = sweep_parts(self.tmp, min_age_s)
        cutoff = time.time() - min_age_s
        if referenced is not None and self.root.is_dir():
            for sub in self.root.iterdir():
                if not sub.is_dir() or len(sub.name) != 2:
                    continue
                for blob in sub.iterdir():
                    if blob.name not in referenced and blob.stat().st_mtime <= cutoff:
                        blob.unlink(missing_ok=True)
                        removed += 1
        return removed


#: "<pid>-<hex>.part" (documents), ".<name>.<pid>-<hex>.part" (write_atomic),
#: "<name>.<pid>.part" (backups and database copies)
_PID = re.compile(r"(?:^|\.)(\d+)(?:-[0-9a-f]{8,32})?\.part$")


def _writer_alive(name: str) -> bool | None:
    """Whether the process named in a temp file's name still runs (None: no process named)."""
    m = _PID.search(name)
    if not m:
        return None
    pid = int(m.group(1))
    if pid == os.getpid():
        return None  # this very process: another of its threads may be writing; go by age
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: leave its files alone
    return True


def _windows_pid_alive(pid: int) -> bool | None:
    """On Windows os.kill(pid, 0) sends Ctrl+C instead of testing: ask the kernel."""
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    try:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(query_limited_information, False, pid)
        if not handle:
            return False  # no such process (or none we may see: then its files are old)
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return None
            return code.value == still_active
        finally:
            kernel32.CloseHandle(handle)
    except (AttributeError, OSError):
        return None


def sweep_parts(folder: Path, min_age_s: float = 3600) -> int:
    """Remove the ``.part`` files and folders a crash left in ``folder``: at once when the
    process that wrote one is gone, else (no process named) once older than ``min_age_s``.
    A file another running process is still writing is never touched."""
    import shutil

    removed = 0
    if not folder.is_dir():
        return 0
    cutoff = time.time() - min_age_s
    for stray in folder.glob("*.part"):
        alive = _writer_alive(stray.name)
        try:
            stale = alive is False or (alive is None and stray.lstat().st_mtime <= cutoff)
        except OSError:
            continue
        if not stale:
            continue
        if stray.is_dir() and not stray.is_symlink():
            shutil.rmtree(stray, ignore_errors=True)
        else:
            stray.unlink(missing_ok=True)
        removed += 1
    return removed


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (POSIX; a no-op elsewhere)."""
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` so that a crash or a full disk leaves either the old file or
    the whole new one: a ``.part`` file, fsynced, renamed over; the ``.part`` is removed on
    failure. Raises ``OSError`` (the caller says it in the shop's words)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(part, mode)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path
