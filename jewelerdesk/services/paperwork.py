"""Attaching supplier paperwork: check the file, read it safely, store it, link it.

The file is judged by its bytes, not its name: a JPEG renamed ``.pdf`` is caught. Reading
happens in a separate, limited process (``inspect_worker``) so a hostile PDF cannot hang or
crash the app. The file is stored before the database row is written, and the row and its
link are written in one transaction: a crash leaves at worst an unreferenced file, which
the startup sweep removes, never a row pointing at nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..domain.model import DocType, Document, SubjectKind
from ..domain.statements import DetectedNumber, DetectedStatement, detect_numbers, detect_statements
from ..domain.validation import is_iso_date
from ..errors import BadDocument, Conflict, NotFound, StorageError, ValidationError
from ..store import records
from .shop import Shop

MAX_FILE_BYTES = 100 * 1024 * 1024
INSPECT_TIMEOUT_S = 30.0

_EXT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
_TYPE_NAMES = {
    "application/pdf": "a PDF",
    "image/jpeg": "a JPEG image",
    "image/png": "a PNG image",
    "image/tiff": "a TIFF image",
}


def sniff_media_type(head: bytes) -> str | None:
    """What the first bytes say the file is (PDF, JPEG, PNG or TIFF), or None."""
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    return None


@dataclass(frozen=True)
class Inspection:
    media_type: str
    pages: int
    text: str


@dataclass(frozen=True)
class AttachResult:
    document: Document
    already_stored: bool  # the same file was attached before (to this or another record)

    @property
    def statements(self) -> list[DetectedStatement]:
        """Trade statements read from the text: proposals for the user to confirm."""
        return detect_statements(self.document.text)

    @property
    def numbers(self) -> list[DetectedNumber]:
        return detect_numbers(self.document.text)


def check_file(path: Path) -> str:
    """Refuse what cannot be a document before anything is stored; returns the media type."""
    name = path.name
    if not path.exists():
        raise BadDocument(f"The file '{name}' does not exist.", where=str(path))
    if not path.is_file():
        raise BadDocument(f"'{name}' is a folder, not a file.", where=str(path))
    size = path.stat().st_size
    if size == 0:
        raise BadDocument(
            f"The file '{name}' is empty (0 bytes); it was probably not saved or copied completely.",
            where=str(path),
        )
    if size > MAX_FILE_BYTES:
        raise BadDocument(
            f"The file '{name}' is {size // (1024 * 1024)} MB; documents may be at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB. Scan it at a lower resolution.",
            where=str(path),
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise BadDocument(
            f"The file '{name}' cannot be read: {exc.strerror or exc}", where=str(path)
        ) from exc
    actual = sniff_media_type(head)
    claimed = _EXT_TYPES.get(path.suffix.lower())
    if actual is None:
        if claimed:
            raise BadDocument(
                f"'{name}' is named like {_TYPE_NAMES[claimed]} but its contents are not; "
                "it may be damaged or a different kind of file.",
                where=str(path),
            )
        raise BadDocument(
            f"'{name}' is not a PDF, JPEG, PNG or TIFF file, which are the kinds JewelerDesk keeps.",
            where=str(path),
        )
    if claimed and claimed != actual:
        raise BadDocument(
            f"'{name}' is named like {_TYPE_NAMES[claimed]} but is really {_TYPE_NAMES[actual]}. "
            "Rename it with the right ending and attach it again.",
            where=str(path),
        )
    return actual


def _worker_command(*args: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--inspect-worker", *args]
    return [sys.executable, "-m", "jewelerdesk.inspect_worker", *args]


def _run_worker(args: list[str], what: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    try:
        proc = subprocess.run(
            _worker_command(*args),
            capture_output=True,
            timeout=INSPECT_TIMEOUT_S,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BadDocument(
            f"Reading {what} took longer than {int(INSPECT_TIMEOUT_S)} seconds and was stopped; "
            "the file may be damaged or built to hang readers.",
        ) from exc
    except OSError as exc:
        raise StorageError(
            f"The document reader could not be started ({exc.strerror or exc}); the computer "
            "may be out of memory. Nothing was attached. Close other programs and try again."
        ) from exc
    try:
        result = json.loads(proc.stdout.decode("utf-8") or "null")
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise BadDocument(
            f"Reading {what} failed: the reader stopped (it hit its memory or time limit). "
            "The file may be damaged or hostile; it was not attached."
        )
    return result


def inspect_file(path: Path, media_type: str) -> Inspection:
    result = _run_worker(["inspect", str(path), media_type], f"'{path.name}'")
    if not result.get("ok"):
        raise BadDocument(str(result.get("message")), where=str(path))
    return Inspection(
        media_type=str(result["media_type"]),
        pages=int(result.get("pages", 1)),  # type: ignore[call-overload]
        text=str(result.get("text", "")),
    )


def attach(
    shop: Shop,
    kind: SubjectKind,
    subject_id: str,
    path: Path,
    doc_type: DocType,
    *,
    issuer: str = "",
    number: str = "",
    issue_date: str = "",
    expiry_date: str = "",
) -> AttachResult:
    """Attach a file to a piece, stone, lot or party. Same bytes twice are one document."""
    path = Path(path)
    bad_dates = {
        f: f"{label} '{value}' is not a date (use YYYY-MM-DD)."
        for f, label, value in (
            ("issue_date", "Issue date", issue_date),
            ("expiry_date", "Expiry date", expiry_date),
        )
        if value and not is_iso_date(value)
    }
    if bad_dates:
        raise ValidationError(bad_dates)
    if not records.subject_exists(shop.db, kind, subject_id):
        raise NotFound(f"The {kind} to attach to no longer exists.")
    media_type = check_file(path)
    # Hash first: a known file needs no second inspection and no second copy.
    sha, size = shop.files.put(path)
    known = records.find_document_by_sha(shop.db, sha)
    if known is not None:
        if records.link_exists(shop.db, known.id, kind, subject_id):
            raise Conflict(
                f"'{path.name}' is already attached here (as '{known.original_name}', added {known.added_at[:10]})."
            )
        with shop.db.atomic():
            records.insert_link(shop.db, known.id, kind, subject_id)
        return AttachResult(known, already_stored=True)
    inspection = inspect_file(shop.files.path_for(sha), media_type)
    doc = Document(
        sha256=sha,
        doc_type=doc_type,
        media_type=inspection.media_type,
        size=size,
        original_name=path.name,
        issuer=issuer.strip(),
        number=number.strip(),
        issue_date=issue_date,
        expiry_date=expiry_date,
        text=inspection.text,
        page_count=inspection.pages,
        added_at=records.now_iso(),
    )
    with shop.db.atomic():
        records.insert_document(shop.db, doc)
        records.insert_link(shop.db, doc.id, kind, subject_id)
    return AttachResult(doc, already_stored=False)


def documents_for(shop: Shop, kind: SubjectKind, subject_id: str) -> list[Document]:
    return records.documents_for(shop.db, kind, subject_id)


def update_details(shop: Shop, doc: Document) -> None:
    with shop.db.atomic():
        records.update_document_details(shop.db, doc)


def render_preview(shop: Shop, doc: Document, max_px: int = 900) -> bytes:
    """The first page (or the image) as PNG bytes, drawn in the limited reader process."""
    source = shop.files.path_for(doc.sha256)
    if not source.is_file():
        raise BadDocument(
            f"The stored copy of '{doc.original_name}' is missing from the data folder."
        )
    with tempfile.TemporaryDirectory(prefix="jd-preview-") as tmp:
        out = Path(tmp) / "preview.png"
        result = _run_worker(
            ["preview", str(source), doc.media_type, str(out), str(max_px)],
            f"'{doc.original_name}'",
        )
        if not result.get("ok"):
            raise BadDocument(str(result.get("message")))
        return out.read_bytes()


def copy_for_viewing(shop: Shop, doc: Document) -> Path:
    """A copy with the original file name, for the system viewer (stored files have no extension)."""
    source = shop.files.path_for(doc.sha256)
    if not source.is_file():
        raise BadDocument(
            f"The stored copy of '{doc.original_name}' is missing from the data folder."
        )
    folder = Path(tempfile.gettempdir()) / "jewelerdesk-open" / doc.sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in doc.original_name if c not in '\\/:*?"<>|') or "document"
    target = folder / safe
    if not target.exists():
        target.write_bytes(source.read_bytes())
    return target
