"""The hash-chained audit log: what it records, that it cannot be edited, and that the records
check finds every edit made behind the app's back (a changed carat, a deleted event, a
rewritten log), naming the first bad record."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from jewelerdesk.domain.statements import statements
from jewelerdesk.paths import DataPaths
from jewelerdesk.services import (
    certificates,
    custody,
    exports,
    integrity,
    inventory,
    regulator,
    sales,
    staff,
)
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit, database, records
from jewelerdesk.store.schema import MIGRATIONS

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def busy_template(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """The demo shop with a row in every logged table: a sale and a return, a certificate and
    its reissue, an acknowledged gap, an installed list and a confirmed statement. Built once;
    each test gets its own copy."""
    from jewelerdesk.services.demo import build_demo

    paths = DataPaths(tmp_path_factory.mktemp("template") / "shop")
    demo_shop = Shop.open(paths)
    build_demo(demo_shop)
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"]))
    first = certificates.issue_certificate(demo_shop, "R-0001")
    certificates.reissue(demo_shop, first.certificate.number, "spelling of the stone")
    sales.sell(demo_shop, sales.SaleRequest(["R-0007"]))
    sales.return_sale(demo_shop, "R-0007", "too small")
    gap = custody.gaps_for_piece(demo_shop, "R-0002").gaps[0]
    custody.acknowledge_gap(demo_shop, gap.rule, gap.component_id, "Estate stock, not known")
    custody.import_list(demo_shop, DATA / "lists" / "sanctions_2026-11-01.json")
    doc = records.all_documents(demo_shop.db)[0]
    custody.confirm_statement(demo_shop, doc.id, statements()[0].id)
    staff.add_staff(demo_shop, "Manager", "manager", "4821")
    demo_shop.actor.name = "owner"
    demo_shop.close()
    return paths


@pytest.fixture
def busy_shop(busy_template: DataPaths, tmp_path: Path):
    paths = DataPaths(tmp_path / "shop")
    shutil.copytree(busy_template.root, paths.root)
    shop = Shop.open(paths)
    yield shop
    shop.close()


def raw(shop: Shop) -> sqlite3.Connection:
    """A connection like a database editor's: no JewelerDesk functions registered."""
    conn = sqlite3.connect(shop.paths.database, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def recompute(entry: tuple[object, ...]) -> str:
    """The documented hash of an entry, written out independently of the app's code."""
    text = "\x1f".join("\x00" if f is None else str(f) for f in entry)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_change_is_logged_with_who_when_before_and_after(demo_shop: Shop) -> None:
    item = inventory.get_item_by_sku(demo_shop, "R-0002")
    demo_shop.actor.name = "Second counter"
    item.description = item.description + " (resized)"
    inventory.save_item(demo_shop, item)
    changes = [e for e in audit.entries(demo_shop.db, [item.id], limit=50) if e.tbl == "item"]
    latest = changes[0]
    assert latest.op == "update" and latest.actor == "Second counter"
    assert latest.channel == "app" and latest.at.startswith("20")
    (field, before, after), *_ = audit.changed_fields(latest)
    assert field == "description" and after == before + " (resized)"
    assert "(resized)" in audit.summary(latest)
    # the piece's history shows its own events and stones, not other pieces'
    about = audit.entries(demo_shop.db, [item.id], limit=10_000)
    assert {e.tbl for e in about} >= {"item", "stone", "custody_event", "custody_subject"}
    other = inventory.get_item_by_sku(demo_shop, "R-0007").id
    assert all(
        e.about in (None, item.id, *[s.id for s in item.stones]) or e.tbl != "item" for e in about
    )
    assert not [e for e in about if e.about == other]


def test_every_entry_hash_is_the_documented_one(busy_shop: Shop) -> None:
    rows = busy_shop.db.execute(
        "SELECT seq, at, actor, channel, tbl, row_key, op, about, before, after, prev_hash, hash"
        " FROM audit_log ORDER BY seq"
    ).fetchall()
    assert len(rows) > 300
    prev = audit.GENESIS
    for r in rows:
        assert r[10] == prev and recompute(r[:11]) == r[11]
        prev = r[11]
    assert audit.head(busy_shop.db) == (rows[-1][0], rows[-1][11])


def test_the_log_refuses_update_and_delete(demo_shop: Shop) -> None:
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            demo_shop.db.execute(sql)


def test_an_unchanged_save_adds_nothing(demo_shop: Shop) -> None:
    item = inventory.get_item_by_sku(demo_shop, "R-0002")
    before = audit.head(demo_shop.db)
    demo_shop.db.execute("UPDATE item SET notes = notes WHERE id = ?", [item.id])
    assert audit.head(demo_shop.db) == before


def test_a_clean_shop_checks_clean(busy_shop: Shop) -> None:
    report = integrity.check_shop(busy_shop)
    assert report.ok, report.problems
    assert report.checked["records-log entries"] == audit.head(busy_shop.db)[0]


# ------------------------------------------------------------------------- tampering, found


def test_a_changed_carat_is_found_and_named(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        conn.execute("UPDATE stone SET weight_mct = weight_mct + 10")  # the trigger stops it
    conn.execute("DROP TRIGGER audit_stone_update")
    conn.execute(
        "UPDATE stone SET weight_mct = weight_mct + 10 WHERE id = (SELECT id FROM stone "
        "WHERE item_id = (SELECT id FROM item WHERE sku = 'R-0002') AND position = 0)"
    )
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert len(problems) == 2
    assert "stone 1 of piece 'R-0002' was changed outside JewelerDesk" in problems[0]
    assert "weight mct" in problems[0]
    assert (
        problems[1]
        == "The records log is not watching: stone (its triggers were removed or changed)."
    )


def test_a_deleted_custody_event_is_found(busy_shop: Shop) -> None:
    event_id = busy_shop.db.execute("SELECT id FROM custody_event ORDER BY n LIMIT 1").fetchone()[0]
    conn = raw(busy_shop)
    for t in ("custody_event_no_delete", "audit_custody_event_delete"):
        conn.execute(f"DROP TRIGGER {t}")
    conn.execute("DELETE FROM custody_event WHERE id = ?", [event_id])
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert "custody event" in problems[0] and "deleted outside JewelerDesk" in problems[0]
    assert event_id[:8] in problems[0]
    assert any("custody_event_no_delete" in p for p in problems)


def test_a_row_added_behind_the_apps_back_is_found(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_party_insert")
    conn.execute(
        "INSERT INTO party (id, kind, legal_name, country, created_at, updated_at) "
        "VALUES ('p-x', 'supplier', 'Ghost Gems', 'AE', '2026-01-01', '2026-01-01')"
    )
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert problems[0].startswith("The party 'Ghost Gems' was added outside JewelerDesk")


def test_an_edited_log_entry_is_found_first(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 120")
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert problems[0].startswith("Records-log entry #120 (")
    assert "was changed after it was written" in problems[0]
    assert any("audit_log_no_update" in p for p in problems)


def test_removed_log_entries_are_found(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq BETWEEN 50 AND 52")
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert problems[0] == "Records-log entries #50–#52 have been removed."


def test_a_forged_trigger_function_breaks_the_chain(busy_shop: Shop) -> None:
    """Someone who registers look-alike functions so the triggers run still cannot produce
    the chain's hashes unless they rewrite the whole log (next test)."""
    conn = raw(busy_shop)
    conn.create_function("jd_audit_hash", 11, lambda *a: "0" * 64)
    conn.create_function("jd_actor", 0, lambda: "owner")
    conn.create_function("jd_channel", 0, lambda: "app")
    conn.execute("UPDATE item SET price_minor = 1 WHERE sku = 'R-0008'")
    conn.close()
    seq = audit.head(busy_shop.db)[0]
    problems = integrity.check_shop(busy_shop).problems
    assert problems[0].startswith(f"Records-log entry #{seq} (piece changed")


def test_a_rewritten_history_cannot_match_an_issued_certificate(busy_shop: Shop) -> None:
    """The hardest case: an edit of an early record plus a consistent re-hash of the whole log
    after it. The chain is then whole, but the certificate printed the old hash."""
    stone = busy_shop.db.execute(
        "SELECT s.id FROM stone s JOIN item i ON i.id = s.item_id WHERE i.sku = 'R-0001'"
    ).fetchone()[0]
    first = busy_shop.db.execute(
        "SELECT min(seq) FROM audit_log WHERE tbl = 'stone' AND row_key = ?", [stone]
    ).fetchone()[0]
    conn = raw(busy_shop)
    for t in ("audit_stone_update", "audit_log_no_update"):
        conn.execute(f"DROP TRIGGER {t}")
    conn.execute("UPDATE stone SET weight_mct = weight_mct + 100 WHERE id = ?", [stone])
    new_image = conn.execute("SELECT after FROM audit_log WHERE seq = ?", [first]).fetchone()[0]
    image = json.loads(new_image)
    image["weight_mct"] += 100
    conn.execute(
        "UPDATE audit_log SET after = ? WHERE seq = ?",
        [json.dumps(image, separators=(",", ":"), ensure_ascii=False), first],
    )
    rows = conn.execute(
        "SELECT seq, at, actor, channel, tbl, row_key, op, about, before, after FROM audit_log "
        "WHERE seq >= ? ORDER BY seq",
        [first],
    ).fetchall()
    prev = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", [first - 1]).fetchone()[0]
    for r in rows:
        h = recompute((*r, prev))
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, h, r[0]])
        prev = h
    conn.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the records log is append-only'); END"
    )
    conn.close()
    assert not list(audit.chain_problems(busy_shop.db))  # the forged chain is whole
    problems = integrity.check_shop(busy_shop).problems
    assert any(
        "was issued at records-log entry" in p and "history before it has been rewritten" in p
        for p in problems
    ), problems


@pytest.mark.parametrize("table", sorted(audit.AUDITED))
def test_an_edit_to_any_logged_table_is_found(busy_shop: Shop, table: str) -> None:
    """One row of every logged table changed behind the app's back: all found."""
    present = {r[0] for r in busy_shop.db.execute("SELECT name FROM sqlite_master")}
    if table not in present:
        pytest.skip("no such table")
    columns = [r for r in busy_shop.db.execute(f"PRAGMA table_info({table})")]
    if not busy_shop.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
        pytest.fail(f"the busy shop has no {table} rows to tamper with")
    conn = raw(busy_shop)
    for t in [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
        )
    ]:
        conn.execute(f"DROP TRIGGER {t}")
    rid = conn.execute(f"SELECT rowid FROM {table} ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    # change the last column the table's checks allow to change; key columns last of all
    ordered = [c for c in reversed(columns) if c[5] == 0 and c[1] not in ("n", "id", "key")]
    ordered += [c for c in columns if c[5] != 0 and c[1] != "n"]
    for col in ordered:
        kind = (col[2] or "").upper()
        change = f"{col[1]} + 7" if "INT" in kind else f"{col[1]} || 'x'"
        try:
            conn.execute(f"UPDATE {table} SET {col[1]} = {change} WHERE rowid = ?", [rid])
            break
        except sqlite3.IntegrityError:
            continue
    conn.close()
    found = {(m.tbl, m.kind) for m in audit.unlogged_changes(busy_shop.db)}
    if col[5] != 0 and table != "settings":
        # a key changed: the row the log knows is gone, and one it never saw appeared
        assert found == {(table, "deleted"), (table, "unlogged")}
        return
    assert found == {(table, "changed")}
    report = integrity.check_shop(busy_shop)
    word = audit.TABLE_WORDS[table]
    assert any(f"The {word} " in p and "changed outside JewelerDesk" in p for p in report.problems)


def test_missing_watch_is_put_back_at_open_and_noted(busy_shop: Shop, tmp_path: Path) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_item_update")
    conn.execute("UPDATE item SET price_minor = price_minor + 1 WHERE sku = 'R-0009'")
    conn.close()
    busy_shop.close()
    with Shop.open(busy_shop.paths) as again:
        assert not audit.missing_triggers(again.db)
        note = audit.entries(again.db, limit=1)[0]
        assert note.op == "note" and "piece table was missing" in audit.summary(note)
        problems = integrity.check_shop(again).problems
        assert problems and "'R-0009' was changed outside JewelerDesk" in problems[0]
        # and from now on a change is logged again
        item = inventory.get_item_by_sku(again, "R-0011")
        item.notes = "checked"
        inventory.save_item(again, item)
        assert "checked" in [e.after_dict().get("notes") for e in audit.entries(again.db, limit=5)]


# ------------------------------------------------------------------------- where the head goes


def test_the_certificate_carries_the_head_it_was_issued_at(demo_shop: Shop, tmp_path) -> None:
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))
    before = audit.head(demo_shop.db)
    issued = certificates.issue_certificate(demo_shop, "R-0002")
    payload = json.loads(issued.certificate.payload)
    assert payload["records_log"] == {"entry": before[0], "sha256": before[1]}
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(issued.pdf)).pages)
    assert f"entry {before[0]}" in text and before[1][:16] in text.replace("\n", "")


