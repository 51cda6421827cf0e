"""Optional staff profiles with PINs.

Without profiles the shop works as before and the records log names "owner". Once the first
profile exists (it must be a manager's), every window and command says who is working, the log
names them, and voiding or reissuing a certificate, restoring a backup and managing profiles
need a manager's PIN. The app can also lock itself after a chosen idle time.

A PIN gives accountability, not secrecy: anyone who can copy the data folder can read the
records without it (the README recommends the operating system's disk encryption). PINs are
kept as salted scrypt hashes, and repeated wrong PINs make the next try wait.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotAllowed, NotFound, ValidationError
from ..store import staff as store
from ..store.files import write_atomic
from .shop import Shop

ROLES = ("manager", "staff")
PIN_MIN, PIN_MAX = 4, 8
#: scrypt cost: about 30-60 ms a check, so guessing a 4-digit PIN from the file takes minutes
#: rather than milliseconds (not secrecy: see the module note)
_N, _R, _P = 2**14, 8, 1
MAX_TRIES, WAIT_S = 5, 30.0
_clock = time.time  # wall time: the count is shared with other programs


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    role: str
    active: bool

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def _member(row: dict[str, object]) -> StaffMember:
    return StaffMember(str(row["id"]), str(row["name"]), str(row["role"]), bool(row["active"]))


# ------------------------------------------------------------------------------------- PINs


def check_pin_format(pin: str) -> str:
    pin = pin.strip()
    if not (pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise ValidationError({"pin": f"A PIN is {PIN_MIN} to {PIN_MAX} digits."})
    return pin


def hash_pin(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            pin.strip().encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


class _Throttle:
    """Wrong PINs per shop: after MAX_TRIES in a row, the next try must wait WAIT_S. Kept in a
    small file in the data folder as well as in memory, so neither a restart of the app nor a
    loop of command-line calls starts the count afresh."""

    FILE = "pin-tries.json"

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, float]] = {}

    def _load(self, key: str) -> tuple[int, float]:
        count, last = self.failures.get(key, (0, 0.0))
        try:
            data = json.loads((Path(key) / self.FILE).read_text("utf-8"))
            if int(data["count"]) > count:
                count, last = int(data["count"]), float(data["last"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return count, last

    def _save(self, key: str, count: int, last: float) -> None:
        self.failures[key] = (count, last)
        path = Path(key) / self.FILE
        try:
            if count:
                write_atomic(path, json.dumps({"count": count, "last": last}).encode(), 0o600)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass  # the count in memory still applies to this program

    def check(self, key: str) -> None:
        count, last = self._load(key)
        if count >= MAX_TRIES:
            left = WAIT_S - (_clock() - last)
            if left > 0:
                raise NotAllowed(
                    f"Too many wrong PINs. Wait {math.ceil(left)} seconds and try again."
                )

    def failed(self, key: str) -> None:
        count, _ = self._load(key)
        self._save(key, count + 1, _clock())

    def passed(self, key: str) -> None:
        if self._load(key)[0]:
            self._save(key, 0, 0.0)


_throttle = _Throttle()


# -------------------------------------------------------------------------------- profiles


def enabled(shop: Shop) -> bool:
    """Whether the shop uses staff profiles (at least one active profile)."""
    return store.any_active(shop.db)


def list_staff(shop: Shop, include_inactive: bool = False) -> list[StaffMember]:
    return [_member(r) for r in store.all_staff(shop.db, include_inactive)]


def _find(shop: Shop, name: str) -> dict[str, object]:
    row = store.find(shop.db, name)
    if row is None:
        raise NotFound(f"There is no staff profile named '{name}'.")
    return row


def sign_in(shop: Shop, name: str, pin: str) -> StaffMember:
    """Check a PIN and make this person the one the records log names from now on."""
    key = str(shop.paths.root)
    _throttle.check(key)
    row = store.find(shop.db, name)
    if row is None or not row["active"] or not pin_matches(pin, str(row["pin_hash"])):
        _throttle.failed(key)
        raise NotAllowed("That name and PIN do not match an active staff profile.")
    _throttle.passed(key)
    member = _member(row)
    shop.actor.name = member.name
    return member


def authorise(shop: Shop, manager_pin: str | None, what: str) -> StaffMember | None:
    """A manager's approval of ``what`` ("void a certificate"...). None when the shop has no
    staff profiles (nothing to approve); otherwise the manager whose PIN was given."""
    if not enabled(shop):
        return None
    if not manager_pin:
        raise NotAllowed(f"A manager's PIN is needed to {what}.")
    key = str(shop.paths.root)
    _throttle.check(key)
    for m in store.all_staff(shop.db):
        if m["role"] == "manager" and pin_matches(manager_pin, str(m["pin_hash"])):
            _throttle.passed(key)
            return _member(m)
    _throttle.failed(key)
    raise NotAllowed(f"That is not a manager's PIN, so you cannot {what}.")


@contextmanager
def approved_by(shop: Shop, manager: StaffMember | None) -> Iterator[None]:
    """Writes inside are logged as the signed-in person's, approved by the manager."""
    if manager is None or manager.name == shop.actor.name:
        yield
        return
    before = shop.actor.name
    shop.actor.name = f"{before} (approved by {manager.name})"
    try:
        yield
    finally:
        shop.actor.name = before


