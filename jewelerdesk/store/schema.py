"""Forward-only numbered migrations. Never edit a released step: add a new one.

Each step runs in one transaction together with its ``user_version`` bump (see
``database.migrate``). Tables with a UUID ``id`` also carry an ``n INTEGER PRIMARY KEY``:
VACUUM may renumber implicit rowids, and the full-text index is keyed by ``n``.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

V1 = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE party (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    legal_name TEXT NOT NULL CHECK (length(trim(legal_name)) > 0),
    country TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    tax_id TEXT NOT NULL DEFAULT '',
    rmi_cid TEXT NOT NULL DEFAULT '',
    rjc_member_no TEXT NOT NULL DEFAULT '',
    rjc_coc_cert_no TEXT NOT NULL DEFAULT '',
    rjc_coc_expiry TEXT NOT NULL DEFAULT '',
    lbma_good_delivery INTEGER NOT NULL DEFAULT 0,
    wdc_sow_registered INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX party_name ON party(legal_name COLLATE NOCASE);

CREATE TABLE item (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sku TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    maker_id TEXT REFERENCES party(id),
    supplier_id TEXT REFERENCES party(id),
    cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (cost_minor >= 0),
    price_minor INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    currency TEXT NOT NULL,
    acquired_on TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    stone_count INTEGER NOT NULL DEFAULT 0,
    stone_mct INTEGER NOT NULL DEFAULT 0,
    metal_mg INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX item_status ON item(status, sku);
CREATE INDEX item_category ON item(category, sku);
CREATE INDEX item_description ON item(description COLLATE NOCASE);
CREATE INDEX item_price ON item(price_minor);
CREATE INDEX item_supplier ON item(supplier_id);
CREATE INDEX item_maker ON item(maker_id);

CREATE TABLE stone (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    item_id TEXT REFERENCES item(id),
    position INTEGER NOT NULL DEFAULT 0,
    stock_no TEXT NOT NULL DEFAULT '',
    stone_type TEXT NOT NULL,
    origin_type TEXT NOT NULL,
    species TEXT NOT NULL DEFAULT '',
    variety TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    weight_mct INTEGER NOT NULL CHECK (weight_mct > 0),
    weight_is_total INTEGER NOT NULL DEFAULT 0,
    shape TEXT NOT NULL DEFAULT '',
    colour TEXT NOT NULL DEFAULT '',
    clarity TEXT NOT NULL DEFAULT '',
    treatments TEXT NOT NULL DEFAULT '[]',
    treatment_permanent INTEGER NOT NULL DEFAULT 1,
    special_care TEXT NOT NULL DEFAULT '',
    growth_method TEXT NOT NULL DEFAULT '',
    country_of_mining TEXT NOT NULL DEFAULT '',
    region_of_mining TEXT NOT NULL DEFAULT '',
    mine_name TEXT NOT NULL DEFAULT '',
    country_of_cutting TEXT NOT NULL DEFAULT '',
    report_lab TEXT NOT NULL DEFAULT '',
    report_no TEXT NOT NULL DEFAULT '',
    report_date TEXT NOT NULL DEFAULT '',
    inscription TEXT NOT NULL DEFAULT '',
    kp_cert_no TEXT NOT NULL DEFAULT '',
    g7_cert_no TEXT NOT NULL DEFAULT '',
    warranty TEXT NOT NULL DEFAULT 'none',
    grandfathered INTEGER NOT NULL DEFAULT 0,
    supplier_id TEXT REFERENCES party(id),
    acquired_on TEXT NOT NULL DEFAULT '',
    cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (cost_minor >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX stone_item ON stone(item_id, position);
CREATE UNIQUE INDEX stone_stock_no ON stone(stock_no COLLATE NOCASE) WHERE stock_no != '';
CREATE INDEX stone_report ON stone(report_no) WHERE report_no != '';
CREATE INDEX stone_supplier ON stone(supplier_id);

CREATE TABLE metal_lot (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    lot_no TEXT NOT NULL UNIQUE COLLATE NOCASE,
    metal TEXT NOT NULL,
    fineness_ppt INTEGER NOT NULL CHECK (fineness_ppt BETWEEN 1 AND 1000),
    form TEXT NOT NULL,
    claim_class TEXT NOT NULL,
    refiner_id TEXT REFERENCES party(id),
    refiner_cid TEXT NOT NULL DEFAULT '',
    bar_batch_no TEXT NOT NULL DEFAULT '',
    country_of_origin TEXT NOT NULL DEFAULT '',
    supplier_id TEXT REFERENCES party(id),
    received_on TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE metal_component (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    item_id TEXT NOT NULL REFERENCES item(id),
    lot_id TEXT NOT NULL REFERENCES metal_lot(id),
    position INTEGER NOT NULL DEFAULT 0,
    mass_mg INTEGER NOT NULL CHECK (mass_mg > 0),
    fineness_ppt INTEGER NOT NULL CHECK (fineness_ppt BETWEEN 1 AND 1000),
    part TEXT NOT NULL
);
CREATE INDEX metal_component_item ON metal_component(item_id, position);
CREATE INDEX metal_component_lot ON metal_component(lot_id);

-- Every gram in or out of a lot. The balance is the signed sum; rows are never changed.
CREATE TABLE metal_movement (
    n INTEGER PRIMARY KEY,
    lot_id TEXT NOT NULL REFERENCES metal_lot(id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'draw', 'return', 'loss')),
    mass_mg INTEGER NOT NULL CHECK (mass_mg > 0),
    item_id TEXT REFERENCES item(id),
    component_id TEXT,
    occurred_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
-- Covering index: a lot's balance is summed from the index alone.
CREATE INDEX metal_movement_lot ON metal_movement(lot_id, kind, mass_mg);
CREATE TRIGGER metal_movement_no_update BEFORE UPDATE ON metal_movement
BEGIN SELECT RAISE(ABORT, 'metal movements are append-only'); END;
CREATE TRIGGER metal_movement_no_delete BEFORE DELETE ON metal_movement
BEGIN SELECT RAISE(ABORT, 'metal movements are append-only'); END;

CREATE TABLE document (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    doc_type TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    original_name TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',
    issue_date TEXT NOT NULL DEFAULT '',
    expiry_date TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    page_count INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL
);
-- The file bytes are immutable once stored; only the descriptive fields may change.
CREATE TRIGGER document_bytes_fixed BEFORE UPDATE OF sha256, size, media_type ON document
BEGIN SELECT RAISE(ABORT, 'a stored document file cannot be replaced'); END;

CREATE TABLE document_link (
    document_id TEXT NOT NULL REFERENCES document(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('item', 'stone', 'lot', 'party')),
    subject_id TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (subject_kind, subject_id, document_id)
);
CREATE INDEX document_link_doc ON document_link(document_id);

-- Search-as-you-type. Row ids are item.n / stone.n; rows are rewritten by the store
-- whenever the record (or a party it names) changes.
CREATE VIRTUAL TABLE item_fts USING fts5(
    sku, description, report_nos, parties,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE stone_fts USING fts5(
    stock_no, description, report_nos, parties,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
"""


