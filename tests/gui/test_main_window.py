"""The main window over a real demo shop: tables, search, filters, sorting, lazy loading."""

from __future__ import annotations

from PySide6.QtCore import Qt

from jewelerdesk.domain.model import Item, ItemCategory, ItemStatus
from jewelerdesk.services import inventory
from jewelerdesk.services.demo import build_demo
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui.main_window import MainWindow
from jewelerdesk.ui.models.paged import ObjectRole, PagedTableModel


def skus(w: MainWindow) -> list[str]:
    m = w.pieces.model
    return [m.data(m.index(r, 0)) for r in range(m.rowCount())]


def test_every_table_model_is_a_valid_qt_model(qtmodeltester, window: MainWindow) -> None:
    for index, page in enumerate((window.pieces, window.stones, window.lots, window.parties)):
        window.tabs.setCurrentIndex(index)  # tabs read their rows when first shown
        assert page.model.rowCount() > 0, page.noun
        qtmodeltester.check(page.model)


def test_hidden_tabs_are_read_only_when_shown(window: MainWindow) -> None:
    assert window.pieces.model.loaded and not window.lots.model.loaded
    window.tabs.setCurrentWidget(window.lots)
    assert window.lots.model.total() == 5
    assert window.status_detail.text() == "5 metal lots"


def test_loose_stones_keep_their_grades_and_say_where_a_country_does_not_apply(
    window: MainWindow,
) -> None:
    from PySide6.QtCore import Qt

    window.tabs.setCurrentWidget(window.stones)
    model = window.stones.model
    cols = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    stone_col, origin_col, mined_col = (
        cols.index("Stone"),
        cols.index("Origin"),
        cols.index("Mined in"),
    )
    rows = [
        [model.index(r, c).data() for c in (stone_col, origin_col, mined_col)]
        for r in range(model.rowCount())
    ]
    assert "Diamond Round brilliant F SI1" in [r[0] for r in rows]  # grades as recorded
    grown = [r for r in rows if r[1] == "Laboratory-grown"]
    assert grown and all(r[2] == "—" for r in grown)  # nothing to document for a grown stone
    assert any(r[2] in ("Botswana", "Canada", "Namibia") for r in rows)  # names, not codes


def test_shows_the_demo_pieces_and_counts_in_status_bar(window: MainWindow) -> None:
    assert window.pieces.model.total() == 30
    assert "30 pieces" in window.count_label.text()
    assert "5 lots" in window.count_label.text()
    assert window.status_detail.text() == "30 pieces"
    assert window.windowTitle().startswith("Harbour Lane Jewellers")


def test_search_as_you_type_filters_the_table(qtbot, window: MainWindow) -> None:
    qtbot.keyClicks(window.pieces.search, "sapph")
    qtbot.waitUntil(lambda: window.pieces.model.total() == 3, timeout=2000)
    descriptions = [window.pieces.model.row_object(r).description for r in range(3)]
    assert all("sapphire" in d for d in descriptions)
    assert window.status_detail.text() == "3 pieces match"


def test_search_finds_pieces_by_report_number_and_supplier(
    qtbot, window: MainWindow, demo_shop: Shop
) -> None:
    piece = inventory.get_item_by_sku(demo_shop, "R-0001")
    report_no = piece.stones[0].report_no
    window.pieces.search.setText(report_no[:6])
    window.pieces.apply_search()
    assert "R-0001" in skus(window)
    window.pieces.search.setText("meridian")
    window.pieces.apply_search()
    assert "R-0001" in skus(window)  # its stones came from Meridian
    window.pieces.search.setText("no such thing at all")
    window.pieces.apply_search()
    assert window.pieces.model.total() == 0
    assert window.pieces.empty.isVisibleTo(window)


