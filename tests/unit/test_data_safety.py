"""Backups, restore, the records check and the one-window lock, against real files."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from jewelerdesk.domain.model import ShopIdentity
from jewelerdesk.errors import StorageError
from jewelerdesk.instance import AlreadyOpen, InstanceLock, network_filesystem
from jewelerdesk.paths import DataPaths
from jewelerdesk.services import backup, certificates, integrity, inventory, sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit, database, records


def snapshot(shop: Shop) -> tuple[dict[str, int], set[str]]:
    return database.table_counts(shop.db), records.all_document_hashes(shop.db)


@pytest.fixture
def busy_shop(demo_shop: Shop) -> Shop:
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"]))
    certificates.issue_certificate(demo_shop, "R-0001")
    return demo_shop


def test_a_backup_is_complete_and_verified(busy_shop: Shop, tmp_path: Path) -> None:
    info = backup.back_up(busy_shop, tmp_path / "usb")
    assert info.folder.parent == tmp_path / "usb" and not list((tmp_path / "usb").glob("*.part"))
    counts, hashes = snapshot(busy_shop)
    assert info.counts == counts and info.documents == len(hashes) > 0
    for sha in hashes:  # every document and the issued certificate, byte for byte
        data = (info.folder / "documents" / sha[:2] / sha).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
    manifest = json.loads((info.folder / "backup.json").read_text())
    assert manifest["schema_version"] == database.schema_version(busy_shop.db)
    assert backup.verify_backup(info.folder).counts == counts


def test_restore_into_a_new_folder_gives_the_same_records(busy_shop: Shop, tmp_path: Path):
    info = backup.back_up(busy_shop, tmp_path / "usb")
    certificates.shop_keys(busy_shop).backup(tmp_path / "key-usb", "correct horse battery")
    fresh = Shop.open(DataPaths(tmp_path / "elsewhere"))
    try:
        backup.restore(fresh, info.folder)
        assert snapshot(fresh) == snapshot(busy_shop)
        # the same records log, to the last entry, and it still checks
        assert audit.head(fresh.db) == audit.head(busy_shop.db) == info.records_log
        [missing] = integrity.check_shop(fresh).problems  # only the key, kept apart from backups
        assert "no signing key" in missing
        certificates.restore_keys(fresh, tmp_path / "key-usb", "correct horse battery")
        assert integrity.check_shop(fresh).ok
        cert = certificates.certificates_of(fresh, "R-0001")[0]
        pdf = certificates.reprint(fresh, cert.number)
        path = tmp_path / "c.pdf"
        path.write_bytes(pdf)
        assert certificates.verify_file(path, shop=busy_shop).ok
        assert integrity.check_shop(fresh).ok
    finally:
        fresh.close()


def test_restore_backs_up_the_current_records_first(busy_shop: Shop, tmp_path: Path) -> None:
    info = backup.back_up(busy_shop, tmp_path / "usb")
    before = snapshot(busy_shop)
    sales.sell(busy_shop, sales.SaleRequest(["R-0002"]))  # after the backup
    after_sale = snapshot(busy_shop)
    backup.restore(busy_shop, info.folder)
    assert snapshot(busy_shop) == before
    assert inventory.get_item_by_sku(busy_shop, "R-0002").status == "in_stock"
    kept = [b for b in backup.list_backups(busy_shop.paths.backups) if b.reason == "before-restore"]
    assert len(kept) == 1 and kept[0].counts == after_sale[0]  # the undone sale is not lost


def test_a_certificate_number_given_out_after_a_backup_is_never_given_again(
    busy_shop: Shop, tmp_path: Path
) -> None:
    [first] = certificates.certificates_of(busy_shop, "R-0001")
    info = backup.back_up(busy_shop, tmp_path / "usb")
    sold = sales.sell(busy_shop, sales.SaleRequest(["R-0002"]))
    later = certificates.issue_certificate(busy_shop, "R-0002").certificate  # the customer has it
    backup.restore(busy_shop, info.folder)
    assert not certificates.certificates_of(busy_shop, "R-0002")  # the records went back
    resold = sales.sell(busy_shop, sales.SaleRequest(["R-0002"]))
    assert resold.invoice_no != sold.invoice_no  # the customer's invoice number stays theirs
    again = certificates.issue_certificate(busy_shop, "R-0002").certificate
    assert again.number not in (first.number, later.number)
    assert int(again.number.rsplit("-", 1)[1]) == int(later.number.rsplit("-", 1)[1]) + 1


@pytest.mark.parametrize("damage", ["database byte", "missing document", "changed document",
                                    "not a backup", "description edited"])  # fmt: skip
def test_a_damaged_backup_is_refused_before_anything_changes(
    busy_shop: Shop, tmp_path: Path, damage: str
) -> None:
    info = backup.back_up(busy_shop, tmp_path / "usb")
    folder = info.folder
    some_doc = next((folder / "documents").rglob("*"), None)
    docs = [p for p in (folder / "documents").rglob("*") if p.is_file()]
    if damage == "database byte":
        db = folder / "jewelerdesk.db"
        data = bytearray(db.read_bytes())
        data[len(data) // 2] ^= 0xFF
        db.write_bytes(bytes(data))
    elif damage == "missing document":
        docs[0].unlink()
    elif damage == "changed document":
        docs[0].write_bytes(b"not the original")
    elif damage == "not a backup":
        (folder / "backup.json").unlink()
    else:
        m = json.loads((folder / "backup.json").read_text())
        m["counts"]["item"] += 1
        (folder / "backup.json").write_text(json.dumps(m))
    assert some_doc is not None
    before = snapshot(busy_shop)
    with pytest.raises(StorageError):
        backup.restore(busy_shop, folder)
    assert snapshot(busy_shop) == before
    assert not [
        b for b in backup.list_backups(busy_shop.paths.backups) if b.reason == "before-restore"
    ]


def test_automatic_backups_on_change_daily_and_pruned(shop: Shop) -> None:
    inventory.save_shop_identity(shop, ShopIdentity("Retention Shop", "1 Main St", "US"))
    start = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    made = 0
    for day in range(400):  # a backup every evening for more than a year
        if backup.back_up(shop, reason="daily", now=start + timedelta(days=day)):
            made += 1
    assert made == 400
    today = (start + timedelta(days=399)).date()
    removed = backup.prune(shop.paths.backups, today)
    kept = sorted(b.when.date() for b in backup.list_backups(shop.paths.backups))
    assert len(removed) == 400 - len(kept)
    assert kept[-7:] == [today - timedelta(days=n) for n in range(6, -1, -1)]  # 7 daily
    assert len({(d.year, d.month) for d in kept}) == 12  # 12 monthly
    assert len(kept) <= 7 + 4 + 12
    manual = backup.back_up(shop, shop.paths.backups, reason="manual", now=start)
    backup.prune(shop.paths.backups, today)
    assert manual.folder.exists()  # a backup made by hand is never pruned


def test_closing_backs_up_only_when_something_changed(demo_shop: Shop) -> None:
    first = backup.automatic_backup(demo_shop, "closing")
    assert first is not None
    time.sleep(0.05)
    assert backup.automatic_backup(demo_shop, "closing") is None  # nothing new
    assert backup.automatic_backup(demo_shop, "daily") is None  # one made today already
    time.sleep(0.05)
    sales.sell(demo_shop, sales.SaleRequest(["R-0002"]))
    assert backup.automatic_backup(demo_shop, "closing") is not None


def test_check_finds_damage_and_edits_and_names_the_first(busy_shop: Shop, tmp_path: Path):
    assert integrity.check_shop(busy_shop).ok
    # a document file changed on disk
    doc = records.all_documents(busy_shop.db)[0]
    path = busy_shop.files.path_for(doc.sha256)
    original = path.read_bytes()
    path.write_bytes(original + b"tampered")
    report = integrity.check_shop(busy_shop)
    assert not report.ok and doc.original_name in report.problems[0]
    path.write_bytes(original)
    # a certificate's record edited behind the app's back (the guard triggers dropped)
    cert = certificates.certificates_of(busy_shop, "R-0001")[0]
    raw = sqlite3.connect(busy_shop.paths.database)
    raw.execute("DROP TRIGGER certificate_no_update")
    raw.execute("DROP TRIGGER audit_certificate_update")
    raw.execute(
        "UPDATE certificate SET payload = replace(payload, '1200', '1300') WHERE id = ?", [cert.id]
    )
    raw.commit()
    raw.close()
    report = integrity.check_shop(busy_shop)
    assert [p for p in report.problems if cert.number in p and "edited" in p]


def test_a_damaged_database_file_is_detected(demo_shop: Shop, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    database.write_verified_copy(demo_shop.db, copy)
    data = bytearray(copy.read_bytes())
    for i in range(4096 * 3, 4096 * 3 + 200):  # scribble over a page in the middle
        data[i] = 0x5A
    copy.write_bytes(bytes(data))
    db = database.open_readonly(copy)
    try:
        assert database.integrity_problems(db, full=True)
    finally:
        db.close()


# ----------------------------------------------------------------------------- one window

HOLD = """
import sys, time
from pathlib import Path
from jewelerdesk.instance import InstanceLock
from jewelerdesk.paths import DataPaths
lock = InstanceLock(DataPaths(Path(sys.argv[1]))).acquire()  # held while it sleeps
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_window_is_refused_and_a_crashed_one_leaves_no_stale_lock(tmp_path: Path):
    paths = DataPaths(tmp_path / "shop")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(paths.root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyOpen, match=f"process {holder.pid}"):
            InstanceLock(paths).acquire()
        os.kill(holder.pid, signal.SIGKILL)  # a crash: no clean-up runs
        holder.wait(10)
        with InstanceLock(paths):  # the OS dropped the lock with the process
            with pytest.raises(AlreadyOpen):
                InstanceLock(paths).acquire()
    finally:
        holder.kill()
        holder.wait(10)