def v1_initial(db: sqlite_utils.Database) -> None:
    for statement in _split(V1):
        db.execute(statement)


def _split(script: str) -> list[str]:
    """Split a DDL script into statements (trigger bodies stay whole)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete statement in schema: {buf[:60]}")
    return out


V2 = """
-- Custody events, shaped like GS1 EPCIS 2.0 events. Append-only: a mistake is fixed by a new
-- event whose corrects_event_id names the one it corrects; both stay visible.
CREATE TABLE custody_event (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL CHECK (event_type IN
        ('ObjectEvent', 'TransformationEvent', 'TransactionEvent', 'AggregationEvent')),
    action TEXT NOT NULL DEFAULT '' CHECK (action IN ('', 'ADD', 'OBSERVE', 'DELETE')),
    hop TEXT NOT NULL,
    biz_step TEXT NOT NULL,
    disposition TEXT NOT NULL DEFAULT '',
    event_time TEXT NOT NULL,
    tz_offset TEXT NOT NULL DEFAULT '+00:00',
    recorded_at TEXT NOT NULL,
    source_owner_id TEXT REFERENCES party(id),
    source_possessor_id TEXT REFERENCES party(id),
    dest_owner_id TEXT REFERENCES party(id),
    dest_possessor_id TEXT REFERENCES party(id),
    location_country TEXT NOT NULL DEFAULT '',
    location_region TEXT NOT NULL DEFAULT '',
    biz_transactions TEXT NOT NULL DEFAULT '[]',
    confidence TEXT NOT NULL CHECK (confidence IN
        ('documented', 'supplier_declared', 'owner_asserted', 'inferred')),
    note TEXT NOT NULL DEFAULT '',
    corrects_event_id TEXT REFERENCES custody_event(id),
    retracts INTEGER NOT NULL DEFAULT 0 CHECK (retracts IN (0, 1)),
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX custody_event_corrects ON custody_event(corrects_event_id)
    WHERE corrects_event_id IS NOT NULL;

-- What an event is about: its subjects (object events), or inputs and outputs
-- (transformations). Quantities in the units of DESIGN section 2.
CREATE TABLE custody_subject (
    event_id TEXT NOT NULL REFERENCES custody_event(id),
    role TEXT NOT NULL CHECK (role IN ('subject', 'input', 'output')),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('item', 'stone', 'lot')),
    subject_id TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    uom TEXT NOT NULL DEFAULT '' CHECK (uom IN ('', 'mct', 'mg', 'ea')),
    PRIMARY KEY (subject_kind, subject_id, event_id, role)
);
CREATE INDEX custody_subject_event ON custody_subject(event_id);
CREATE INDEX custody_subject_id ON custody_subject(subject_id, event_id);

