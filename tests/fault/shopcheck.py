"""What the fault tests check after a crash: the shop's invariants, acknowledged work, leftovers.

Shared by the kill -9 test (in the test process), its driver (sample documents) and the
step-by-step crash injection. Nothing here writes to a shop except :func:`age_documents`,
which back-dates document files so that the next open's sweep treats them as old (the sweep
keeps files younger than an hour: they may belong to an attach another process is finishing).
"""

from __future__ import annotations

import io
import os
import random
import sqlite3
import struct
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DB_FILES = {"jewelerdesk.db", "jewelerdesk.db-wal", "jewelerdesk.db-shm"}
TOP_LEVEL = DB_FILES | {"jewelerdesk.lock", "documents", "backups", "logs", "keys"}
KEY_FILES = {"shop-ed25519.key", "shop-ed25519.pub", "shop-pdf-signing.key", "shop-pdf-signing.crt"}


# ----------------------------------------------------------------------------- sample documents


def png_bytes(seed: int | str, size: int = 8) -> bytes:
    """A small valid PNG with random pixels: different bytes for every seed."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(size * 3) for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str, padding: int = 0) -> bytes:
    """A one-page PDF drawn by ReportLab saying ``text``; ``padding`` adds that many bytes of
    an incompressible comment line (to make a file bigger than a size limit)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    data = buf.getvalue()
    if padding:
        filler = random.Random(text).randbytes(padding // 2).hex().encode()
        data += b"%" + filler + b"\n"
    return data


def write_sample(folder: Path, token: str, kind: str) -> Path:
    """A new PDF or PNG (``kind``) in ``folder`` whose bytes depend on ``token``."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "png":
        path = folder / f"photo-{token}.png"
        path.write_bytes(png_bytes(token))
    else:
        path = folder / f"invoice-{token}.pdf"
        path.write_bytes(pdf_bytes(f"Supplier invoice {token}"))
    return path


# ----------------------------------------------------------------------------- reading


def tables(db: Any) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def db_problems(path: Path) -> list[str]:
    """SQLite's full integrity check and foreign-key check through a plain connection."""
    conn = sqlite3.connect(str(path))
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fks = [
            f"{r[0]} row {r[1]} -> missing {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")
        ]
    finally:
        conn.close()
    return ([] if rows == ["ok"] else rows) + fks


def user_version(path: Path) -> int:
    conn = sqlite3.connect(str(path))
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _received(kind: str, alias: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM custody_subject s JOIN custody_event e ON e.id = s.event_id"
        f" WHERE s.subject_kind = '{kind}' AND s.subject_id = {alias}.id AND e.hop = 'received')"
    )


