"""The shop-wide custody-gap dashboard: counts by rule and severity, and the pieces with the
most severe gaps first. Checking a large shop takes seconds, so it runs in the background."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain.gaps import RULE_NAMES, Gap
from jewelerdesk.services import custody
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.models.simple import ListModel

SEVERITY_COLOURS = {"Critical": "#8e1b10", "High": "#b9472f", "Medium": "#a8790c", "Low": "#5b6b73"}


def gaps_html(gaps: list[Gap], acknowledged: list[custody.Acknowledged] | None = None) -> str:
    """One piece's gaps as readable text: what, why, the rule's basis, what closes it; then
    the gaps recorded as unknown, with their reasons."""
    parts = []
    if not gaps:
        parts.append(
            "<p><b>No open custody gaps.</b> Every rule JewelerDesk checks is satisfied"
            + (" or recorded as unknown." if acknowledged else ".")
            + "</p>"
        )
    for g in gaps:
        colour = SEVERITY_COLOURS.get(g.severity.label, "#333")
        actions = "".join(f"<li>{escape(a.label)}</li>" for a in g.actions)
        parts.append(
            f"<p style='margin-bottom:2px'><span style='color:{colour};font-weight:bold'>"
            f"{g.severity.label} · {g.rule}</span> &nbsp;<b>{escape(g.title)}</b><br>"
            f"<span style='color:#555'>{escape(g.component_label)}</span></p>"
            f"<p style='margin-top:2px;margin-bottom:2px'>{escape(g.explanation)}</p>"
            f"<p style='margin-top:0;color:#555'><i>Basis: {escape(g.basis)}</i></p>"
            f"<ul style='margin-top:0'>{actions}</ul>"
        )
    if acknowledged:
        parts.append("<h4 style='margin-bottom:2px'>Recorded as unknown</h4><ul>")
        for a in acknowledged:
            parts.append(
                f"<li>{a.gap.rule} · {escape(a.gap.title)} ({escape(a.gap.component_label)})"
                f"<br><i>Reason: {escape(a.reason)}</i> — {escape(a.recorded_at[:10])}</li>"
            )
        parts.append("</ul>")
    return "".join(parts)


class GapsPage(QWidget):
    open_piece = Signal(str)  # item id
    gaps_changed = Signal()

    def __init__(self, shop: Shop, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.result: custody.ShopGaps | None = None
        self.loaded = False
        self.summary = QLabel(
            "Check the shop to see which pieces have gaps in their chain of custody."
        )
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.rule_filter = QComboBox()
        self.rule_filter.addItem("All rules", None)
        self.rule_filter.currentIndexChanged.connect(lambda _i: self._show())
        self.check_btn = QPushButton("Check the shop")
        self.check_btn.clicked.connect(self.check)
        self.wizard_btn = QPushButton("Walk through the gaps…")
        self.wizard_btn.setEnabled(False)
        self.wizard_btn.clicked.connect(self.open_wizard)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.rule_filter)
        bar.addWidget(self.progress)
        bar.addWidget(self.check_btn)
        bar.addWidget(self.wizard_btn)
        self.model = ListModel(
            ["SKU", "Worst", "Gaps", "Most severe gap", "Description"],
            lambda p: (
                p.sku,
                p.worst.label if p.worst else "",
                str(len(p.gaps)),
                p.gaps[0].title,
                p.description,
            ),
            self,
            tooltip=lambda p: "\n".join(f"{g.rule} {g.severity.label}: {g.title}" for g in p.gaps),
        )
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(
            lambda idx: self.open_piece.emit(self.model.rows[idx.row()].item_id)
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.check()

    def check(self) -> None:
        self.loaded = True
        self.check_btn.setEnabled(False)
        self.progress.show()
        self.summary.setText("Checking every piece against the custody rules…")
        tasks.run_task(self.shop, custody.gaps_for_shop, self._done, self._failed)

    def _done(self, result: custody.ShopGaps) -> None:
        self.result = result
        self.check_btn.setEnabled(True)
        self.wizard_btn.setEnabled(bool(result.pieces))
        self.progress.hide()
        current = self.rule_filter.currentData()
        self.rule_filter.blockSignals(True)
        self.rule_filter.clear()
        self.rule_filter.addItem("All rules", None)
        for rule, n in sorted(result.by_rule.items(), key=lambda kv: int(kv[0][1:])):
            self.rule_filter.addItem(f"{rule} {RULE_NAMES.get(rule, '')} ({n:,})", rule)
        self.rule_filter.setCurrentIndex(max(0, self.rule_filter.findData(current)))
        self.rule_filter.blockSignals(False)
        self._show()

    def open_wizard(self) -> None:
        """The wizard over the pieces shown (most severe first), at most 200 at a time."""
        from jewelerdesk.ui.widgets.custody import GapWizard

        skus = [p.sku for p in self.model.rows[:200]]
        if skus:
            GapWizard(self.shop, skus, self).exec()
            self.check()
            self.gaps_changed.emit()

    def _failed(self, exc: BaseException, _tb: str) -> None:
        self.check_btn.setEnabled(True)
        self.progress.hide()
        messages.show_error(self, exc, "Custody check")

    def _show(self) -> None:
        r = self.result
        if r is None:
            return
        rule = self.rule_filter.currentData()
        pieces = [p for p in r.pieces if rule is None or any(g.rule == rule for g in p.gaps)]
        self.model.set_rows(pieces)
        sev = " · ".join(
            f"<span style='color:{SEVERITY_COLOURS[s]}'>{r.by_severity[s]:,} {s.lower()}</span>"
            for s in ("Critical", "High", "Medium", "Low")
            if r.by_severity.get(s)
        )
        if not r.pieces_checked:
            self.summary.setText("No pieces yet: their custody gaps will show here.")
            return
        self.summary.setText(
            f"<b>{len(r.pieces):,} of {r.pieces_checked:,} pieces</b> have open custody gaps"
            + (f": {sev}" if sev else ".")
        )