CREATE TABLE custody_evidence (
    event_id TEXT NOT NULL REFERENCES custody_event(id),
    document_id TEXT NOT NULL REFERENCES document(id),
    PRIMARY KEY (event_id, document_id)
);

CREATE TRIGGER custody_event_no_update BEFORE UPDATE ON custody_event
BEGIN SELECT RAISE(ABORT, 'custody events are append-only; record a correcting event'); END;
CREATE TRIGGER custody_event_no_delete BEFORE DELETE ON custody_event
BEGIN SELECT RAISE(ABORT, 'custody events are append-only; record a correcting event'); END;
CREATE TRIGGER custody_subject_no_update BEFORE UPDATE ON custody_subject
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
CREATE TRIGGER custody_subject_no_delete BEFORE DELETE ON custody_subject
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
CREATE TRIGGER custody_evidence_no_update BEFORE UPDATE ON custody_evidence
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
CREATE TRIGGER custody_evidence_no_delete BEFORE DELETE ON custody_evidence
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
-- A gap the owner has looked into and recorded as unknown, with the reason. Append-only;
-- withdrawing an acknowledgement is a new row with withdrawn = 1.
CREATE TABLE gap_ack (
    n INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    component_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gap_ack_component ON gap_ack(component_id, rule);
CREATE TRIGGER gap_ack_no_update BEFORE UPDATE ON gap_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER gap_ack_no_delete BEFORE DELETE ON gap_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;

-- Every screening of a party against a sanctions list, with the list version used.
CREATE TABLE party_screening (
    n INTEGER PRIMARY KEY,
    party_id TEXT NOT NULL REFERENCES party(id),
    screened_name TEXT NOT NULL,
    list_name TEXT NOT NULL,
    list_version TEXT NOT NULL,
    hits TEXT NOT NULL DEFAULT '[]',
    screened_at TEXT NOT NULL
);
CREATE INDEX party_screening_party ON party_screening(party_id, n);
CREATE TRIGGER party_screening_no_update BEFORE UPDATE ON party_screening
BEGIN SELECT RAISE(ABORT, 'screening results are append-only'); END;
CREATE TRIGGER party_screening_no_delete BEFORE DELETE ON party_screening
BEGIN SELECT RAISE(ABORT, 'screening results are append-only'); END;

-- Risk and sanctions lists installed after the ones bundled with the app.
CREATE TABLE reference_list (
    n INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('sanctions', 'cahra')),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    list_date TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    licence TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    installed_at TEXT NOT NULL
);

