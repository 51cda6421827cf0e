"""Seeing and closing the chain of custody: a piece's timeline per component, the dialog
that records an upstream hop (or corrects one), and the wizard that walks through gaps."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain.custody import (
    CONFIDENCE_COLOURS,
    UPSTREAM_HOPS,
    Confidence,
    Hop,
)
from jewelerdesk.domain.gaps import Action, Gap
from jewelerdesk.domain.model import DocType, SubjectKind
from jewelerdesk.errors import JewelerDeskError, ValidationError
from jewelerdesk.services import custody, inventory, paperwork
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages
from jewelerdesk.ui.dialogs.common import (
    RecordDialog,
    combo,
    country_combo,
    country_value,
    form,
    line,
    party_choices,
)

SEVERITY_COLOURS = {"Critical": "#8e1b10", "High": "#b9472f", "Medium": "#a8790c", "Low": "#5b6b73"}


# ----------------------------------------------------------------------------- timeline


def timeline_html(chain: custody.PieceCustody) -> str:
    """Each component's hops, oldest first: date, what happened, who, where, how it is known
    (colour and words), evidence one click away; corrected entries struck through."""
    if not chain.components:
        return "<p>This piece has no stones or metal recorded yet.</p>"
    out = [
        "<style>td{padding:2px 8px 2px 0;vertical-align:top} .muted{color:#666}"
        " .old{color:#999;text-decoration:line-through}</style>"
    ]
    for c in chain.components:
        out.append(f"<h3 style='margin:10px 0 4px 0'>{escape(c.label)}</h3>")
        if not c.hops:
            out.append("<p class='muted'>No custody events recorded.</p>")
            continue
        out.append("<table cellspacing='0'>")
        for h in c.hops:
            e = h.event
            colour = CONFIDENCE_COLOURS[e.confidence]
            cls = " class='old'" if h.corrected_by or h.retracted else ""
            where = f", {escape(h.country)}" if h.country else ""
            docs = " ".join(
                f"<a href='doc:{d.id}'>{escape(d.original_name)}</a>" for d in h.evidence
            )
            links = ""
            if e.hop in UPSTREAM_HOPS and not h.corrected_by and not h.retracted:
                links = f" <a href='correct:{e.id}'>correct</a> · <a href='withdraw:{e.id}'>withdraw</a>"
            status = ""
            if h.corrected_by:
                status = " <i class='muted'>(corrected)</i>"
            elif e.corrects_event_id and not h.retracted:
                status = " <i class='muted'>(correction)</i>"
            note = f"<br><span class='muted'>{escape(e.note)}</span>" if e.note else ""
            out.append(
                f"<tr><td{cls}>{escape(h.day)}</td>"
                f"<td{cls}><b>{escape(h.label)}</b>{status}</td>"
                f"<td{cls}>{escape(h.party) or '<i>party not recorded</i>'}{where}{note}</td>"
                f"<td><span style='color:{colour};font-weight:bold'>● {escape(h.confidence)}</span></td>"
                f"<td>{docs}{links}</td></tr>"
            )
        out.append("</table>")
        if c.documents:
            papers = ", ".join(
                f"<a href='doc:{d.id}'>{escape(d.original_name)}</a>" for d in c.documents
            )
            out.append(f"<p class='muted' style='margin-top:2px'>Paperwork: {papers}</p>")
    out.append(
        "<p class='muted' style='margin-top:10px'>How each hop is known: "
        + " · ".join(
            f"<span style='color:{CONFIDENCE_COLOURS[c]}'>● {label}</span>"
            for c, label in (
                (Confidence.DOCUMENTED, "documented (paper attached)"),
                (Confidence.SUPPLIER_DECLARED, "supplier-declared"),
                (Confidence.OWNER_ASSERTED, "owner-asserted"),
                (Confidence.INFERRED, "inferred from the stock records"),
            )
        )
        + "</p>"
    )
    return "".join(out)


class TimelinePanel(QWidget):
    """A piece's chain of custody with the actions that extend or correct it."""

    def __init__(self, shop: Shop, sku: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.sku = sku
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._link)
        add = QPushButton("Add an earlier hop…")
        add.clicked.connect(lambda: self.add_hop())
        bar = QHBoxLayout()
        bar.addWidget(
            QLabel("Where each stone and metal came from, and who held it on the way."), 1
        )
        bar.addWidget(add)
        v = QVBoxLayout(self)
        v.setContentsMargins(6, 6, 6, 6)
        v.addLayout(bar)
        v.addWidget(self.view, 1)
        self.refresh()

    def refresh(self) -> None:
        if not self.sku:
            self.view.setHtml("<p>Save the piece to record its chain of custody.</p>")
            return
        self.chain = custody.piece_custody(self.shop, self.sku)
        self.view.setHtml(timeline_html(self.chain))

    def add_hop(self, component_id: str | None = None) -> bool:
        if not self.sku:
            return False
        dialog = HopDialog(self.shop, self.chain, component_id, parent=self)
        done = bool(dialog.exec())
        self.refresh()
        return done

    def _link(self, url: QUrl) -> None:
        kind, _, ref = url.toString().partition(":")
        if kind == "doc":
            open_document(self, self.shop, ref)
        elif kind == "correct":
            HopDialog(self.shop, self.chain, None, correcting=ref, parent=self).exec()
            self.refresh()
        elif kind == "withdraw":
            reason, ok = QInputDialog.getText(
                self, "Withdraw an entry", "Why should this entry not have been recorded?"
            )
            if ok:
                try:
                    custody.retract_event(self.shop, ref, reason)
                except JewelerDeskError as exc:
                    messages.show_error(self, exc, "Withdraw an entry")
                self.refresh()


