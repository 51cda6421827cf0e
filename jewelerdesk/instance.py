"""One JewelerDesk window per data folder, and a warning for folders on a network share.

The lock is an OS file lock (``flock`` / ``msvcrt.locking``) on ``jewelerdesk.lock`` in the data
folder: the operating system drops it when the process ends, however it ends, so a crash never
leaves a stale lock behind. The file also holds the holder's process id, for the message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from .errors import StorageError
from .paths import DataPaths

LOCK_NAME = "jewelerdesk.lock"
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs",
     "fuse.davfs", "davfs", "fuse.rclone", "fuse.s3fs"}
)  # fmt: skip


class AlreadyOpen(StorageError):
    """Another JewelerDesk window has this data folder open."""


class InstanceLock:
    def __init__(self, paths: DataPaths):
        self.path = paths.root / LOCK_NAME
        self._fh: IO[str] | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 (held while the app runs)
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another"
            fh.close()
            raise AlreadyOpen(
                f"JewelerDesk is already open on this data folder (process {holder}). Switch to "
                "that window, or close it before opening the shop again.",
                where=str(self.path.parent),
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            try:
                _unlock(self._fh)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows
    import msvcrt

    def _lock(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network filesystem ``path`` lives on ("nfs", "cifs", "a network drive"...), or None.

    SQLite's locking is unreliable on network shares (RELIABILITY-NOTES), so the app warns.
    """
    resolved = str(path.expanduser().resolve())
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        if resolved.startswith("\\\\"):
            return "a network share"
        import ctypes

        drive = os.path.splitdrive(resolved)[0] + "\\"
        return "a network drive" if ctypes.windll.kernel32.GetDriveTypeW(drive) == 4 else None
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    best, kind = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (resolved == point or resolved.startswith(point.rstrip("/") + "/")) and len(
            point
        ) >= len(best):
            best, kind = point, parts[2]
    return kind if kind in NETWORK_FILESYSTEMS else None