-- A trade statement the owner confirmed on a document (feeds gap rule G1).
CREATE TABLE statement_confirmation (
    n INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES document(id),
    statement TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    UNIQUE (document_id, statement)
);

-- The weighed metal of a finished piece (0: not weighed), for the mass-balance rule.
ALTER TABLE item ADD COLUMN weighed_metal_mg INTEGER NOT NULL DEFAULT 0
    CHECK (weighed_metal_mg >= 0);
"""


def v2_custody(db: sqlite_utils.Database) -> None:
    """Custody events and what the gap rules G9–G13 need. Existing goods get the receipts
    their records imply, marked as inferred."""
    for statement in _split(V2):
        db.execute(statement)
    from .backfill import backfill_v2

    backfill_v2(db)


V3 = """
-- A lot's events other than the assemblies that draw from it are found without walking
-- every piece made from the lot (20,000 at the scale of the benchmarks).
DROP INDEX custody_subject_id;
CREATE INDEX custody_subject_role ON custody_subject(subject_id, role, event_id);

-- Running totals of metal in and out of each lot, kept by the database itself as movements
-- are appended (movements are never changed or deleted), so a piece's check reads one row
-- per lot instead of summing every draw.
CREATE TABLE metal_lot_total (
    lot_id TEXT PRIMARY KEY REFERENCES metal_lot(id),
    in_mg INTEGER NOT NULL DEFAULT 0,
    out_mg INTEGER NOT NULL DEFAULT 0
);
INSERT INTO metal_lot_total (lot_id, in_mg, out_mg)
    SELECT lot_id,
           sum(CASE WHEN kind IN ('receipt', 'return') THEN mass_mg ELSE 0 END),
           sum(CASE WHEN kind IN ('draw', 'loss') THEN mass_mg ELSE 0 END)
    FROM metal_movement GROUP BY lot_id;
CREATE TRIGGER metal_movement_total AFTER INSERT ON metal_movement
BEGIN
    INSERT INTO metal_lot_total (lot_id, in_mg, out_mg) VALUES (
        NEW.lot_id,
        CASE WHEN NEW.kind IN ('receipt', 'return') THEN NEW.mass_mg ELSE 0 END,
        CASE WHEN NEW.kind IN ('draw', 'loss') THEN NEW.mass_mg ELSE 0 END
    )
    ON CONFLICT (lot_id) DO UPDATE SET
        in_mg = in_mg + excluded.in_mg,
        out_mg = out_mg + excluded.out_mg;
END;
"""


def v3_lot_totals(db: sqlite_utils.Database) -> None:
    """Indexes and running totals that keep one piece's gap check to a few row lookups."""
    for statement in _split(V3):
        db.execute(statement)