def open_document(parent: QWidget, shop: Shop, doc_id: str) -> None:
    from PySide6.QtGui import QDesktopServices

    from jewelerdesk.store import records

    doc = records.get_document(shop.db, doc_id)
    if doc is None:
        return
    try:
        path = paperwork.copy_for_viewing(shop, doc)
    except JewelerDeskError as exc:
        messages.show_error(parent, exc, "Open document")
        return
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


# ----------------------------------------------------------------------------- hop dialog

_HOP_HELP = {
    Hop.MINED: "Where and by whom it was mined. The party becomes the first owner.",
    Hop.GROWN: "The laboratory-grown producer. The party becomes the first owner.",
    Hop.REFINED: "The refiner that produced the metal.",
    Hop.RECYCLED: "The recycler that recovered the metal.",
    Hop.GRANDFATHERED: "Stock held before the Russian-diamond bans, with the proof of when.",
    Hop.CUT: "Who cut and polished it (they held it; ownership does not change).",
    Hop.GRADED: "The laboratory that graded it.",
    Hop.EXPORTED: "Who exported it, and from which country.",
    Hop.IMPORTED: "Who imported it, and into which country.",
    Hop.TRANSFERRED: "A sale between traders: from whom, to whom.",
}


class HopDialog(RecordDialog):
    """Record an upstream hop for one of a piece's components, or correct one."""

    def __init__(
        self,
        shop: Shop,
        chain: custody.PieceCustody,
        component_id: str | None = None,
        correcting: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__("Correct an entry" if correcting else "Add an earlier hop", parent)
        self.shop = shop
        self.chain = chain
        self.correcting = correcting
        old = custody.get_event(shop, correcting) if correcting else None
        if old is not None and old.subjects:
            component_id = old.subjects[0].id
        self.component = combo([(c.id, c.label) for c in chain.components], component_id)
        self.hop = combo([(str(h), h.info.label) for h in UPSTREAM_HOPS], str(Hop.MINED))
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: #555;")
        self.day = line("", "YYYY-MM-DD (the date on the paperwork)")
        parties = custody.upstream_parties(shop)
        self.party = combo(party_choices(parties, "— not known —"))
        self.from_party = combo(party_choices(parties, "— not known —"))
        self.country = country_combo()
        self.region = line("", "ISO 3166-2, e.g. CD-SK (optional)")
        self.confidence = combo(
            [(str(c), label) for c, label in custody.confidence_choices()],
            str(Confidence.OWNER_ASSERTED),
        )
        self.evidence = combo([(None, "— none —")])
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Where this comes from, e.g. 'supplier's letter of 3 May'")
        self.note.setFixedHeight(54)
        f = form()
        f.addRow("Component", self.component)
        f.addRow("What happened", self.hop)
        f.addRow("", self.help)
        f.addRow("Date", self.day)
        f.addRow("Party", self.party)
        self.from_label = QLabel("From")
        f.addRow(self.from_label, self.from_party)
        f.addRow("Country", self.country)
        f.addRow("Region", self.region)
        f.addRow("How it is known", self.confidence)
        f.addRow("Evidence", self.evidence)
        f.addRow("Note", self.note)
        self.body.addLayout(f)
        self.fields = {
            "event_time": self.day,
            "location_country": self.country,
            "location_region": self.region,
            "dest_owner_id": self.party,
            "dest_possessor_id": self.party,
            "source_owner_id": self.from_party,
            "source_possessor_id": self.from_party,
            "subjects": self.component,
        }
        self.hop.currentIndexChanged.connect(lambda _i: self._hop_changed())
        self.component.currentIndexChanged.connect(lambda _i: self._fill_evidence())
        self._fill_evidence()
        if old is not None:
            from jewelerdesk.ui.dialogs.common import select

            select(self.hop, str(old.hop))
            self.day.setText(old.day)
            owner = old.info.role == "owner"
            select(self.party, old.dest_owner_id if owner else old.dest_possessor_id)
            select(self.from_party, old.source_owner_id if owner else old.source_possessor_id)
            select(self.country, old.location_country)
            self.region.setText(old.location_region)
            select(self.confidence, str(old.confidence))
            if old.evidence:
                select(self.evidence, old.evidence[0])
            self.note.setPlainText(old.note)
            self.component.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Record correction" if correcting else "Record hop"
        )
        self._hop_changed()
        self.setMinimumWidth(560)

    def _hop_changed(self) -> None:
        hop = Hop(self.hop.currentData())
        self.help.setText(_HOP_HELP.get(hop, ""))
        transfer = hop == Hop.TRANSFERRED
        self.from_label.setVisible(transfer)
        self.from_party.setVisible(transfer)

    def _fill_evidence(self) -> None:
        cid = self.component.currentData()
        comp = next((c for c in self.chain.components if c.id == cid), None)
        self.evidence.clear()
        self.evidence.addItem("— none —", None)
        if comp is not None:
            for d in comp.documents:
                self.evidence.addItem(d.original_name, d.id)

    def save(self) -> object:
        cid = self.component.currentData()
        comp = next((c for c in self.chain.components if c.id == cid), None)
        if comp is None:
            raise ValidationError({"subjects": "Choose the stone or metal this hop is about."})
        hop = Hop(self.hop.currentData())
        evidence = [self.evidence.currentData()] if self.evidence.currentData() else []
        args: dict[str, Any] = {
            "day": self.day.text(),
            "party_id": self.party.currentData(),
            "from_party_id": self.from_party.currentData() if hop == Hop.TRANSFERRED else None,
            "country": country_value(self.country),
            "region": self.region.text(),
            "confidence": Confidence(self.confidence.currentData()),
            "evidence": evidence,
            "note": self.note.toPlainText(),
        }
        if not args["day"].strip():
            raise ValidationError({"event_time": "Enter the date of the hop (YYYY-MM-DD)."})
        if self.correcting:
            self.event = custody.correct_hop(self.shop, self.correcting, hop=hop, **args)
        else:
            kind = SubjectKind.STONE if comp.kind == "stone" else SubjectKind.LOT
            self.event = custody.record_hop(self.shop, hop, kind, comp.id, **args)
        return None


