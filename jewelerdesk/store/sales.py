"""SQL for sales, returns and issued certificates. Every table here is append-only (schema v4
triggers): a return, a superseding version or a void is a new row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from ..domain.sales import IssuedCertificate, Sale, SaleLine
from .records import now_iso


def insert_sale(db: sqlite_utils.Database, sale: Sale) -> None:
    db.execute(
        "INSERT INTO sale (id, invoice_no, sold_at, currency, payment_method, customer_name,"
        " customer_contact, event_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sale.id,
            sale.invoice_no,
            sale.sold_at,
            sale.currency,
            sale.payment_method,
            sale.customer_name,
            sale.customer_contact,
            sale.event_id,
            sale.recorded_at or now_iso(),
        ],
    )
    db.conn.executemany(
        "INSERT INTO sale_line (sale_id, item_id, price_minor, tax_minor) VALUES (?, ?, ?, ?)",
        [(sale.id, li.item_id, li.price_minor, li.tax_minor) for li in sale.lines],
    )


def invoice_taken(db: sqlite_utils.Database, invoice_no: str) -> bool:
    return (
        db.execute("SELECT 1 FROM sale WHERE invoice_no = ?", [invoice_no]).fetchone() is not None
    )


def highest_invoice_serial(db: sqlite_utils.Database) -> int:
    """The largest serial of the shop's own invoice numbers (PREFIX-NNNNNN), or the one a
    restore noted: an invoice given out after a backup must not be given out again."""
    best = 0
    for (number,) in db.execute("SELECT invoice_no FROM sale"):
        tail = str(number).rsplit("-", 1)[-1]
        if tail.isdigit() and len(tail) == 6:
            best = max(best, int(tail))
    row = db.execute("SELECT value FROM settings WHERE key = ?", [INVOICE_FLOOR]).fetchone()
    return max(best, int(row[0]) if row and str(row[0]).isdigit() else 0)


INVOICE_FLOOR = "invoice_serial_floor"


def next_invoice_no(db: sqlite_utils.Database, prefix: str) -> str:
    n = highest_invoice_serial(db) + 1
    while invoice_taken(db, f"{prefix}-{n:06d}"):
        n += 1
    return f"{prefix}-{n:06d}"


def _sale_from(db: sqlite_utils.Database, r: Any) -> Sale:
    lines = [
        SaleLine(x[0], x[1], x[2])
        for x in db.execute(
            "SELECT item_id, price_minor, tax_minor FROM sale_line WHERE sale_id = ? ORDER BY rowid",
            [r[0]],
        )
    ]
    return Sale(
        invoice_no=r[1],
        sold_at=r[2],
        currency=r[3],
        lines=lines,
        payment_method=r[4],
        customer_name=r[5],
        customer_contact=r[6],
        id=r[0],
        event_id=r[7],
        recorded_at=r[8],
    )


_SALE_COLS = (
    "s.id, s.invoice_no, s.sold_at, s.currency, s.payment_method, s.customer_name,"
    " s.customer_contact, s.event_id, s.recorded_at"
)


def open_sale_for_item(db: sqlite_utils.Database, item_id: str) -> Sale | None:
    """The latest sale of the piece that has not been returned."""
    r = db.execute(
        f"SELECT {_SALE_COLS} FROM sale s JOIN sale_line l ON l.sale_id = s.id"
        " WHERE l.item_id = ? AND NOT EXISTS (SELECT 1 FROM sale_return x"
        " WHERE x.sale_id = s.id AND x.item_id = l.item_id) ORDER BY s.n DESC LIMIT 1",
        [item_id],
    ).fetchone()
    return _sale_from(db, r) if r else None


def get_sale(db: sqlite_utils.Database, sale_id: str) -> Sale | None:
    r = db.execute(f"SELECT {_SALE_COLS} FROM sale s WHERE s.id = ?", [sale_id]).fetchone()
    return _sale_from(db, r) if r else None


def insert_return(
    db: sqlite_utils.Database, sale_id: str, item_id: str, at: str, reason: str, event_id: str
) -> None:
    db.execute(
        "INSERT INTO sale_return (sale_id, item_id, returned_at, reason, event_id)"
        " VALUES (?, ?, ?, ?, ?)",
        [sale_id, item_id, at, reason, event_id],
    )


# ----------------------------------------------------------------------------- certificates

_CERT_COLS = (
    "c.id, c.number, c.version, c.item_id, c.sale_id, c.issued_at, c.payload,"
    " c.payload_sha256, c.signature, c.key_fingerprint, c.pdf_sha256, c.pdf_size,"
    " (SELECT status FROM certificate_status x WHERE x.certificate_id = c.id ORDER BY x.n DESC"
    "  LIMIT 1),"
    " (SELECT reason FROM certificate_status x WHERE x.certificate_id = c.id ORDER BY x.n DESC"
    "  LIMIT 1)"
)


def _cert_from(r: Sequence[Any]) -> IssuedCertificate:
    return IssuedCertificate(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        r[12] or "current",
        r[13] or "",
    )


def insert_certificate(db: sqlite_utils.Database, c: IssuedCertificate) -> None:
    db.execute(
        "INSERT INTO certificate (id, number, version, item_id, sale_id, issued_at, payload,"
        " payload_sha256, signature, key_fingerprint, pdf_sha256, pdf_size)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            c.id,
            c.number,
            c.version,
            c.item_id,
            c.sale_id,
            c.issued_at,
            c.payload,
            c.payload_sha256,
            c.signature,
            c.key_fingerprint,
            c.pdf_sha256,
            c.pdf_size,
        ],
    )


def insert_status(
    db: sqlite_utils.Database,
    certificate_id: str,
    status: str,
    reason: str = "",
    by_certificate_id: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO certificate_status (certificate_id, status, by_certificate_id, reason,"
        " recorded_at) VALUES (?, ?, ?, ?, ?)",
        [certificate_id, status, by_certificate_id, reason, now_iso()],
    )


def certificates_for_item(db: sqlite_utils.Database, item_id: str) -> list[IssuedCertificate]:
    return [
        _cert_from(r)
        for r in db.execute(
            f"SELECT {_CERT_COLS} FROM certificate c WHERE c.item_id = ? ORDER BY c.n", [item_id]
        )
    ]


def find_certificate(
    db: sqlite_utils.Database, number: str, version: int | None = None
) -> IssuedCertificate | None:
    if version is None:
        r = db.execute(
            f"SELECT {_CERT_COLS} FROM certificate c WHERE c.number = ? ORDER BY c.version DESC"
            " LIMIT 1",
            [number],
        ).fetchone()
    else:
        r = db.execute(
            f"SELECT {_CERT_COLS} FROM certificate c WHERE c.number = ? AND c.version = ?",
            [number, version],
        ).fetchone()
    return _cert_from(r) if r else None


def return_of(db: sqlite_utils.Database, sale_id: str, item_id: str) -> tuple[str, str] | None:
    """(returned at, reason) when this piece of this sale was brought back."""
    row = db.execute(
        "SELECT returned_at, reason FROM sale_return WHERE sale_id = ? AND item_id = ?"
        " ORDER BY n DESC LIMIT 1",
        [sale_id, item_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


#: the highest serial issued before the records were put back to an older backup (settings)
SERIAL_FLOOR = "certificate_serial_floor"


def highest_certificate_serial(db: sqlite_utils.Database) -> int:
    """The largest serial issued (the digits after the prefix), or the one a restore noted:
    certificates issued after a backup exist in customers' hands even once the records are
    put back to it, and their numbers must never be given out again."""
    best = 0
    for (number,) in db.execute("SELECT DISTINCT number FROM certificate"):
        tail = str(number).rsplit("-", 1)[-1]
        if tail.isdigit():
            best = max(best, int(tail))
    row = db.execute("SELECT value FROM settings WHERE key = ?", [SERIAL_FLOOR]).fetchone()
    floor = int(row[0]) if row and str(row[0]).isdigit() else 0
    return max(best, floor)


def note_serial_floor(db: sqlite_utils.Database, serial: int, key: str = SERIAL_FLOOR) -> None:
    db.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, str(serial)],
    )


def next_certificate_number(db: sqlite_utils.Database, prefix: str) -> str:
    n = highest_certificate_serial(db) + 1
    while find_certificate(db, f"{prefix}-{n:06d}") is not None:
        n += 1
    return f"{prefix}-{n:06d}"


def certificate_pdf_hashes(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT pdf_sha256 FROM certificate")}


def signing_fingerprints(db: sqlite_utils.Database) -> dict[str, int]:
    """Each signing key's fingerprint -> how many certificate versions it signed."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT key_fingerprint, count(*) FROM certificate GROUP BY key_fingerprint"
        )
    }


def all_certificates(db: sqlite_utils.Database) -> list[IssuedCertificate]:
    """Every issued certificate version, in the order issued."""
    return [
        _cert_from(r)
        for r in db.execute(f"SELECT {_CERT_COLS} FROM certificate c ORDER BY c.n").fetchall()
    ]
