"""The child side of document inspection. Runs in its own process with limits set on itself
(memory, CPU) before it touches the file, so a hostile or broken PDF or image can only kill
this process, never the app.

Protocol: ``inspect_worker TASK FILE [OUT.png]`` prints one JSON object on stdout.
TASK is ``inspect`` (text, page count) or ``preview`` (first page as a PNG).
"""

from __future__ import annotations

import json
import sys
from typing import Any

MEMORY_LIMIT = 1024 * 1024 * 1024  # 1 GiB of address space
CPU_SECONDS = 20
MAX_TEXT_CHARS = 2_000_000
MAX_IMAGE_PIXELS = 120_000_000  # about a 600 dpi A3 scan; more is a decompression bomb


def _limit_self() -> None:
    try:
        import resource
    except ImportError:  # Windows: the parent's wall-clock timeout still applies
        return
    for res, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_CPU, CPU_SECONDS)):
        try:
            soft, hard = resource.getrlimit(res)
            cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(res, (cap, hard))
        except (ValueError, OSError):
            pass


def _fail(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "message": message}


def inspect_pdf(path: str) -> dict[str, Any]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            # An empty user password opens many "protected" PDFs (print/copy limits only).
            try:
                if not reader.decrypt(""):
                    return _fail(
                        "encrypted",
                        "The PDF is password-protected. Ask the supplier for an unprotected copy, or print it to a new PDF.",
                    )
            except Exception:
                return _fail(
                    "encrypted",
                    "The PDF is password-protected. Ask the supplier for an unprotected copy, or print it to a new PDF.",
                )
        pages = len(reader.pages)
        if pages == 0:
            return _fail("empty", "The PDF has no pages.")
        parts: list[str] = []
        total = 0
        for page in reader.pages:
            try:
                text = page.extract_text() or ""
            except Exception:
                text = ""
            parts.append(text)
            total += len(text)
            if total > MAX_TEXT_CHARS:
                break
        return {
            "ok": True,
            "media_type": "application/pdf",
            "pages": pages,
            "text": "\n".join(parts)[:MAX_TEXT_CHARS],
        }
    except PdfReadError as exc:
        return _fail("corrupt", f"The PDF is damaged and cannot be read ({exc}).")
    except MemoryError:
        return _fail(
            "too_big",
            "The PDF needs more memory than a document may use; it may be damaged or hostile.",
        )
    except RecursionError:
        return _fail("corrupt", "The PDF's structure is damaged (it loops on itself).")
    except Exception as exc:  # any parser failure is a property of the file, not of the app
        return _fail("corrupt", f"The PDF is damaged and cannot be read ({type(exc).__name__}).")


def inspect_image(path: str) -> dict[str, Any]:
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # Pillow only warns between 1x and 2x the limit; here the limit is the limit.
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with Image.open(path) as im:
            fmt = im.format
            width, height = im.size
            frames = getattr(im, "n_frames", 1)
            im.verify()
        with Image.open(path) as im:
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _fail(
            "too_big",
            "The image is so large it could exhaust memory (a decompression bomb); it was refused.",
        )
    except MemoryError:
        return _fail("too_big", "The image needs more memory than a document may use.")
    except Exception as exc:
        return _fail("corrupt", f"The image is damaged and cannot be read ({type(exc).__name__}).")
    media = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}.get(fmt or "", "")
    if not media:
        return _fail(
            "wrong_type", f"The image is in {fmt} format; attach a PDF, JPEG, PNG or TIFF."
        )
    return {
        "ok": True,
        "media_type": media,
        "pages": frames,
        "text": "",
        "width": width,
        "height": height,
    }


def preview(path: str, media_type: str, out: str, max_px: int) -> dict[str, Any]:
    if media_type == "application/pdf":
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(path)
            page = pdf[0]
            w, h = page.get_size()
            scale = max(0.2, min(4.0, max_px / max(w, h)))
            image = page.render(scale=scale).to_pil()
            image.save(out, "PNG")
            return {"ok": True, "pages": len(pdf)}
        except Exception as exc:
            return _fail("corrupt", f"The PDF page cannot be drawn ({type(exc).__name__}).")
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as im:
            im.thumbnail((max_px, max_px))
            im.convert("RGB").save(out, "PNG")
        return {"ok": True, "pages": 1}
    except Exception as exc:
        return _fail("corrupt", f"The image cannot be drawn ({type(exc).__name__}).")


def main(argv: list[str]) -> int:
    _limit_self()
    task, path = argv[0], argv[1]
    if task == "inspect":
        media = argv[2]
        result = inspect_pdf(path) if media == "application/pdf" else inspect_image(path)
    elif task == "preview":
        result = preview(path, argv[2], argv[3], int(argv[4]))
    else:
        result = _fail("usage", f"unknown task {task}")
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