V4 = """
-- A sale of one or more pieces. Rows are never changed: a return is its own row below.
CREATE TABLE sale (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    invoice_no TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sold_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    payment_method TEXT NOT NULL DEFAULT '',
    customer_name TEXT NOT NULL DEFAULT '',
    customer_contact TEXT NOT NULL DEFAULT '',
    event_id TEXT REFERENCES custody_event(id),
    recorded_at TEXT NOT NULL
);
CREATE TABLE sale_line (
    sale_id TEXT NOT NULL REFERENCES sale(id),
    item_id TEXT NOT NULL REFERENCES item(id),
    price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
    tax_minor INTEGER NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
    PRIMARY KEY (sale_id, item_id)
);
CREATE INDEX sale_line_item ON sale_line(item_id);
CREATE TABLE sale_return (
    n INTEGER PRIMARY KEY,
    sale_id TEXT NOT NULL REFERENCES sale(id),
    item_id TEXT NOT NULL REFERENCES item(id),
    returned_at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    event_id TEXT REFERENCES custody_event(id),
    UNIQUE (sale_id, item_id)
);

-- Issued certificates: the canonical payload, its hash and signature, and the archived PDF
-- (content-addressed in the document store). Never changed; superseding and voiding are rows
-- of certificate_status.
CREATE TABLE certificate (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL COLLATE NOCASE,
    version INTEGER NOT NULL CHECK (version >= 1),
    item_id TEXT NOT NULL REFERENCES item(id),
    sale_id TEXT REFERENCES sale(id),
    issued_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    pdf_size INTEGER NOT NULL,
    UNIQUE (number, version)
);
CREATE INDEX certificate_item ON certificate(item_id, version);
CREATE TABLE certificate_status (
    n INTEGER PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificate(id),
    status TEXT NOT NULL CHECK (status IN ('superseded', 'voided')),
    by_certificate_id TEXT REFERENCES certificate(id),
    reason TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE INDEX certificate_status_cert ON certificate_status(certificate_id);
"""

_APPEND_ONLY_V4 = ("sale", "sale_line", "sale_return", "certificate", "certificate_status")


def v4_sales(db: sqlite_utils.Database) -> None:
    """Sales, returns and issued certificates, all append-only."""
    for statement in _split(V4):
        db.execute(statement)
    for table in _APPEND_ONLY_V4:
        for verb in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, '{table.replace('_', ' ')} rows are append-only'); END"
            )


V5 = """
-- The EPCIS event hash of each custody event, kept once computed (the GS1 algorithm costs a
-- few milliseconds an event). An event never changes, so neither does its hash; evidence can
-- only be added, so the hash is stored with the number of evidence links it covered.
CREATE TABLE event_hash (
    event_id TEXT NOT NULL REFERENCES custody_event(id),
    scheme TEXT NOT NULL,
    evidence_n INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (event_id, scheme, evidence_n)
);
CREATE TRIGGER event_hash_no_update BEFORE UPDATE ON event_hash
BEGIN SELECT RAISE(ABORT, 'event hashes are append-only'); END;
CREATE TRIGGER event_hash_no_delete BEFORE DELETE ON event_hash
BEGIN SELECT RAISE(ABORT, 'event hashes are append-only'); END;
"""


def v5_event_hashes(db: sqlite_utils.Database) -> None:
    for statement in _split(V5):
        db.execute(statement)


