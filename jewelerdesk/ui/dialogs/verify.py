"""Verify a certificate: open its PDF (or drop it here), or paste the text of its QR code.

Works without the shop's records; with them it also says whether the certificate was replaced
or voided. By default the shop's own key is trusted; another shop's public key can be chosen.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jewelerdesk.certificates.verify import UNKNOWN_KEY, VALID, Verification
from jewelerdesk.errors import JewelerDeskError
from jewelerdesk.services import certificates
from jewelerdesk.services.shop import Shop

STYLES = {
    VALID: ("#1b7a3a", "#eaf6ee", "✓ Valid"),
    UNKNOWN_KEY: ("#9a6700", "#fff7e0", "? Signed by a key you have not chosen to trust"),
    "voided": ("#b03a2e", "#fdf2f0", "✗ Void"),
    "tampered": ("#b03a2e", "#fdf2f0", "✗ Not valid"),
    "error": ("#b03a2e", "#fdf2f0", "✗ Cannot be checked"),
}


def _two_lines(fingerprint: str) -> str:
    """16 groups of 4 hex digits as two rows of 8, as printed on the certificate."""
    groups = fingerprint.split()
    return " ".join(groups[:8]) + ("\n" + " ".join(groups[8:]) if len(groups) > 8 else "")


class VerifyDialog(QDialog):
    def __init__(self, shop: Shop | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shop = shop
        self.public_key: Path | None = None
        self.result: Verification | None = None
        self.setWindowTitle("Verify a certificate")
        self.setAcceptDrops(True)

        intro = QLabel(
            "Open a certificate PDF (or drop it on this window), or paste the text printed under "
            "its QR code. Nothing leaves this computer."
        )
        intro.setWordWrap(True)
        self.open_btn = QPushButton("Open a certificate PDF…")
        self.open_btn.clicked.connect(self.choose_pdf)
        self.qr = QPlainTextEdit()
        self.qr.setPlaceholderText("JWC1:…")
        self.qr.setMaximumHeight(70)
        self.check_btn = QPushButton("Check this text")
        self.check_btn.clicked.connect(self.check_text)
        qr_row = QHBoxLayout()
        qr_row.addWidget(self.qr, 1)
        qr_row.addWidget(self.check_btn, 0, Qt.AlignmentFlag.AlignTop)

        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        key_btn = QPushButton("Trust another shop's key…")
        key_btn.clicked.connect(self.choose_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_label, 1)
        key_row.addWidget(key_btn)
        self._show_key()

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.details = QFormLayout()
        self.details_box = QFrame()
        self.details_box.setLayout(self.details)
        self.details_box.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 12)
        outer.addWidget(intro)
        outer.addWidget(self.open_btn, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addSpacing(6)
        outer.addWidget(QLabel("QR code text:"))
        outer.addLayout(qr_row)
        outer.addLayout(key_row)
        outer.addSpacing(6)
        outer.addWidget(self.banner)
        outer.addWidget(self.details_box)
        outer.addStretch(1)
        outer.addWidget(buttons)
        self.resize(640, 460)

    # ------------------------------------------------------------------ inputs
    def _show_key(self) -> None:
        if self.public_key is not None:
            self.key_label.setText(f"Trusting the public key in {self.public_key.name}.")
        elif self.shop is not None:
            self.key_label.setText("Trusting this shop's own key.")
        else:
            self.key_label.setText("No key chosen: only whether the file is intact can be said.")

    def choose_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "A shop's public key", "", "Public keys (*.pem *.pub);;All files (*)"
        )
        if path:
            self.public_key = Path(path)
            self._show_key()

    def choose_pdf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a certificate", "", "Certificates (*.pdf)"
        )
        if path:
            self.check_pdf(Path(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt name)
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.check_pdf(Path(urls[0].toLocalFile()))

    # ------------------------------------------------------------------ checking
    def check_pdf(self, path: Path) -> None:
        self._run(lambda: certificates.verify_file(path, self.public_key, self.shop), path.name)

    def check_text(self) -> None:
        text = self.qr.toPlainText().strip()
        if not text:
            self._show_error("Paste the text printed under the certificate's QR code first.")
            return
        self._run(lambda: certificates.verify_qr(text, self.public_key, self.shop), "QR text")

    def _run(self, fn: Any, what: str) -> None:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = fn()
        except JewelerDeskError as exc:
            self._show_error(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.show_result(result, what)

    def _banner(self, status: str, text: str) -> None:
        fg, bg, _head = STYLES.get(status, STYLES["tampered"])
        self.banner.setStyleSheet(
            f"color: {fg}; background: {bg}; border: 1px solid {fg}; border-radius: 4px;"
            " padding: 10px; font-size: 13px;"
        )
        self.banner.setText(text)
        self.banner.show()

    def _show_error(self, message: str) -> None:
        self.result = None
        self._banner("error", f"<b>{STYLES['error'][2]}</b><br>{html.escape(message)}")
        self.details_box.hide()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def show_result(self, result: Verification, what: str = "") -> None:
        self.result = result
        status = result.status if result.status != VALID or result.ok else "tampered"
        head = STYLES.get(status, STYLES["tampered"])[2]
        if status == VALID:
            body = ["This is the certificate as the shop issued it: nothing in it has changed."]
        elif status == UNKNOWN_KEY:
            body = [
                "The file is intact, but it was signed with a key you have not chosen to trust. "
                "Ask the issuing shop for its public key and choose it above."
            ]
        elif status == "voided":
            body = []
        else:
            body = ["Something in it changed after the shop signed it:"]
        items = [*result.problems, *result.notes]
        lines = [f"<b>{head}</b>" + (f" — {html.escape(what)}" if what else "")]
        lines += [html.escape(b) for b in body]
        lines += [f"• {html.escape(i)}" for i in items]
        self._banner(status, "<br>".join(lines))
        while self.details.rowCount():
            self.details.removeRow(0)
        rows = [
            ("Certificate", f"{result.number} version {result.version}" if result.number else ""),
            ("Piece", result.sku),
            ("Issued by", result.shop),
            ("Key fingerprint", _two_lines(result.fingerprint)),
        ]
        for label, value in rows:
            if value:
                v = QLabel(value)
                v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.details.addRow(label, v)
        self.details_box.setVisible(self.details.rowCount() > 0)
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))
