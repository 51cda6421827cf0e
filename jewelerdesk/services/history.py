"""The records log as a shop owner reads it: who changed what, when, before and after, for the
whole shop or one piece (with its stones, metal parts, custody events and documents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import NotFound
from ..store import audit, records
from .shop import Shop


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    when: str  # local time, to the second
    who: str
    channel: str
    what: str  # "piece changed", "custody event added"...
    record: str  # the record's own name where it has one
    details: str  # the change in words
    entry: audit.Entry


def subject_ids(shop: Shop, sku: str) -> list[str]:
    """A piece and the records that belong to it (its stones and metal parts)."""
    item_id = records.find_item_id_by_sku(shop.db, sku.strip())
    if item_id is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    return [item_id, *records.part_ids_of_item(shop.db, item_id)]


def count_history(shop: Shop, sku: str | None = None) -> int:
    return audit.count(shop.db, subject_ids(shop, sku) if sku else None)


def list_history(
    shop: Shop, sku: str | None = None, offset: int = 0, limit: int = 200
) -> list[HistoryRow]:
    ids = subject_ids(shop, sku) if sku else None
    return [_row(e) for e in audit.entries(shop.db, ids, offset, limit)]


def head(shop: Shop) -> tuple[int, str]:
    return audit.head(shop.db)


def _row(e: audit.Entry) -> HistoryRow:
    image = e.after_dict() or e.before_dict()
    record = audit.record_name(image)
    if not record and image:
        record = _record_words(e.tbl, image)
    details = audit.summary(e) if e.op in ("update", "note") else ""
    return HistoryRow(
        e.seq,
        _local(e.at),
        e.actor,
        e.channel,
        audit.describe_entry(e),
        record,
        details,
        e,
    )


_KIND_WORDS = {"item": "the piece", "stone": "a stone", "lot": "a metal lot", "party": "a party"}


def _record_words(tbl: str, image: dict[str, object]) -> str:
    """A name for records that have none of their own."""
    if tbl == "custody_event":
        return f"{image.get('biz_step', '')} {str(image.get('event_time', ''))[:10]}".strip()
    if tbl == "stone":
        return f"stone {_int(image.get('position')) + 1}"
    if tbl == "metal_component":
        return f"{image.get('part', '')} (metal)".strip()
    if tbl == "metal_movement":
        grams = _int(image.get("mass_mg")) / 1000
        return f"{image.get('kind', '')} {grams:,.3f} g"
    kind = _KIND_WORDS.get(str(image.get("subject_kind", "")), "")
    if tbl == "custody_subject":
        return f"{image.get('role', '')}: {kind}"
    if tbl == "document_link":
        return f"to {kind}"
    if tbl == "sale_line":
        return "line of a sale"
    if tbl == "certificate_status":
        return str(image.get("status", ""))
    if tbl == "gap_ack":
        return f"{image.get('rule', '')}: {image.get('reason', '')}"
    return ""


def _int(value: object) -> int:
    """A number from a logged image (an edit outside the app may have put anything there)."""
    try:
        return int(str(value or 0))
    except ValueError:
        return 0


def _local(at: str) -> str:
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return at
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fields_of(row: HistoryRow) -> list[tuple[str, str, str]]:
    """(field, before, after) of every field of the entry, for the detail view."""
    before, after = row.entry.before_dict(), row.entry.after_dict()
    names = list(after or before)
    return [
        (n.replace("_", " "), _text(before.get(n)), _text(after.get(n)))
        for n in names
        if n != "pin_hash"
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value)