def half_done(db: Any, files: Any) -> set[str]:
    """Every sign of an operation stopped half way, shop-wide. Compare with the same check of
    the shop before the faults: the demo shop has a few deliberate oddities of its own."""
    t = tables(db)
    out: set[str] = set()

    def add(sql: str, text: str) -> None:
        for r in db.execute(sql):
            out.add(text.format(*r))

    for sha, name in db.execute("SELECT sha256, original_name FROM document"):
        if not files.verify(sha):
            out.add(f"document {name} ({sha[:12]}) has no intact file")
    add(
        "SELECT d.original_name FROM document d WHERE NOT EXISTS"
        " (SELECT 1 FROM document_link l WHERE l.document_id = d.id)",
        "document {} is linked to nothing",
    )
    add(
        "SELECT l.lot_no FROM metal_lot l WHERE (SELECT count(*) FROM metal_movement m"
        " WHERE m.lot_id = l.id AND m.kind = 'receipt') != 1",
        "lot {} lacks its one receipt movement",
    )
    add(
        "SELECT sku FROM item WHERE n NOT IN (SELECT rowid FROM item_fts)",
        "piece {} has no search entry",
    )
    add(
        "SELECT stock_no FROM stone WHERE item_id IS NULL"
        " AND n NOT IN (SELECT rowid FROM stone_fts)",
        "loose stone {} has no search entry",
    )
    if "custody_event" in t:
        add(
            f"SELECT l.lot_no FROM metal_lot l WHERE NOT {_received('lot', 'l')}",
            "lot {} has no receipt event",
        )
        add(
            f"SELECT s0.stock_no FROM stone s0 WHERE s0.item_id IS NULL"
            f" AND NOT {_received('stone', 's0')}",
            "loose stone {} has no receipt event",
        )
        add(
            f"SELECT i.sku FROM item i WHERE i.supplier_id IS NOT NULL"
            f" AND NOT {_received('item', 'i')}",
            "bought-in piece {} has no receipt event",
        )
        add(
            "SELECT e.id, e.hop FROM custody_event e WHERE NOT EXISTS"
            " (SELECT 1 FROM custody_subject s WHERE s.event_id = e.id)",
            "custody event {} ({}) has no subjects",
        )
    if "metal_lot_total" in t:
        add(
            "SELECT l.lot_no FROM metal_lot l LEFT JOIN metal_lot_total x ON x.lot_id = l.id"
            " WHERE coalesce(x.in_mg, 0) != (SELECT coalesce(sum(mass_mg), 0) FROM metal_movement"
            "   WHERE lot_id = l.id AND kind IN ('receipt', 'return'))"
            " OR coalesce(x.out_mg, 0) != (SELECT coalesce(sum(mass_mg), 0) FROM metal_movement"
            "   WHERE lot_id = l.id AND kind IN ('draw', 'loss'))",
            "lot {} running total disagrees with its movements",
        )
    if "sale" in t:
        open_line = (
            "SELECT 1 FROM sale_line l WHERE l.item_id = i.id AND NOT EXISTS"
            " (SELECT 1 FROM sale_return r WHERE r.sale_id = l.sale_id AND r.item_id = l.item_id)"
        )
        add(
            f"SELECT i.sku FROM item i WHERE i.status = 'sold' AND NOT EXISTS ({open_line})",
            "piece {} is marked sold without a sale",
        )
        add(
            f"SELECT i.sku, i.status FROM item i WHERE i.status != 'sold' AND EXISTS ({open_line})",
            "piece {} has an open sale but is {}",
        )
        add(
            "SELECT s.invoice_no FROM sale s WHERE NOT EXISTS"
            " (SELECT 1 FROM sale_line l WHERE l.sale_id = s.id)",
            "sale {} has no lines",
        )
        add(
            "SELECT s.invoice_no FROM sale s WHERE NOT EXISTS (SELECT 1 FROM custody_event e"
            " WHERE e.id = s.event_id AND e.hop = 'sold')",
            "sale {} has no sold event",
        )
    if "certificate" in t:
        for number, version, sha in db.execute(
            "SELECT number, version, pdf_sha256 FROM certificate"
        ):
            if not files.verify(sha):
                out.add(f"certificate {number} v{version} has no intact archived PDF")
    return out


# ----------------------------------------------------------------------------- acknowledged work


@dataclass
class Acks:
    """What a driver reported done (``ACK kind fields...`` lines), accumulated over runs."""

    lines: list[list[str]] = field(default_factory=list)

    def add(self, text: str) -> int:
        n = 0
        for line in text.splitlines():
            parts = line.split()
            if parts and parts[0] == "ACK":
                self.lines.append(parts[1:])
                n += 1
        return n

    def count(self, kind: str) -> int:
        return sum(1 for parts in self.lines if parts[0] == kind)


