"""What the GUI tests share: the main window over the demo shop, and errors caught."""

from __future__ import annotations

import pytest

from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages
from jewelerdesk.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, demo_shop: Shop) -> MainWindow:
    w = MainWindow(demo_shop)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def errors_shown(monkeypatch) -> list[BaseException]:
    """The errors a test's actions would have shown in a message box."""
    shown: list[BaseException] = []
    monkeypatch.setattr(messages, "show_error", lambda parent, exc, title="": shown.append(exc))
    return shown