def test_a_data_folder_on_a_network_share_is_recognised(tmp_path: Path) -> None:
    mounts = (
        "/dev/sda1 / ext4 rw 0 0\n"
        "//server/shop /mnt/shop cifs rw 0 0\n"
        "server:/export /srv/nfs nfs4 rw 0 0\n"
    )
    assert network_filesystem(Path("/mnt/shop/JewelerDesk"), mounts) == "cifs"
    assert network_filesystem(Path("/srv/nfs"), mounts) == "nfs4"
    assert network_filesystem(Path("/home/shop/JewelerDesk"), mounts) is None
    assert network_filesystem(Path("/mnt/shopping"), mounts) is None


def test_a_lost_or_damaged_document_does_not_stop_the_backup(busy_shop: Shop, tmp_path: Path):
    lost, damaged = records.all_documents(busy_shop.db)[:2]
    busy_shop.files.path_for(lost.sha256).unlink()
    path = busy_shop.files.path_for(damaged.sha256)
    path.write_bytes(path.read_bytes() + b"!")
    info = backup.back_up(busy_shop, tmp_path / "usb")  # the records are still backed up
    assert set(info.unavailable) == {lost.sha256, damaged.sha256}
    assert "2 documents could not be included" in info.unavailable_text()
    assert backup.verify_backup(info.folder).unavailable == info.unavailable  # and it verifies
    kept = info.folder / "documents" / damaged.sha256[:2] / damaged.sha256
    assert not kept.exists()  # the damaged bytes are not passed off as the document
    others = [d for d in records.all_documents(busy_shop.db) if d not in (lost, damaged)]
    assert all((info.folder / "documents" / d.sha256[:2] / d.sha256).is_file() for d in others)
    # restoring it puts back what it has, and the check names what is still missing
    fresh = Shop.open(DataPaths(tmp_path / "elsewhere"))
    try:
        backup.restore(fresh, info.folder)
        problems = integrity.check_shop(fresh).problems
        assert any("missing" in p for p in problems)
    finally:
        fresh.close()


