"""A certificate's pages as pixels: the preview at the counter and the printer's copy.

Only the shop's own certificates come here (made by ``render`` or read back from the archive),
so they are drawn in-process with PDFium; supplier paperwork is read in the limited worker.
PDFium is not thread-safe, so one page is drawn at a time across the whole process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..errors import BadDocument

_lock = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    width: int
    height: int
    rgb: bytes  # width * 3 bytes per row, top row first
    width_pt: float  # the page's size in PDF points (1/72 inch)
    height_pt: float

    @property
    def stride(self) -> int:
        return self.width * 3


def page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    with _lock:
        try:
            doc = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise BadDocument(f"The certificate PDF cannot be read: {exc}") from exc
        try:
            return len(doc)
        finally:
            doc.close()


def render_pages(
    pdf: bytes, dpi: float = 110.0, first: int = 0, last: int | None = None
) -> list[PageImage]:
    """Pages ``first``..``last`` (inclusive, 0-based; all by default) at ``dpi``."""
    import pypdfium2 as pdfium

    out: list[PageImage] = []
    with _lock:
        try:
            doc = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise BadDocument(f"The certificate PDF cannot be read: {exc}") from exc
        try:
            end = len(doc) - 1 if last is None else min(last, len(doc) - 1)
            for i in range(first, end + 1):
                page = doc[i]
                try:
                    w_pt, h_pt = page.get_size()
                    image = page.render(scale=dpi / 72.0).to_pil().convert("RGB")
                finally:
                    page.close()
                out.append(PageImage(image.width, image.height, image.tobytes(), w_pt, h_pt))
        finally:
            doc.close()
    return out
