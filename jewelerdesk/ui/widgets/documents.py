"""The paperwork attached to one record: list, attach (button or drag and drop), preview,
open in the system viewer. Reading a file happens in a limited subprocess, started from a
worker thread, so a slow or hostile PDF never freezes the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain.model import DOC_TYPE_LABELS, DocType, Document, SubjectKind
from jewelerdesk.services import paperwork
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.dialogs.common import combo, form, line
from jewelerdesk.ui.models.simple import ListModel

ACCEPTED = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
Index = QModelIndex | QPersistentModelIndex


def document_model(parent: Any = None) -> ListModel:
    return ListModel(
        ["Type", "Number", "Issuer", "Issued", "Pages", "File"],
        lambda d: (
            DOC_TYPE_LABELS[d.doc_type],
            d.number or "—",
            d.issuer or "—",
            d.issue_date or "—",
            str(d.page_count or 1),
            d.original_name,
        ),
        parent,
        tooltip=lambda d: f"{d.original_name}\nsha256 {d.sha256}\nadded {d.added_at}",
    )


class AttachDialog(QDialog):
    """What the paper is: type, issuer, number, dates."""

    def __init__(
        self,
        file_names: list[str],
        default_type: DocType = DocType.INVOICE,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Attach paperwork")
        f = form()
        names = ", ".join(file_names[:3]) + (
            f" and {len(file_names) - 3} more" if len(file_names) > 3 else ""
        )
        label = QLabel()
        label.setText(label.fontMetrics().elidedText(names, Qt.TextElideMode.ElideMiddle, 380))
        label.setToolTip(names)
        label.setStyleSheet("font-weight: bold;")
        self.doc_type = combo([(str(t), DOC_TYPE_LABELS[t]) for t in DocType], str(default_type))
        self.issuer = line("", "Who issued it (supplier, lab, refiner)")
        self.number = line("", "Invoice, report or certificate number")
        self.issue_date = line("", "YYYY-MM-DD")
        self.expiry_date = line("", "YYYY-MM-DD (certificates that expire)")
        f.addRow("File", label)
        f.addRow("Document type", self.doc_type)
        f.addRow("Issuer", self.issuer)
        f.addRow("Number", self.number)
        f.addRow("Issued on", self.issue_date)
        f.addRow("Expires on", self.expiry_date)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.setContentsMargins(16, 14, 16, 12)
        v.addLayout(f)
        v.addWidget(buttons)
        self.setMinimumWidth(520)

    def values(self) -> dict[str, Any]:
        return {
            "doc_type": DocType(self.doc_type.currentData()),
            "issuer": self.issuer.text().strip(),
            "number": self.number.text().strip(),
            "issue_date": self.issue_date.text().strip(),
            "expiry_date": self.expiry_date.text().strip(),
        }


class DocumentPreviewDialog(QDialog):
    def __init__(self, doc: Document, png: bytes, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{DOC_TYPE_LABELS[doc.doc_type]} — {doc.original_name}")
        tabs = QTabWidget()
        pix = QPixmap()
        pix.loadFromData(png, "PNG")
        image = QLabel()
        image.setPixmap(pix)
        image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(image)
        scroll.setWidgetResizable(True)
        tabs.addTab(scroll, "Page 1" if doc.media_type == "application/pdf" else "Image")
        text = QPlainTextEdit(doc.text or "(no text could be read from this file)")
        text.setReadOnly(True)
        tabs.addTab(text, "Text read from the file")
        info = QLabel(
            f"{doc.page_count or 1} page(s) · {doc.size:,} bytes · sha256 {doc.sha256[:16]}…"
        )
        info.setStyleSheet("color: palette(mid);")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addWidget(tabs, 1)
        v.addWidget(info)
        v.addWidget(buttons)
        self.resize(760, 860)


class DocumentsPanel(QWidget):
    documents_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(
        self, shop: Shop, kind: SubjectKind, subject_id: str | None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.shop = shop
        self.kind = kind
        self.subject_id = subject_id
        self.busy = False
        self.last_error: BaseException | None = None
        self.model = document_model(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _i: self.preview())
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.attach_btn = QPushButton("Attach…")
        self.attach_btn.clicked.connect(self.choose_files)
        self.preview_btn = QPushButton("Preview")
        self.preview_btn.clicked.connect(self.preview)
        self.open_btn = QPushButton("Open in viewer")
        self.open_btn.clicked.connect(self.open_external)
        row = QHBoxLayout()
        row.addWidget(self.attach_btn)
        row.addWidget(self.preview_btn)
        row.addWidget(self.open_btn)
        row.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.view, 1)
        v.addWidget(self.progress)
        v.addWidget(self.hint)
        v.addLayout(row)
        self.setAcceptDrops(True)
        self.set_subject(subject_id)

    # ------------------------------------------------------------------ state
    def set_subject(self, subject_id: str | None) -> None:
        self.subject_id = subject_id
        enabled = subject_id is not None
        self.attach_btn.setEnabled(enabled)
        self.refresh()

    def refresh(self) -> None:
        docs = (
            paperwork.documents_for(self.shop, self.kind, self.subject_id)
            if self.subject_id
            else []
        )
        self.model.set_rows(docs)
        has = bool(docs)
        self.preview_btn.setEnabled(has)
        self.open_btn.setEnabled(has)
        if self.subject_id is None:
            self.hint.setText("Save the record first, then attach its paperwork here.")
        elif not has:
            self.hint.setText(
                "No paperwork yet. Attach invoices, reports or certificates, or drop PDF, JPEG, PNG or TIFF files here."
            )
        else:
            self.hint.setText(
                "Drop more files here to attach them. Double-click a document to preview it."
            )

    def selected(self) -> Document | None:
        idx = self.view.currentIndex()
        if idx.isValid():
            return self.model.rows[idx.row()]
        return self.model.rows[0] if self.model.rows else None

    # ------------------------------------------------------------------ attaching
    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Attach paperwork",
            "",
            "Documents (*.pdf *.jpg *.jpeg *.png *.tif *.tiff);;All files (*)",
        )
        if files:
            self.attach_paths([Path(f) for f in files])

    def attach_paths(
        self, paths: list[Path], doc_type: DocType | None = None, **details: str
    ) -> None:
        """Attach files (from the picker or a drop). With ``doc_type`` given, no dialog is asked."""
        if self.subject_id is None or not paths:
            return
        if doc_type is None:
            dlg = AttachDialog([p.name for p in paths], parent=self)
            if not dlg.exec():
                return
            values = dlg.values()
        else:
            values = {"doc_type": doc_type, **details}
        kind, subject = self.kind, self.subject_id

        def work(shop: Shop) -> list[paperwork.AttachResult]:
            return [paperwork.attach(shop, kind, subject, p, **values) for p in paths]

        self._set_busy(True)
        tasks.run_task(self.shop, work, self._attached, self._failed)

    def _attached(self, results: list[paperwork.AttachResult]) -> None:
        self._set_busy(False)
        self.refresh()
        self.documents_changed.emit()
        again = [r.document.original_name for r in results if r.already_stored]
        if again:
            QMessageBox.information(
                self,
                "Already stored",
                "These files were already in the shop's records and are now linked here too "
                "(stored once): " + ", ".join(again),
            )

    def _failed(self, exc: BaseException, _tb: str) -> None:
        self._set_busy(False)
        self.last_error = exc
        self.refresh()
        self.documents_changed.emit()
        messages.show_error(self, exc, "Attach paperwork")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.attach_btn.setEnabled(not busy and self.subject_id is not None)
        if busy:
            self.hint.setText("Reading the file…")
        self.busy_changed.emit(busy)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if (
            self.subject_id
            and urls
            and all(u.isLocalFile() and u.toLocalFile().lower().endswith(ACCEPTED) for u in urls)
        ):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        self.attach_paths(paths)

    # ------------------------------------------------------------------ viewing
    def preview(self) -> None:
        doc = self.selected()
        if doc is None:
            return
        self._set_busy(True)
        self.hint.setText("Drawing the preview…")
        tasks.run_task(
            self.shop,
            lambda shop: paperwork.render_preview(shop, doc),
            lambda png: self._show_preview(doc, png),
            self._failed,
        )

    def _show_preview(self, doc: Document, png: bytes) -> None:
        self._set_busy(False)
        self.refresh()
        self.preview_dialog = DocumentPreviewDialog(doc, png, self)
        self.preview_dialog.show()

    def open_external(self) -> None:
        doc = self.selected()
        if doc is None:
            return
        try:
            path = paperwork.copy_for_viewing(self.shop, doc)
        except Exception as exc:
            messages.show_error(self, exc)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