def test_list_backups_ignores_unfinished_and_foreign_folders(shop: Shop, tmp_path: Path):
    inventory.save_shop_identity(shop, ShopIdentity("List Shop", "1 Main St", "US"))
    root = tmp_path / "b"
    ok = backup.back_up(shop, root, now=datetime(2026, 3, 1, tzinfo=UTC))
    (root / "jewelerdesk-backup-2026-03-02T000000.part").mkdir()
    (root / "holiday photos").mkdir()
    assert [b.folder for b in backup.list_backups(root)] == [ok.folder]
    assert backup.list_backups(tmp_path / "nowhere") == []
    assert date(2026, 3, 1) == ok.when.date()


def test_a_database_damaged_in_place_is_set_aside_and_restored(
    demo_shop: Shop, tmp_path: Path
) -> None:
    info = backup.back_up(demo_shop)
    good = snapshot(demo_shop)
    paths = demo_shop.paths
    demo_shop.close()
    data = bytearray(paths.database.read_bytes())
    for i in range(4096 * 2, 4096 * 2 + 300):  # scribble over a page
        data[i] = 0x5A
    paths.database.write_bytes(bytes(data))
    Path(f"{paths.database}-wal").unlink(missing_ok=True)
    shop = Shop(paths, database.connect(paths.database))  # opened without migrating
    try:
        assert database.integrity_problems(shop.db)  # what the app checks at start
        backup.restore(shop, info.folder, keep_current=False)
        assert not database.integrity_problems(shop.db, full=True)
        assert snapshot(shop) == good
        aside = [p for p in paths.backups.iterdir() if p.name.startswith("damaged-")]
        assert len(aside) == 1 and (aside[0] / "jewelerdesk.db").read_bytes() == bytes(data)
    finally:
        shop.close()


