"""Checking the shop's records: the database file, its links, every stored file, and every
issued certificate against its own hash and signature. SQLite notices a damaged file but not
an edited one; the hashes and signatures notice edits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import JewelerDeskError
from ..store import database, records
from ..store import sales as sale_store
from .shop import Shop


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        what = ", ".join(f"{n:,} {name}" for name, n in self.checked.items())
        if self.ok:
            return f"All records are sound ({what} checked)."
        return f"{len(self.problems)} problem(s) found; the first: {self.problems[0]}"


def quick_check(shop: Shop) -> list[str]:
    """SQLite's quick check of the database file ([] when sound): run at every start, in the
    background (about 2 s for a 100,000-piece shop)."""
    return database.integrity_problems(shop.db)


def check_shop(
    shop: Shop, full: bool = True, progress: Callable[[int, int], None] | None = None
) -> CheckReport:
    """Everything that can be checked without the network; the first bad record comes first."""
    from ..certificates import payload as pl
    from ..certificates.keys import ED25519_PRIVATE, verify_signature

    report = CheckReport()
    report.problems += [
        f"The database file is damaged: {p}" for p in database.integrity_problems(shop.db, full)
    ]
    report.problems += [
        f"The database is inconsistent: {p}" for p in database.foreign_key_problems(shop.db)
    ]
    report.checked["database pages"] = int(shop.db.execute("PRAGMA page_count").fetchone()[0])

    hashes = sorted(records.all_document_hashes(shop.db))
    names = {d.sha256: d.original_name for d in records.all_documents(shop.db)}
    for i, sha in enumerate(hashes):
        label = names.get(sha) or f"file {sha[:12]}…"
        if not shop.files.exists(sha):
            report.problems.append(f"Stored file '{label}' is missing.")
        elif not shop.files.verify(sha):
            report.problems.append(f"Stored file '{label}' has been changed.")
        if progress and i % 200 == 0:
            progress(i, len(hashes))
    report.checked["files"] = len(hashes)

    public = None
    if (shop.paths.keys / ED25519_PRIVATE).is_file() and shop.identity() is not None:
        from .certificates import shop_keys

        try:
            public = shop_keys(shop).public
        except JewelerDeskError as exc:
            report.problems.append(f"The shop's signing key cannot be read: {exc}")
    certs = sale_store.all_certificates(shop.db)
    for c in certs:
        name = f"Certificate {c.number} version {c.version}"
        if hashlib.sha256(c.payload.encode("utf-8")).hexdigest() != c.payload_sha256:
            report.problems.append(f"{name}: its record was edited after it was issued.")
            continue
        try:
            unsigned = pl.QrRecord(c.number, c.version, c.payload_sha256, bytes(64)).text()
            record = pl.parse_qr(unsigned.rsplit(":", 1)[0] + ":" + c.signature)
        except JewelerDeskError:
            report.problems.append(f"{name}: its stored signature is damaged.")
            continue
        if public is not None and not verify_signature(public, record.signature, record.message):
            report.problems.append(f"{name}: its signature does not match its record.")
        path = shop.files.path_for(c.pdf_sha256)
        if path.is_file() and path.stat().st_size != c.pdf_size:
            report.problems.append(f"{name}: the archived PDF is not the size it was issued at.")
    report.checked["certificates"] = len(certs)
    if progress:
        progress(len(hashes), len(hashes))
    return report
