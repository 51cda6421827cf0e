"""The real program on the command line: output, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jewelerdesk import __version__
from jewelerdesk.paths import DataPaths
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import audit


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JEWELERDESK_DATA_DIR"}
    env.update({"QT_QPA_PLATFORM": "offscreen", **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "jewelerdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli") / "shop"
    r = run("--data-dir", str(d), "demo")
    assert r.returncode == 0, r.stderr
    assert "30 pieces" in r.stdout
    return d


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"JewelerDesk {__version__}"


def test_items_json(demo_dir: Path) -> None:
    r = run("--data-dir", str(demo_dir), "items", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["count"] == 30 == len(doc["items"])
    first = doc["items"][0]
    assert set(first) >= {
        "sku",
        "description",
        "status",
        "stone_mct",
        "metal_mg",
        "price_minor",
        "currency",
    }
    assert all(
        isinstance(i["stone_mct"], int) and isinstance(i["price_minor"], int) for i in doc["items"]
    )


def test_items_search(demo_dir: Path) -> None:
    r = run("--data-dir", str(demo_dir), "items", "--search", "sapphire", "--json")
    skus = [i["sku"] for i in json.loads(r.stdout)["items"]]
    assert skus == ["P-0004", "P-0014", "P-0024"]
    r = run("--data-dir", str(demo_dir), "items", "--search", "sapphire")
    assert "3 pieces" in r.stdout and "P-0014" in r.stdout


def test_attach_reports_what_it_stored(demo_dir: Path, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "memo.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(72, 720, "Memo 7781")
    c.save()
    r = run("--data-dir", str(demo_dir), "attach", "R-0007", str(pdf), "--type", "memo", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["already_stored"] is False and doc["document"]["pages"] == 1
    assert doc["attached_to"] == {
        "kind": "item",
        "id": doc["attached_to"]["id"],
        "label": "piece R-0007",
    }
    stored = demo_dir / "documents" / doc["document"]["sha256"][:2] / doc["document"]["sha256"]
    assert stored.read_bytes() == pdf.read_bytes()
    again = run(
        "--data-dir", str(demo_dir), "attach", "LS-0001", str(pdf), "--type", "memo", "--json"
    )
    assert json.loads(again.stdout)["already_stored"] is True
    assert "already attached" in one_line_error(
        run("--data-dir", str(demo_dir), "attach", "R-0007", str(pdf), "--type", "memo")
    )


def test_errors_are_one_line_with_exit_2(demo_dir: Path, tmp_path: Path) -> None:
    d = str(demo_dir)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert "No piece" in one_line_error(
        run("--data-dir", d, "attach", "NOPE-1", str(empty), "--type", "invoice")
    )
    assert "does not exist" in one_line_error(
        run("--data-dir", d, "attach", "R-0001", str(tmp_path / "x.pdf"), "--type", "invoice")
    )
    assert "empty" in one_line_error(
        run("--data-dir", d, "attach", "R-0001", str(empty), "--type", "invoice")
    )
    assert "--type" in one_line_error(
        run("--data-dir", d, "attach", "R-0001", str(empty), "--type", "receipt")
    )
    assert "unrecognized" in one_line_error(run("--data-dir", d, "items", "--colour", "red"))
    assert "empty folder" in one_line_error(run("--data-dir", d, "demo"))


def test_data_dir_from_environment(tmp_path: Path) -> None:
    d = tmp_path / "envshop"
    r = run("demo", "--items", "3", "--json", env_extra={"JEWELERDESK_DATA_DIR": str(d)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pieces"] == 3
    assert (d / "jewelerdesk.db").exists()


def test_too_new_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    d = tmp_path / "shop"
    assert run("--data-dir", str(d), "demo", "--items", "2").returncode == 0
    conn = sqlite3.connect(d / "jewelerdesk.db")
    conn.execute("PRAGMA user_version = 50")
    conn.close()
    assert "newer JewelerDesk" in one_line_error(run("--data-dir", str(d), "items"))


def test_gaps_for_the_shop_and_one_piece(demo_dir: Path) -> None:
    r = run("--data-dir", str(demo_dir), "gaps", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["pieces_checked"] == 30
    assert doc["by_rule"]["G3"] >= 1 and doc["by_rule"]["G7"] >= 1  # the demo's deliberate gaps
    severities = [p["worst"] for p in doc["pieces"]]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)
    estate = run("--data-dir", str(demo_dir), "gaps", "R-0009", "--json")
    rules = [g["rule"] for g in json.loads(estate.stdout)["gaps"]]
    assert rules == ["G1", "G2", "G3", "G9"]  # the estate diamond: no warranty, no origin, no chain
    text = run("--data-dir", str(demo_dir), "gaps", "R-0009")
    assert "Basis: WDC System of Warranties" in text.stdout
    assert "No piece" in one_line_error(run("--data-dir", str(demo_dir), "gaps", "NOPE-1"))


def test_attach_reports_detected_statements_and_numbers(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from jewelerdesk.domain.statements import statements

    d = tmp_path / "shop"
    assert run("--data-dir", str(d), "demo", "--items", "3").returncode == 0
    canon = {s.id: s.canonical for s in statements()}
    pdf = tmp_path / "invoice.pdf"
    style = getSampleStyleSheet()["Normal"]
    SimpleDocTemplate(str(pdf), pagesize=A4).build(
        [
            Paragraph("Invoice 88 — 1 diamond, GIA report number 2141438170", style),
            Paragraph(canon["WDC_SOW_2002"], style),
        ]
    )
    r = run("--data-dir", str(d), "attach", "R-0001", str(pdf), "--type", "invoice", "--json")
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)["detected"]
    assert [s["id"] for s in found["statements"]] == ["WDC_SOW_2002"]
    assert {"kind": "GIA", "number": "2141438170"} in found["numbers"]


def test_sell_certificate_and_verify_on_the_command_line(tmp_path: Path) -> None:
    d = tmp_path / "shop"
    assert run("--data-dir", str(d), "demo").returncode == 0
    r = run("--data-dir", str(d), "sell", "E-0005", "--price", "1250.00", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total_minor"] == 125_000
    pdf = tmp_path / "cert.pdf"
    r = run("--data-dir", str(d), "certificate", "E-0005", "--out", str(pdf), "--json")
    assert r.returncode == 0, r.stderr
    number = json.loads(r.stdout)["number"]
    key = tmp_path / "shop.pub"
    assert run("--data-dir", str(d), "keys", "export", str(key)).returncode == 0
    # Offline, with only the file and the public key: no shop data folder at all.
    r = run("--data-dir", str(tmp_path / "elsewhere"), "verify", str(pdf), "--public-key", str(key))
    assert r.returncode == 0 and r.stdout.startswith("Valid"), (r.stdout, r.stderr)
    r = run("--data-dir", str(tmp_path / "elsewhere"), "verify", str(pdf))
    assert r.returncode == 1 and "unknown key" in r.stdout
    bad = tmp_path / "bad.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x20
    bad.write_bytes(bytes(data))
    r = run("--data-dir", str(d), "verify", str(bad), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["status"] == "tampered"
    r = run("--data-dir", str(d), "certificate", "--void", number)
    assert "reason" in one_line_error(r).lower()
    backup = tmp_path / "key-backup"
    r = run("--data-dir", str(d), "keys", "backup", str(backup))
    assert "JEWELERDESK_KEY_PASSPHRASE" in one_line_error(r)
    r = run(
        "--data-dir",
        str(d),
        "keys",
        "backup",
        str(backup),
        env_extra={"JEWELERDESK_KEY_PASSPHRASE": "counter-top-safe"},
    )
    assert r.returncode == 0, r.stderr
    private = backup / "shop-ed25519.key"
    assert b"ENCRYPTED" in private.read_bytes() and private.stat().st_mode & 0o777 == 0o600
    notpdf = tmp_path / "note.pdf"
    notpdf.write_text("hello")
    assert "not a PDF" in one_line_error(run("verify", str(notpdf), "--public-key", str(key)))


def test_export_accountant_on_the_command_line(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "books"
    r = run(
        "--data-dir", str(demo_dir), "export", "accountant", "--out", str(out),
        "--from", "2026-01-01", "--to", "2026-12-31", "--format", "xlsx", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    names = sorted(Path(p).name for p in data["files"])
    assert names == [
        "about_2026-01-01_2026-12-31.txt",
        "accounts_2026-01-01_2026-12-31.xlsx",
        "quickbooks_refund_receipts_2026-01-01_2026-12-31.csv",
        "quickbooks_sales_receipts_2026-01-01_2026-12-31.csv",
        "xero_credit_notes_2026-01-01_2026-12-31.csv",
        "xero_sales_invoices_2026-01-01_2026-12-31.csv",
    ]
    assert all((out / n).stat().st_size > 0 for n in names)
    assert data["rows"]["metal_ledger"] == 5 and data["rows"]["purchase_journal"] > 30
    bad = run(
        "--data-dir", str(demo_dir), "export", "accountant", "--out", str(out), "--to", "31/12/2026"
    )
    assert "2026-01-31" in one_line_error(bad)


def test_export_regulator_pack_on_the_command_line(demo_dir: Path, tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "pack.zip"
    r = run(
        "--data-dir", str(demo_dir), "export", "regulator", "--out", str(out),
        "--sku", "R-0001", "R-0002", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["events"] > 5 and data["documents"] >= 1
    names = zipfile.ZipFile(out).namelist()
    assert "epcis.jsonld" in names and "manifest.csv" in names
    bad = run(
        "--data-dir", str(demo_dir), "export", "regulator", "--out", str(out), "--sku", "NOPE"
    )
    assert "NOPE" in one_line_error(bad)


def test_import_a_supplier_stock_sheet_on_the_command_line(tmp_path: Path) -> None:
    shop_dir = tmp_path / "shop"
    assert run("--data-dir", str(shop_dir), "demo").returncode == 0
    sheet = Path(__file__).parent.parent / "data" / "stock_sheets" / "stones_semicolon_cp1252.csv"
    dry = run("--data-dir", str(shop_dir), "import", "stones", str(sheet), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    checked = json.loads(dry.stdout)
    assert checked["ok"] and checked["ready"] >= 2 and checked["imported"] == 0
    late = run(
        "--data-dir", str(shop_dir), "import", "stones", str(sheet), "--received-on", "20261110"
    )
    assert "must look like" in one_line_error(late)  # a date that would sort wrong as text
    done = run(
        "--data-dir", str(shop_dir), "import", "stones", str(sheet), "--received-on", "2026-11-10",
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == checked["ready"]
    with Shop.open(DataPaths(shop_dir)) as shop:
        days = {r[0] for r in shop.db.execute(
            "SELECT acquired_on FROM stone WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(json.loads(done.stdout)["ids"])],
        )}  # fmt: skip
    assert days == {"2026-11-10"}
    items = json.loads(run("--data-dir", str(shop_dir), "items", "--json").stdout)
    assert items  # the shop still lists its pieces
    again = run("--data-dir", str(shop_dir), "import", "stones", str(sheet), "--json")
    skipped = json.loads(again.stdout)
    assert skipped["imported"] == 0 and len(skipped["skipped"]) >= 1  # not duplicated
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "photo.csv" in one_line_error(
        run("--data-dir", str(shop_dir), "import", "stones", str(bad))
    )


def test_backup_check_and_restore_on_the_command_line(tmp_path: Path) -> None:
    shop_dir = tmp_path / "shop"
    assert run("--data-dir", str(shop_dir), "demo").returncode == 0
    made = run("--data-dir", str(shop_dir), "backup", "--to", str(tmp_path / "usb"), "--json")
    assert made.returncode == 0, made.stderr
    folder = Path(json.loads(made.stdout)["folder"])
    ok = run("--data-dir", str(shop_dir), "check")
    assert ok.returncode == 0 and "All records are sound" in ok.stdout
    blob = next(p for p in (shop_dir / "documents").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"!")  # a stored file changed behind the app's back
    bad = run("--data-dir", str(shop_dir), "check", "--json")
    assert bad.returncode == 1
    assert "has been changed" in json.loads(bad.stdout)["problems"][0]
    restored = run("--data-dir", str(shop_dir), "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert run("--data-dir", str(shop_dir), "check").returncode == 0  # the file is repaired
    from jewelerdesk.services import backup

    kept = [b for b in backup.list_backups(shop_dir / "backups") if b.reason == "before-restore"]
    assert len(kept) == 1 and len(kept[0].unavailable) == 1  # backed up first, minus the bad file
    not_backup = run("--data-dir", str(shop_dir), "restore", str(tmp_path))
    assert "not a JewelerDesk backup" in one_line_error(not_backup)


def test_staff_profiles_on_the_command_line(tmp_path: Path) -> None:
    """With profiles, writing commands say who is working; void needs a manager's PIN; the
    records log names them. PINs come from the environment (never from arguments)."""
    d = str(tmp_path / "shop")
    assert run("--data-dir", d, "demo").returncode == 0
    r = run(
        "--data-dir", d, "staff", "add", "Manager", "--role", "manager",
        env_extra={"JEWELERDESK_NEW_PIN": "4821"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    new = {"JEWELERDESK_NEW_PIN": "1111", "JEWELERDESK_MANAGER_PIN": "4821"}
    r = run("--data-dir", d, "staff", "add", "Counter", "--role", "staff", env_extra=new)
    assert r.returncode == 2 and "--staff NAME" in one_line_error(r)  # who is adding?
    r = run(
        "--data-dir", d, "--staff", "Manager", "staff", "add", "Counter", "--role", "staff",
        env_extra={**new, "JEWELERDESK_PIN": "4821"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    with Shop.open(DataPaths(Path(d))) as shop:
        added = audit.entries(shop.db, limit=1)[0]
        assert (added.tbl, added.actor) == ("staff", "Manager")
    listed = json.loads(run("--data-dir", d, "staff", "list", "--json").stdout)
    assert [(p["name"], p["role"]) for p in listed["staff"]] == [
        ("Counter", "staff"),
        ("Manager", "manager"),
    ]
    # reading needs no one; recording does
    assert run("--data-dir", d, "items").returncode == 0
    r = run("--data-dir", d, "sell", "R-0001")
    assert r.returncode == 2 and "--staff NAME" in one_line_error(r)
    r = run(
        "--data-dir", d, "--staff", "Counter", "sell", "R-0001", env_extra={"JEWELERDESK_PIN": "9"}
    )
    assert r.returncode == 2 and "do not match" in one_line_error(r)
    sam = {"JEWELERDESK_PIN": "1111"}
    assert (
        run("--data-dir", d, "--staff", "Counter", "sell", "R-0001", env_extra=sam).returncode == 0
    )
    r = run(
        "--data-dir", d, "--staff", "Counter", "certificate", "R-0001", "--json",
        "--out", str(tmp_path / "c.pdf"), env_extra=sam,
    )  # fmt: skip
    number = json.loads(r.stdout)["number"]
    r = run(
        "--data-dir", d, "--staff", "Counter", "certificate", "--void", number,
        "--reason", "sold in error", env_extra=sam,
    )  # fmt: skip
    assert r.returncode == 2 and "manager's PIN is needed to void" in one_line_error(r)
    r = run(
        "--data-dir", d, "--staff", "Counter", "certificate", "--void", number,
        "--reason", "sold in error", env_extra={**sam, "JEWELERDESK_MANAGER_PIN": "4821"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    with Shop.open(DataPaths(Path(d))) as shop:
        latest = audit.entries(shop.db, limit=1)[0]
        assert (latest.actor, latest.channel) == ("Counter (approved by Manager)", "command line")
        assert latest.tbl == "certificate_status"
    assert run("--data-dir", d, "check").returncode == 0


def test_records_an_older_version_wrote_are_updated_with_a_note(tmp_path: Path) -> None:
    from jewelerdesk.store.database import MIGRATIONS, open_database, schema_version

    paths = DataPaths(tmp_path / "old")
    paths.ensure()
    open_database(paths.database, migrations=MIGRATIONS[:6]).close()  # as release v6 left it
    r = run("--data-dir", str(paths.root), "items", "--json")
    assert r.returncode == 0, r.stderr
    assert "Updating the shop's records for this version" in r.stderr
    assert json.loads(r.stdout)["count"] == 0
    assert list(paths.backups.glob("before-migration-v6-*.db"))  # the copy kept first
    with Shop.open(paths) as shop:
        assert schema_version(shop.db) == len(MIGRATIONS)
    again = run("--data-dir", str(paths.root), "items", "--json")
    assert again.returncode == 0 and "Updating" not in again.stderr  # once only


def test_a_critical_gap_stops_a_sale_on_the_command_line_until_it_is_overridden(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from jewelerdesk.services import inventory

    d = tmp_path / "shop"
    assert run("--data-dir", str(d), "demo").returncode == 0
    with Shop.open(DataPaths(d)) as shop:
        stone = inventory.get_item_by_sku(shop, "R-0011").stones[0]
        inventory.save_stone_fields(shop, replace(stone, country_of_mining="RU"))
    refused = one_line_error(run("--data-dir", str(d), "sell", "R-0011"))
    assert "Diamond mined in Russia" in refused and "--despite-critical-gaps" in refused
    done = run("--data-dir", str(d), "sell", "R-0011", "--despite-critical-gaps")
    assert done.returncode == 0, done.stderr


def test_keys_restore_and_new_on_the_command_line(tmp_path: Path) -> None:
    d = tmp_path / "shop"
    assert run("--data-dir", str(d), "demo").returncode == 0
    env = {"JEWELERDESK_KEY_PASSPHRASE": "correct horse battery"}
    assert (
        run("--data-dir", str(d), "keys", "backup", str(tmp_path / "usb"), env_extra=env).returncode
        == 0
    )
    printed = run("--data-dir", str(d), "keys", "export", str(tmp_path / "pub.pem")).stdout
    for f in DataPaths(d).keys.iterdir():
        f.unlink()
    bad = run("--data-dir", str(d), "keys", "restore", str(tmp_path / "usb"),
              env_extra={"JEWELERDESK_KEY_PASSPHRASE": "not the one"})  # fmt: skip
    assert "passphrase" in one_line_error(bad)
    done = run("--data-dir", str(d), "keys", "restore", str(tmp_path / "usb"), env_extra=env)
    assert done.returncode == 0, done.stderr
    fingerprint = printed.split("fingerprint ")[1].rstrip(").\n")
    assert fingerprint in done.stdout
    again = run("--data-dir", str(d), "keys", "new")
    assert "already has a signing key" in one_line_error(again)
