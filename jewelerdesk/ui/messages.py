"""Telling the person at the counter what went wrong, in the shop's words.

Known problems (``JewelerDeskError``) are shown as they are written. Anything else is a bug:
the box says so, names the log file for support, and keeps the traceback under "Show details".
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from jewelerdesk.errors import JewelerDeskError, ValidationError

_log_path: Path | None = None
ERROR_STYLE = "border: 1px solid #c0392b; background: #fdf2f0;"
ERROR_PROPERTY = "jdError"


def set_log_path(path: Path) -> None:
    global _log_path
    _log_path = path


def describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "\n".join(f"• {m}" for m in exc.errors.values())
    if isinstance(exc, JewelerDeskError):
        return str(exc)
    where = f"\n\nDetails for support are in:\n{_log_path}" if _log_path else ""
    return (
        "Something went wrong inside JewelerDesk. Nothing half-written was kept; you can carry "
        f"on working.{where}"
    )


def show_error(parent: QWidget | None, exc: BaseException, title: str = "JewelerDesk") -> None:
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    known = isinstance(exc, JewelerDeskError)
    box.setIcon(QMessageBox.Icon.Warning if known else QMessageBox.Icon.Critical)
    box.setText(describe(exc))
    if not known:
        box.setDetailedText("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    box.exec()


def show_field_errors(
    widgets: dict[str, QWidget], errors: dict[str, str], summary: QLabel | None = None
) -> None:
    """Mark each field named in ``errors`` and put its message in its tooltip and the summary."""
    clear_field_errors(widgets, summary)
    first: QWidget | None = None
    for field, message in errors.items():
        w = widgets.get(field) or widgets.get(field.split(".")[-1])
        if w is None:
            continue
        w.setProperty(ERROR_PROPERTY, True)
        w.setStyleSheet(ERROR_STYLE)
        w.setToolTip(message)
        first = first or w
    if summary is not None:
        summary.setText("\n".join(errors.values()))
        summary.setVisible(bool(errors))
    if first is not None:
        first.setFocus()


def clear_field_errors(widgets: dict[str, QWidget], summary: QLabel | None = None) -> None:
    for w in widgets.values():
        if w.property(ERROR_PROPERTY):
            w.setProperty(ERROR_PROPERTY, False)
            w.setStyleSheet("")
            w.setToolTip("")
    if summary is not None:
        summary.clear()
        summary.hide()


def error_label() -> QLabel:
    """The red summary line under a form."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b03a2e; padding: 4px 2px;")
    label.hide()
    return label


def ask(parent: QWidget | None, title: str, question: str, *, default_yes: bool = True) -> bool:
    """A yes/no question; Yes is the default unless ``default_yes`` is False (for a question
    whose Yes should never be given by a stray Enter)."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