def test_status_and_category_filters(window: MainWindow) -> None:
    status = window.pieces.filter_boxes["status"]
    status.setCurrentIndex(status.findData(str(ItemStatus.SOLD)))
    rows = [window.pieces.model.row_object(r) for r in range(window.pieces.model.rowCount())]
    assert rows and all(r.status == "sold" for r in rows)
    status.setCurrentIndex(0)
    category = window.pieces.filter_boxes["category"]
    category.setCurrentIndex(category.findData(str(ItemCategory.EARRINGS)))
    rows = [window.pieces.model.row_object(r) for r in range(window.pieces.model.rowCount())]
    assert rows and all(r.category == "earrings" for r in rows)


def test_sorting_by_price_descending(window: MainWindow) -> None:
    price_col = [c.key for c in window.pieces.model.columns].index("price")
    window.pieces.view.sortByColumn(price_col, Qt.SortOrder.DescendingOrder)
    prices = [
        window.pieces.model.row_object(r).price_minor for r in range(window.pieces.model.rowCount())
    ]
    assert prices == sorted(prices, reverse=True)
    assert prices[0] > prices[-1]


def test_a_saved_piece_appears_and_is_selected(window: MainWindow, demo_shop: Shop) -> None:
    item = Item(sku="N-9001", description="Signet ring, engraved")
    inventory.save_item(demo_shop, item)
    window.pieces.reload(select_id=item.id)
    assert "N-9001" in skus(window)
    assert window.pieces.selected().id == item.id
    assert "31 pieces" in window.count_label.text()


def test_large_shop_loads_lazily(qtbot, data_paths) -> None:
    shop = Shop.open(data_paths)
    build_demo(shop, 2500)
    w = MainWindow(shop)
    qtbot.addWidget(w)
    model = w.pieces.model
    assert model.total() == 2500
    assert model.rowCount() == PagedTableModel.PAGE  # only the first page is read
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * PagedTableModel.PAGE
    first = model.data(model.index(0, 0), ObjectRole)
    assert first.sku.startswith("E-")
    shop.close()


def test_new_piece_through_the_editor_appears_in_the_table(
    qtbot, monkeypatch, window: MainWindow
) -> None:
    from jewelerdesk.ui.dialogs.common import select
    from jewelerdesk.ui.dialogs.piece import PieceEditor

    lot = next(lot for lot in inventory.all_lots(window.shop) if lot.lot_no == "PT950-2605")

    def fill(editor: PieceEditor) -> int:
        editor.sku.setText("B-0500")
        editor.description.setText("950 platinum band, hammered finish")
        editor.price.setText("1850")
        select(editor.lot_box, lot.id)
        editor.draw_mass.setText("6.5")
        editor.add_metal()
        editor.accept()
        return editor.result()

    monkeypatch.setattr(PieceEditor, "exec", fill)
    window.act_new_piece.trigger()
    assert window.pieces.selected().sku == "B-0500"
    assert window.pieces.selected().metal_mg == 6500
    assert "31 pieces" in window.count_label.text()


def test_custody_gap_dashboard_and_piece_gaps(
    qtbot, qtmodeltester, window: MainWindow, demo_shop: Shop
) -> None:
    from jewelerdesk.ui.dialogs.piece import PieceEditor

    window.tabs.setCurrentWidget(window.gaps)
    qtbot.waitUntil(lambda: window.gaps.result is not None, timeout=20000)
    result = window.gaps.result
    assert result.pieces_checked == 30 and result.by_rule["G7"] == 6
    assert "of 30 pieces" in window.gaps.summary.text()
    qtmodeltester.check(window.gaps.model)
    worst = [window.gaps.model.rows[r].worst for r in range(window.gaps.model.rowCount())]
    assert worst == sorted(worst, reverse=True)
    rule = window.gaps.rule_filter
    rule.setCurrentIndex(rule.findData("G6"))
    assert rule.currentText() == "G6 Gold or platinum lot without refiner (3)"  # named, not a code
    assert {r.sku for r in window.gaps.model.rows} == {
        "R-0007",
        "R-0017",
        "R-0027",
    }  # the platinum bands

    editor = PieceEditor(demo_shop, inventory.get_item_by_sku(demo_shop, "R-0009").id)
    qtbot.addWidget(editor)
    assert editor.tabs.tabText(4) == "Custody gaps (4)"
    assert "No diamond warranty" in editor.gaps_view.toPlainText()
