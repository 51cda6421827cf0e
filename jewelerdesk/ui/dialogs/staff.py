"""Staff profiles: signing in (at start and after the idle lock), a manager's approval, and the
profiles themselves (add, reset a PIN, remove, when to lock)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.errors import JewelerDeskError, ValidationError
from jewelerdesk.services import staff
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages

#: returned by :func:`ask_manager_pin` when the user cancelled
CANCELLED = object()


def pin_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(staff.PIN_MAX)
    field.setValidator(QRegularExpressionValidator(r"\d{0,8}"))
    field.setPlaceholderText(f"{staff.PIN_MIN} to {staff.PIN_MAX} digits")
    return field


def ask_manager_pin(parent: QWidget | None, shop: Shop, what: str) -> str | None | object:
    """A manager's PIN for ``what`` ("void a certificate"): None when the shop has no staff
    profiles (no approval needed), :data:`CANCELLED` if the user cancelled."""
    if not staff.enabled(shop):
        return None
    pin, ok = QInputDialog.getText(
        parent,
        "A manager's approval",
        f"A manager's PIN is needed to {what}.\nManager's PIN:",
        QLineEdit.EchoMode.Password,
    )
    return pin.strip() if ok and pin.strip() else CANCELLED


class SignInDialog(QDialog):
    """Who is working. At start, Cancel closes the app; when locked, the window stays hidden
    until someone signs in (anyone with a profile: the log will name them)."""

    def __init__(self, shop: Shop, parent: QWidget | None = None, locked: bool = False):
        super().__init__(parent)
        self.shop = shop
        self.member: staff.StaffMember | None = None
        self.setWindowTitle("Locked" if locked else "Sign in")
        title = QLabel(
            "<b>JewelerDesk is locked.</b> Sign in to go on."
            if locked
            else "<b>Who is working?</b> Choose your name and type your PIN."
        )
        note = QLabel("Every change you make is recorded under your name in the records log.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.name = QComboBox()
        for m in staff.list_staff(shop):
            self.name.addItem(f"{m.name} ({m.role})", m.name)
        current = self.name.findData(shop.actor.name)
        if current >= 0:
            self.name.setCurrentIndex(current)
        self.pin = pin_field()
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b03a2e;")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("PIN", self.pin)
        buttons = QDialogButtonBox()
        self.ok_btn = buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(
            "Quit JewelerDesk" if locked else "Cancel", QDialogButtonBox.ButtonRole.RejectRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.pin.setFocus()

    def accept(self) -> None:
        try:
            self.member = staff.sign_in(self.shop, str(self.name.currentData()), self.pin.text())
        except JewelerDeskError as exc:
            self.error.setText(str(exc))
            self.pin.clear()
            self.pin.setFocus()
            return
        super().accept()


class StaffDialog(QDialog):
    """Profiles and the idle lock. Every change here needs a manager's PIN, except the very
    first profile (which must be a manager's)."""

    def __init__(self, shop: Shop, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.changed = False
        self.setWindowTitle("Staff and PINs")
        intro = QLabel(
            "With staff profiles, everyone signs in with a PIN, the records log names who made "
            "each change, and voiding or correcting a certificate or restoring a backup needs a "
            "manager's PIN. A PIN gives accountability, not secrecy: protect the computer "
            "itself with the operating system's disk encryption and a login password."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "Role", "Status"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(1, 110)
        add = QPushButton("Add a person…")
        add.clicked.connect(self.add)
        self.reset_btn = QPushButton("New PIN…")
        self.reset_btn.clicked.connect(self.reset_pin)
        self.remove_btn = QPushButton("Has left…")
        self.remove_btn.setToolTip("They can no longer sign in; the records log keeps their name.")
        self.remove_btn.clicked.connect(self.remove)
        side = QVBoxLayout()
        for b in (add, self.reset_btn, self.remove_btn):
            side.addWidget(b)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addLayout(side)

        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setSuffix(" minutes")
        self.idle.setSpecialValueText("never")
        self.idle.setValue(staff.idle_lock_minutes(shop))
        save_idle = QPushButton("Save")
        save_idle.clicked.connect(self.save_idle)
        idle_row = QHBoxLayout()
        idle_row.addWidget(QLabel("Lock the app after no use for"))
        idle_row.addWidget(self.idle)
        idle_row.addWidget(save_idle)
        idle_row.addStretch(1)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(middle, 1)
        layout.addLayout(idle_row)
        layout.addWidget(close)
        self.resize(640, 420)
        self.reload()

    def reload(self) -> None:
        people = staff.list_staff(self.shop, include_inactive=True)
        self.table.setRowCount(len(people))
        for i, m in enumerate(people):
            for j, text in enumerate(
                (m.name, m.role.capitalize(), "active" if m.active else "has left (cannot sign in)")
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, m.name)
                if not m.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(i, j, item)
        self._selection_changed()

    def _selection_changed(self) -> None:
        """New PIN and Has left act on the person selected: off until one is."""
        has = self._selected() is not None
        self.reset_btn.setEnabled(has)
        self.remove_btn.setEnabled(has)

    def _selected(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _approve(self, what: str) -> str | None | object:
        return ask_manager_pin(self, self.shop, what)

    def add(self) -> None:
        dialog = NewPersonDialog(self.shop, self)
        if dialog.exec():
            self.changed = True
            self.reload()

    def reset_pin(self) -> None:
        name = self._selected()
        if not name:
            return
        pin, ok = QInputDialog.getText(
            self, "New PIN", f"New PIN for {name}:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return
        approval = self._approve("change a PIN")
        if approval is CANCELLED:
            return
        try:
            staff.change_pin(self.shop, name, pin, approval)  # type: ignore[arg-type]
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "New PIN")
            return
        self.changed = True

    def remove(self) -> None:
        name = self._selected()
        if not name or not messages.ask(
            self,
            "Has left?",
            f"{name} will no longer be able to sign in. Their name stays in the records log.",
        ):
            return
        approval = self._approve("remove a staff profile")
        if approval is CANCELLED:
            return
        try:
            staff.deactivate(self.shop, name, approval)  # type: ignore[arg-type]
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Staff")
            return
        self.changed = True
        self.reload()

    def save_idle(self) -> None:
        approval = self._approve("change when the app locks")
        if approval is CANCELLED:
            return
        try:
            staff.set_idle_lock_minutes(self.shop, self.idle.value(), approval)  # type: ignore[arg-type]
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Staff")
            return
        self.changed = True


class NewPersonDialog(QDialog):
    def __init__(self, shop: Shop, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        first = not staff.enabled(shop)
        self.setWindowTitle("Add a person")
        self.name = QLineEdit()
        self.role = QComboBox()
        self.role.addItem("Staff", "staff")
        self.role.addItem("Manager (approves voids, corrections, restores)", "manager")
        if first:  # the first profile is a manager's
            self.role.setCurrentIndex(1)
            self.role.setEnabled(False)
        self.pin = pin_field()
        self.pin2 = pin_field()
        self.manager_pin = pin_field()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        form.addRow("PIN", self.pin)
        form.addRow("PIN again", self.pin2)
        if not first:
            form.addRow("A manager's PIN", self.manager_pin)
        note = QLabel(
            "The first profile is a manager's, and whoever adds it is signed in as that "
            "manager from now on."
            if first
            else "A manager approves every new profile."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b03a2e;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def accept(self) -> None:
        if self.pin.text() != self.pin2.text():
            self.error.setText("The two PINs are not the same.")
            return
        try:
            staff.add_staff(
                self.shop,
                self.name.text(),
                str(self.role.currentData()),
                self.pin.text(),
                self.manager_pin.text() or None,
            )
        except ValidationError as exc:
            self.error.setText("\n".join(exc.errors.values()))
            return
        except JewelerDeskError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
