"""Checking the shop's records: the database file, its links, every stored file, and every
issued certificate against its own hash and signature. SQLite notices a damaged file but not
an edited one; the hashes and signatures notice edits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import JewelerDeskError
from ..store import audit, database, records
from ..store import sales as sale_store
from .shop import Shop


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # worth knowing; nothing is wrong

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        what = ", ".join(f"{n:,} {name}" for name, n in self.checked.items())
        if self.ok:
            return " ".join([f"All records are sound ({what} checked).", *self.notes])
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
    report.checked["database pages"] = int(shop.db.execute("PRAGMA page_count").fetchone()[0])
    if not report.ok:
        return report  # a damaged file gives no trustworthy answers below
    report.problems += audit_problems(shop)
    report.problems += rollback_problems(shop)
    report.problems += [
        f"The database is inconsistent: {p}" for p in database.foreign_key_problems(shop.db)
    ]
    missing_guards = database.missing_guards(shop.db)
    if missing_guards:
        report.problems.append(
            "Protections of the records were removed outside JewelerDesk: "
            + ", ".join(missing_guards)
            + ". Restore the newest backup, or ask for help before making changes."
        )
    report.checked["records-log entries"] = audit.head(shop.db)[0]

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
    current = ""
    certs = sale_store.all_certificates(shop.db)
    if (shop.paths.keys / ED25519_PRIVATE).is_file() and shop.identity() is not None:
        from .certificates import shop_keys

        try:
            keys = shop_keys(shop)
            public, current = keys.public, keys.fingerprint
        except JewelerDeskError as exc:
            report.problems.append(f"The shop's signing key cannot be read: {exc}")
    elif certs:
        from .certificates import KEY_MISSING

        report.problems.append(KEY_MISSING.format(fingerprint=certs[-1].key_fingerprint))
    earlier = [c for c in certs if current and c.key_fingerprint != current]
    if earlier:  # a key lost and replaced: those are checked with the key they name, apart
        report.notes.append(
            f"{len(earlier)} certificate version(s) were signed with an earlier key "
            f"({earlier[-1].key_fingerprint}); verify them with that key's public file."
        )
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
        if (
            public is not None
            and c.key_fingerprint == current
            and not verify_signature(public, record.signature, record.message)
        ):
            report.problems.append(f"{name}: its signature does not match its record.")
        logged = pl.records_log_of(c.payload)
        if logged is not None and audit.hash_at(shop.db, logged[0]) != logged[1]:
            report.problems.append(
                f"{name} was issued at records-log entry #{logged[0]}, and the log no longer "
                "matches what it printed: the history before it has been rewritten."
            )
        path = shop.files.path_for(c.pdf_sha256)
        if path.is_file() and path.stat().st_size != c.pdf_size:
            report.problems.append(f"{name}: the archived PDF is not the size it was issued at.")
    report.checked["certificates"] = len(certs)
    if progress:
        progress(len(hashes), len(hashes))
    return report


#: records named one by one in a report; the rest are counted (each name costs a lookup)
LABELLED = 200


def audit_problems(shop: Shop) -> list[str]:
    """The records log's chain, then every record against the log's latest image of it."""
    problems = list(audit.chain_problems(shop.db))
    mismatches = audit.unlogged_changes(shop.db)
    for m in mismatches[:LABELLED]:
        text = m.text(record_label(shop, m.tbl, m.row_key))
        if m.kind == "changed":
            diff = _differences(audit.latest_image(shop.db, m.tbl, m.row_key), _row(shop, m))
            if diff:
                text += " Changed: " + "; ".join(diff) + "."
        problems.append(text)
    if len(mismatches) > LABELLED:
        rest = mismatches[LABELLED:]
        kinds = sorted({audit.TABLE_WORDS.get(m.tbl, m.tbl) for m in rest})
        problems.append(
            f"… and {len(rest):,} more records differ from the records log ({', '.join(kinds)})."
        )
    for note in audit.repair_notes(shop.db):
        when = note.at[:10]
        problems.append(f"Records-log entry #{note.seq} ({when}): {audit.summary(note)}")
    missing = audit.missing_triggers(shop.db)
    if missing:
        problems.append(
            "The records log is not watching: "
            + ", ".join(sorted({audit.TABLE_WORDS.get(t, t) for t in missing}))
            + " (its triggers were removed or changed)."
        )
    return problems


def rollback_problems(shop: Shop) -> list[str]:
    """The records log against the heads written in the shop's own backups: a database put
    back from an older copy outside the app has a shorter log than a later backup holds, and
    a rewritten one a different hash at the same entry. Backups made before the last restore
    from a backup are left out (the restore rightly went back)."""
    from . import backup

    since = backup.last_restore(shop)
    problems: list[str] = []
    for b in backup.list_backups(shop.paths.backups):
        if b.records_log is None or b.created_at <= since:
            continue
        entry, digest = b.records_log
        now = audit.hash_at(shop.db, entry) if entry else audit.GENESIS
        when = b.when.astimezone().strftime("%Y-%m-%d %H:%M")
        if now is None:
            problems.append(
                f"The records log ends before entry #{entry}, which the backup of {when} holds: "
                "the records were put back to an older copy outside JewelerDesk."
            )
        elif now != digest:
            problems.append(
                f"The records log's entry #{entry} differs from the backup of {when}: the "
                "history was rewritten outside JewelerDesk."
            )
        break  # the newest backup after the last restore says it all
    return problems


def _row(shop: Shop, m: audit.Mismatch) -> dict[str, object]:
    return audit.current_row(shop.db, m.tbl, m.row_key)


def _differences(logged: dict[str, object], now: dict[str, object]) -> list[str]:
    return [
        f"{k.replace('_', ' ')} {logged.get(k)!r} → {now.get(k)!r}"
        for k in now
        if k in logged and logged.get(k) != now.get(k)
    ]


def _number(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


_UNQUOTED = ("number", "key")


def record_label(shop: Shop, table: str, row_key: str) -> str:
    """How a shop owner would name a record: a stock number, an invoice, a date..."""
    image = audit.latest_image(shop.db, table, row_key)
    if not image and table in audit.AUDITED:
        image = audit.current_row(shop.db, table, row_key)
    # a certificate is named by number and version below; a setting by its key as "#key"
    name = audit.record_name(image, tuple(f for f in audit.NAME_FIELDS if f not in _UNQUOTED))
    if name:
        return f"'{name}'"
    item_id = image.get("item_id")
    sku = records.sku_of_item(shop.db, str(item_id)) if item_id else None
    if sku:
        where = f"of piece '{sku}'"
        if table == "certificate":
            return f"{image.get('number', '')} version {image.get('version', '')} {where}"
        position = image.get("position")
        number = _number(position)
        return f"{number + 1} {where}" if number is not None else where
    if table == "custody_event":
        when = str(image.get("event_time", ""))[:10]
        return f"'{image.get('biz_step', '')}' of {when} ({row_key[:8]})"
    return f"#{row_key}"
