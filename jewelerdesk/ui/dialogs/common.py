"""What every record dialog shares: the form, the error line, OK/Cancel, and saving that
keeps the dialog open (with everything typed) when the service refuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pycountry
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain import units
from jewelerdesk.errors import JewelerDeskError, ValidationError
from jewelerdesk.ui import messages

#: Returned by ``save()`` when saving goes on in the background; the dialog closes itself later.
PENDING = object()


class RecordDialog(QDialog):
    """Subclasses build their form into ``self.body`` and implement ``save()``."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[str, QWidget] = {}
        self.body = QVBoxLayout()
        self.error_line = messages.error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 12)
        outer.addLayout(self.body, 1)
        outer.addWidget(self.error_line)
        outer.addWidget(self.buttons)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        """Every text field shows the start of its text when the dialog opens."""
        for w in self.findChildren(QLineEdit):
            if not w.hasFocus():
                w.setCursorPosition(0)
        super().showEvent(event)

    def save(self) -> object:
        raise NotImplementedError

    def accept(self) -> None:
        messages.clear_field_errors(self.fields, self.error_line)
        try:
            if self.save() is PENDING:
                return
        except ValidationError as exc:
            messages.show_field_errors(self.fields, exc.errors, self.error_line)
            return
        except JewelerDeskError as exc:
            errors = {exc.field or "_": exc.message}
            messages.show_field_errors(self.fields, errors, self.error_line)
            return
        super().accept()


def form() -> QFormLayout:
    f = QFormLayout()
    f.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    f.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    f.setHorizontalSpacing(12)
    f.setVerticalSpacing(7)
    return f


def line(text: str = "", placeholder: str = "", tooltip: str = "") -> QLineEdit:
    w = QLineEdit(text)
    w.setCursorPosition(0)  # a long text shows its start, not its end
    if placeholder:
        w.setPlaceholderText(placeholder)
    if tooltip:
        w.setToolTip(tooltip)
    return w


def combo(
    choices: Iterable[tuple[Any, str]], current: Any = None, editable: bool = False
) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    # a long party name must not widen the whole dialog: the list shows it in full
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(18)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)  # fills its row
    for value, text in choices:
        box.addItem(text, value)
    if current is not None:
        select(box, current)
    return box


def select(box: QComboBox, value: Any) -> None:
    i = box.findData(value)
    if i < 0 and value is not None:
        i = box.findData(str(value))
    if i >= 0:
        box.setCurrentIndex(i)
    elif box.isEditable() and value:
        box.setEditText(str(value))


def country_combo(current: str = "", allow_empty: bool = True) -> QComboBox:
    """ISO 3166-1 alpha-2 codes with names; type a code or a name."""
    choices: list[tuple[str, str]] = [("", "—")] if allow_empty else []
    for c in sorted(pycountry.countries, key=lambda c: getattr(c, "common_name", c.name)):
        choices.append((c.alpha_2, f"{c.alpha_2} — {getattr(c, 'common_name', c.name)}"))
    box = combo(choices, current or "", editable=True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = box.completer() or QCompleter()
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    box.setCompleter(completer)
    box.setMinimumContentsLength(22)
    return box


def country_value(box: QComboBox) -> str:
    """The ISO code chosen or typed ('BW', 'bw', 'BW — Botswana' all give 'BW')."""
    data = box.currentData()
    text = box.currentText().strip()
    if data is not None and box.itemText(box.currentIndex()) == text:
        return str(data)
    return text.split("—")[0].strip().upper()


def parse_or_error(errors: dict[str, str], field: str, fn: Any, text: str, *args: Any) -> int:
    """Parse a typed number; a mistake becomes a field error instead of an exception."""
    try:
        return int(fn(text, *args))
    except ValueError as exc:
        errors[field] = str(exc)
        return 0


def money_text(minor: int, currency: str) -> str:
    return units.money_plain(minor, currency) if minor else ""


def party_choices(parties: Sequence[Any], empty: str = "— none —") -> list[tuple[str | None, str]]:
    return [(None, empty)] + [(p.id, f"{p.legal_name} ({p.country})") for p in parties]
