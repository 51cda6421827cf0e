"""The queries behind the accountant's export. Dates are compared on their ISO day
(``YYYY-MM-DD``, the shop's local day as recorded); ranges include both ends. Money and masses
stay integers (minor units, milligrams) until the export formats them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlite_utils

Row = tuple[Any, ...]


def sales_lines(db: sqlite_utils.Database, start: str, end: str) -> Iterator[Row]:
    """Sales and returns in the range, oldest first. A return repeats its sale line's amounts
    (the export signs them).

    (kind, day, invoice_no, sku, description, customer, payment, price_minor, tax_minor,
    currency, reason)
    """
    yield from db.execute(
        """
        SELECT * FROM (
            SELECT 'sale' AS kind, substr(s.sold_at, 1, 10) AS day, s.invoice_no, i.sku,
                   i.description, s.customer_name, s.payment_method, l.price_minor,
                   l.tax_minor, s.currency, '' AS reason, s.n AS sn, 0 AS rn
            FROM sale s JOIN sale_line l ON l.sale_id = s.id JOIN item i ON i.id = l.item_id
            WHERE substr(s.sold_at, 1, 10) BETWEEN ? AND ?
            UNION ALL
            SELECT 'return', substr(r.returned_at, 1, 10), s.invoice_no, i.sku, i.description,
                   s.customer_name, s.payment_method, l.price_minor, l.tax_minor, s.currency,
                   r.reason, s.n, r.n
            FROM sale_return r JOIN sale s ON s.id = r.sale_id
            JOIN sale_line l ON l.sale_id = r.sale_id AND l.item_id = r.item_id
            JOIN item i ON i.id = r.item_id
            WHERE substr(r.returned_at, 1, 10) BETWEEN ? AND ?
        ) ORDER BY day, sn, rn, sku
        """,
        [start, end, start, end],
    )


def purchases(db: sqlite_utils.Database, start: str, end: str) -> Iterator[Row]:
    """What the shop acquired in the range: pieces, loose stones and metal lots.

    (day, kind, reference, description, supplier, supplier_country, status, cost_minor,
    currency, mass_mg, fineness_ppt)  — a lot has no cost on record (NULL) but a mass. A loose
    stone's description is ``origin|name``, a lot's ``metal|form``; the service words them.
    """
    yield from db.execute(
        """
        SELECT * FROM (
            SELECT i.acquired_on AS day, 'piece' AS kind, i.sku AS ref, i.description,
                   coalesce(p.legal_name, ''), coalesce(p.country, ''), i.status, i.cost_minor,
                   i.currency, NULL AS mass_mg, NULL AS fineness
            FROM item i LEFT JOIN party p ON p.id = i.supplier_id
            WHERE i.acquired_on BETWEEN ? AND ?
            UNION ALL
            SELECT s.acquired_on, 'loose stone', s.stock_no,
                   s.origin_type || '|' || coalesce(nullif(s.variety, ''), s.stone_type),
                   coalesce(p.legal_name, ''), coalesce(p.country, ''), 'in_stock', s.cost_minor,
                   coalesce((SELECT json_extract(value, '$.currency') FROM settings
                             WHERE key = 'shop'), ''), NULL, NULL
            FROM stone s LEFT JOIN party p ON p.id = s.supplier_id
            WHERE s.item_id IS NULL AND s.acquired_on BETWEEN ? AND ?
            UNION ALL
            SELECT l.received_on, 'metal lot', l.lot_no, l.metal || '|' || l.form,
                   coalesce(p.legal_name, ''), coalesce(p.country, ''), l.claim_class, NULL, NULL,
                   (SELECT coalesce(sum(mass_mg), 0) FROM metal_movement m
                    WHERE m.lot_id = l.id AND m.kind = 'receipt'),
                   l.fineness_ppt
            FROM metal_lot l LEFT JOIN party p ON p.id = l.supplier_id
            WHERE l.received_on BETWEEN ? AND ?
        ) ORDER BY day, kind, ref
        """,
        [start, end, start, end, start, end],
    )


def holdings_at(db: sqlite_utils.Database, day: str) -> Iterator[Row]:
    """Pieces and loose stones (description ``origin|name``) the shop held at the end of ``day``: acquired by then and not
    sold by then (a return brings a piece back). Memo goods are included with their status.

    (kind, reference, description, status, supplier, cost_minor, price_minor, currency,
    acquired_on)
    """
    yield from db.execute(
        """
        SELECT 'piece', i.sku, i.description, i.status, coalesce(p.legal_name, ''),
               i.cost_minor, i.price_minor, i.currency, i.acquired_on
        FROM item i LEFT JOIN party p ON p.id = i.supplier_id
        WHERE (i.acquired_on = '' OR i.acquired_on <= ?)
          AND NOT EXISTS (
              SELECT 1 FROM sale_line l JOIN sale s ON s.id = l.sale_id
              WHERE l.item_id = i.id AND substr(s.sold_at, 1, 10) <= ?
                AND NOT EXISTS (SELECT 1 FROM sale_return r WHERE r.sale_id = s.id
                                AND r.item_id = i.id AND substr(r.returned_at, 1, 10) <= ?))
          AND NOT (i.status = 'sold' AND NOT EXISTS (
              SELECT 1 FROM sale_line l WHERE l.item_id = i.id))
        UNION ALL
        SELECT 'loose stone', s.stock_no,
               s.origin_type || '|' || coalesce(nullif(s.variety, ''), s.stone_type),
               'in_stock', coalesce(p.legal_name, ''), s.cost_minor, 0,
               coalesce((SELECT json_extract(value, '$.currency') FROM settings
                         WHERE key = 'shop'), ''), s.acquired_on
        FROM stone s LEFT JOIN party p ON p.id = s.supplier_id
        WHERE s.item_id IS NULL AND (s.acquired_on = '' OR s.acquired_on <= ?)
        ORDER BY 1 DESC, 2
        """,
        [day, day, day, day],
    )


def lot_ledger(db: sqlite_utils.Database, start: str, end: str) -> Iterator[Row]:
    """Per metal lot: the balance before ``start`` and the movements in the range, in mg.

    (lot_no, metal, fineness_ppt, claim_class, refiner, opening, received, returned, drawn,
    lost)
    """
    yield from db.execute(
        """
        SELECT l.lot_no, l.metal, l.fineness_ppt, l.claim_class,
               coalesce(r.legal_name, l.refiner_cid, ''),
               coalesce(sum(CASE WHEN substr(m.occurred_at, 1, 10) < ? THEN
                   CASE m.kind WHEN 'receipt' THEN m.mass_mg WHEN 'return' THEN m.mass_mg
                               ELSE -m.mass_mg END END), 0),
               coalesce(sum(CASE WHEN m.kind = 'receipt'
                   AND substr(m.occurred_at, 1, 10) BETWEEN ? AND ? THEN m.mass_mg END), 0),
               coalesce(sum(CASE WHEN m.kind = 'return'
                   AND substr(m.occurred_at, 1, 10) BETWEEN ? AND ? THEN m.mass_mg END), 0),
               coalesce(sum(CASE WHEN m.kind = 'draw'
                   AND substr(m.occurred_at, 1, 10) BETWEEN ? AND ? THEN m.mass_mg END), 0),
               coalesce(sum(CASE WHEN m.kind = 'loss'
                   AND substr(m.occurred_at, 1, 10) BETWEEN ? AND ? THEN m.mass_mg END), 0)
        FROM metal_lot l
        LEFT JOIN party r ON r.id = l.refiner_id
        LEFT JOIN metal_movement m ON m.lot_id = l.id AND substr(m.occurred_at, 1, 10) <= ?
        GROUP BY l.id
        ORDER BY l.lot_no
        """,
        [start, start, end, start, end, start, end, start, end, end],
    )


def memo_register(db: sqlite_utils.Database) -> Iterator[Row]:
    """Goods on memo today, in and out.

    (direction, sku, description, party, party_country, cost_minor, price_minor, currency,
    acquired_on)
    """
    yield from db.execute(
        """
        SELECT CASE i.status WHEN 'memo_in' THEN 'in' ELSE 'out' END, i.sku, i.description,
               coalesce(p.legal_name, ''), coalesce(p.country, ''), i.cost_minor,
               i.price_minor, i.currency, i.acquired_on
        FROM item i LEFT JOIN party p ON p.id = i.supplier_id
        WHERE i.status IN ('memo_in', 'memo_out')
        ORDER BY 1, 2
        """
    )


# ----------------------------------------------------------------------------- regulator pack


def event_ids(
    db: sqlite_utils.Database, start: str | None, end: str | None, subject_ids: list[str] | None
) -> list[str]:
    """The events a pack covers, oldest first: all, those in a date range, or those about some
    subjects (their pieces, stones and the lots' own events) — with every correction of them."""
    if subject_ids is not None:
        found: list[str] = []
        for i in range(0, len(subject_ids), 500):
            part = subject_ids[i : i + 500]
            marks = ", ".join("?" * len(part))
            found += [
                r[0]
                for r in db.execute(
                    "SELECT event_id FROM custody_subject WHERE subject_id IN"
                    f" ({marks}) AND NOT (subject_kind = 'lot' AND role = 'input')",
                    part,
                )
            ]
        base = set(found)
    elif start or end:
        base = {
            r[0]
            for r in db.execute(
                "SELECT id FROM custody_event WHERE substr(event_time, 1, 10) BETWEEN ? AND ?",
                [start or "0000-00-00", end or "9999-99-99"],
            )
        }
    else:
        return [r[0] for r in db.execute("SELECT id FROM custody_event ORDER BY n")]
    ids = set(base)
    frontier = set(base)
    while frontier:  # corrections, and corrections of corrections
        part = list(frontier)[:900]
        frontier -= set(part)
        marks = ", ".join("?" * len(part))
        new = {
            r[0]
            for r in db.execute(
                f"SELECT id FROM custody_event WHERE corrects_event_id IN ({marks})", part
            )
        } - ids
        ids |= new
        frontier |= new
    return in_order(db, ids)


def in_order(db: sqlite_utils.Database, ids: set[str]) -> list[str]:
    """Event ids in the order the events were recorded."""
    order = {r[0]: r[1] for r in db.execute("SELECT id, n FROM custody_event")}
    return sorted(ids, key=lambda x: order[x])


def known_hashes(db: sqlite_utils.Database, scheme: str) -> dict[tuple[str, int], str]:
    return {
        (r[0], r[1]): r[2]
        for r in db.execute(
            "SELECT event_id, evidence_n, hash FROM event_hash WHERE scheme = ?", [scheme]
        )
    }


def insert_hashes(db: sqlite_utils.Database, scheme: str, rows: list[tuple[str, int, str]]) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO event_hash (event_id, scheme, evidence_n, hash) VALUES (?, ?, ?, ?)",
        [(e, scheme, n, h) for e, n, h in rows],
    )


