"""A full disk: the write fails whole, the user is told in the shop's words, and once there is
room again the same operation succeeds.

Two ways of running out of room:

* the database: ``PRAGMA max_page_count`` set to the file's current size on the shop's own
  connection, so the next page SQLite needs fails with SQLITE_FULL;
* files: ``RLIMIT_FSIZE`` in a subprocess (``full_disk_driver.py``; SIGXFSZ ignored, so writes
  fail with EFBIG as on a full disk), here with a limit of one byte: nothing can grow.

For each, "nothing half done" is checked as every table's row count unchanged by the failed
attempt (and no temp file left behind), and the retry with room again must succeed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from shopcheck import db_problems, write_sample

from jewelerdesk.domain.model import (
    ClaimClass,
    DocType,
    Metal,
    MetalLot,
    OriginType,
    Stone,
    StoneType,
    SubjectKind,
)
from jewelerdesk.errors import JewelerDeskError
from jewelerdesk.paths import DataPaths
from jewelerdesk.services import certificates, inventory, paperwork, sales
from jewelerdesk.services.demo import build_demo
from jewelerdesk.services.shop import Shop

DRIVER = Path(__file__).with_name("full_disk_driver.py")
NO_ROOM = 2**31  # max_page_count far above any shop: the limit lifted


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("full-template") / "shop"
    with Shop.open(DataPaths(root)) as shop:
        build_demo(shop)
        certificates.warm_up(shop)
    return root


def _copy(template: Path, tmp_path: Path) -> DataPaths:
    root = tmp_path / "shop"
    shutil.copytree(template, root)
    return DataPaths(root)


def counts(shop: Shop) -> dict[str, int]:
    names = [
        r[0]
        for r in shop.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: shop.db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def speaks_of_the_disk(exc: BaseException | None) -> bool:
    """A known error (not a crash report) that tells the user the disk has no room."""
    if not isinstance(exc, JewelerDeskError):
        return False
    text = str(exc).lower()
    return "disk" in text and any(w in text for w in ("full", "space", "room"))


# ----------------------------------------------------------------------------- the database full


def _db_writes(name: str, shop: Shop, work: Path) -> Callable[[int], Callable[[], object]]:
    """Set up ``name``; returns a maker of its n-th write (distinct inputs each time)."""
    supplier = shop.db.execute("SELECT id FROM party WHERE kind = 'wholesaler' ORDER BY n")
    supplier_id = supplier.fetchone()[0]
    skus = [
        r[0] for r in shop.db.execute("SELECT sku FROM item WHERE status = 'in_stock' ORDER BY sku")
    ][:ATTEMPTS]
    lot_id = shop.db.execute("SELECT id FROM metal_lot ORDER BY n").fetchone()[0]
    if name == "issue-certificate":
        for sku in skus:
            sales.sell(shop, sales.SaleRequest([sku]))

    def make(n: int) -> Callable[[], object]:
        if name == "receive-lot":
            lot = MetalLot(
                f"FULL-{n}", Metal.GOLD, 750, ClaimClass.RECYCLED, supplier_id=supplier_id
            )
            return lambda: inventory.receive_lot(shop, lot, 25_000)
        if name == "receive-stone":
            stone = Stone(
                StoneType.DIAMOND,
                OriginType.LAB_GROWN,
                610,
                stock_no=f"FULL-S{n}",
                growth_method="CVD",
                supplier_id=supplier_id,
            )
            return lambda: inventory.save_loose_stone(shop, stone)
        if name == "attach-document":
            path = write_sample(work / "src", f"db-full-{n}", "pdf")
            return lambda: paperwork.attach(shop, SubjectKind.LOT, lot_id, path, DocType.INVOICE)
        if name == "sell":
            return lambda: sales.sell(shop, sales.SaleRequest([skus[n]]))
        if name == "issue-certificate":
            return lambda: certificates.issue_certificate(shop, skus[n])
        raise AssertionError(name)

    return make


DB_WRITES = ["receive-lot", "receive-stone", "attach-document", "sell", "issue-certificate"]
ATTEMPTS = 5  # writes tried until one finds the database full (the first, in practice)


def _db_full(template: Path, tmp_path: Path, name: str) -> tuple[BaseException | None, str]:
    """Fill the database (VACUUM packs its pages, then no page may be added) and write until
    a write fails; that write must leave nothing behind and go through once there is room."""
    paths = _copy(template, tmp_path)
    with Shop.open(paths) as shop:
        make = _db_writes(name, shop, tmp_path)
        shop.db.execute("VACUUM")
        pages = shop.db.execute("PRAGMA page_count").fetchone()[0]
        shop.db.execute(f"PRAGMA max_page_count = {pages}")
        error: BaseException | None = None
        for n in range(ATTEMPTS):
            write = make(n)
            before = counts(shop)
            try:
                write()
            except Exception as exc:  # noqa: BLE001 - judged below
                error = exc
                break
        assert error is not None, f"{ATTEMPTS} of {name} all found room in a full database"
        assert counts(shop) == before, f"{name} kept part of its rows after: {error!r}"
        shop.db.execute(f"PRAGMA max_page_count = {NO_ROOM}")
        write()  # room again: the same operation goes through
        assert counts(shop) != before
    assert db_problems(paths.database) == []
    return error, repr(error)


@pytest.mark.parametrize("name", DB_WRITES)
def test_a_full_database_keeps_nothing_half_written_and_the_retry_succeeds(
    template: Path, tmp_path: Path, name: str
) -> None:
    _db_full(template, tmp_path, name)


@pytest.mark.parametrize("name", DB_WRITES)
def test_a_full_database_is_reported_in_the_shops_words(
    template: Path, tmp_path: Path, name: str
) -> None:
    error, text = _db_full(template, tmp_path, name)
    assert speaks_of_the_disk(error), f"{name} on a full disk raised {text}"


# ----------------------------------------------------------------------------- files hit the limit

#: (case, whether the product already reports it in its own words)
FILE_CASES = {
    "attach-document": True,  # the document's copy is the first write
    "issue-certificate": True,  # the archived PDF is the first write
    "issue-first-certificate": True,  # the shop's signing keys are the first write
    "receive-lot": True,  # SQLite's WAL is the first write
}
_RESULTS: dict[str, dict[str, Any]] = {}


def _file_limit(template: Path, tmp_path: Path, case: str) -> dict[str, Any]:
    if case not in _RESULTS:
        paths = _copy(template, tmp_path)
        proc = subprocess.run(
            [sys.executable, str(DRIVER), str(paths.root), case, str(tmp_path / "src"), "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        _RESULTS[case] = json.loads(proc.stdout.strip().splitlines()[-1])
        assert db_problems(paths.database) == []
    return _RESULTS[case]


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_write_past_the_file_size_limit_keeps_nothing_half_written_and_the_retry_succeeds(
    template: Path, tmp_path: Path, case: str
) -> None:
    r = _file_limit(template, tmp_path, case)
    assert r["error"], f"{case} wrote nothing under the limit: nothing was tested"
    assert r["after"] == r["before"], f"{case} kept part of its rows: {r['traceback']}"
    assert r["leftovers"] == [], f"{case} left temp files: {r['leftovers']}"
    assert r["retry"] == "ok", f"{case} failed again with room: {r['retry']}"
    assert r["after_retry"] != r["before"]


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_write_past_the_file_size_limit_is_reported_in_the_shops_words(
    template: Path, tmp_path: Path, case: str
) -> None:
    r = _file_limit(template, tmp_path, case)
    known = "JewelerDeskError" in r["bases"]
    text = r["message"].lower()
    assert known and "disk" in text and ("full" in text or "space" in text), (
        f"{case} with no room raised {r['error']}: {r['message']}\n{r['traceback']}"
    )