def test_exports_name_the_head(busy_shop: Shop, tmp_path: Path) -> None:
    seq, digest = audit.head(busy_shop.db)
    result = exports.export_accountant(busy_shop, tmp_path / "acc", "2024-01-01", "2026-12-31")
    about = next(p for p in result.files if p.name.startswith("about_")).read_text()
    assert f"entry {seq}, SHA-256 {digest}" in about
    regulator.export_regulator(busy_shop, tmp_path / "pack.zip")
    with zipfile.ZipFile(tmp_path / "pack.zip") as z:
        readme = z.read("README.txt").decode()
    assert f"entry {seq}, SHA-256 {digest}" in readme


# ------------------------------------------------------------------------- migrations


def test_an_older_database_gets_a_baseline_of_every_row(data_paths: DataPaths) -> None:
    data_paths.ensure()
    db = database.connect(data_paths.database)
    database.migrate(db, MIGRATIONS[:6])
    db.execute(
        "INSERT INTO party (id, kind, legal_name, country, created_at, updated_at) "
        "VALUES ('p1', 'supplier', 'Old Supplier', 'BE', '2020-01-01', '2020-01-01')"
    )
    db.close()
    with Shop.open(data_paths) as shop:
        assert database.schema_version(shop.db) == len(MIGRATIONS)
        base = [e for e in audit.entries(shop.db, limit=1000) if e.tbl == "party"]
        assert [(e.op, e.after_dict()["legal_name"]) for e in base] == [
            ("baseline", "Old Supplier")
        ]
        assert integrity.check_shop(shop).ok


