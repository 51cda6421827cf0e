"""The shop's main window: pieces, loose stones, metal lots and parties in tabs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QToolBar, QWidget

from jewelerdesk import APP_NAME, __version__
from jewelerdesk.domain import units
from jewelerdesk.domain.model import (
    CLAIM_CLASS_LABELS,
    ITEM_STATUS_LABELS,
    METAL_LABELS,
    ORIGIN_TYPE_LABELS,
    PARTY_KIND_LABELS,
    STONE_TYPE_LABELS,
    ClaimClass,
    ItemCategory,
    ItemStatus,
    Metal,
    OriginType,
    PartyKind,
    StoneType,
    label_of,
)
from jewelerdesk.domain.validation import country_name
from jewelerdesk.services import inventory
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.models.paged import Column
from jewelerdesk.ui.pages.table_page import Filter, TablePage


def _icon(name: str) -> QIcon:
    try:
        from jewelerdesk.resources import icon_path

        path = icon_path(name)
    except (ImportError, FileNotFoundError, OSError):
        return QIcon()
    return QIcon(str(path)) if path.exists() else QIcon()


def _docs(n: int) -> str:
    return "—" if n == 0 else f"{n}"


def _mined_in(r: Any) -> str:
    """A loose stone's country of mining as the table shows it (a grown or made stone has
    none to document)."""
    if r.country_of_mining:
        return country_name(r.country_of_mining)
    if r.origin_type in (OriginType.LAB_GROWN, OriginType.IMITATION):
        return "—"
    return "not documented"


class MainWindow(QMainWindow):
    def __init__(self, shop: Shop, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self._set_title()
        self.setWindowIcon(_icon("jewelerdesk.svg"))
        self.resize(1200, 760)
        self.setMinimumSize(QSize(900, 560))

        self.badges: dict[str, Any] = {}  # item id -> that piece's custody check
        self.damaged = False  # set when the start-up check finds the database damaged
        # Rows this window's connection has written so far: a close with nothing new written
        # needs no backup (file times are no guide: opening a WAL database touches them).
        self._changes_at_start = shop.changes()
        self._closing = False  # the closing backup has run (or is running)
        self.pieces = self._pieces_page()
        self.stones = self._stones_page()
        self.lots = self._lots_page()
        self.parties = self._parties_page()
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.addTab(self.pieces, "Pieces")
        self.tabs.addTab(self.stones, "Loose stones")
        self.tabs.addTab(self.lots, "Metal lots")
        self.tabs.addTab(self.parties, "Suppliers && parties")
        from jewelerdesk.ui.pages.gaps_page import GapsPage

        self.gaps = GapsPage(shop)
        self.gaps.open_piece.connect(self._open_piece_from_gaps)
        self.gaps.gaps_changed.connect(lambda: self.pieces.reload())
        self.tabs.addTab(self.gaps, "Custody gaps")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)

        self._build_actions()
        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.status_detail = QLabel()
        self.statusBar().addWidget(self.status_detail)
        for page in (self.pieces, self.stones, self.lots, self.parties):
            page.counts_changed.connect(self.update_status)
        self.who_label = QLabel()
        self.statusBar().addPermanentWidget(self.who_label)
        self.pieces.reload()
        self.pieces.search.setFocus()
        from jewelerdesk.ui.idle import IdleWatcher

        self.locked = False
        self.idle = IdleWatcher(self.lock, self)
        self.staff_changed()

    # ------------------------------------------------------------------ staff
    def staff_changed(self) -> None:
        """Profiles, the signed-in person or the idle time changed: show who, re-arm the lock."""
        from jewelerdesk.services import staff

        on = staff.enabled(self.shop)
        self.act_lock.setEnabled(on)
        self.who_label.setText(f"Signed in: {self.shop.actor.name}" if on else "")
        self.idle.set_minutes(staff.idle_lock_minutes(self.shop) if on else 0)

    def lock(self) -> None:
        """Hide the records until someone signs in (Quit closes the app). Open dialogs are
        cancelled first: a half-typed sale or a confirmation already approved by a manager
        must not wait on screen for whoever comes next."""
        from PySide6.QtWidgets import QApplication, QDialog

        from jewelerdesk.services import staff
        from jewelerdesk.ui.dialogs.staff import SignInDialog

        if self.locked or not staff.enabled(self.shop):
            return
        self.locked = True
        self.idle.pause()
        for w in QApplication.topLevelWidgets():
            if w is self or not w.isVisible():
                continue
            if isinstance(w, QDialog):
                w.reject()
            w.hide()
        self.centralWidget().setVisible(False)
        try:
            signed_in = SignInDialog(self.shop, self, locked=True).exec()
        finally:
            self.locked = False
        if not signed_in:
            self.close()
            return
        self.centralWidget().setVisible(True)
        self.staff_changed()

    def manage_staff(self) -> None:
        from jewelerdesk.ui.dialogs.staff import StaffDialog

        dialog = StaffDialog(self.shop, self)
        dialog.exec()
        self.staff_changed()

    # ------------------------------------------------------------------ pages
    def _pieces_page(self) -> TablePage:
        cols = [
            Column("sku", "SKU", lambda r: r.sku, width=10),
            Column(
                "description",
                "Description",
                lambda r: r.description,
                tooltip=lambda r: r.description,
            ),
            Column("category", "Category", lambda r: r.category.capitalize(), width=9),
            Column("status", "Status", lambda r: label_of(ITEM_STATUS_LABELS, r.status), width=9),
            Column(
                "stones",
                "Stones",
                lambda r: str(r.stone_count) if r.stone_count else "—",
                True,
                width=5,
            ),
            Column(
                "carats",
                "Carats",
                lambda r: f"{r.stone_mct / 1000:.3f}" if r.stone_mct else "—",
                True,
                width=6,
            ),
            Column(
                "metal",
                "Metal (g)",
                lambda r: f"{r.metal_mg / 1000:.3f}" if r.metal_mg else "—",
                True,
                width=7,
            ),
            Column(
                "price",
                "Price",
                lambda r: units.format_money(r.price_minor, r.currency),
                True,
                width=10,
            ),
            Column("documents", "Papers", lambda r: _docs(r.document_count), True, width=5),
            Column(
                "custody",
                "Custody",
                self._badge_text,
                tooltip=self._badge_tip,
                colour=self._badge_colour,
                width=11,
            ),
        ]
        page = TablePage(
            ("piece", "pieces"),
            cols,
            partial(inventory.count_items, self.shop),
            self._fetch_pieces,
            filters=[
                Filter("status", "statuses", [(str(s), ITEM_STATUS_LABELS[s]) for s in ItemStatus]),
                Filter(
                    "category", "categories", [(str(c), str(c).capitalize()) for c in ItemCategory]
                ),
            ],
            search_hint="Search SKU, description, report number or supplier…",
            actions=[
                ("new", "New piece…", self.new_piece),
                ("edit", "Open…", lambda: self._open_selected(self.pieces)),
                ("sell", "Sell…", self.sell_selected),
                ("certificate", "Certificate…", self.certificate_for_selected),
            ],
            multi_select=True,
        )
        page.open_requested.connect(lambda row: self.edit_piece(row.id))
        page.buttons["sell"].setToolTip("Sell the selected pieces (Ctrl-click to choose several)")
        page.buttons["certificate"].setToolTip("Preview, issue, print or verify-ready PDF")
        return page

    # --- completeness badges -----------------------------------------------------------
    def _fetch_pieces(self, q: Any, offset: int, limit: int) -> list[Any]:
        """A page of pieces, with the custody check of just those pieces (a few queries)."""
        rows = inventory.list_items(self.shop, q, offset, limit)
        self.refresh_badges([r.id for r in rows])
        return rows

    def refresh_badges(self, item_ids: list[str]) -> None:
        from jewelerdesk.services import custody

        for found in custody.gaps_for_items(self.shop, item_ids):
            self.badges[found.item_id] = found

    def _badge_text(self, row: Any) -> str:
        found = self.badges.get(row.id)
        if found is None:
            return ""
        if not found.gaps:
            return "✓ Complete" + (" *" if found.acknowledged else "")
        worst = found.worst.label if found.worst else ""
        return f"● {worst} · {len(found.gaps)}"

    def _badge_colour(self, row: Any) -> str | None:
        from jewelerdesk.ui.pages.gaps_page import SEVERITY_COLOURS

        found = self.badges.get(row.id)
        if found is None:
            return None
        if not found.gaps:
            return "#1b7a3a"
        return SEVERITY_COLOURS.get(found.worst.label if found.worst else "", None)

    def _badge_tip(self, row: Any) -> str:
        found = self.badges.get(row.id)
        if found is None:
            return ""
        lines = [f"{g.rule} {g.severity.label}: {g.title}" for g in found.gaps]
        if not lines:
            lines = ["No open custody gaps."]
        if found.acknowledged:
            lines.append(f"* {len(found.acknowledged)} recorded as unknown")
        return "\n".join(lines)

    def _stones_page(self) -> TablePage:
        cols = [
            Column("stock_no", "Stock no.", lambda r: r.stock_no, width=9),
            Column("description", "Stone", lambda r: r.description[:1].upper() + r.description[1:]),
            Column(
                "origin", "Origin", lambda r: label_of(ORIGIN_TYPE_LABELS, r.origin_type), width=12
            ),
            Column("weight", "Carats", lambda r: f"{r.weight_mct / 1000:.3f}", True, width=6),
            Column("lab", "Lab", lambda r: r.report_lab or "—", width=5),
            Column("report", "Report no.", lambda r: r.report_no or "—", width=11),
            Column("country", "Mined in", _mined_in, width=12),
            Column("supplier", "Supplier", lambda r: r.supplier or "—", width=18),
            Column("documents", "Papers", lambda r: _docs(r.document_count), True, width=5),
        ]
        page = TablePage(
            ("loose stone", "loose stones"),
            cols,
            partial(inventory.count_loose_stones, self.shop),
            partial(inventory.list_loose_stones, self.shop),
            filters=[
                Filter("kind", "stone types", [(str(t), STONE_TYPE_LABELS[t]) for t in StoneType]),
                Filter("status", "origins", [(str(o), ORIGIN_TYPE_LABELS[o]) for o in OriginType]),
            ],
            search_hint="Search stock number, stone, report number or supplier…",
            actions=[
                ("new", "New loose stone…", self.new_stone),
                ("edit", "Open…", lambda: self._open_selected(self.stones)),
            ],
        )
        page.open_requested.connect(lambda row: self.edit_stone(row.id))
        return page

    def _lots_page(self) -> TablePage:
        cols = [
            Column("lot_no", "Lot", lambda r: r.lot_no, width=12),
            Column(
                "metal",
                "Metal",
                lambda r: f"{r.fineness_ppt} {label_of(METAL_LABELS, r.metal)}",
                width=12,
            ),
            Column("fineness", "Fineness", lambda r: f"{r.fineness_ppt} ‰", True, width=7),
            Column(
                "claim", "Claim", lambda r: label_of(CLAIM_CLASS_LABELS, r.claim_class), width=12
            ),
            Column("refiner", "Refiner", lambda r: r.refiner or "not recorded"),
            Column(
                "received", "Received (g)", lambda r: f"{r.received_mg / 1000:,.3f}", True, width=9
            ),
            Column(
                "balance", "Balance (g)", lambda r: f"{r.balance_mg / 1000:,.3f}", True, width=9
            ),
            Column("documents", "Papers", lambda r: _docs(r.document_count), True, width=5),
        ]
        page = TablePage(
            ("metal lot", "metal lots"),
            cols,
            partial(inventory.count_lots, self.shop),
            partial(inventory.list_lots, self.shop),
            filters=[
                Filter("kind", "metals", [(str(m), METAL_LABELS[m].capitalize()) for m in Metal]),
                Filter("status", "claims", [(str(c), CLAIM_CLASS_LABELS[c]) for c in ClaimClass]),
            ],
            search_hint="Search lot, bar or batch number, refiner or supplier…",
            actions=[
                ("new", "Receive metal lot…", self.new_lot),
                ("edit", "Open…", lambda: self._open_selected(self.lots)),
            ],
        )
        page.open_requested.connect(lambda row: self.edit_lot(row.id))
        return page

    def _parties_page(self) -> TablePage:
        cols = [
            Column("name", "Legal name", lambda r: r.legal_name),
            Column("kind", "Role", lambda r: label_of(PARTY_KIND_LABELS, r.kind), width=16),
            Column("country", "Country", lambda r: r.country, width=6),
            Column("identifiers", "Identifiers", lambda r: r.identifiers or "—", width=26),
            Column("documents", "Papers", lambda r: _docs(r.document_count), True, width=5),
        ]
        page = TablePage(
            ("party", "parties"),
            cols,
            partial(inventory.count_parties, self.shop),
            partial(inventory.list_parties, self.shop),
            filters=[Filter("kind", "roles", [(str(k), PARTY_KIND_LABELS[k]) for k in PartyKind])],
            search_hint="Search name, RMI id, RJC number or address…",
            actions=[
                ("new", "New party…", self.new_party),
                ("edit", "Open…", lambda: self._open_selected(self.parties)),
            ],
        )
        page.open_requested.connect(lambda row: self.edit_party(row.id))
        return page

    # ------------------------------------------------------------------ actions
    def _build_actions(self) -> None:
        tb = QToolBar("Main", movable=False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(tb)

        def act(
            text: str, icon: str, slot: Any, shortcut: QKeySequence | str | None = None
        ) -> QAction:
            a = QAction(_icon(icon), text, self)
            a.triggered.connect(slot)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            return a

        self.act_new_piece = act(
            "New piece", "new-piece.svg", self.new_piece, QKeySequence.StandardKey.New
        )
        self.act_new_stone = act("Loose stone", "stone.svg", self.new_stone)
        self.act_new_lot = act("Receive metal", "lot.svg", self.new_lot)
        self.act_new_party = act("New party", "party.svg", self.new_party)
        self.act_settings = act("Shop settings", "settings.svg", self.open_settings, "Ctrl+,")
        self.act_find = act("Find", "search.svg", self.focus_search, QKeySequence.StandardKey.Find)
        self.act_sell = act("Sell", "sell.svg", self.sell_selected, "Ctrl+Shift+S")
        self.act_certificate = act(
            "Certificate", "certificate.svg", self.certificate_for_selected, "Ctrl+P"
        )
        self.act_verify = act("Verify", "verify.svg", self.verify_certificate)
        self.act_verify.setText("Verify a certificate…")
        self.act_verify.setIconText("Verify")
        self.act_return = act("Take back a sold piece…", "", self.return_selected)
        for a in (self.act_new_piece, self.act_new_stone, self.act_new_lot, self.act_new_party):
            tb.addAction(a)
        tb.addSeparator()
        for a in (self.act_sell, self.act_certificate, self.act_verify):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_settings)
        self.addAction(self.act_find)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.act_settings)
        file_menu.addSeparator()
        self.act_export = QAction("Export for the accountant…", self)
        self.act_export.triggered.connect(self.export_accountant)
        file_menu.addAction(self.act_export)
        self.act_pack = QAction("Due-diligence pack for a regulator or customer…", self)
        self.act_pack.triggered.connect(self.export_regulator)
        file_menu.addAction(self.act_pack)
        self.act_import = QAction("Import a supplier's stock sheet…", self)
        self.act_import.triggered.connect(self.import_stock_sheet)
        file_menu.addAction(self.act_import)
        file_menu.addSeparator()
        self.act_backup = QAction("Back up now…", self)
        self.act_backup.triggered.connect(self.back_up_now)
        file_menu.addAction(self.act_backup)
        self.act_restore = QAction("Restore from a backup…", self)
        self.act_restore.triggered.connect(self.restore_backup)
        file_menu.addAction(self.act_restore)
        self.act_check = QAction("Check the records", self)
        self.act_check.triggered.connect(self.check_records)
        file_menu.addAction(self.act_check)
        file_menu.addSeparator()
        self.act_staff = QAction("Staff and PINs…", self)
        self.act_staff.triggered.connect(self.manage_staff)
        file_menu.addAction(self.act_staff)
        self.act_lock = QAction("Lock (sign in as someone else)", self)
        self.act_lock.setShortcut(QKeySequence("Ctrl+L"))
        self.act_lock.triggered.connect(self.lock)
        file_menu.addAction(self.act_lock)
        self.act_log = QAction("Records log…", self)
        self.act_log.triggered.connect(lambda: self.show_history(None))
        file_menu.addAction(self.act_log)
        file_menu.addSeparator()
        import_list = QAction("Import a newer risk list…", self)
        import_list.triggered.connect(self.import_risk_list)
        file_menu.addAction(import_list)
        screen_all = QAction("Screen all parties against the installed lists", self)
        screen_all.triggered.connect(self.screen_all_parties)
        file_menu.addAction(screen_all)
        file_menu.addSeparator()
        quit_act = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_act.triggered.connect(self.close)
        file_menu.addAction(quit_act)
        rec = menu.addMenu("&Records")
        for a in (self.act_new_piece, self.act_new_stone, self.act_new_lot, self.act_new_party):
            rec.addAction(a)
        rec.addSeparator()
        rec.addAction(self.act_find)
        self.act_piece_history = QAction("History of the selected piece…", self)
        self.act_piece_history.triggered.connect(self.history_of_selected)
        rec.addAction(self.act_piece_history)
        sales_menu = menu.addMenu("&Sales")
        for a in (self.act_sell, self.act_return):
            sales_menu.addAction(a)
        sales_menu.addSeparator()
        sales_menu.addAction(self.act_certificate)
        sales_menu.addAction(self.act_verify)
        sales_menu.addSeparator()
        export_key = QAction("Export the shop's public key…", self)
        export_key.triggered.connect(self.export_public_key)
        sales_menu.addAction(export_key)
        backup_keys = QAction("Back up the signing keys…", self)
        backup_keys.triggered.connect(self.backup_keys)
        sales_menu.addAction(backup_keys)
        restore_keys = QAction("Restore the signing keys…", self)
        restore_keys.triggered.connect(self.restore_keys)
        sales_menu.addAction(restore_keys)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.act_verify)  # certificates point here: Help → Verify…
        help_menu.addSeparator()
        about = QAction(f"About {APP_NAME}", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def import_risk_list(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import custody

        path, _ = QFileDialog.getOpenFileName(
            self, "Import a newer risk list", "", "Risk lists (*.json)"
        )
        if not path:
            return
        try:
            done = custody.import_list(self.shop, Path(path))
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Import a risk list")
            return
        more = (
            f"\n\n{done.parties_to_rescreen} parties were screened against the older list; "
            "they show gap G13 until screened again (File → Screen all parties)."
            if done.parties_to_rescreen
            else ""
        )
        QMessageBox.information(
            self,
            "Risk list installed",
            f"Installed {done.info.name}, version {done.info.version} ({done.info.date}).{more}",
        )
        self.gaps.loaded = False
        self.pieces.reload()

    def screen_all_parties(self) -> None:
        from jewelerdesk.services import custody

        def done(result: dict[str, list[Any]]) -> None:
            hits = sum(1 for h in result.values() if h)
            QMessageBox.information(
                self,
                "Screening done",
                f"{len(result)} parties screened against the installed sanctions list; "
                f"{hits} possible match{'es' if hits != 1 else ''}.",
            )
            self.gaps.loaded = False
            self.pieces.reload()

        tasks.run_task(
            self.shop,
            custody.screen_parties,
            done,
            lambda exc, _tb: messages.show_error(self, exc, "Screening"),
        )

    def _tab_changed(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, TablePage) or page is self.gaps:
            page.ensure_loaded()
        self.update_status()

    def _open_piece_from_gaps(self, item_id: str) -> None:
        self.edit_piece(item_id)
        self.gaps.check()

    def focus_search(self) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, TablePage):
            page.search.setFocus()
            page.search.selectAll()

    def _open_selected(self, page: TablePage) -> None:
        row = page.selected()
        if row is None:
            self.statusBar().showMessage("Select a row first.", 3000)
            return
        page.open_requested.emit(row)

    def _run_dialog(self, dialog: Any, page: TablePage, attr: str) -> str | None:
        if dialog.exec():
            saved = getattr(dialog, attr, None)
            page.reload(select_id=saved)
            return saved
        page.reload()  # documents may have been attached before cancelling
        return None

    def new_piece(self) -> None:
        from jewelerdesk.ui.dialogs.piece import PieceEditor

        self.tabs.setCurrentWidget(self.pieces)
        self._run_dialog(PieceEditor(self.shop, None, self), self.pieces, "saved_item_id")

    def edit_piece(self, item_id: str) -> None:
        from jewelerdesk.ui.dialogs.piece import PieceEditor

        self._run_dialog(PieceEditor(self.shop, item_id, self), self.pieces, "saved_item_id")
        if self.lots.model.loaded:
            self.lots.reload()

    def new_stone(self) -> None:
        from jewelerdesk.ui.dialogs.stone import StoneDialog

        self.tabs.setCurrentWidget(self.stones)
        self._run_dialog(
            StoneDialog(self.shop, None, self, loose=True), self.stones, "saved_stone_id"
        )

    def edit_stone(self, stone_id: str) -> None:
        from jewelerdesk.ui.dialogs.stone import StoneDialog

        stone = inventory.get_stone(self.shop, stone_id)
        self._run_dialog(
            StoneDialog(self.shop, stone, self, loose=True), self.stones, "saved_stone_id"
        )

    def new_lot(self) -> None:
        from jewelerdesk.ui.dialogs.lot import LotDialog

        self.tabs.setCurrentWidget(self.lots)
        self._run_dialog(LotDialog(self.shop, None, self), self.lots, "saved_lot_id")

    def edit_lot(self, lot_id: str) -> None:
        from jewelerdesk.ui.dialogs.lot import LotDialog

        self._run_dialog(LotDialog(self.shop, lot_id, self), self.lots, "saved_lot_id")

    def new_party(self) -> None:
        from jewelerdesk.ui.dialogs.party import PartyDialog

        self.tabs.setCurrentWidget(self.parties)
        self._run_dialog(PartyDialog(self.shop, None, self), self.parties, "saved_party_id")

    def edit_party(self, party_id: str) -> None:
        from jewelerdesk.ui.dialogs.party import PartyDialog

        self._run_dialog(PartyDialog(self.shop, party_id, self), self.parties, "saved_party_id")

    # ------------------------------------------------------------------ sales
    def _selected_pieces(self) -> list[Any]:
        self.tabs.setCurrentWidget(self.pieces)
        rows = self.pieces.selected_rows()
        if not rows:
            self.statusBar().showMessage("Select a piece in the table first.", 4000)
        return rows

    def sell_selected(self) -> None:
        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import sales
        from jewelerdesk.ui.dialogs.sale import SaleDialog

        rows = self._selected_pieces()
        if not rows:
            return
        try:
            items = sales.sellable(self.shop, [r.sku for r in rows])
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Sell")
            return
        dialog = SaleDialog(self.shop, items, self)
        if not dialog.exec() or dialog.sale is None:
            return
        self.pieces.reload(select_id=items[0].id)
        self.statusBar().showMessage(
            f"Sold on invoice {dialog.sale.invoice_no}: {', '.join(i.sku for i in items)}.", 8000
        )
        if dialog.certificate_after.isChecked():
            for item in items:
                self.open_certificate(item.sku)

    def show_history(self, sku: str | None) -> None:
        from jewelerdesk.ui.dialogs.history import HistoryDialog

        try:
            HistoryDialog(self.shop, sku, self).exec()
        except Exception as exc:  # noqa: BLE001 - shown to the user in words
            messages.show_error(self, exc, "Records log")

    def history_of_selected(self) -> None:
        rows = self._selected_pieces()
        if len(rows) == 1:
            self.show_history(rows[0].sku)
        elif rows:
            self.statusBar().showMessage("Select one piece to see its history.", 4000)

    def return_selected(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import sales

        rows = self._selected_pieces()
        if len(rows) != 1:
            if rows:
                self.statusBar().showMessage("Take back one piece at a time.", 4000)
            return
        sku = rows[0].sku
        reason, ok = QInputDialog.getText(
            self, f"Take back {sku}", f"Why did {sku} come back? (kept with the return record)"
        )
        if not ok:
            return
        try:
            sales.return_sale(self.shop, sku, reason)
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Take back a piece")
            return
        self.pieces.reload(select_id=rows[0].id)
        self.statusBar().showMessage(
            f"{sku} is back in stock. Its certificate stays on record; void it if it no "
            "longer applies.",
            8000,
        )

    def certificate_for_selected(self) -> None:
        rows = self._selected_pieces()
        for row in rows[:5]:
            self.open_certificate(row.sku)

    def open_certificate(self, sku: str) -> None:
        from jewelerdesk.ui.dialogs.certificate import CertificateDialog

        dialog = CertificateDialog(self.shop, sku, self)
        dialog.exec()

    def verify_certificate(self) -> None:
        from jewelerdesk.ui.dialogs.verify import VerifyDialog

        VerifyDialog(self.shop, self).exec()

    def export_public_key(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import certificates

        path, _ = QFileDialog.getSaveFileName(
            self, "Export the shop's public key", "shop-public-key.pem", "Public key (*.pem)"
        )
        if not path:
            return
        try:
            keys = certificates.shop_keys(self.shop)
            keys.export_public(Path(path))
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Export the public key")
            return
        except OSError as exc:
            messages.show_error(
                self, JewelerDeskError(f"The key could not be saved: {exc.strerror or exc}")
            )
            return
        QMessageBox.information(
            self,
            "Public key exported",
            f"Saved to {path}.\n\nFingerprint (printed on every certificate):\n{keys.fingerprint}"
            "\n\nGive this file to anyone who wants to verify the shop's certificates.",
        )

    def backup_keys(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import certificates

        folder = QFileDialog.getExistingDirectory(self, "Back up the signing keys to…")
        if not folder:
            return
        first, ok = QInputDialog.getText(
            self,
            "Passphrase for the key backup",
            "The private keys in the backup are encrypted with this passphrase (8 characters "
            "or more). Without it the backup cannot be used — keep it apart from the backup.",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        again, ok = QInputDialog.getText(
            self,
            "Passphrase for the key backup",
            "Type the passphrase again.",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        if first != again:
            messages.show_error(
                self, JewelerDeskError("The two passphrases differ. Nothing was written.")
            )
            return
        try:
            written = certificates.shop_keys(self.shop).backup(Path(folder), first)
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Back up the keys")
            return
        except OSError as exc:
            messages.show_error(
                self, JewelerDeskError(f"The backup could not be written: {exc.strerror or exc}")
            )
            return
        QMessageBox.information(
            self, "Keys backed up", f"{len(written)} files written to {folder}."
        )

    def restore_keys(self) -> None:
        """Put the signing keys back from a key backup (after a restore on a new computer)."""
        from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import certificates
        from jewelerdesk.ui.dialogs.staff import CANCELLED, ask_manager_pin

        folder = QFileDialog.getExistingDirectory(self, "The folder of the key backup")
        if not folder:
            return
        passphrase, ok = QInputDialog.getText(
            self,
            "Passphrase of the key backup",
            "The passphrase chosen when the keys were backed up:",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        approval = ask_manager_pin(self, self.shop, "restore the signing keys")
        if approval is CANCELLED:
            return
        try:
            keys = certificates.restore_keys(self.shop, Path(folder), passphrase, approval)  # type: ignore[arg-type]
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Restore the keys")
            return
        QMessageBox.information(
            self,
            "Keys restored",
            f"The signing keys are back.\n\nFingerprint (printed on every certificate):\n"
            f"{keys.fingerprint}",
        )

    def export_accountant(self) -> None:
        from jewelerdesk.ui.dialogs.export import ExportDialog

        ExportDialog(self.shop, self).exec()

    def import_stock_sheet(self) -> None:
        from jewelerdesk.ui.dialogs.stock_import import ImportDialog

        kind = "lots" if self.tabs.currentWidget() is self.lots else "stones"
        dialog = ImportDialog(self.shop, self, kind)
        dialog.exec()
        if dialog.result is not None:
            page = self.lots if dialog.result.kind == "lots" else self.stones
            self.tabs.setCurrentWidget(page)
            page.reload()
            self.update_status()

    def export_regulator(self) -> None:
        """The pack for the whole shop, or for the pieces selected in the table."""
        from jewelerdesk.ui.dialogs.export import ExportDialog

        skus = []
        if self.tabs.currentWidget() is self.pieces:
            chosen = self.pieces.view.selectionModel().selectedRows()
            rows = (self.pieces.model.row_object(i.row()) for i in chosen)
            skus = [r.sku for r in rows if r is not None]
        ExportDialog(self.shop, self, regulator=True, skus=skus).exec()

    # ------------------------------------------------------------------ data safety
    def back_up_now(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from jewelerdesk.services import backup

        folder = QFileDialog.getExistingDirectory(
            self,
            "Back up to a folder or USB drive",
            str(self.shop.paths.backups),
        )
        if not folder:
            return
        self.statusBar().showMessage("Backing up and verifying…")

        def done(info: backup.BackupInfo) -> None:
            self.statusBar().clearMessage()
            QMessageBox.information(
                self,
                "Backup made",
                f"Backed up and verified:\n{info.folder}\n\n"
                f"{info.counts.get('item', 0):,} pieces, {info.documents:,} documents."
                + (f"\n\n{info.unavailable_text()}" if info.unavailable else ""),
            )

        def failed(exc: BaseException, _tb: str) -> None:
            self.statusBar().clearMessage()
            messages.show_error(self, exc, "Back up")

        tasks.run_task(self.shop, lambda shop: backup.back_up(shop, Path(folder)), done, failed)

    def restore_backup(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from jewelerdesk.errors import JewelerDeskError
        from jewelerdesk.services import backup

        folder = QFileDialog.getExistingDirectory(
            self, "Choose the backup to restore", str(self.shop.paths.backups)
        )
        if not folder:
            return
        try:
            info = backup.verify_backup(Path(folder))
        except JewelerDeskError as exc:
            messages.show_error(self, exc, "Restore")
            return
        from jewelerdesk.ui.dialogs.staff import CANCELLED, ask_manager_pin

        approval = ask_manager_pin(self, self.shop, "restore a backup")
        if approval is CANCELLED:
            return
        foreign = backup.other_shop(self.shop, info)
        if not messages.ask(
            self,
            "Restore this backup?",
            (
                f"This backup holds the records of ANOTHER SHOP: '{foreign}'. Restoring it "
                "replaces this shop's records with that shop's.\n\n"
                if foreign
                else ""
            )
            + f"The backup of {info.when.astimezone():%Y-%m-%d %H:%M} holds "
            f"{info.counts.get('item', 0):,} pieces and {info.documents:,} documents.\n\n"
            "Everything recorded since then will be replaced. The records as they are now "
            "are backed up first, so this can be undone.",
            default_yes=not foreign,
        ):
            return
        from PySide6.QtWidgets import QProgressDialog

        # Off the UI thread (a large shop takes a while: the current records are backed up
        # first); the modal busy box keeps anyone from recording meanwhile.
        busy = QProgressDialog("Restoring the backup…", "", 0, 0, self)
        busy.setWindowTitle("Restore")
        busy.setCancelButton(None)
        busy.setWindowModality(Qt.WindowModality.WindowModal)
        busy.setMinimumDuration(0)
        busy.show()

        def done(_info: backup.BackupInfo) -> None:
            busy.close()
            self.reload_all()
            QMessageBox.information(self, "Restored", "The backup was restored.")

        def failed(exc: BaseException, _tb: str) -> None:
            busy.close()
            messages.show_error(self, exc, "Restore")

        tasks.run_task(
            self.shop,
            lambda shop: backup.restore(
                shop,
                Path(folder),
                manager_pin=approval,  # type: ignore[arg-type]
                allow_other_shop=bool(foreign),  # the user was told, and said yes
            ),
            done,
            failed,
        )

    def reload_all(self) -> None:
        """Show the records afresh (after a restore)."""
        self.badges.clear()
        for page in (self.pieces, self.stones, self.lots, self.parties):
            if page.model.loaded or page is self.pieces:
                page.reload()
        self.gaps.loaded = False
        self._set_title()
        self.update_status()
        self.staff_changed()  # the restored records may have other staff profiles
        from jewelerdesk.services import staff

        names = {m.name for m in staff.list_staff(self.shop)}
        if names and self.shop.actor.name not in names:
            self.lock()  # whoever is signed in has no profile in these records

    def check_records(self) -> None:
        from jewelerdesk.services import integrity

        self.statusBar().showMessage("Checking every record and stored file…")

        def done(report: integrity.CheckReport) -> None:
            self.statusBar().clearMessage()
            if report.ok:
                QMessageBox.information(self, "Records checked", report.summary())
                return
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Problems found")
            box.setText(
                f"{report.summary()}\n\nRestore the newest backup made before the problem "
                "(File → Restore from a backup…)."
            )
            box.setDetailedText("\n".join(report.problems))
            box.exec()

        tasks.run_task(
            self.shop,
            integrity.check_shop,
            done,
            lambda exc, _tb: messages.show_error(self, exc, "Check the records"),
        )

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        """Back up on the way out when something changed. The backup runs off the UI thread
        (a large shop takes seconds) behind a busy box that keeps the window painted; the
        window closes once it is done."""
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QProgressDialog

        from jewelerdesk.services import backup

        tasks.wait_for_all(30000)
        now = self.shop.changes()
        changed = now is not None and now != self._changes_at_start
        if self._closing or self.damaged or not changed:
            self.idle.pause()
            super().closeEvent(event)
            return
        self._closing = True
        self.idle.pause()  # no lock while the backup runs
        busy = QProgressDialog("Backing up today's changes before closing…", "", 0, 0, self)
        busy.setWindowTitle(APP_NAME)
        busy.setCancelButton(None)
        busy.setWindowModality(Qt.WindowModality.WindowModal)
        busy.setMinimumDuration(0)
        busy.show()
        loop = QEventLoop()
        failure: list[BaseException] = []

        def failed(exc: BaseException, _tb: str) -> None:
            failure.append(exc)
            loop.quit()

        tasks.run_task(
            self.shop,
            backup.closing_backup,
            lambda _info: loop.quit(),
            failed,
        )
        loop.exec()
        busy.close()
        if failure and not messages.ask(
            self,
            "The closing backup failed",
            f"{failure[0]}\n\nThe records themselves are saved. Close without this backup?",
        ):
            self._closing = False
            event.ignore()
            return
        self.idle.pause()
        super().closeEvent(event)

    def open_settings(self) -> None:
        from jewelerdesk.ui.dialogs.settings import SettingsDialog

        if SettingsDialog(self.shop, self).exec():
            self._set_title()

    def about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {__version__}</b><p>The shop's offline record of what each piece is made "
            "of, where each component came from, who held it, and what paperwork proves it.</p>"
            f"<p>Data folder:<br><code>{self.shop.paths.root}</code></p>",
        )

    # ------------------------------------------------------------------ status
    def _set_title(self) -> None:
        ident = self.shop.identity()
        self.setWindowTitle(f"{ident.name} — {APP_NAME}" if ident else APP_NAME)

    def update_status(self) -> None:
        page = self.tabs.currentWidget()
        self.status_detail.setText(page.status_text() if isinstance(page, TablePage) else "")
        counts = inventory.shop_counts(self.shop)
        self.count_label.setText(
            f"{counts.pieces:,} pieces · {counts.loose_stones:,} loose stones · {counts.lots:,} lots · "
            f"{counts.parties:,} parties · {counts.documents:,} documents"
        )

    def current_page(self) -> TablePage:
        page = self.tabs.currentWidget()
        assert isinstance(page, TablePage)
        return page
