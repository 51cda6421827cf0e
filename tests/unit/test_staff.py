"""Staff profiles and PINs: who the records log names, and what needs a manager's PIN."""

from __future__ import annotations

from pathlib import Path

import pytest

from jewelerdesk.errors import NotAllowed, ValidationError
from jewelerdesk.services import backup, certificates, sales, staff
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit


@pytest.fixture
def staffed(demo_shop: Shop) -> Shop:
    staff.add_staff(demo_shop, "Manager", "manager", "4821")
    staff.add_staff(demo_shop, "Counter", "staff", "1111", manager_pin="4821")
    return demo_shop


def test_without_profiles_nothing_asks_for_a_pin(demo_shop: Shop) -> None:
    assert not staff.enabled(demo_shop)
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"]))
    issued = certificates.issue_certificate(demo_shop, "R-0001")
    certificates.void(demo_shop, issued.certificate.number, "sold in error")
    assert audit.entries(demo_shop.db, limit=1)[0].actor == "owner"


def test_the_first_profile_must_be_a_manager(demo_shop: Shop) -> None:
    with pytest.raises(ValidationError) as err:
        staff.add_staff(demo_shop, "Counter", "staff", "1111")
    assert "first profile must be a manager" in err.value.errors["role"]
    assert not staff.enabled(demo_shop)


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "    "])
def test_a_pin_is_four_to_eight_digits(demo_shop: Shop, pin: str) -> None:
    with pytest.raises(ValidationError, match="4 to 8 digits"):
        staff.add_staff(demo_shop, "Manager", "manager", pin)


def test_pins_are_stored_as_salted_hashes(staffed: Shop) -> None:
    rows = staffed.db.execute("SELECT name, pin_hash FROM staff").fetchall()
    hashes = {name: h for name, h in rows}
    for h in hashes.values():
        scheme, _n, _r, _p, salt, digest = h.split("$")
        assert scheme == "scrypt" and len(salt) == 32 and len(digest) == 64
    assert staff.pin_matches("4821", hashes["Manager"]) and not staff.pin_matches(
        "4822", hashes["Manager"]
    )
    # the same PIN twice gives different hashes (salted)
    staff.add_staff(staffed, "Workshop", "staff", "1111", manager_pin="4821")
    again = staffed.db.execute("SELECT pin_hash FROM staff WHERE name = 'Workshop'").fetchone()[0]
    assert again != hashes["Counter"]


def test_adding_a_profile_needs_a_managers_pin(staffed: Shop) -> None:
    with pytest.raises(NotAllowed, match="manager's PIN is needed"):
        staff.add_staff(staffed, "Workshop", "staff", "2222")
    with pytest.raises(NotAllowed, match="not a manager's PIN"):
        staff.add_staff(
            staffed, "Workshop", "staff", "2222", manager_pin="1111"
        )  # Counter is staff
    with pytest.raises(ValidationError, match="already a profile"):
        staff.add_staff(staffed, "manager", "staff", "2222", manager_pin="4821")


def test_sign_in_names_the_person_in_the_log(staffed: Shop) -> None:
    with pytest.raises(NotAllowed, match="do not match"):
        staff.sign_in(staffed, "Counter", "1112")
    member = staff.sign_in(staffed, "counter", "1111")
    assert member.name == "Counter" and not member.is_manager
    sales.sell(staffed, sales.SaleRequest(["R-0002"]))
    assert {e.actor for e in audit.entries(staffed.db, limit=5)} == {"Counter"}


def test_void_and_reissue_need_a_managers_pin_and_log_who_approved(staffed: Shop) -> None:
    staff.sign_in(staffed, "Counter", "1111")
    sales.sell(staffed, sales.SaleRequest(["R-0001"]))
    number = certificates.issue_certificate(staffed, "R-0001").certificate.number
    with pytest.raises(NotAllowed, match="manager's PIN is needed to reissue"):
        certificates.reissue(staffed, number, "typo")
    with pytest.raises(NotAllowed, match="not a manager's PIN"):
        certificates.reissue(staffed, number, "typo", manager_pin="1111")
    assert len(certificates.certificates_of(staffed, "R-0001")) == 1  # nothing happened
    certificates.reissue(staffed, number, "typo", manager_pin="4821")
    assert audit.entries(staffed.db, limit=1)[0].actor == "Counter (approved by Manager)"
    with pytest.raises(NotAllowed, match="void a certificate"):
        certificates.void(staffed, number, "sold in error")
    certificates.void(staffed, number, "sold in error", manager_pin="4821")
    assert certificates.get_certificate(staffed, number).status == "voided"
    assert staffed.actor.name == "Counter"  # the approval lasted for that change only


