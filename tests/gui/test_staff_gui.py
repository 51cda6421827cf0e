"""Staff profiles in the GUI: signing in, the lock (by hand and when idle), adding people, and a
manager's PIN before a certificate is voided."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog

from jewelerdesk.services import certificates, sales, staff
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit
from jewelerdesk.ui.dialogs.certificate import CertificateDialog
from jewelerdesk.ui.dialogs.staff import NewPersonDialog, SignInDialog, StaffDialog
from jewelerdesk.ui.main_window import MainWindow


@pytest.fixture
def staffed(demo_shop: Shop) -> Shop:
    staff.add_staff(demo_shop, "Manager", "manager", "4821")
    staff.add_staff(demo_shop, "Counter", "staff", "1111", manager_pin="4821")
    demo_shop.actor.name = "owner"
    return demo_shop


def wait_ready(qtbot, dialog: CertificateDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30000)


def sign_in_as(dialog: SignInDialog, name: str, pin: str) -> None:
    dialog.name.setCurrentIndex(dialog.name.findData(name))
    dialog.pin.setText(pin)
    dialog.accept()


def test_sign_in_refuses_a_wrong_pin_and_names_the_person(qtbot, staffed: Shop) -> None:
    dialog = SignInDialog(staffed)
    qtbot.addWidget(dialog)
    assert [dialog.name.itemData(i) for i in range(dialog.name.count())] == ["Counter", "Manager"]
    sign_in_as(dialog, "Counter", "1234")
    assert "do not match" in dialog.error.text() and dialog.pin.text() == ""
    assert dialog.result() == 0 and staffed.actor.name == "owner"
    sign_in_as(dialog, "Counter", "1111")
    assert dialog.result() == 1 and staffed.actor.name == "Counter"


def test_the_window_locks_hides_the_records_and_switches_person(
    qtbot, monkeypatch, staffed: Shop
) -> None:
    staff.set_idle_lock_minutes(staffed, 5, manager_pin="4821")
    window = MainWindow(staffed)
    qtbot.addWidget(window)
    window.show()
    assert window.act_lock.isEnabled() and window.idle.timer.isActive()
    assert window.idle.timer.interval() == 5 * 60_000
    seen: list[bool] = []

    def exec_(d: SignInDialog) -> int:
        seen.append(window.centralWidget().isVisible())
        sign_in_as(d, "Counter", "1111")
        return d.result()

    monkeypatch.setattr(SignInDialog, "exec", exec_)
    window.idle.timer.timeout.emit()  # five idle minutes went by
    assert seen == [False]  # nothing on screen while locked
    assert window.centralWidget().isVisible() and window.who_label.text() == "Signed in: Counter"
    assert window.idle.timer.isActive()  # armed again
    # Quit at the lock closes the window
    monkeypatch.setattr(SignInDialog, "exec", lambda d: 0)
    window.act_lock.trigger()
    assert not window.isVisible()


def test_without_profiles_there_is_no_lock(qtbot, window: MainWindow) -> None:
    assert not window.act_lock.isEnabled() and not window.idle.timer.isActive()
    assert window.who_label.text() == ""


def test_the_first_person_is_a_manager_then_a_manager_approves(qtbot, demo_shop: Shop) -> None:
    first = NewPersonDialog(demo_shop)
    qtbot.addWidget(first)
    assert not first.role.isEnabled() and first.role.currentData() == "manager"
    first.name.setText("Manager")
    first.pin.setText("4821")
    first.pin2.setText("4812")
    first.accept()
    assert "not the same" in first.error.text() and not staff.enabled(demo_shop)
    first.pin2.setText("4821")
    first.accept()
    assert first.result() == 1 and staff.enabled(demo_shop)

    second = NewPersonDialog(demo_shop)
    qtbot.addWidget(second)
    assert second.role.isEnabled() and second.role.currentData() == "staff"  # not a manager
    second.name.setText("Counter")
    second.pin.setText("1111")
    second.pin2.setText("1111")
    second.accept()
    assert "manager's PIN is needed" in second.error.text()
    second.manager_pin.setText("4821")
    second.accept()
    assert second.result() == 1
    people = StaffDialog(demo_shop)
    qtbot.addWidget(people)
    assert [people.table.item(r, 0).text() for r in range(people.table.rowCount())] == [
        "Counter",
        "Manager",
    ]
    assert people.table.item(0, 1).text() == "Staff"
    assert not people.reset_btn.isEnabled() and not people.remove_btn.isEnabled()  # nobody chosen
    people.table.selectRow(0)
    assert people.reset_btn.isEnabled() and people.remove_btn.isEnabled()


def test_voiding_in_the_dialog_asks_a_managers_pin(qtbot, monkeypatch, staffed: Shop) -> None:
    staff.sign_in(staffed, "Counter", "1111")
    sales.sell(staffed, sales.SaleRequest(["R-0002"]))
    issued = certificates.issue_certificate(staffed, "R-0002")
    dialog = CertificateDialog(staffed, "R-0002")
    qtbot.addWidget(dialog)
    wait_ready(qtbot, dialog)
    # a correction runs in the background, still under Counter's name with Manager's approval
    answers = iter([("Wrong clarity grade", True), ("4821", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    dialog.reissue()
    wait_ready(qtbot, dialog)
    assert dialog.shown is not None and dialog.shown.version == 2
    made = [e for e in audit.entries(staffed.db, limit=10) if e.tbl == "certificate"]
    assert made and made[0].actor == "Counter (approved by Manager)"
    answers = iter([("Customer changed their mind", True), ("", False)])  # then cancels the PIN
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    dialog.void()
    assert certificates.get_certificate(staffed, issued.certificate.number).status == "current"
    answers = iter([("Customer changed their mind", True), ("1111", True)])  # not a manager
    dialog.void()
    assert "not a manager's PIN" in dialog.error_line.text()
    answers = iter([("Customer changed their mind", True), ("4821", True)])
    dialog.void()
    wait_ready(qtbot, dialog)
    assert not dialog.error_line.isVisible(), dialog.error_line.text()
    assert dialog.shown is not None and dialog.shown.status == "voided"
    assert audit.entries(staffed.db, limit=1)[0].actor == "Counter (approved by Manager)"


def test_locking_cancels_open_dialogs(qtbot, monkeypatch, staffed: Shop) -> None:
    from jewelerdesk.ui.dialogs.history import HistoryDialog

    window = MainWindow(staffed)
    qtbot.addWidget(window)
    window.show()
    open_dialog = HistoryDialog(staffed, None, window)
    qtbot.addWidget(open_dialog)
    open_dialog.show()
    during: list[bool] = []

    def exec_(d: SignInDialog) -> int:
        during.append(open_dialog.isVisible())
        sign_in_as(d, "Counter", "1111")
        return d.result()

    monkeypatch.setattr(SignInDialog, "exec", exec_)
    window.act_lock.trigger()
    assert during == [False] and not open_dialog.isVisible()
    assert open_dialog.result() == 0  # cancelled, not accepted


def test_with_profiles_the_app_asks_who_is_working_before_the_window(
    qtbot, monkeypatch, staffed: Shop
) -> None:
    from PySide6.QtWidgets import QApplication

    from jewelerdesk.ui import app as app_module

    asked: list[str] = []
    monkeypatch.setattr(SignInDialog, "exec", lambda d: asked.append(d.windowTitle()) or 0)
    staffed.close()
    # Cancel at the sign-in: the app ends without showing the records
    assert app_module._run_window(QApplication.instance(), staffed.paths) == 0
    assert asked == ["Sign in"]
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    assert not [w for w in shown if w.isVisible() and w.shop.paths == staffed.paths]
