"""Certificate pages to Qt: pixmaps for the preview, and printing through the system dialog."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrinter

from jewelerdesk.certificates.raster import PageImage, page_count, render_pages
from jewelerdesk.errors import JewelerDeskError

#: Printers report 600–1200 dpi; a certificate's text and QR code are crisp at 300.
PRINT_DPI_CAP = 300


def to_image(page: PageImage) -> QImage:
    image = QImage(page.rgb, page.width, page.height, page.stride, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: ``page.rgb`` may go away


def to_pixmap(page: PageImage) -> QPixmap:
    return QPixmap.fromImage(to_image(page))


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print every page of ``pdf`` (or the range chosen in the dialog), each scaled to fit the
    printable area with its proportions kept. Returns the number of pages printed."""
    total = page_count(pdf)
    first, last = 0, total - 1
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = max(0, printer.fromPage() - 1)
        last = min(total - 1, printer.toPage() - 1)
    dpi = min(printer.resolution(), PRINT_DPI_CAP)
    painter = QPainter()
    if not painter.begin(printer):
        raise JewelerDeskError(
            "The printer could not be started. Check that it is on and connected, then try again."
        )
    printed = 0
    try:
        for n in range(first, last + 1):
            if printed:
                printer.newPage()
            page = render_pages(pdf, dpi=dpi, first=n, last=n)[0]
            area = printer.pageLayout().paintRectPixels(printer.resolution())
            target = QRectF(0, 0, area.width(), area.height())
            scale = min(target.width() / page.width, target.height() / page.height)
            w, h = page.width * scale, page.height * scale
            painter.drawImage(
                QRectF((target.width() - w) / 2, 0, w, h),
                to_image(page),
            )
            printed += 1
    finally:
        painter.end()
    return printed


def smooth(pixmap: QPixmap, width: int) -> QPixmap:
    return pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
