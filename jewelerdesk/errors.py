"""Known errors: things a shop owner can fix (bad file, full disk, locked database).

Anything else that escapes is a bug and goes to the crash handler with the log path.
Every message is written for the person at the counter, not for a programmer.
"""

from __future__ import annotations


class JewelerDeskError(Exception):
    """A problem the user can understand and act on."""

    def __init__(self, message: str, *, field: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.where = where

    def __str__(self) -> str:
        if self.where:
            return f"{self.where}: {self.message}"
        return self.message


class ValidationError(JewelerDeskError):
    """One or more fields of a record are not acceptable; ``errors`` maps field -> message."""

    def __init__(self, errors: dict[str, str], *, where: str | None = None):
        self.errors = dict(errors)
        first_field, first_msg = next(iter(self.errors.items()))
        super().__init__(first_msg, field=first_field, where=where)

    def __str__(self) -> str:
        parts = [f"{f}: {m}" for f, m in self.errors.items()]
        text = "; ".join(parts)
        return f"{self.where}: {text}" if self.where else text


class NotFound(JewelerDeskError):
    """A record the user named does not exist."""


class Conflict(JewelerDeskError):
    """The action clashes with what is already recorded (duplicate SKU, overdraw of a lot...)."""


class CriticalGaps(Conflict):
    """A piece to be sold has an open critical gap (a sanctions hit, a Russian diamond...):
    sold only when the user says so again, knowingly."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


class BadDocument(JewelerDeskError):
    """An attached file cannot be accepted (corrupt, encrypted, empty, wrong type, too big)."""


class StorageError(JewelerDeskError):
    """The data directory or database cannot be used (locked, full, damaged, too new)."""


class DatabaseTooNew(StorageError):
    """The database was written by a newer JewelerDesk."""


class Cancelled(JewelerDeskError):
    """The user stopped a long job; whatever it had started is undone."""


class NotAllowed(JewelerDeskError):
    """The action needs someone else's say-so: a manager's PIN, or a signed-in staff member."""