V6 = """
-- Each piece's custody check, kept between runs so the shop-wide dashboard does not re-judge
-- 100,000 pieces each time. A derived cache, never evidence: any write that can change a
-- piece's gaps deletes its row (the triggers below), and a row dated by the first day a
-- date-dependent rule could change is not used after it. A lot's own balance (G11) is judged
-- when read: one draw would otherwise invalidate every piece made from the lot.
CREATE TABLE gap_cache (
    item_id TEXT PRIMARY KEY,
    valid_until TEXT NOT NULL,
    sku TEXT NOT NULL,
    description TEXT NOT NULL,
    lot_ids TEXT NOT NULL,
    -- what the dashboard shows of each gap (rule, severity, component, its id and label,
    -- title; and the reason and time when acknowledged): fields split by U+001F, gaps by
    -- U+001E, so a whole shop is read back with one query and str.split
    gaps TEXT NOT NULL
);
CREATE TRIGGER gap_cache_item_update AFTER UPDATE ON item
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (OLD.id, NEW.id);
END;

CREATE TRIGGER gap_cache_item_delete AFTER DELETE ON item
BEGIN
    DELETE FROM gap_cache WHERE item_id = OLD.id;
END;

CREATE TRIGGER gap_cache_stone_insert AFTER INSERT ON stone
BEGIN
    DELETE FROM gap_cache WHERE item_id = NEW.item_id;
END;

CREATE TRIGGER gap_cache_stone_update AFTER UPDATE ON stone
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (OLD.item_id, NEW.item_id);
END;

CREATE TRIGGER gap_cache_stone_delete AFTER DELETE ON stone
BEGIN
    DELETE FROM gap_cache WHERE item_id = OLD.item_id;
END;

CREATE TRIGGER gap_cache_metal_component_insert AFTER INSERT ON metal_component
BEGIN
    DELETE FROM gap_cache WHERE item_id = NEW.item_id;
END;

CREATE TRIGGER gap_cache_metal_component_update AFTER UPDATE ON metal_component
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (OLD.item_id, NEW.item_id);
END;

CREATE TRIGGER gap_cache_metal_component_delete AFTER DELETE ON metal_component
BEGIN
    DELETE FROM gap_cache WHERE item_id = OLD.item_id;
END;

CREATE TRIGGER gap_cache_lot_update AFTER UPDATE ON metal_lot
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT item_id FROM metal_component WHERE lot_id IN (OLD.id, NEW.id));
END;

CREATE TRIGGER gap_cache_subject_insert AFTER INSERT ON custody_subject
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE NEW.subject_kind = 'item' AND id = NEW.subject_id UNION SELECT item_id FROM stone WHERE NEW.subject_kind = 'stone' AND id = NEW.subject_id UNION SELECT item_id FROM metal_component WHERE NEW.subject_kind = 'lot' AND NEW.role <> 'input' AND lot_id = NEW.subject_id);
END;

CREATE TRIGGER gap_cache_correction AFTER INSERT ON custody_event WHEN NEW.corrects_event_id IS NOT NULL
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT x.subject_id FROM custody_subject x WHERE x.event_id = NEW.corrects_event_id AND x.subject_kind = 'item'
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            WHERE x.event_id = NEW.corrects_event_id
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            WHERE x.event_id = NEW.corrects_event_id AND x.role <> 'input');
END;

CREATE TRIGGER gap_cache_evidence_insert AFTER INSERT ON custody_evidence
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT x.subject_id FROM custody_subject x WHERE x.event_id = NEW.event_id AND x.subject_kind = 'item'
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            WHERE x.event_id = NEW.event_id
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            WHERE x.event_id = NEW.event_id AND x.role <> 'input');
END;

CREATE TRIGGER gap_cache_link_insert AFTER INSERT ON document_link
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE NEW.subject_kind = 'item' AND id = NEW.subject_id
      UNION SELECT item_id FROM stone WHERE NEW.subject_kind = 'stone' AND id = NEW.subject_id
      UNION SELECT item_id FROM metal_component WHERE NEW.subject_kind = 'lot' AND lot_id = NEW.subject_id
      UNION SELECT id FROM item WHERE supplier_id = NEW.subject_id OR maker_id = NEW.subject_id
      UNION SELECT item_id FROM stone WHERE supplier_id = NEW.subject_id
      UNION SELECT m.item_id FROM metal_component m JOIN metal_lot l ON l.id = m.lot_id
            WHERE l.refiner_id = NEW.subject_id OR l.supplier_id = NEW.subject_id
      UNION SELECT x.subject_id FROM custody_subject x JOIN custody_event e ON e.id = x.event_id
            WHERE x.subject_kind = 'item' AND NEW.subject_id IN (e.source_owner_id, e.source_possessor_id,
                                                      e.dest_owner_id, e.dest_possessor_id)
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            JOIN custody_event e ON e.id = x.event_id
            WHERE NEW.subject_id IN (e.source_owner_id, e.source_possessor_id, e.dest_owner_id,
                          e.dest_possessor_id)
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            JOIN custody_event e ON e.id = x.event_id
            WHERE x.role <> 'input' AND NEW.subject_id IN (e.source_owner_id, e.source_possessor_id,
                                                 e.dest_owner_id, e.dest_possessor_id));
END;

CREATE TRIGGER gap_cache_link_delete AFTER DELETE ON document_link
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE OLD.subject_kind = 'item' AND id = OLD.subject_id
      UNION SELECT item_id FROM stone WHERE OLD.subject_kind = 'stone' AND id = OLD.subject_id
      UNION SELECT item_id FROM metal_component WHERE OLD.subject_kind = 'lot' AND lot_id = OLD.subject_id
      UNION SELECT id FROM item WHERE supplier_id = OLD.subject_id OR maker_id = OLD.subject_id
      UNION SELECT item_id FROM stone WHERE supplier_id = OLD.subject_id
      UNION SELECT m.item_id FROM metal_component m JOIN metal_lot l ON l.id = m.lot_id
            WHERE l.refiner_id = OLD.subject_id OR l.supplier_id = OLD.subject_id
      UNION SELECT x.subject_id FROM custody_subject x JOIN custody_event e ON e.id = x.event_id
            WHERE x.subject_kind = 'item' AND OLD.subject_id IN (e.source_owner_id, e.source_possessor_id,
                                                      e.dest_owner_id, e.dest_possessor_id)
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            JOIN custody_event e ON e.id = x.event_id
            WHERE OLD.subject_id IN (e.source_owner_id, e.source_possessor_id, e.dest_owner_id,
                          e.dest_possessor_id)
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            JOIN custody_event e ON e.id = x.event_id
            WHERE x.role <> 'input' AND OLD.subject_id IN (e.source_owner_id, e.source_possessor_id,
                                                 e.dest_owner_id, e.dest_possessor_id));
END;

CREATE TRIGGER gap_cache_document_update AFTER UPDATE ON document
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.id AND subject_kind = 'item') UNION SELECT item_id FROM stone WHERE id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.id AND subject_kind = 'stone') UNION SELECT item_id FROM metal_component WHERE lot_id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.id AND subject_kind = 'lot') UNION SELECT x.subject_id FROM custody_subject x JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.id AND x.subject_kind = 'item' UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.id UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.id AND x.role <> 'input');
END;

CREATE TRIGGER gap_cache_statement_confirmed AFTER INSERT ON statement_confirmation
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.document_id AND subject_kind = 'item') UNION SELECT item_id FROM stone WHERE id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.document_id AND subject_kind = 'stone') UNION SELECT item_id FROM metal_component WHERE lot_id IN (SELECT subject_id FROM document_link WHERE document_id = NEW.document_id AND subject_kind = 'lot') UNION SELECT x.subject_id FROM custody_subject x JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.document_id AND x.subject_kind = 'item' UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.document_id UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id JOIN custody_evidence v ON v.event_id = x.event_id WHERE v.document_id = NEW.document_id AND x.role <> 'input');
END;

CREATE TRIGGER gap_cache_party_update AFTER UPDATE ON party
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE supplier_id = NEW.id OR maker_id = NEW.id
      UNION SELECT item_id FROM stone WHERE supplier_id = NEW.id
      UNION SELECT m.item_id FROM metal_component m JOIN metal_lot l ON l.id = m.lot_id
            WHERE l.refiner_id = NEW.id OR l.supplier_id = NEW.id
      UNION SELECT x.subject_id FROM custody_subject x JOIN custody_event e ON e.id = x.event_id
            WHERE x.subject_kind = 'item' AND NEW.id IN (e.source_owner_id, e.source_possessor_id,
                                                      e.dest_owner_id, e.dest_possessor_id)
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            JOIN custody_event e ON e.id = x.event_id
            WHERE NEW.id IN (e.source_owner_id, e.source_possessor_id, e.dest_owner_id,
                          e.dest_possessor_id)
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            JOIN custody_event e ON e.id = x.event_id
            WHERE x.role <> 'input' AND NEW.id IN (e.source_owner_id, e.source_possessor_id,
                                                 e.dest_owner_id, e.dest_possessor_id));
END;

CREATE TRIGGER gap_cache_party_screened AFTER INSERT ON party_screening
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE supplier_id = NEW.party_id OR maker_id = NEW.party_id
      UNION SELECT item_id FROM stone WHERE supplier_id = NEW.party_id
      UNION SELECT m.item_id FROM metal_component m JOIN metal_lot l ON l.id = m.lot_id
            WHERE l.refiner_id = NEW.party_id OR l.supplier_id = NEW.party_id
      UNION SELECT x.subject_id FROM custody_subject x JOIN custody_event e ON e.id = x.event_id
            WHERE x.subject_kind = 'item' AND NEW.party_id IN (e.source_owner_id, e.source_possessor_id,
                                                      e.dest_owner_id, e.dest_possessor_id)
      UNION SELECT s.item_id FROM stone s JOIN custody_subject x ON x.subject_id = s.id
            JOIN custody_event e ON e.id = x.event_id
            WHERE NEW.party_id IN (e.source_owner_id, e.source_possessor_id, e.dest_owner_id,
                          e.dest_possessor_id)
      UNION SELECT m.item_id FROM metal_component m JOIN custody_subject x ON x.subject_id = m.lot_id
            JOIN custody_event e ON e.id = x.event_id
            WHERE x.role <> 'input' AND NEW.party_id IN (e.source_owner_id, e.source_possessor_id,
                                                 e.dest_owner_id, e.dest_possessor_id));
END;

CREATE TRIGGER gap_cache_list_installed AFTER INSERT ON reference_list
BEGIN
    DELETE FROM gap_cache;
END;

CREATE TRIGGER gap_cache_ack AFTER INSERT ON gap_ack
BEGIN
    DELETE FROM gap_cache WHERE item_id IN (SELECT id FROM item WHERE id = NEW.component_id UNION SELECT item_id FROM stone WHERE id = NEW.component_id UNION SELECT item_id FROM metal_component WHERE lot_id = NEW.component_id);
END;

CREATE TRIGGER gap_cache_shop_insert AFTER INSERT ON settings WHEN NEW.key = 'shop'
BEGIN
    DELETE FROM gap_cache;
END;

CREATE TRIGGER gap_cache_shop_update AFTER UPDATE ON settings WHEN NEW.key = 'shop'
BEGIN
    DELETE FROM gap_cache;
END;
"""