def missing_acked(db: Any, files: Any, acks: Acks) -> list[str]:
    """Every acknowledged operation that is not present in full."""
    out = []

    def one(sql: str, *args: Any) -> bool:
        return db.execute(sql, list(args)).fetchone() is not None

    def received(kind: str, subject_id: str) -> bool:
        return one(
            "SELECT 1 FROM custody_subject s JOIN custody_event e ON e.id = s.event_id"
            " WHERE s.subject_kind = ? AND s.subject_id = ? AND e.hop = 'received'",
            kind,
            subject_id,
        )

    for parts in acks.lines:
        kind, args = parts[0], parts[1:]
        if kind == "stone":
            ok = one("SELECT 1 FROM stone WHERE id = ?", args[0]) and received("stone", args[0])
        elif kind == "lot":
            ok = (
                one("SELECT 1 FROM metal_lot WHERE id = ?", args[0])
                and one(
                    "SELECT 1 FROM metal_movement WHERE lot_id = ? AND kind = 'receipt'"
                    " AND mass_mg = ?",
                    args[0],
                    int(args[1]),
                )
                and received("lot", args[0])
            )
        elif kind == "item":
            ok = one("SELECT 1 FROM item WHERE id = ?", args[0]) and received("item", args[0])
        elif kind == "doc":
            sha, subject_kind, subject_id = args
            ok = one(
                "SELECT 1 FROM document d JOIN document_link l ON l.document_id = d.id"
                " WHERE d.sha256 = ? AND l.subject_kind = ? AND l.subject_id = ?",
                sha,
                subject_kind,
                subject_id,
            ) and files.verify(sha)
        elif kind == "sale":
            sale_id, item_id = args
            ok = one(
                "SELECT 1 FROM sale s JOIN sale_line l ON l.sale_id = s.id"
                " JOIN custody_event e ON e.id = s.event_id JOIN item i ON i.id = l.item_id"
                " WHERE s.id = ? AND l.item_id = ? AND e.hop = 'sold' AND i.status = 'sold'",
                sale_id,
                item_id,
            )
        elif kind == "cert":
            cert_id, item_id, pdf_sha = args
            ok = one(
                "SELECT 1 FROM certificate WHERE id = ? AND item_id = ? AND pdf_sha256 = ?",
                cert_id,
                item_id,
                pdf_sha,
            ) and files.verify(pdf_sha)
        else:
            raise AssertionError(f"unknown acknowledgement {parts}")
        if not ok:
            out.append(" ".join(parts))
    return out


# ----------------------------------------------------------------------------- leftover files


def age_documents(root: Path, seconds: float = 2 * 3600) -> int:
    """Back-date every file in the document store, and every temp file anywhere in the data
    folder, as if the next open came hours later. (A temp file named after a process that is
    gone is swept at once; a simulated crash in this very process leaves the process alive,
    so the sweep goes by age, as it does for a temp file of its own process.)"""
    when = time.time() - seconds
    n = 0
    for path in [*(root / "documents").rglob("*"), *root.rglob("*.part")]:
        if path.is_file() or path.suffix == ".part":
            os.utime(path, (when, when))
            n += 1
    return n


def stray_files(root: Path, referenced: Iterable[str]) -> list[str]:
    """Files in the data folder that are neither records nor a normal part of the shop: temp
    files, unreferenced document blobs, unknown names."""
    keep = set(referenced)
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        name = path.name
        if ".part" in name or name.endswith(("~", ".tmp", ".temp")):
            out.append(f"temp file {rel}")
            continue
        top = rel.parts[0]
        if top not in TOP_LEVEL:
            out.append(f"unexpected {rel}")
        elif top == "documents" and path.is_file():
            if rel.parts[1] == ".incoming":
                out.append(f"leftover upload {rel}")
            elif name not in keep or len(rel.parts) != 3 or rel.parts[1] != name[:2]:
                out.append(f"unreferenced document file {rel}")
        elif top == "keys" and path.is_file() and name not in KEY_FILES:
            out.append(f"unexpected key file {rel}")
    return out


def audit_chain_problems(db: Any) -> list[str]:
    """The audit log's own chain check, when this version of the app has one."""
    try:
        from jewelerdesk.store import audit
    except ImportError:
        return []
    check = getattr(audit, "chain_problems", None)
    if check is None or "audit_log" not in tables(db):
        return []
    return list(check(db))
