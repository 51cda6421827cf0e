"""Closing gaps through the GUI: the wizard, the timeline and the completeness badge."""

from __future__ import annotations

from pathlib import Path

from jewelerdesk.services import custody, inventory
from jewelerdesk.ui.main_window import MainWindow
from jewelerdesk.ui.widgets.custody import GapWizard, TimelinePanel


def _invoice_with_warranty(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from jewelerdesk.domain.statements import statements

    sow = next(s for s in statements() if s.id == "WDC_SOW_2018_GUIDELINES")
    style = getSampleStyleSheet()["BodyText"]
    SimpleDocTemplate(str(path), pagesize=A4).build(
        [
            Paragraph("Harbour Estate Buying — Invoice HEB-2211", style),
            Paragraph(sow.canonical, style),
        ]
    )


def _badge(window: MainWindow, sku: str) -> str:
    model = window.pieces.model
    col = [c.key for c in model.columns].index("custody")
    for r in range(model.rowCount()):
        if model.row_object(r).sku == sku:
            return model.data(model.index(r, col))
    raise AssertionError(f"{sku} not shown")


def test_wizard_closes_a_gap_by_attaching_paperwork(qtbot, demo_shop, tmp_path: Path) -> None:
    window = MainWindow(demo_shop)
    qtbot.addWidget(window)
    assert _badge(window, "R-0009") == "● High · 4"

    wizard = GapWizard(demo_shop, ["R-0009"])
    qtbot.addWidget(wizard)
    wizard.auto_confirm = True
    assert "0 of 4 gaps dealt with" in wizard.progress.text()
    g1 = next(g for _, g in wizard.remaining() if g.rule == "G1")
    pdf = tmp_path / "estate-invoice.pdf"
    _invoice_with_warranty(pdf)
    from jewelerdesk.domain.model import DocType

    wizard.attach_file(g1, pdf, {"doc_type": DocType.INVOICE, "number": "HEB-2211"})
    wizard._next()
    assert [g.rule for _, g in wizard.closed] == ["G1"]
    assert "G1" not in [g.rule for _, g in wizard.remaining()]
    assert "1 of 4 gaps dealt with" in wizard.progress.text()
    # The stone now carries the confirmed warranty; the table's badge follows.
    window.pieces.reload()
    assert _badge(window, "R-0009") == "● High · 3"


def test_acknowledge_as_unknown_skip_resume_and_summary(qtbot, demo_shop) -> None:
    wizard = GapWizard(demo_shop, ["R-0009"])
    qtbot.addWidget(wizard)
    sku, first = wizard.current  # type: ignore[misc]
    wizard.reason.setPlainText("ok")
    wizard._acknowledge(sku, first)
    assert "few words" in wizard.error.text()  # too short: nothing recorded
    wizard.reason.setPlainText("Estate piece bought in 2019; the seller had no paperwork")
    wizard._acknowledge(sku, first)
    after = custody.gaps_for_piece(demo_shop, "R-0009")
    assert [(a.gap.rule, a.reason[:12]) for a in after.acknowledged] == [
        (first.rule, "Estate piece")
    ]
    skipped = wizard.current[1]  # type: ignore[index]
    wizard._skip()
    assert wizard.current is None or wizard.current[1] != skipped
    # Leave and come back: the skipped gap is still set aside.
    again = GapWizard(demo_shop, ["R-0009"])
    qtbot.addWidget(again)
    assert all(g != skipped for _, g in again.remaining())
    while again.current is not None:
        again._skip()
    text = again.text.toPlainText()
    assert "Summary" in again.heading.text() and "Still open: 3" in text
    again._start_over()
    assert again.current is not None and again.skip_btn.isVisibleTo(again)


def test_timeline_shows_hops_with_confidence_and_corrections(qtbot, demo_shop) -> None:
    panel = TimelinePanel(demo_shop, "R-0001")
    qtbot.addWidget(panel)
    html = panel.view.toPlainText()
    for words in (
        "Mined",
        "Kalahari Plains Mining",
        "Cut and polished",
        "Graded",
        "Received by the shop",
    ):
        assert words in html
    assert "Supplier-declared" in html and "Documented" in html
    mined = next(h for h in panel.chain.components[0].hops if h.label == "Mined")
    custody.correct_hop(demo_shop, mined.event.id, day="2024-09-30")
    panel.refresh()
    assert "(corrected)" in panel.view.toPlainText() and "(correction)" in panel.view.toPlainText()


def test_dashboard_counts_follow_acknowledgements(qtbot, demo_shop) -> None:
    window = MainWindow(demo_shop)
    qtbot.addWidget(window)
    window.tabs.setCurrentWidget(window.gaps)
    qtbot.waitUntil(lambda: window.gaps.result is not None, timeout=20000)
    before = window.gaps.result.by_rule["G3"]
    stone = inventory.get_item_by_sku(demo_shop, "R-0009").stones[0]
    custody.acknowledge_gap(demo_shop, "G3", stone.id, "Estate stock, no origin paperwork")
    window.gaps.result = None
    window.gaps.check()
    qtbot.waitUntil(lambda: window.gaps.result is not None, timeout=20000)
    assert window.gaps.result.by_rule["G3"] == before - 1
    assert window.gaps.result.acknowledged == 1


def test_the_shop_wide_wizard_counts_a_shared_lot_gap_once_and_skipping_writes_no_record(
    qtbot, demo_shop
) -> None:
    from jewelerdesk.store import audit

    skus = [p.sku for p in custody.gaps_for_shop(demo_shop).pieces]
    wizard = GapWizard(demo_shop, skus)
    qtbot.addWidget(wizard)
    keys = [(g.rule, g.component_id, g.title) for _, g in wizard.remaining()]
    assert len(keys) == len(set(keys))  # each gap once, though a lot feeds several pieces
    total = len(wizard.start_keys)
    assert f"0 of {total} gaps dealt with · {total} to go" in wizard.progress.text()
    head = audit.head(demo_shop.db)
    wizard._skip()
    assert audit.head(demo_shop.db) == head  # a skip is a working note, not a record
    assert f"· {total - 1} to go · 1 skipped" in wizard.progress.text()
    assert wizard.skip_btn.isDefault() and not wizard.back_btn.autoDefault()
    while wizard.current is not None:
        wizard._skip()
    assert f"Still open: {total}" in wizard.text.toPlainText()