def add_staff(
    shop: Shop, name: str, role: str, pin: str, manager_pin: str | None = None
) -> StaffMember:
    """Add a profile. The first one must be a manager's; after that a manager's PIN is needed."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Enter the person's name."
    elif len(name) > 60:
        errors["name"] = "A name is at most 60 characters."
    if role not in ROLES:
        errors["role"] = "The role is manager or staff."
    try:
        pin = check_pin_format(pin)
    except ValidationError as exc:
        errors.update(exc.errors)
    first = not enabled(shop)
    if first and role != "manager" and "role" not in errors:
        errors["role"] = "The first profile must be a manager's, so someone can approve changes."
    if errors:
        raise ValidationError(errors)
    manager = None if first else authorise(shop, manager_pin, "add a staff profile")
    if store.find(shop.db, name) is not None:
        raise ValidationError({"name": f"There is already a profile named '{name}'."})
    with approved_by(shop, manager), shop.db.atomic():
        sid = store.insert(shop.db, name, role, hash_pin(pin))
    if first:
        shop.actor.name = name  # whoever set profiles up is working as that manager
    return StaffMember(sid, name, role, True)


def change_pin(shop: Shop, name: str, new_pin: str, manager_pin: str | None) -> None:
    """A new PIN for someone (forgotten PINs too): a manager approves."""
    new_pin = check_pin_format(new_pin)
    row = _find(shop, name)
    manager = authorise(shop, manager_pin, "change a PIN")
    with approved_by(shop, manager), shop.db.atomic():
        store.set_pin_hash(shop.db, str(row["id"]), hash_pin(new_pin))


def deactivate(shop: Shop, name: str, manager_pin: str | None) -> None:
    """Someone has left. The profile stays (the log names it) but can no longer sign in. The
    last active manager cannot be removed: nobody could approve anything after."""
    row = _find(shop, name)
    manager = authorise(shop, manager_pin, "remove a staff profile")
    managers = [m for m in store.all_staff(shop.db) if m["role"] == "manager"]
    if row["role"] == "manager" and len(managers) == 1 and row["active"]:
        others = [m for m in store.all_staff(shop.db) if m["id"] != row["id"]]
        if others:
            raise ValidationError(
                {"name": "This is the last manager. Make someone else a manager first."}
            )
    with approved_by(shop, manager), shop.db.atomic():
        store.set_active(shop.db, str(row["id"]), False)


def idle_lock_minutes(shop: Shop) -> int:
    """Minutes without a key or click before the app locks (0: never)."""
    return store.idle_minutes(shop.db)


def set_idle_lock_minutes(shop: Shop, minutes: int, manager_pin: str | None = None) -> None:
    if not 0 <= minutes <= 240:
        raise ValidationError({"idle_lock": "Choose 0 (never) to 240 minutes."})
    manager = authorise(shop, manager_pin, "change when the app locks")
    with approved_by(shop, manager), shop.db.atomic():
        store.set_idle_minutes(shop.db, minutes)
