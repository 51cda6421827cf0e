"""The audit log: every change to the shop's records, hash-chained, written by the database.

SQLite notices a damaged file but not an edited one. So every insert, update and delete on a
record table is appended by a trigger to ``audit_log`` with who, when, and the row's image
before and after (``json_object`` of every column). Each entry's SHA-256 covers its fields and
the previous entry's hash, so changing or removing an entry breaks the chain from there on.
The log itself refuses UPDATE and DELETE.

Someone editing the file behind the app's back has to drop a trigger (the hash function only
exists inside the app), and then the table and the log disagree: :func:`unlogged_changes`
compares each row with the latest image the log holds of it, so a changed carat weight or a
deleted event is found even when the chain itself is intact. The chain head (entry number and
hash) is printed on certificates and in exports, so a rewritten history cannot match what was
already handed out.

Derived tables (caches, running totals, the full-text index) are not logged: they are rebuilt
from the logged ones.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

GENESIS = "0" * 64
FIELD_SEP = "\x1f"
NULL_MARK = "\x00"

#: table -> (row key, the piece, stone, lot or party the row is about); ``{r}`` is NEW or OLD.
#: Keys are the stable ids (UUIDs, INTEGER PRIMARY KEYs, or composite keys), never implicit
#: rowids, which VACUUM INTO may renumber in a backup.
AUDITED: dict[str, tuple[str, str | None]] = {
    "settings": ("{r}.key", None),
    "party": ("{r}.id", "{r}.id"),
    "item": ("{r}.id", "{r}.id"),
    "stone": ("{r}.id", "coalesce({r}.item_id, {r}.id)"),
    "metal_lot": ("{r}.id", "{r}.id"),
    "metal_component": ("{r}.id", "{r}.item_id"),
    "metal_movement": ("{r}.n", "coalesce({r}.item_id, {r}.lot_id)"),
    "document": ("{r}.id", None),
    "document_link": (
        "{r}.document_id || '|' || {r}.subject_kind || '|' || {r}.subject_id",
        "{r}.subject_id",
    ),
    "custody_event": ("{r}.id", None),
    "custody_subject": (
        "{r}.event_id || '|' || {r}.role || '|' || {r}.subject_kind || '|' || {r}.subject_id",
        "{r}.subject_id",
    ),
    "custody_evidence": ("{r}.event_id || '|' || {r}.document_id", None),
    "gap_ack": ("{r}.n", "{r}.component_id"),
    "party_screening": ("{r}.n", "{r}.party_id"),
    "reference_list": ("{r}.n", None),
    "statement_confirmation": ("{r}.n", None),
    "sale": ("{r}.id", None),
    "sale_line": ("{r}.sale_id || '|' || {r}.item_id", "{r}.item_id"),
    "sale_return": ("{r}.n", "{r}.item_id"),
    "certificate": ("{r}.id", "{r}.item_id"),
    "certificate_status": (
        "{r}.n",
        "(SELECT item_id FROM certificate WHERE id = {r}.certificate_id)",
    ),
    "staff": ("{r}.id", None),
}

OPS = ("baseline", "insert", "update", "delete", "note")


# ---------------------------------------------------------------------------- the hash function


def entry_hash(*fields: object) -> str:
    """SHA-256 of an entry's fields in column order (seq, at, actor, channel, tbl, row_key, op,
    about, before, after, prev_hash), joined by U+001F with NULL written as U+0000."""
    text = FIELD_SEP.join(NULL_MARK if f is None else str(f) for f in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Actor:
    """Who is writing through a connection, and through what (the app, the command line)."""

    def __init__(self, name: str = "owner", channel: str = "app"):
        self.name = name
        self.channel = channel


def register(conn: sqlite3.Connection, actor: Actor) -> None:
    """The SQL functions the audit triggers call (they exist only in the app's connections)."""
    conn.create_function("jd_audit_hash", 11, entry_hash, deterministic=True)
    conn.create_function("jd_digest", 1, _digest, deterministic=True)
    conn.create_function("jd_actor", 0, lambda: actor.name)
    conn.create_function("jd_channel", 0, lambda: actor.channel)


# ------------------------------------------------------------------------------------ triggers


def _columns(db: sqlite_utils.Database, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


#: columns imaged by a digest, not their value: a PIN's hash stays out of the log (where it
#: would outlive a change of PIN), yet a change to it is still seen
_DIGESTED = {"pin_hash"}


def _image(columns: list[str], r: str) -> str:
    pairs = ", ".join(
        f"'{c}', jd_digest({r}.{c})" if c in _DIGESTED else f"'{c}', {r}.{c}" for c in columns
    )
    return f"json_object({pairs})"


def _digest(value: object) -> str | None:
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]


def _entry_sql(table: str, op: str, key: str, about: str, before: str, after: str) -> str:
    return f"""INSERT INTO audit_log
        (seq, at, actor, channel, tbl, row_key, op, about, before, after, prev_hash, hash)
    SELECT h.seq, h.at, h.actor, h.channel, '{table}', v.k, '{op}', v.ab, v.b, v.a, h.prev,
           jd_audit_hash(h.seq, h.at, h.actor, h.channel, '{table}', v.k, '{op}', v.ab, v.b,
                         v.a, h.prev)
    FROM (SELECT coalesce(max(seq), 0) + 1 AS seq,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 jd_actor() AS actor, jd_channel() AS channel,
                 coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                          '{GENESIS}') AS prev
          FROM audit_log) AS h,
         (SELECT CAST({key} AS TEXT) AS k, {about} AS ab, {before} AS b, {after} AS a) AS v;"""


def _trigger_sql(table: str, columns: list[str]) -> list[str]:
    key_t, about_t = AUDITED[table]
    out = []
    for op, timing, r_key in (
        ("insert", "INSERT", "NEW"),
        ("update", "UPDATE", "NEW"),
        ("delete", "DELETE", "OLD"),
    ):
        key = key_t.format(r=r_key)
        about = about_t.format(r=r_key) if about_t else "NULL"
        before = _image(columns, "OLD") if op != "insert" else "NULL"
        after = _image(columns, "NEW") if op != "delete" else "NULL"
        when = f" WHEN {before} IS NOT {after}" if op == "update" else ""
        body = _entry_sql(table, op, key, about, before, after)
        out.append(
            f"CREATE TRIGGER audit_{table}_{op} AFTER {timing} ON {table}{when}\nBEGIN\n{body}\nEND"
        )
    return out


def _present_tables(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _present_triggers(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def ensure(db: sqlite_utils.Database, migrating: bool = False) -> list[str]:
    """Install the audit triggers for the current columns of every logged table. Run in a
    transaction after each migration and at every open; returns notes of what it repaired.

    Only a migration (``migrating``) may image every row of a table afresh ("baseline"):
    its columns changed, so the log's images must too. At any other open, columns that differ
    from what the log knows, or a watch (trigger) that is missing or was rewritten, mean the
    file was changed outside the app: the watch is put back and a note is appended, and the
    records check reports the note and every row that differs from its logged image.

    So a release that changes how the triggers are written (``_trigger_sql``) must add a
    migration step; :func:`database.migrate` calls this with ``migrating`` after each step."""
    tables = _present_tables(db)
    if "audit_log" not in tables:
        return []
    known = {r[0]: r[1] for r in db.execute("SELECT tbl, columns FROM audit_columns")}
    present = {
        r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    notes: list[str] = []
    for table in AUDITED:
        if table not in tables:
            continue
        columns = _columns(db, table)
        signature = json.dumps(columns)
        wanted = dict(zip(_trigger_names(table), _trigger_sql(table, columns), strict=True))
        same_columns = known.get(table) == signature
        intact = all(_same_sql(present.get(n), sql) for n, sql in wanted.items())
        if same_columns and intact:
            continue
        for name in wanted:
            if name in present:
                db.execute(f"DROP TRIGGER {name}")
        for sql in wanted.values():
            db.execute(sql)
        if same_columns and migrating:
            note = ""  # a new version of the app words its watches anew: only in a migration
        elif same_columns:
            note = (
                f"The records log's watch on the {TABLE_WORDS.get(table, table)} table was "
                "missing or changed and has been put back. Changes made meanwhile outside "
                "JewelerDesk show in 'Check the records'."
            )
        elif migrating or table not in known and not _has_entries(db, table):
            _baseline(db, table, columns)
            note = ""
        else:
            note = (
                f"The {TABLE_WORDS.get(table, table)} table's columns were changed outside "
                "JewelerDesk (the records log knew other columns); its watch was put back."
            )
        db.execute(
            "INSERT INTO audit_columns (tbl, columns) VALUES (?, ?) "
            "ON CONFLICT (tbl) DO UPDATE SET columns = excluded.columns",
            [table, signature],
        )
        if note:
            append_note(db, note)
            notes.append(note)
    return notes


def _trigger_names(table: str) -> list[str]:
    return [f"audit_{table}_{op}" for op in ("insert", "update", "delete")]


def _same_sql(found: str | None, wanted: str) -> bool:
    return found is not None and " ".join(found.split()) == " ".join(wanted.split())


def _has_entries(db: sqlite_utils.Database, table: str) -> bool:
    return (
        db.execute("SELECT 1 FROM audit_log WHERE tbl = ? LIMIT 1", [table]).fetchone() is not None
    )


def repair_notes(db: sqlite_utils.Database) -> list[Entry]:
    """The notes the log wrote when it found its watch removed or its tables altered."""
    return [
        Entry(*r)
        for r in db.execute(
            f"SELECT {_COLS} FROM audit_log WHERE op = 'note' AND tbl = 'audit' ORDER BY seq"
        )
    ]


def _baseline(db: sqlite_utils.Database, table: str, columns: list[str]) -> None:
    """One 'baseline' entry per row: what the table held when logging of these columns began."""
    key_t, about_t = AUDITED[table]
    key = key_t.format(r="t")
    about = about_t.format(r="t") if about_t else "NULL"
    rows = db.execute(
        f"SELECT CAST({key} AS TEXT), {about}, {_image(columns, 't')} FROM {table} AS t "
        f"ORDER BY {key}"
    )
    _append_many(db, ((table, k, "baseline", ab, None, img) for k, ab, img in rows))


def append_note(db: sqlite_utils.Database, text: str, about: str | None = None) -> None:
    _append_many(db, [("audit", "", "note", about, None, json.dumps({"note": text}))])


def _append_many(
    db: sqlite_utils.Database,
    entries: Any,
) -> None:
    seq, prev = head(db)
    at = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]
    actor = db.execute("SELECT jd_actor(), jd_channel()").fetchone()
    batch: list[tuple[Any, ...]] = []
    for tbl, key, op, about, before, after in entries:
        seq += 1
        h = entry_hash(seq, at, actor[0], actor[1], tbl, key, op, about, before, after, prev)
        batch.append((seq, at, actor[0], actor[1], tbl, key, op, about, before, after, prev, h))
        prev = h
        if len(batch) >= 5000:
            _insert(db, batch)
            batch = []
    if batch:
        _insert(db, batch)


def _insert(db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
    db.conn.executemany(
        "INSERT INTO audit_log (seq, at, actor, channel, tbl, row_key, op, about, before, after,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


# ------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    channel: str
    tbl: str
    row_key: str
    op: str
    about: str | None
    before: str | None
    after: str | None
    prev_hash: str
    hash: str

    def fields(self) -> tuple[object, ...]:
        return (
            self.seq,
            self.at,
            self.actor,
            self.channel,
            self.tbl,
            self.row_key,
            self.op,
            self.about,
            self.before,
            self.after,
            self.prev_hash,
        )

    def before_dict(self) -> dict[str, Any]:
        return json.loads(self.before) if self.before else {}

    def after_dict(self) -> dict[str, Any]:
        return json.loads(self.after) if self.after else {}


_COLS = "seq, at, actor, channel, tbl, row_key, op, about, before, after, prev_hash, hash"


def head(db: sqlite_utils.Database) -> tuple[int, str]:
    """(entry number, hash) of the newest entry; (0, GENESIS) for an empty log."""
    try:
        row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise  # a failing disk is not an empty log
        return 0, GENESIS  # a database from before the log
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def hash_at(db: sqlite_utils.Database, seq: int) -> str | None:
    row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return str(row[0]) if row else None


def count(db: sqlite_utils.Database, about_ids: list[str] | None = None) -> int:
    if about_ids is None:
        return head(db)[0]  # entries are numbered 1..n with no gaps: no need to count them
    sql, params = _about_query(about_ids, "count(*)")
    return int(db.execute(sql, params).fetchone()[0])


def _about_query(ids: list[str], what: str) -> tuple[str, list[str]]:
    """Entries about these records (a piece and its stones and metal parts), including the
    custody events and documents linked to them."""
    marks = ",".join("?" * len(ids))
    sql = f"""
        SELECT {what} FROM audit_log WHERE seq IN (
            SELECT seq FROM audit_log WHERE about IN ({marks})
            UNION SELECT a.seq FROM audit_log a
                WHERE a.tbl = 'custody_event' AND a.row_key IN
                    (SELECT event_id FROM custody_subject WHERE subject_id IN ({marks}))
            UNION SELECT a.seq FROM audit_log a
                WHERE a.tbl IN ('document', 'custody_evidence') AND (a.row_key IN
                    (SELECT document_id FROM document_link WHERE subject_id IN ({marks}))
                    OR substr(a.row_key, 1, 36) IN
                    (SELECT event_id FROM custody_subject WHERE subject_id IN ({marks})))
        )"""
    return sql, ids * 4


def entries(
    db: sqlite_utils.Database,
    about_ids: list[str] | None = None,
    offset: int = 0,
    limit: int = 200,
) -> list[Entry]:
    """Newest first."""
    if about_ids is None:
        rows = db.execute(
            f"SELECT {_COLS} FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?", [limit, offset]
        )
    else:
        sql, params = _about_query(about_ids, _COLS)
        rows = db.execute(sql + " ORDER BY seq DESC LIMIT ? OFFSET ?", [*params, limit, offset])
    return [Entry(*r) for r in rows]


# ------------------------------------------------------------------------------------ checking


def chain_problems(
    db: sqlite_utils.Database, progress: Callable[[int, int], None] | None = None
) -> Iterator[str]:
    """Walk the chain from the first entry; yields what is wrong, first bad entry first."""
    if "audit_log" not in _present_tables(db):
        return  # a database from before the log
    total, _ = head(db)
    expected_seq = 1
    prev = GENESIS
    cur = db.conn.execute(f"SELECT {_COLS} FROM audit_log ORDER BY seq")
    for row in cur:
        e = Entry(*row)
        if e.seq != expected_seq:
            yield (
                f"Records-log entries #{expected_seq}–#{e.seq - 1} have been removed."
                if e.seq > expected_seq
                else f"Records-log entry #{e.seq} appears twice."
            )
            return
        if e.prev_hash != prev:
            yield f"Records-log entry #{e.seq} does not follow on from entry #{e.seq - 1}."
            return
        if entry_hash(*e.fields()) != e.hash:
            yield (
                f"Records-log entry #{e.seq} ({describe_entry(e)}, {e.at[:19].replace('T', ' ')})"
                " was changed after it was written."
            )
            return
        prev = e.hash
        expected_seq += 1
        if progress and e.seq % 20000 == 0:
            progress(e.seq, total)


@dataclass(frozen=True)
class Mismatch:
    tbl: str
    row_key: str
    kind: str  # 'changed', 'unlogged', 'deleted'
    seq: int  # the latest log entry of the row (0 if none)

    def text(self, label: str) -> str:
        what = f"{TABLE_WORDS.get(self.tbl, self.tbl)} {label}"
        if self.kind == "changed":
            return f"The {what} was changed outside JewelerDesk (it no longer matches the records log, entry #{self.seq})."
        if self.kind == "unlogged":
            return (
                f"The {what} was added outside JewelerDesk (the records log has no entry for it)."
            )
        return f"The {what} was deleted outside JewelerDesk (the records log last shows it in entry #{self.seq})."


def unlogged_changes(db: sqlite_utils.Database) -> list[Mismatch]:
    """Rows that differ from their latest logged image, rows the log never saw, and rows the
    log says exist but that are gone. Every logged table is compared in full."""
    found: list[Mismatch] = []
    tables = _present_tables(db)
    if "audit_log" not in tables:
        return found
    for table, (key_t, _about) in AUDITED.items():
        if table not in tables:
            continue
        columns = _columns(db, table)
        key = f"CAST({key_t.format(r='t')} AS TEXT)"
        latest = f"""
            SELECT row_key, op, after, max(seq) AS seq FROM audit_log
            WHERE tbl = '{table}' GROUP BY row_key"""
        rows = db.execute(
            f"""SELECT {key}, l.seq, l.after IS NULL OR l.op = 'delete'
                FROM {table} AS t LEFT JOIN ({latest}) AS l ON l.row_key = {key}
                WHERE l.seq IS NULL OR l.op = 'delete' OR l.after IS NOT {_image(columns, "t")}"""
        )
        for k, seq, missing in rows:
            found.append(Mismatch(table, k, "unlogged" if missing else "changed", int(seq or 0)))
        gone = db.execute(
            f"""SELECT l.row_key, l.seq FROM ({latest}) AS l
                WHERE l.op != 'delete'
                  AND l.row_key NOT IN (SELECT {key} FROM {table} AS t WHERE {key} IS NOT NULL)"""
        )
        found += [Mismatch(table, k, "deleted", int(seq)) for k, seq in gone]
    found.sort(key=lambda m: (m.seq == 0, m.seq, m.tbl, m.row_key))
    return found


def latest_image(db: sqlite_utils.Database, table: str, row_key: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT after, before FROM audit_log WHERE tbl = ? AND row_key = ? "
        "ORDER BY seq DESC LIMIT 1",
        [table, row_key],
    ).fetchone()
    if not row:
        return {}
    return json.loads(row[0] or row[1] or "{}")


def current_row(db: sqlite_utils.Database, table: str, row_key: str) -> dict[str, Any]:
    """A logged table's row as it is now, by its log key ({} if there is none)."""
    key = AUDITED[table][0].format(r="t")
    if key in ("t.id", "t.key"):  # indexed: compare the column itself
        cur = db.execute(f"SELECT * FROM {table} AS t WHERE {key} = ?", [row_key])
    elif key == "t.n" and row_key.isdigit():
        cur = db.execute(f"SELECT * FROM {table} AS t WHERE t.n = ?", [int(row_key)])
    else:
        cur = db.execute(f"SELECT * FROM {table} AS t WHERE CAST({key} AS TEXT) = ?", [row_key])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}


def missing_triggers(db: sqlite_utils.Database) -> list[str]:
    """Logged tables whose watch (trigger) is missing or is not the app's own."""
    tables = _present_tables(db) & set(AUDITED)
    present = {
        r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    out = []
    for t in sorted(tables):
        wanted = dict(zip(_trigger_names(t), _trigger_sql(t, _columns(db, t)), strict=True))
        if not all(_same_sql(present.get(n), sql) for n, sql in wanted.items()):
            out.append(t)
    return out


# ------------------------------------------------------------------------------------- wording

TABLE_WORDS = {
    "settings": "setting",
    "party": "party",
    "item": "piece",
    "stone": "stone",
    "metal_lot": "metal lot",
    "metal_component": "metal part",
    "metal_movement": "metal movement",
    "document": "document",
    "document_link": "document link",
    "custody_event": "custody event",
    "custody_subject": "custody event subject",
    "custody_evidence": "custody evidence link",
    "gap_ack": "gap acknowledgement",
    "party_screening": "screening result",
    "reference_list": "reference list",
    "statement_confirmation": "confirmed statement",
    "sale": "sale",
    "sale_line": "sale line",
    "sale_return": "return",
    "certificate": "certificate",
    "certificate_status": "certificate status",
    "staff": "staff profile",
    "audit": "records log",
}

_OP_WORDS = {
    "baseline": "on record when logging began",
    "insert": "added",
    "update": "changed",
    "delete": "removed",
    "note": "note",
}

#: Columns not worth showing in a change summary (bookkeeping, or secret-ish).
_QUIET = {"n", "updated_at", "created_at", "pin_hash"}


#: the fields that name a record in the shop's words, the most telling first
NAME_FIELDS = (
    "sku",
    "stock_no",
    "lot_no",
    "legal_name",
    "number",
    "invoice_no",
    "original_name",
    "name",
    "key",
)


def record_name(image: dict[str, Any], fields: tuple[str, ...] = NAME_FIELDS) -> str:
    """A logged row's own name (its stock number, invoice...), or '' if it has none."""
    return next((str(image[n]) for n in fields if image.get(n)), "")


def describe_entry(e: Entry) -> str:
    return f"{TABLE_WORDS.get(e.tbl, e.tbl)} {_OP_WORDS.get(e.op, e.op)}"


def changed_fields(e: Entry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) of an update, in column order."""
    before, after = e.before_dict(), e.after_dict()
    return [
        (k, before.get(k), after.get(k))
        for k in after
        if k not in _QUIET and before.get(k) != after.get(k)
    ]


def summary(e: Entry) -> str:
    """One line a shop owner can read: what changed, with before and after for updates."""
    if e.op == "note":
        return str(e.after_dict().get("note", ""))
    if e.op == "update":
        parts = [f"{k.replace('_', ' ')}: {_pair(b, a)}" for k, b, a in changed_fields(e)]
        return "; ".join(parts) or "no visible change"
    image = e.after_dict() or e.before_dict()
    for name in (*NAME_FIELDS, "biz_step"):
        if image.get(name):
            return f"{name.replace('_', ' ')} {_short(image[name])}"
    return ""


def _pair(before: Any, after: Any) -> str:
    """'old → new', long texts cut to the part that changed."""
    b, a = ("" if before is None else str(before)), ("" if after is None else str(after))
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    if common > 24:
        cut = common - 12
        b, a = "…" + b[cut:], "…" + a[cut:]
    return f"{_short(b)} → {_short(a)}"


def _short(value: Any, width: int = 40) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