def test_a_backup_that_does_not_verify_is_not_kept(
    busy_shop: Shop, tmp_path: Path, monkeypatch
) -> None:
    real = backup.verify_backup

    def rotting_drive(folder: Path) -> backup.BackupInfo:  # the USB stick garbles a file
        doc = next((folder / "documents").rglob("*"))
        while doc.is_dir():
            doc = next(doc.iterdir())
        doc.write_bytes(doc.read_bytes() + b"bit rot")
        return real(folder)

    monkeypatch.setattr(backup, "verify_backup", rotting_drive)
    with pytest.raises(StorageError, match="changed"):
        backup.back_up(busy_shop, tmp_path / "usb")
    assert list((tmp_path / "usb").iterdir()) == []


def _forge(folder: Path, sql: str) -> None:
    """Edit a backup's database as someone outside the app would, and fix up its description
    so that only the forged content can give it away."""
    conn = sqlite3.connect(folder / "jewelerdesk.db", isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(sql)
    conn.close()
    manifest = json.loads((folder / "backup.json").read_text())
    manifest["database_sha256"] = hashlib.sha256(
        (folder / "jewelerdesk.db").read_bytes()
    ).hexdigest()
    (folder / "backup.json").write_text(json.dumps(manifest))


def test_a_backup_naming_a_file_outside_itself_is_refused(busy_shop: Shop, tmp_path: Path):
    info = backup.back_up(busy_shop, tmp_path / "usb")
    victim = tmp_path / "victim.txt"
    victim.write_text("not the shop's")
    # documents/<first two>/<name>: enough "../" to climb out, then the victim's path
    climb = "../" * (len(info.folder.parts) + 2)
    name = (climb + str(victim).lstrip("/")).rjust(64, "/")[-64:]
    assert len(name) == 64
    _forge(info.folder, f"UPDATE document SET sha256 = '{name}' WHERE n = 1")
    with pytest.raises(StorageError, match="not a SHA-256 hash"):
        backup.verify_backup(info.folder)
    before = snapshot(busy_shop)
    with pytest.raises(StorageError, match="not a SHA-256 hash"):
        backup.restore(busy_shop, info.folder)
    assert victim.read_text() == "not the shop's" and snapshot(busy_shop) == before


def test_a_backup_with_links_is_refused(busy_shop: Shop, tmp_path: Path) -> None:
    info = backup.back_up(busy_shop, tmp_path / "usb")
    doc = records.all_documents(busy_shop.db)[0]
    kept = info.folder / "documents" / doc.sha256[:2] / doc.sha256
    secret = tmp_path / "elsewhere.pdf"
    secret.write_bytes(kept.read_bytes())  # even with the right bytes: a link is not a backup
    kept.unlink()
    kept.symlink_to(secret)
    with pytest.raises(StorageError, match="link where a document should be"):
        backup.verify_backup(info.folder)
    kept.unlink()
    kept.write_bytes(secret.read_bytes())
    backup.verify_backup(info.folder)
    db = info.folder / "jewelerdesk.db"
    real = tmp_path / "real.db"
    db.rename(real)
    db.symlink_to(real)
    with pytest.raises(StorageError, match=r"link \(jewelerdesk.db\)"):
        backup.verify_backup(info.folder)


def test_the_document_store_refuses_names_that_are_not_hashes(shop: Shop) -> None:
    for bad in ("../" * 21 + "x", "A" * 64, "ab", "g" * 64):
        with pytest.raises(StorageError, match="not a SHA-256 hash"):
            shop.files.path_for(bad)
    assert shop.files.path_for("a" * 64).parent.name == "aa"


def test_a_shop_restored_without_its_key_asks_for_the_key_backup_and_takes_it_back(
    busy_shop: Shop, tmp_path: Path
) -> None:
    from jewelerdesk.errors import BadDocument, Conflict

    keys = certificates.shop_keys(busy_shop)
    keys.backup(tmp_path / "key-usb", "correct horse battery")
    info = backup.back_up(busy_shop, tmp_path / "usb")
    fresh = Shop.open(DataPaths(tmp_path / "new-computer"))
    try:
        backup.restore(fresh, info.folder)
        report = integrity.check_shop(fresh)  # the missing key is named, not glossed over
        assert not report.ok and "no signing key" in report.problems[0]
        assert keys.fingerprint in report.problems[0]
        sales.sell(fresh, sales.SaleRequest(["R-0002"]))
        with pytest.raises(StorageError, match="keys restore"):
            certificates.issue_certificate(fresh, "R-0002")  # no new key made behind its back
        assert not (fresh.paths.keys / "shop-ed25519.key").exists()

        with pytest.raises(BadDocument, match="passphrase"):
            certificates.restore_keys(fresh, tmp_path / "key-usb", "wrong passphrase")
        back = certificates.restore_keys(fresh, tmp_path / "key-usb", "correct horse battery")
        assert back.fingerprint == keys.fingerprint
        assert integrity.check_shop(fresh).ok
        issued = certificates.issue_certificate(fresh, "R-0002")
        assert issued.certificate.key_fingerprint == keys.fingerprint
        path = tmp_path / "c.pdf"
        path.write_bytes(issued.pdf)
        assert certificates.verify_file(path, shop=fresh).ok

        # another shop's key never replaces one that has signed certificates
        other = Shop.open(DataPaths(tmp_path / "other"))
        try:
            inventory.save_shop_identity(other, ShopIdentity("Other Shop", "1 Road", "US"))
            certificates.shop_keys(other).backup(tmp_path / "other-keys", "another passphrase")
        finally:
            other.close()
        with pytest.raises(Conflict, match="Nothing was changed"):
            certificates.restore_keys(fresh, tmp_path / "other-keys", "another passphrase")
        assert certificates.shop_keys(fresh).fingerprint == keys.fingerprint
    finally:
        fresh.close()


def test_a_lost_key_is_replaced_only_on_purpose_and_older_certificates_are_told_apart(
    busy_shop: Shop, tmp_path: Path
) -> None:
    from jewelerdesk.errors import Conflict

    old = certificates.shop_keys(busy_shop).fingerprint
    with pytest.raises(Conflict, match="already has a signing key"):
        certificates.new_keys(busy_shop)
    for f in busy_shop.paths.keys.iterdir():
        f.unlink()  # the disk that held the key died, and there is no key backup
    made = certificates.new_keys(busy_shop)
    assert made.fingerprint != old
    report = integrity.check_shop(busy_shop)
    assert report.ok, report.problems  # not "signature does not match" for each old one
    assert "earlier key" in report.summary() and old in report.summary()


def test_a_backup_folder_without_its_database_is_refused_plainly(busy_shop: Shop, tmp_path: Path):
    info = backup.back_up(busy_shop, tmp_path / "usb")
    (info.folder / "jewelerdesk.db").unlink()
    with pytest.raises(StorageError, match="no database file"):
        backup.verify_backup(info.folder)
    before = snapshot(busy_shop)
    with pytest.raises(StorageError, match="no database file"):
        backup.restore(busy_shop, info.folder)
    assert snapshot(busy_shop) == before


def test_a_restore_keeps_the_staff_who_work_here_now(busy_shop: Shop, tmp_path: Path) -> None:
    from jewelerdesk.errors import NotAllowed
    from jewelerdesk.services import staff

    staff.add_staff(busy_shop, "Alice", "manager", "4821", None)  # the first profile
    info = backup.back_up(busy_shop, tmp_path / "usb")
    staff.add_staff(busy_shop, "Mallory", "manager", "7394", "4821")
    staff.add_staff(busy_shop, "Bob", "staff", "1122", "7394")
    staff.deactivate(busy_shop, "Alice", "7394")  # Alice has left since the backup
    backup.restore(busy_shop, info.folder, manager_pin="7394")
    active = {m.name: m.role for m in staff.list_staff(busy_shop)}
    assert active == {"Mallory": "manager", "Bob": "staff"}  # not last year's staff
    assert staff.sign_in(busy_shop, "Bob", "1122").name == "Bob"
    with pytest.raises(NotAllowed):
        staff.sign_in(busy_shop, "Alice", "4821")  # who left cannot sign in again
    assert integrity.check_shop(busy_shop).ok  # the carried-over profiles are in the log


def test_another_shops_backup_is_restored_only_knowingly(busy_shop: Shop, tmp_path: Path) -> None:
    from jewelerdesk.errors import Conflict

    other = Shop.open(DataPaths(tmp_path / "other"))
    try:
        inventory.save_shop_identity(other, ShopIdentity("Other Shop GmbH", "1 Weg", "DE"))
        theirs = backup.back_up(other, tmp_path / "their-usb")
    finally:
        other.close()
    assert theirs.shop_name == "Other Shop GmbH"
    assert backup.other_shop(busy_shop, theirs) == "Other Shop GmbH"
    before = snapshot(busy_shop)
    with pytest.raises(Conflict, match="another shop"):
        backup.restore(busy_shop, theirs.folder)
    assert snapshot(busy_shop) == before  # nothing changed
    backup.restore(busy_shop, theirs.folder, allow_other_shop=True)  # on purpose: it is done
    assert busy_shop.identity().name == "Other Shop GmbH"
    mine = backup.back_up(busy_shop, tmp_path / "usb")
    assert backup.other_shop(busy_shop, mine) is None
    from dataclasses import replace

    renamed = replace(busy_shop.identity(), name="Other Shop & Sons GmbH")
    inventory.save_shop_identity(busy_shop, renamed)  # the same shop, renamed since
    assert backup.other_shop(busy_shop, mine) is None