def item_facts(db: sqlite_utils.Database) -> Iterator[Row]:
    """(id, sku, description, category)"""
    yield from db.execute("SELECT id, sku, description, category FROM item ORDER BY n")


def stone_facts(db: sqlite_utils.Database) -> Iterator[Row]:
    """(id, item_id, sku or stock no, stone_type, origin_type, variety, count, weight_mct,
    weight_is_total, country_of_mining, region_of_mining, country_of_cutting, report_lab,
    report_no, kp_cert_no, grandfathered, warranty, acquired_on, supplier, supplier_country)"""
    yield from db.execute(
        """
        SELECT s.id, s.item_id, coalesce(i.sku, s.stock_no), s.stone_type, s.origin_type,
               s.variety, s.count, s.weight_mct, s.weight_is_total, s.country_of_mining,
               s.region_of_mining, s.country_of_cutting, s.report_lab, s.report_no,
               s.kp_cert_no, s.grandfathered, s.warranty,
               coalesce(nullif(s.acquired_on, ''), i.acquired_on, ''),
               coalesce(p.legal_name, ''), coalesce(p.country, '')
        FROM stone s LEFT JOIN item i ON i.id = s.item_id
        LEFT JOIN party p ON p.id = coalesce(s.supplier_id, i.supplier_id)
        ORDER BY coalesce(i.sku, s.stock_no), s.position, s.n
        """
    )


