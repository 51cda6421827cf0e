"""The records log window: the whole shop and one piece's history, newest first, every field
before and after; opened from the menus."""

from __future__ import annotations

from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit
from jewelerdesk.ui.dialogs.history import HistoryDialog
from jewelerdesk.ui.main_window import MainWindow


def test_a_pieces_history_shows_who_changed_what(qtbot, demo_shop: Shop) -> None:
    item = inventory.get_item_by_sku(demo_shop, "R-0002")
    demo_shop.actor.name = "Counter"
    item.price_minor += 5000
    inventory.save_item(demo_shop, item)
    dialog = HistoryDialog(demo_shop, "R-0002")
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "History of R-0002"
    model = dialog.model
    first = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert first[2] == "Counter" and first[3] == "piece changed" and first[4] == "R-0002"
    assert "price minor" in first[5] and "→" in first[5]
    # the detail pane: every field, the changed one in bold
    rows = {
        dialog.detail.item(r, 0).text(): dialog.detail.item(r, 2)
        for r in range(dialog.detail.rowCount())
    }
    assert rows["price minor"].text() == str(item.price_minor) and rows["price minor"].font().bold()
    assert not rows["sku"].font().bold()
    # only this piece's records: its stones and events, no other piece
    shown = {model.row_object(r).entry.about for r in range(model.rowCount())}
    other = inventory.get_item_by_sku(demo_shop, "R-0007").id
    assert other not in shown and item.id in shown
    assert str(audit.head(demo_shop.db)[0]) in dialog.head_label.text().replace(",", "")


def test_the_shop_wide_log_pages_through_every_entry(qtbot, demo_shop: Shop) -> None:
    dialog = HistoryDialog(demo_shop)
    qtbot.addWidget(dialog)
    total = audit.head(demo_shop.db)[0]
    assert total > dialog.model.PAGE
    assert dialog.model.rowCount() == dialog.model.PAGE
    while dialog.model.canFetchMore():
        dialog.model.fetchMore()
    assert dialog.model.rowCount() == total
    seqs = [dialog.model.row_object(r).seq for r in range(dialog.model.rowCount())]
    assert seqs == list(range(total, 0, -1))
    dialog.table.selectRow(total - 1)
    assert dialog.detail_title.text().startswith("Entry #1:")


def test_opened_from_the_menus(qtbot, monkeypatch, window: MainWindow) -> None:
    opened: list[str] = []
    monkeypatch.setattr(HistoryDialog, "exec", lambda d: opened.append(d.windowTitle()) or 0)
    window.act_log.trigger()
    row = window.pieces.model.row_of(inventory.get_item_by_sku(window.shop, "R-0001").id)
    window.pieces.view.selectRow(row)
    window.act_piece_history.trigger()
    assert opened == ["Records log", "History of R-0001"]