def v6_gap_cache(db: sqlite_utils.Database) -> None:
    for statement in _split(V6):
        db.execute(statement)


V7 = """
-- The audit log (see store/audit.py): one entry per change to a record table, written by
-- triggers, each entry's hash covering the one before. Never changed or deleted.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_key TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('baseline', 'insert', 'update', 'delete', 'note')),
    about TEXT,
    before TEXT,
    after TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_row ON audit_log(tbl, row_key, seq);
CREATE INDEX audit_log_about ON audit_log(about, seq) WHERE about IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the records log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the records log is append-only'); END;

-- The columns each table's audit triggers image (a migration that adds one re-images rows).
CREATE TABLE audit_columns (
    tbl TEXT PRIMARY KEY,
    columns TEXT NOT NULL
);

-- Optional staff profiles. A PIN gives accountability, not secrecy: it is stored as a salted
-- scrypt hash. A profile is never deleted (the log names it); it is made inactive.
CREATE TABLE staff (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    role TEXT NOT NULL CHECK (role IN ('manager', 'staff')),
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
BEGIN SELECT RAISE(ABORT, 'staff profiles are made inactive, not deleted'); END;
"""


def v7_audit_log(db: sqlite_utils.Database) -> None:
    """The hash-chained audit log (every row on record gets a baseline entry) and staff."""
    from . import audit

    for statement in _split(V7):
        db.execute(statement)
    audit.ensure(db, migrating=True)


MIGRATIONS = [
    v1_initial,
    v2_custody,
    v3_lot_totals,
    v4_sales,
    v5_event_hashes,
    v6_gap_cache,
    v7_audit_log,
]