# ----------------------------------------------------------------------------- wizard


def _key(g: Gap) -> tuple[str, str, str]:
    return (g.rule, g.component_id, g.title)


def _once(pairs: list[tuple[str, Gap]]) -> list[tuple[str, Gap]]:
    """Each gap once (the first piece that shows it), in order."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for sku, g in pairs:
        if _key(g) not in seen:
            seen.add(_key(g))
            out.append((sku, g))
    return out


class GapWizard(QDialog):
    """One open gap at a time, most severe first, with exactly the actions that close it.

    The list is re-checked after every action. Skipped gaps are remembered (a note in the
    data folder, not a record) so the wizard can be left and resumed; it ends with what was
    closed, what was recorded as unknown and what remains. A lot's gap shared by several
    pieces is one gap."""

    def __init__(self, shop: Shop, skus: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Close custody gaps")
        self.shop = shop
        self.skus = skus
        self.closed: list[tuple[str, Gap]] = []
        self.acknowledged: list[tuple[str, Gap]] = []
        self.skipped: set[tuple[str, str, str]] = self._load_skipped()
        self.current: tuple[str, Gap] | None = None
        self.start_keys: set[tuple[str, str, str]] = set()

        self.progress = QLabel()
        self.progress.setStyleSheet("color: #555;")
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setMinimumHeight(120)
        self.actions_box = QVBoxLayout()
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(
            "Why is this unknown? e.g. 'Estate piece bought in 2019; the seller had no paperwork'"
        )
        self.reason.setFixedHeight(54)
        self.error = messages.error_label()
        self.back_btn = QPushButton("Start over")
        self.skip_btn = QPushButton("Skip for now")
        self.close_btn = QPushButton("Leave (resume later)")
        self.back_btn.setAutoDefault(False)  # Enter never clears the skipped list
        self.close_btn.setAutoDefault(False)
        self.skip_btn.setDefault(True)
        self.back_btn.clicked.connect(self._start_over)
        self.skip_btn.clicked.connect(self._skip)
        self.close_btn.clicked.connect(self.accept)
        nav = QHBoxLayout()
        nav.addWidget(self.back_btn)
        nav.addStretch(1)
        nav.addWidget(self.skip_btn)
        nav.addWidget(self.close_btn)
        v = QVBoxLayout(self)
        v.setContentsMargins(16, 14, 16, 12)
        v.addWidget(self.progress)
        v.addWidget(self.heading)
        v.addWidget(self.text, 1)
        v.addLayout(self.actions_box)
        v.addWidget(self.error)
        v.addSpacing(6)
        v.addLayout(nav)
        self.resize(760, 480)
        self._all_open = self._open_gaps()
        self.start_keys = {_key(g) for _, g in self._all_open}
        self._next()

    # --- state ------------------------------------------------------------------------
    def _load_skipped(self) -> set[tuple[str, str, str]]:
        return custody.wizard_skipped(self.shop)

    def _save_skipped(self) -> None:
        custody.save_wizard_skipped(self.shop, self.skipped)

    def _open_gaps(self) -> list[tuple[str, Gap]]:
        ids = [i for i in (self._item_id(s) for s in self.skus) if i]
        found = custody.gaps_for_items(self.shop, ids)
        pairs = [(p.sku, g) for p in found for g in p.gaps]
        pairs.sort(key=lambda pg: (-pg[1].severity, pg[0], int(pg[1].rule[1:])))
        return pairs

    def _item_id(self, sku: str) -> str | None:
        from jewelerdesk.store import records

        return records.find_item_id_by_sku(self.shop.db, sku)

    def remaining(self) -> list[tuple[str, Gap]]:
        """The open gaps still to see, each once: a lot's gap shared by several pieces is
        one gap to close (closing it closes it for all of them)."""
        return [pg for pg in _once(self._all_open) if _key(pg[1]) not in self.skipped]

    # --- steps ------------------------------------------------------------------------
    def _next(self) -> None:
        self.error.clear()
        self.reason.clear()
        before = {_key(g): (sku, g) for sku, g in self._all_open}
        self._all_open = self._open_gaps()
        now = {_key(g) for _, g in self._all_open}
        for k, pg in before.items():
            if k not in now and k in self.start_keys and pg not in self.acknowledged:
                if all(_key(g) != k for _, g in self.closed):
                    self.closed.append(pg)
        todo = self.remaining()
        if not todo:
            self._summary()
            return
        self.current = todo[0]
        self.skip_btn.show()
        self.close_btn.setText("Leave (resume later)")
        sku, g = self.current
        total = len(self.start_keys)
        done = len(self.closed) + len(self.acknowledged)
        self.progress.setText(
            f"{done} of {total} gaps dealt with · {len(todo)} to go"
            + (f" · {len(self.skipped)} skipped" if self.skipped else "")
        )
        colour = SEVERITY_COLOURS.get(g.severity.label, "#333")
        self.heading.setText(
            f"<span style='color:{colour};font-weight:bold'>{g.severity.label} · {g.rule}</span>"
            f" &nbsp;<b style='font-size:15px'>{escape(g.title)}</b><br>"
            f"<span style='color:#555'>Piece {escape(sku)} · {escape(g.component_label)}</span>"
        )
        self.text.setHtml(
            f"<p>{escape(g.explanation)}</p><p style='color:#555'><i>Basis: {escape(g.basis)}</i></p>"
        )
        self._build_actions(sku, g)

    def _clear_actions(self) -> None:
        while self.actions_box.count():
            item = self.actions_box.takeAt(0)
            w = item.widget()
            if w is not None:
                w.setParent(None)
            elif item.layout() is not None:
                lay = item.layout()
                while lay.count():
                    sub = lay.takeAt(0).widget()
                    if sub is not None:
                        sub.setParent(None)

    def _build_actions(self, sku: str, g: Gap) -> None:
        self._clear_actions()
        self.actions_box.addWidget(QLabel("<b>What closes it</b>"))
        for a in g.actions:
            if a.kind == "acknowledge":
                continue
            btn = QPushButton(
                a.label + ("…" if a.kind in ("attach", "hop", "field", "party") else "")
            )
            btn.setStyleSheet("text-align: left; padding: 5px 10px;")
            btn.clicked.connect(lambda _c=False, act=a: self._do(sku, g, act))
            self.actions_box.addWidget(btn)
        if any(a.kind == "acknowledge" for a in g.actions):
            self.actions_box.addWidget(
                QLabel("Or record it as unknown (printed on the certificate as owner-asserted):")
            )
            row = QHBoxLayout()
            row.addWidget(self.reason, 1)
            ack = QPushButton("Record as unknown")
            ack.clicked.connect(lambda: self._acknowledge(sku, g))
            row.addWidget(ack)
            self.actions_box.addLayout(row)

    # --- actions ------------------------------------------------------------------------
    def _do(self, sku: str, g: Gap, a: Action) -> None:
        try:
            if a.kind == "attach":
                self._attach(g, a)
            elif a.kind == "hop":
                panel_chain = custody.piece_custody(self.shop, sku)
                HopDialog(self.shop, panel_chain, g.component_id, parent=self).exec()
            elif a.kind == "screen":
                custody.screen_parties(self.shop, [a.field_name])
            elif a.kind == "party":
                from jewelerdesk.ui.dialogs.party import PartyDialog

                PartyDialog(self.shop, a.field_name, self).exec()
            elif a.kind == "field":
                self._edit_field(sku, g, a)
        except JewelerDeskError as exc:
            self.error.setText(exc.message)
            return
        self._next()

    def _attach(self, g: Gap, a: Action) -> None:
        from jewelerdesk.ui.widgets.documents import AttachDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Attach paperwork", "", "Documents (*.pdf *.jpg *.jpeg *.png *.tif *.tiff)"
        )
        if not path:
            return
        from pathlib import Path

        dialog = AttachDialog([Path(path).name], a.doc_type or DocType.OTHER, self)
        if not dialog.exec():
            return
        self.attach_file(g, Path(path), dialog.values())

    def attach_file(self, g: Gap, path: Any, values: dict[str, Any]) -> None:
        """Attach to the gap's component (a stone, a lot, or the piece itself), then offer
        the statements found in it for confirmation."""
        kind = {"stone": SubjectKind.STONE, "lot": SubjectKind.LOT}.get(
            g.component, SubjectKind.ITEM
        )
        result = paperwork.attach(self.shop, kind, g.component_id, path, **values)
        self._confirm_statements(result.document)

    def _confirm_statements(self, doc: Any) -> None:
        from jewelerdesk.domain.statements import detect_statements, statements

        names = {s.id: s.kind for s in statements()}
        for found in detect_statements(doc.text):
            if self.auto_confirm is None:
                answer = messages.ask(
                    self,
                    "Statement found",
                    f"The document contains the {names.get(found.id, found.id)} statement "
                    f"({found.score:.0f}% match). Record it as received?",
                )
            else:
                answer = self.auto_confirm
            if answer:
                custody.confirm_statement(self.shop, doc.id, found.id)

    auto_confirm: bool | None = None  # tests answer the question without a dialog

    def _edit_field(self, sku: str, g: Gap, a: Action) -> None:
        if a.field_name == "country_of_mining" and g.component == "stone":
            FieldDialog(self.shop, g.component_id, self).exec()
            return
        if g.component == "lot":
            from jewelerdesk.ui.dialogs.lot import LotDialog

            LotDialog(self.shop, g.component_id, self).exec()
            return
        from jewelerdesk.ui.dialogs.piece import PieceEditor

        item_id = self._item_id(sku)
        if item_id:
            PieceEditor(self.shop, item_id, self).exec()

    def _acknowledge(self, sku: str, g: Gap) -> None:
        try:
            custody.acknowledge_gap(self.shop, g.rule, g.component_id, self.reason.toPlainText())
        except ValidationError as exc:
            self.error.setText(next(iter(exc.errors.values())))
            return
        self.acknowledged.append((sku, g))
        self._next()

    def _skip(self) -> None:
        if self.current is not None:
            self.skipped.add(_key(self.current[1]))
            self._save_skipped()
        self._next()

    def _start_over(self) -> None:
        self.skipped.clear()
        self._save_skipped()
        self._next()

    def _summary(self) -> None:
        self.current = None
        self._clear_actions()
        self.skip_btn.hide()
        self.close_btn.setText("Done")
        left = _once(self._all_open)
        self.progress.setText("")
        self.heading.setText("<b style='font-size:15px'>Summary</b>")

        def items(pairs: list[tuple[str, Gap]]) -> str:
            return "".join(
                f"<li>{escape(sku)} · {g.rule} · {escape(g.title)}</li>" for sku, g in pairs
            )

        html = [f"<p><b>Closed: {len(self.closed)}</b></p><ul>{items(self.closed)}</ul>"]
        html.append(
            f"<p><b>Recorded as unknown: {len(self.acknowledged)}</b></p><ul>{items(self.acknowledged)}</ul>"
        )
        html.append(f"<p><b>Still open: {len(left)}</b></p><ul>{items(left)}</ul>")
        if left and self.skipped:
            html.append("<p>Skipped gaps stay open; “Start over” shows them again.</p>")
        self.text.setHtml("".join(html))


class FieldDialog(RecordDialog):
    """Fill in a stone's country (and region) of mining, validated by the service."""

    def __init__(self, shop: Shop, stone_id: str, parent: QWidget | None = None):
        super().__init__("Country of mining", parent)
        self.shop = shop
        self.stone = inventory.get_stone(shop, stone_id)
        self.country = country_combo(self.stone.country_of_mining)
        self.region = line(self.stone.region_of_mining, "ISO 3166-2, e.g. BW-CE (optional)")
        f = form()
        f.addRow("Country of mining", self.country)
        f.addRow("Region", self.region)
        self.body.addLayout(f)
        self.fields = {"country_of_mining": self.country, "region_of_mining": self.region}
        self.setMinimumWidth(460)

    def save(self) -> object:
        self.stone.country_of_mining = country_value(self.country)
        self.stone.region_of_mining = self.region.text()
        if not self.stone.country_of_mining:
            raise ValidationError({"country_of_mining": "Choose the country of mining."})
        inventory.save_stone_fields(self.shop, self.stone)
        return None
