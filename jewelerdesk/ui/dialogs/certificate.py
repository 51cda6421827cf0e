"""A piece's certificate at the counter: look at it, issue it, print it, save or open it.

Before a certificate is issued the dialog shows a preview (marked PREVIEW, not signed). Issuing
signs and archives it; from then on the dialog shows the archived bytes, which are what is
printed, saved and opened. A correction is a reissue (version n+1), a withdrawal a void, and
both ask why.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.domain.sales import IssuedCertificate
from jewelerdesk.errors import JewelerDeskError, StorageError
from jewelerdesk.services import certificates
from jewelerdesk.services.shop import Shop
from jewelerdesk.ui import messages, tasks
from jewelerdesk.ui.dialogs.staff import CANCELLED, ask_manager_pin

PREVIEW_DPI = 110
STATUS_WORDS = {"current": "current", "superseded": "replaced by a later version", "voided": "VOID"}


def _render(pdf: bytes) -> tuple[bytes, list[Any]]:
    from jewelerdesk.certificates.raster import render_pages

    return pdf, render_pages(pdf, dpi=PREVIEW_DPI)


class CertificateDialog(QDialog):
    issued = Signal(object)  # the IssuedCertificate just issued, reissued or voided

    def __init__(self, shop: Shop, sku: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.sku = sku
        self.setWindowTitle(f"Certificate — {sku}")
        self.pdf: bytes | None = None  # the bytes shown (archived bytes once issued)
        self.shown: IssuedCertificate | None = None  # None while previewing
        self.versions: list[IssuedCertificate] = []
        self.busy = False
        self.page_pixmaps: list[Any] = []
        self.page_labels: list[QLabel] = []

        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.version_box = QComboBox()
        self.version_box.setMinimumContentsLength(30)
        self.version_box.currentIndexChanged.connect(self._version_chosen)
        top = QHBoxLayout()
        top.addWidget(self.state, 1)
        top.addWidget(self.version_box)

        self.pages = QWidget()
        self.pages.setStyleSheet("background: #8a8f98;")
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setSpacing(14)
        self.pages_layout.setContentsMargins(18, 18, 18, 18)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.pages)
        self.scroll.setWidgetResizable(True)
        self.scroll.setMinimumSize(640, 420)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.error_line = messages.error_label()

        def button(text: str, slot: Any, tip: str = "") -> QPushButton:
            b = QPushButton(text)
            b.clicked.connect(slot)
            b.setAutoDefault(False)
            if tip:
                b.setToolTip(tip)
            return b

        self.issue_btn = button(
            "Issue certificate", self.issue, "Sign and archive it; it cannot be changed afterwards."
        )
        self.print_btn = button("Print…", self.print_certificate)
        self.save_btn = button("Save PDF…", self.save_pdf)
        self.open_btn = button("Open in PDF viewer", self.open_pdf)
        self.reissue_btn = button(
            "Correct (reissue)…", self.reissue, "Issue a corrected version; this one is kept."
        )
        self.void_btn = button("Void…", self.void, "Withdraw this certificate, with a reason.")
        close_btn = button("Close", self.accept)
        bar = QHBoxLayout()
        for b in (self.issue_btn, self.print_btn, self.save_btn, self.open_btn):
            bar.addWidget(b)
        bar.addStretch(1)
        for b in (self.reissue_btn, self.void_btn, close_btn):
            bar.addWidget(b)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 12)
        outer.addLayout(top)
        outer.addWidget(self.scroll, 1)
        outer.addWidget(self.error_line)
        outer.addLayout(bar)
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen else None
        self.resize(
            min(room.width() - 40, 960) if room else 900,
            max(600, min(room.height() - 80, 1000)) if room else 900,
        )
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self, select: IssuedCertificate | None = None) -> None:
        """Show the newest issued version, or a preview if none was issued yet."""
        try:
            self.versions = certificates.certificates_of(self.shop, self.sku)
        except JewelerDeskError as exc:
            self._fail(exc)
            return
        self.version_box.blockSignals(True)
        self.version_box.clear()
        for c in reversed(self.versions):
            self.version_box.addItem(
                f"{c.number} v{c.version} · {c.issued_at[:10]} · {STATUS_WORDS.get(c.status, c.status)}",
                c,
            )
        self.version_box.setVisible(bool(self.versions))
        self.version_box.blockSignals(False)
        if select is not None:
            i = next(
                (
                    i
                    for i in range(self.version_box.count())
                    if self.version_box.itemData(i).id == select.id
                ),
                0,
            )
            self.version_box.setCurrentIndex(i)
        if self.versions:
            self._show_version(self.version_box.currentData())
        else:
            self._show_preview()

    def _version_chosen(self, _index: int) -> None:
        c = self.version_box.currentData()
        if c is not None:
            self._show_version(c)

    def _show_preview(self) -> None:
        self.shown = None
        self._set_state(
            "<b>Preview — not issued yet.</b> Check the wording, then <b>Issue certificate</b>. "
            "Once issued it is signed and archived and can no longer be changed."
        )
        sku = self.sku

        def preview(shop: Shop) -> tuple[bytes, list[Any]]:
            shown = _render(certificates.preview_certificate(shop, sku))
            certificates.warm_up(shop)  # so that "Issue" does not wait for pyHanko's imports
            return shown

        self._load(preview)

    def _show_version(self, c: IssuedCertificate) -> None:
        self.shown = c
        if c.status == "voided":
            text = (
                f"<b style='color:#b03a2e'>Certificate {c.number} version {c.version} is VOID.</b> "
                f"Reason: {c.status_reason}"
            )
        elif c.status == "superseded":
            text = (
                f"<b>Certificate {c.number} version {c.version}</b> — replaced by a later version "
                f"({c.status_reason})."
            )
        else:
            text = (
                f"<b>Certificate {c.number} version {c.version}</b>, issued {c.issued_at[:16].replace('T', ' ')}. "
                "This is the archived copy: printing it again gives the same document."
            )
        self._set_state(text)
        number, version = c.number, c.version
        self._load(lambda shop: _render(certificates.archived_copy(shop, number, version)))

    def _set_state(self, html: str) -> None:
        self.state.setText(html)
        messages.clear_field_errors({}, self.error_line)

    def _load(self, fn: Any) -> None:
        self._busy(True, "Preparing the certificate…")
        tasks.run_task(self.shop, fn, self._loaded, lambda exc, _tb: self._fail(exc))

    def _loaded(self, result: tuple[bytes, list[Any]]) -> None:
        from jewelerdesk.ui.printing import to_pixmap

        self.pdf, pages = result
        self._clear_pages()
        self.page_pixmaps = [to_pixmap(page) for page in pages]
        self.page_labels = []
        for _pixmap in self.page_pixmaps:
            label = QLabel()
            label.setStyleSheet("background: white; border: 1px solid #5d626b;")
            self.pages_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_labels.append(label)
        self._busy(False)
        self._fit_pages()

    def _fit_pages(self) -> None:
        """Each page as wide as the view allows (never wider than it was drawn)."""
        from jewelerdesk.ui.printing import smooth

        margins = self.pages_layout.contentsMargins()
        room = self.scroll.viewport().width() - margins.left() - margins.right() - 4
        for pixmap, label in zip(self.page_pixmaps, self.page_labels, strict=True):
            width = max(200, min(room, pixmap.width()))
            label.setPixmap(pixmap if width == pixmap.width() else smooth(pixmap, width))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self.page_labels:
            self._fit_pages()

    def _clear_pages(self) -> None:
        self.page_pixmaps, self.page_labels = [], []
        while self.pages_layout.count():
            w = self.pages_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()

    def _fail(self, exc: BaseException) -> None:
        self._busy(False)
        self.error_line.setText(messages.describe(exc))
        self.error_line.show()

    def _busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        if busy:
            self._clear_pages()
            wait = QLabel(text)
            wait.setStyleSheet("color: white; font-size: 15px; padding: 40px;")
            self.pages_layout.addWidget(wait, 0, Qt.AlignmentFlag.AlignHCenter)
        issued = self.shown is not None
        current = issued and self.shown is not None and self.shown.status == "current"
        # once the piece's certificate is voided (none stands), a new one can be issued
        all_void = bool(self.versions) and all(c.status != "current" for c in self.versions)
        self.issue_btn.setVisible(not issued or all_void)
        self.issue_btn.setText("Issue a new certificate" if all_void else "Issue certificate")
        self.issue_btn.setEnabled(not busy)
        void = self.shown is not None and self.shown.status == "voided"
        for b in (self.print_btn, self.save_btn, self.open_btn):
            # a voided certificate is shown, never printed or saved again
            b.setEnabled(not busy and issued and self.pdf is not None and not void)
        self.reissue_btn.setVisible(issued)
        self.void_btn.setVisible(issued)
        self.reissue_btn.setEnabled(not busy and current)
        self.void_btn.setEnabled(not busy and current)
        if not busy:
            (self.print_btn if issued else self.issue_btn).setDefault(True)

    # ------------------------------------------------------------------ actions
    def issue(self) -> None:
        sku = self.sku
        self._busy(True, "Signing and archiving the certificate…")
        tasks.run_task(
            self.shop,
            lambda shop: certificates.issue_certificate(shop, sku).certificate,
            self._issued,
            lambda exc, _tb: self._fail(exc),
        )

    def _issued(self, c: IssuedCertificate) -> None:
        self.issued.emit(c)
        self.reload(select=c)

    def _reason(self, title: str, question: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, question, QLineEdit.EchoMode.Normal)
        if not ok:
            return None
        if not text.strip():
            self._fail(JewelerDeskError("Nothing was changed: a reason is needed."))
            return None
        return text.strip()

    def reissue(self) -> None:
        if self.shown is None:
            return
        reason = self._reason(
            "Correct the certificate",
            f"What was corrected? Version {self.shown.version} stays on record as replaced.",
        )
        if reason is None:
            return
        approval = ask_manager_pin(self, self.shop, "correct a certificate")
        if approval is CANCELLED:
            return
        number = self.shown.number
        self._busy(True, "Issuing the corrected version…")
        tasks.run_task(
            self.shop,
            lambda shop: certificates.reissue(shop, number, reason, approval).certificate,  # type: ignore[arg-type]
            self._issued,
            lambda exc, _tb: self._fail(exc),
        )

    def void(self) -> None:
        if self.shown is None:
            return
        reason = self._reason(
            "Void the certificate",
            f"Why is {self.shown.number} being withdrawn? Anyone who verifies it will be told.",
        )
        if reason is None:
            return
        approval = ask_manager_pin(self, self.shop, "void a certificate")
        if approval is CANCELLED:
            return
        try:
            c = certificates.void(self.shop, self.shown.number, reason, approval)  # type: ignore[arg-type]
        except JewelerDeskError as exc:
            self._fail(exc)
            return
        self.issued.emit(c)
        self.reload(select=c)

    def _file_name(self) -> str:
        c = self.shown
        return f"{c.number}-v{c.version}.pdf" if c else f"{self.sku}-preview.pdf"

    def print_certificate(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.pdf is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self._file_name())
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the certificate")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: Any) -> int:
        from jewelerdesk.ui.printing import print_pdf

        assert self.pdf is not None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return print_pdf(self.pdf, printer)
        except JewelerDeskError as exc:
            self._fail(exc)
            return 0
        finally:
            QGuiApplication.restoreOverrideCursor()

    def save_pdf(self) -> None:
        if self.pdf is None:
            return
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the certificate", str(Path(start) / self._file_name()), "PDF (*.pdf)"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        from jewelerdesk.store.files import write_atomic

        assert self.pdf is not None
        try:
            write_atomic(path, self.pdf)
        except OSError as exc:
            self._fail(
                StorageError(f"The certificate could not be saved to {path}: {exc.strerror or exc}")
            )
            return False
        self.error_line.hide()
        return True

    def open_pdf(self) -> Path | None:
        """Open the archived copy in the system's PDF viewer (from a private temporary copy)."""
        if self.pdf is None:
            return None
        folder = Path(tempfile.mkdtemp(prefix="jewelerdesk-"))
        path = folder / self._file_name()
        if not self.save_to(path):
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self._fail(JewelerDeskError(f"No PDF viewer opened it. The file is at {path}."))
        return path