def test_a_migration_that_adds_a_column_re_images_the_table(demo_shop: Shop) -> None:
    def v_next(db) -> None:
        db.execute("ALTER TABLE party ADD COLUMN website TEXT NOT NULL DEFAULT ''")

    path = demo_shop.paths.database
    demo_shop.close()
    db = database.open_database(path, migrations=[*MIGRATIONS, v_next])
    try:
        shop = Shop(demo_shop.paths, db)
        assert integrity.check_shop(shop).ok
        latest = audit.entries(db, limit=1)[0]
        assert latest.op == "baseline" and "website" in latest.after_dict()
        db.execute("UPDATE party SET website = 'example.org' WHERE n = 1")
        assert audit.entries(db, limit=1)[0].op == "update"
        assert integrity.check_shop(shop).ok
    finally:
        db.close()


def test_a_write_without_the_app_functions_is_refused_not_silently_unlogged(
    demo_shop: Shop,
) -> None:
    conn = raw(demo_shop)
    with pytest.raises(sqlite3.OperationalError, match="no such function: jd_"):
        conn.execute("UPDATE item SET price_minor = 5")
    conn.close()


# ------------------------------------------------------------------------- harder tampering


def test_forgetting_a_tables_columns_does_not_launder_an_edit(busy_shop: Shop) -> None:
    """Deleting the log's note of a table's columns must not make the next open re-image
    (and so accept) an edited row."""
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_stone_update")
    conn.execute("UPDATE stone SET weight_mct = weight_mct * 3 WHERE n = 1")
    conn.execute("DELETE FROM audit_columns WHERE tbl = 'stone'")
    conn.close()
    busy_shop.close()
    with Shop.open(busy_shop.paths) as again:
        problems = integrity.check_shop(again).problems
        assert any("stone" in p and "changed outside JewelerDesk" in p for p in problems)
        assert any("columns were changed outside JewelerDesk" in p for p in problems)
        assert not [e for e in audit.entries(again.db, limit=50) if e.op == "baseline"]