def lot_facts(db: sqlite_utils.Database) -> Iterator[Row]:
    """(id, lot_no, metal, fineness_ppt, form, claim_class, refiner, refiner_cid,
    refiner_country, country_of_origin, supplier, supplier_country, received_on,
    received_mg, bar_batch_no)"""
    yield from db.execute(
        """
        SELECT l.id, l.lot_no, l.metal, l.fineness_ppt, l.form, l.claim_class,
               coalesce(r.legal_name, ''), coalesce(nullif(l.refiner_cid, ''), r.rmi_cid, ''),
               coalesce(r.country, ''), l.country_of_origin, coalesce(p.legal_name, ''),
               coalesce(p.country, ''), l.received_on,
               (SELECT coalesce(sum(mass_mg), 0) FROM metal_movement m
                WHERE m.lot_id = l.id AND m.kind = 'receipt'),
               l.bar_batch_no
        FROM metal_lot l LEFT JOIN party r ON r.id = l.refiner_id
        LEFT JOIN party p ON p.id = l.supplier_id
        ORDER BY l.lot_no
        """
    )


def party_facts(db: sqlite_utils.Database) -> Iterator[Row]:
    """(id, legal_name, country, kind, rmi_cid)"""
    yield from db.execute("SELECT id, legal_name, country, kind, rmi_cid FROM party ORDER BY n")