def test_restore_needs_a_managers_pin(staffed: Shop, tmp_path: Path) -> None:
    made = backup.back_up(staffed, tmp_path / "usb")
    with pytest.raises(NotAllowed, match="restore a backup"):
        backup.restore(staffed, made.folder)
    backup.restore(staffed, made.folder, manager_pin="4821")


def test_wrong_pins_make_the_next_try_wait(staffed: Shop, monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(staff, "_clock", lambda: clock[0])
    for _ in range(staff.MAX_TRIES):
        with pytest.raises(NotAllowed, match="do not match"):
            staff.sign_in(staffed, "Counter", "0000")
    with pytest.raises(NotAllowed, match="Wait 30 seconds"):
        staff.sign_in(staffed, "Counter", "1111")  # even the right PIN waits
    # a restart (or another program on the same data folder) does not start afresh
    monkeypatch.setattr(staff, "_throttle", staff._Throttle())
    with pytest.raises(NotAllowed, match="Wait 30 seconds"):
        staff.sign_in(staffed, "Counter", "1111")
    with pytest.raises(NotAllowed, match="Wait 30 seconds"):
        staff.authorise(staffed, "4821", "void a certificate")  # the manager's PIN waits too
    clock[0] += staff.WAIT_S + 1
    assert staff.sign_in(staffed, "Counter", "1111").name == "Counter"
    assert not (staffed.paths.root / staff._Throttle.FILE).exists()  # the count is cleared


def test_someone_who_left_cannot_sign_in_but_stays_in_the_log(staffed: Shop) -> None:
    staff.sign_in(staffed, "Counter", "1111")
    sales.sell(staffed, sales.SaleRequest(["R-0002"]))
    staff.deactivate(staffed, "Counter", manager_pin="4821")
    with pytest.raises(NotAllowed):
        staff.sign_in(staffed, "Counter", "1111")
    assert [m.name for m in staff.list_staff(staffed)] == ["Manager"]
    assert "Counter" in [m.name for m in staff.list_staff(staffed, include_inactive=True)]
    with pytest.raises(Exception, match="inactive, not deleted"):
        staffed.db.execute("DELETE FROM staff WHERE name = 'Counter'")


def test_the_last_manager_cannot_be_removed_while_others_remain(staffed: Shop) -> None:
    with pytest.raises(ValidationError, match="last manager"):
        staff.deactivate(staffed, "Manager", manager_pin="4821")


def test_a_forgotten_pin_is_reset_by_a_manager(staffed: Shop) -> None:
    with pytest.raises(NotAllowed):
        staff.change_pin(staffed, "Counter", "9999", manager_pin="1111")
    staff.change_pin(staffed, "Counter", "9999", manager_pin="4821")
    assert staff.sign_in(staffed, "Counter", "9999").name == "Counter"
    # the log shows a change to the profile, never the PIN itself
    entry = audit.entries(staffed.db, limit=1)[0]
    assert entry.tbl == "staff" and "9999" not in (entry.after or "")
    assert "pin hash" not in audit.summary(entry)


def test_idle_lock_time_is_a_managers_setting(staffed: Shop) -> None:
    assert staff.idle_lock_minutes(staffed) == 0
    with pytest.raises(NotAllowed):
        staff.set_idle_lock_minutes(staffed, 5)
    with pytest.raises(ValidationError):
        staff.set_idle_lock_minutes(staffed, 500, manager_pin="4821")
    staff.set_idle_lock_minutes(staffed, 5, manager_pin="4821")
    assert staff.idle_lock_minutes(staffed) == 5