def test_a_column_added_outside_the_app_is_reported(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("ALTER TABLE item ADD COLUMN secret TEXT")
    conn.close()
    busy_shop.close()
    with Shop.open(busy_shop.paths) as again:
        problems = integrity.check_shop(again).problems
        assert any("piece table's columns were changed" in p for p in problems)


def test_a_watch_replaced_by_a_harmless_one_of_the_same_name_is_found(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_item_update")
    conn.execute("CREATE TRIGGER audit_item_update AFTER UPDATE ON item BEGIN SELECT 1; END")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END"
    )
    conn.close()
    assert audit.missing_triggers(busy_shop.db) == ["item"]
    problems = integrity.check_shop(busy_shop).problems
    assert any("not watching: piece" in p for p in problems)
    assert any("audit_log_no_delete" in p for p in problems)


def test_putting_back_an_older_copy_of_the_database_is_found(
    busy_shop: Shop, tmp_path: Path
) -> None:
    from jewelerdesk.services import backup

    older = tmp_path / "older.db"
    database.write_verified_copy(busy_shop.db, older)
    sales.sell(busy_shop, sales.SaleRequest(["R-0008"]))
    backup.back_up(busy_shop)  # its backup.json holds the longer log's head
    assert integrity.check_shop(busy_shop).ok
    busy_shop.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{busy_shop.paths.database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(older, busy_shop.paths.database)
    with Shop.open(busy_shop.paths) as again:
        problems = integrity.check_shop(again).problems
        assert any("put back to an older copy outside JewelerDesk" in p for p in problems)
        # a restore through the app rightly goes back: that is not reported
        made = backup.list_backups(again.paths.backups)[-1]
        backup.restore(again, made.folder, manager_pin="4821")
        assert not integrity.rollback_problems(again)


def test_a_certificate_names_a_rewritten_history_when_verified(
    busy_shop: Shop, tmp_path: Path
) -> None:
    c = certificates.certificates_of(busy_shop, "R-0001")[-1]
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(certificates.reprint(busy_shop, c.number, c.version))
    assert certificates.verify_file(pdf, shop=busy_shop).ok
    entry = json.loads(c.payload)["records_log"]["entry"]
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET hash = ? WHERE seq = ?", ["f" * 64, entry])
    conn.close()
    result = certificates.verify_file(pdf, shop=busy_shop)
    assert not result.ok and "history was changed after it was issued" in result.problems[0]


def test_a_backup_with_an_edited_log_is_not_restored(busy_shop: Shop, tmp_path: Path) -> None:
    from jewelerdesk.errors import StorageError
    from jewelerdesk.services import backup

    made = backup.back_up(busy_shop, tmp_path / "usb")
    conn = sqlite3.connect(made.folder / "jewelerdesk.db", isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 10")
    conn.close()
    manifest = json.loads((made.folder / "backup.json").read_text())
    manifest["database_sha256"] = hashlib.sha256(
        (made.folder / "jewelerdesk.db").read_bytes()
    ).hexdigest()
    (made.folder / "backup.json").write_text(json.dumps(manifest))
    with pytest.raises(StorageError, match="changed outside JewelerDesk"):
        backup.restore(busy_shop, made.folder, manager_pin="4821")
    assert integrity.check_shop(busy_shop).ok


def test_nonsense_written_into_a_row_is_reported_not_a_crash(busy_shop: Shop) -> None:
    conn = raw(busy_shop)
    conn.execute("DROP TRIGGER audit_stone_update")
    conn.execute(
        "UPDATE stone SET position = 'one' WHERE n = (SELECT min(n) FROM stone "
        "WHERE item_id IS NOT NULL)"
    )
    conn.close()
    problems = integrity.check_shop(busy_shop).problems
    assert any("changed outside JewelerDesk" in p for p in problems)


def test_a_pins_hash_never_enters_the_log(busy_shop: Shop) -> None:
    stored = busy_shop.db.execute("SELECT pin_hash FROM staff").fetchone()[0]
    images = " ".join(
        (e.before or "") + (e.after or "") for e in audit.entries(busy_shop.db, limit=100_000)
    )
    assert stored not in images and stored.split("$")[-1] not in images
    assert '"pin_hash":"sha256:' in images


def test_a_new_release_rewords_its_watches_only_in_a_migration(
    demo_shop: Shop, monkeypatch
) -> None:
    """Trigger text that changes with the app is put in place by a migration, quietly; the
    same change found at an ordinary open is reported as tampering."""
    original = audit._trigger_sql
    monkeypatch.setattr(
        audit,
        "_trigger_sql",
        lambda table, columns: [
            s.replace("BEGIN", "BEGIN -- v8\n", 1) for s in original(table, columns)
        ],
    )
    path = demo_shop.paths.database
    demo_shop.close()
    db = database.open_database(path, migrations=[*MIGRATIONS, lambda db: None])
    try:
        assert not audit.repair_notes(db) and not audit.missing_triggers(db)
    finally:
        db.close()
    monkeypatch.setattr(audit, "_trigger_sql", original)  # an older build opens it again
    db = database.open_database(path, migrations=[*MIGRATIONS, lambda db: None])
    try:
        assert audit.repair_notes(db)  # the watches were not the ones this build writes
    finally:
        db.close()