def evidence_links(db: sqlite_utils.Database) -> Iterator[Row]:
    """(event_id, document_id) in the order they were recorded."""
    yield from db.execute("SELECT event_id, document_id FROM custody_evidence ORDER BY rowid")


def document_links(db: sqlite_utils.Database) -> Iterator[Row]:
    """(subject_kind, subject_id, document_id)"""
    yield from db.execute(
        "SELECT subject_kind, subject_id, document_id FROM document_link ORDER BY linked_at, rowid"
    )


def documents(db: sqlite_utils.Database) -> Iterator[Row]:
    """(id, sha256, doc_type, media_type, size, original_name, number)"""
    yield from db.execute(
        "SELECT id, sha256, doc_type, media_type, size, original_name, number FROM document"
        " ORDER BY sha256"
    )


def sold_diamonds(db: sqlite_utils.Database, start: str, end: str) -> Iterator[Row]:
    """Natural diamonds that left the shop in a sale between two days (inclusive) and were not
    returned: (stone id, piece id, month sold, warranty, stones, mct)."""
    yield from db.execute(
        """
        SELECT st.id, l.item_id, substr(s.sold_at, 1, 7), st.warranty, st.count,
               CASE WHEN st.weight_is_total THEN st.weight_mct
                    ELSE st.weight_mct * st.count END
        FROM sale s JOIN sale_line l ON l.sale_id = s.id
        JOIN stone st ON st.item_id = l.item_id
        WHERE st.stone_type = 'diamond' AND st.origin_type = 'natural'
          AND substr(s.sold_at, 1, 10) BETWEEN ? AND ?
          AND NOT EXISTS (SELECT 1 FROM sale_return r WHERE r.sale_id = s.id
                          AND r.item_id = l.item_id)
        ORDER BY s.sold_at, st.id
        """,
        [start, end],
    )
