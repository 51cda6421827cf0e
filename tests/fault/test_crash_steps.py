"""Crash injection at every step of the write paths and of every migration: all or nothing.

For each operation a clean run counts its steps (see ``injection.py``: SQL statements that
write or run inside a transaction, file creations, writes, flushes, fsyncs, renames, removals,
the document reader's start). Then, for every step ``k``, the operation runs on a fresh copy of
a demo shop with a failure at step ``k``:

``crash``  the process dies there: nothing after it reaches the disk (no rollback, no clean-up);
``error``  that one call fails with an I/O error and the product's own error handling runs.

After each, the shop is reopened (``Shop.open``, whose sweep removes leftovers; document files
are back-dated first since the sweep keeps young ones) and must hold the operation completely
or not at all, pass SQLite's integrity check, show nothing half done anywhere, keep no temp
file, and still work: the lost operation can be done again, or the next one goes ahead.
After an ``error`` the same connection must also be out of its transaction and show the same.

Migrations: a database at each older version (with records entered at version 1 and carried
forward) gets a failure at every step of opening it with the next migration; it must stay at
its version (or be wholly at the next one, if the failure came after the commit), with its
records, and a normal ``open_database`` must then complete every migration.

Error mode skips the first certificate (its extra steps are four atomic key-file writes, whose
error handling the disk-full test covers) and, for migrations, injects at every fifth step plus
every file step and the commit (one transaction: the same rollback for each statement).

The trials are independent; they run in two forked worker processes on Linux. The number of
injection points per operation is printed (``pytest -s``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from injection import (
    FailingStatements,
    Injector,
    SimulatedCrash,
    drop,
    instrument,
    real_connection,
)
from shopcheck import (
    age_documents,
    audit_chain_problems,
    db_problems,
    half_done,
    stray_files,
    user_version,
    write_sample,
)

from jewelerdesk.certificates import keys as keys_module
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
from jewelerdesk.services import certificates, integrity, inventory, paperwork, sales
from jewelerdesk.services.demo import build_demo
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import database, records
from jewelerdesk.store.schema import MIGRATIONS

MODES = ("crash", "error")
PRESENT, ABSENT = "present", "absent"


def _drop(db: Any) -> None:
    drop(real_connection(db))


def in_parallel(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
    """``[fn(*job) for job in jobs]``, in two forked worker processes where that is safe (the
    trials are independent, and the injection patches are per process)."""
    workers = min(2, os.cpu_count() or 1)
    if sys.platform != "linux" or workers < 2 or len(jobs) < 4:
        return [fn(*job) for job in jobs]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(fn, *zip(*jobs, strict=True)))


def _forget_keys() -> None:
    """A new process has read no keys yet (the app keeps them per process)."""
    getattr(keys_module, "_loaded", {}).clear()


# ----------------------------------------------------------------------------- the operations


@dataclass
class Op:
    """A write path: set up its input (not injected), run it (injected), judge what is on
    disk (PRESENT / ABSENT, AssertionError if half), and show the shop still works."""

    name: str
    prepare: Callable[[Shop, Path], dict[str, Any]]
    run: Callable[[Shop, dict[str, Any]], object]
    state: Callable[[Shop, dict[str, Any]], str]
    follow_up: Callable[[Shop, dict[str, Any], str], None]


def _one(shop: Shop, sql: str, *args: Any) -> Any:
    return shop.db.execute(sql, list(args)).fetchone()


def _judge(what: str, parts: dict[str, bool]) -> str:
    if all(parts.values()):
        return PRESENT
    if not any(parts.values()):
        return ABSENT
    raise AssertionError(f"{what} half done: {parts}")


def _received(shop: Shop, kind: str, subject_id: str) -> bool:
    return bool(
        _one(
            shop,
            "SELECT 1 FROM custody_subject s JOIN custody_event e ON e.id = s.event_id"
            " WHERE s.subject_kind = ? AND s.subject_id = ? AND e.hop = 'received'",
            kind,
            subject_id,
        )
    )


def _lot_id(shop: Shop, n: int = 0) -> str:
    return shop.db.execute("SELECT id FROM metal_lot ORDER BY n").fetchall()[n][0]


# attach a new document ----------------------------------------------------------------------


def _attach_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    import hashlib

    path = write_sample(work / "src", work.name, "pdf")
    return {
        "path": path,
        "sha": hashlib.sha256(path.read_bytes()).hexdigest(),
        "lot": _lot_id(shop),
        "work": work,
    }


def _attach_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return paperwork.attach(shop, SubjectKind.LOT, ctx["lot"], ctx["path"], DocType.INVOICE)


def _doc_state(shop: Shop, ctx: dict[str, Any], subject: str) -> str:
    sha = ctx["sha"]
    row = _one(shop, "SELECT id FROM document WHERE sha256 = ?", sha)
    link = _one(
        shop,
        "SELECT 1 FROM document_link l JOIN document d ON d.id = l.document_id"
        " WHERE d.sha256 = ? AND l.subject_kind = 'lot' AND l.subject_id = ?",
        sha,
        subject,
    )
    return _judge(
        "attach",
        {"document row": bool(row), "link": bool(link), "file": shop.files.verify(sha)}
        if row or link
        else {"document row": False},
    )


def _attach_state(shop: Shop, ctx: dict[str, Any]) -> str:
    return _doc_state(shop, ctx, ctx["lot"])


def _attach_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:  # the lost attach can be done again...
        _attach_run(shop, ctx)
        assert _attach_state(shop, ctx) == PRESENT
    else:  # ...or the next one goes ahead
        other = write_sample(ctx["work"] / "src", ctx["work"].name + "-next", "png")
        item_id = _one(shop, "SELECT id FROM item ORDER BY n")[0]
        paperwork.attach(shop, SubjectKind.ITEM, item_id, other, DocType.PHOTO)


# attach a file already stored for another record (only the link is new) -------------------------


def _known_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    ctx = _attach_prepare(shop, work)
    _attach_run(shop, ctx)
    ctx["second_lot"] = _lot_id(shop, 1)
    return ctx


def _known_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return paperwork.attach(shop, SubjectKind.LOT, ctx["second_lot"], ctx["path"], DocType.INVOICE)


def _known_state(shop: Shop, ctx: dict[str, Any]) -> str:
    assert _doc_state(shop, ctx, ctx["lot"]) == PRESENT, "the earlier attach was damaged"
    link = _one(
        shop,
        "SELECT 1 FROM document_link l JOIN document d ON d.id = l.document_id"
        " WHERE d.sha256 = ? AND l.subject_kind = 'lot' AND l.subject_id = ?",
        ctx["sha"],
        ctx["second_lot"],
    )
    return PRESENT if link else ABSENT


def _known_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:
        _known_run(shop, ctx)
        assert _known_state(shop, ctx) == PRESENT
    else:
        _attach_follow_up(shop, ctx, PRESENT)


# receive a metal lot -----------------------------------------------------------------------------


def _lot_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    supplier = _one(shop, "SELECT id FROM party WHERE kind = 'wholesaler' ORDER BY n")[0]
    return {"supplier": supplier, "lot": _new_lot(supplier, "CR-1"), "mass": 123_456}


def _new_lot(supplier: str, number: str) -> MetalLot:
    return MetalLot(
        number,
        Metal.GOLD,
        750,
        ClaimClass.RECYCLED,
        supplier_id=supplier,
        received_on="2026-03-02",
    )


def _lot_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return inventory.receive_lot(shop, ctx["lot"], ctx["mass"])


def _lot_state(shop: Shop, ctx: dict[str, Any]) -> str:
    lot_id = ctx["lot"].id
    return _judge(
        "receive lot",
        {
            "lot": bool(_one(shop, "SELECT 1 FROM metal_lot WHERE id = ?", lot_id)),
            "receipt movement": bool(
                _one(
                    shop,
                    "SELECT 1 FROM metal_movement WHERE lot_id = ? AND kind = 'receipt'"
                    " AND mass_mg = ?",
                    lot_id,
                    ctx["mass"],
                )
            ),
            "received event": _received(shop, "lot", lot_id),
        },
    )


def _lot_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:
        _lot_run(shop, ctx)
        assert _lot_state(shop, ctx) == PRESENT
    else:
        inventory.receive_lot(shop, _new_lot(ctx["supplier"], "CR-2"), 1_000)
    assert inventory.lot_balance_mg(shop, ctx["lot"].id) == ctx["mass"]


# receive a loose stone -------------------------------------------------------------------------


def _new_stone(supplier: str, stock_no: str) -> Stone:
    return Stone(
        StoneType.DIAMOND,
        OriginType.LAB_GROWN,
        510,
        stock_no=stock_no,
        growth_method="HPHT",
        supplier_id=supplier,
        acquired_on="2026-03-02",
    )


def _stone_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    supplier = _one(shop, "SELECT id FROM party WHERE kind = 'wholesaler' ORDER BY n")[0]
    return {"supplier": supplier, "stone": _new_stone(supplier, "CS-1")}


def _stone_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return inventory.save_loose_stone(shop, ctx["stone"])


def _stone_state(shop: Shop, ctx: dict[str, Any]) -> str:
    stone_id = ctx["stone"].id
    return _judge(
        "receive stone",
        {
            "stone": bool(_one(shop, "SELECT 1 FROM stone WHERE id = ?", stone_id)),
            "search entry": bool(
                _one(
                    shop,
                    "SELECT 1 FROM stone s JOIN stone_fts f ON f.rowid = s.n WHERE s.id = ?",
                    stone_id,
                )
            ),
            "received event": _received(shop, "stone", stone_id),
        },
    )


def _stone_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:
        _stone_run(shop, ctx)
        assert _stone_state(shop, ctx) == PRESENT
    else:
        inventory.save_loose_stone(shop, _new_stone(ctx["supplier"], "CS-2"))


# sell a piece ------------------------------------------------------------------------------------


def _sell_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    return {"sku": "R-0007", "next": "R-0008"}


def _item_id(shop: Shop, sku: str) -> str:
    return _one(shop, "SELECT id FROM item WHERE sku = ?", sku)[0]


def _sell_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return sales.sell(shop, sales.SaleRequest([ctx["sku"]]))


def _sell_state(shop: Shop, ctx: dict[str, Any]) -> str:
    item_id = _item_id(shop, ctx["sku"])
    return _judge(
        "sale",
        {
            "sale line": bool(_one(shop, "SELECT 1 FROM sale_line WHERE item_id = ?", item_id)),
            "sold event": bool(
                _one(
                    shop,
                    "SELECT 1 FROM sale s JOIN sale_line l ON l.sale_id = s.id"
                    " JOIN custody_event e ON e.id = s.event_id"
                    " WHERE l.item_id = ? AND e.hop = 'sold'",
                    item_id,
                )
            ),
            "status sold": _one(shop, "SELECT status FROM item WHERE id = ?", item_id)[0] == "sold",
        },
    )


def _sell_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:
        _sell_run(shop, ctx)
        assert _sell_state(shop, ctx) == PRESENT
    else:
        sales.sell(shop, sales.SaleRequest([ctx["next"]]))


# issue a certificate ---------------------------------------------------------------------------


def _cert_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    sales.sell(shop, sales.SaleRequest(["R-0007"]))
    sales.sell(shop, sales.SaleRequest(["R-0008"]))
    return {"sku": "R-0007", "next": "R-0008", "work": work}


def _first_cert_prepare(shop: Shop, work: Path) -> dict[str, Any]:
    shutil.rmtree(shop.paths.keys)
    _forget_keys()
    return _cert_prepare(shop, work)


def _cert_run(shop: Shop, ctx: dict[str, Any]) -> object:
    return certificates.issue_certificate(shop, ctx["sku"])


def _cert_state(shop: Shop, ctx: dict[str, Any]) -> str:
    rows = shop.db.execute(
        "SELECT number, pdf_sha256 FROM certificate WHERE item_id = ?",
        [_item_id(shop, ctx["sku"])],
    ).fetchall()
    if not rows:
        return ABSENT
    assert len(rows) == 1, f"{len(rows)} certificates for one piece"
    assert shop.files.verify(rows[0][1]), "certificate row without its archived PDF"
    return PRESENT


def _check_verifies(shop: Shop, sku: str, work: Path) -> None:
    cert = certificates.certificates_of(shop, sku)[-1]
    pdf = work / f"{cert.number}.pdf"
    pdf.write_bytes(certificates.reprint(shop, cert.number))
    result = certificates.verify_file(pdf, shop=shop)
    assert result.ok, f"{sku}'s certificate does not verify: {result.problems}"


def _cert_follow_up(shop: Shop, ctx: dict[str, Any], state: str) -> None:
    if state == ABSENT:
        _cert_run(shop, ctx)
        assert _cert_state(shop, ctx) == PRESENT
    else:
        certificates.issue_certificate(shop, ctx["next"])
    _check_verifies(shop, ctx["sku"], ctx["work"])


OPS = {
    op.name: op
    for op in (
        Op("attach-document", _attach_prepare, _attach_run, _attach_state, _attach_follow_up),
        Op("attach-known-file", _known_prepare, _known_run, _known_state, _known_follow_up),
        Op("receive-lot", _lot_prepare, _lot_run, _lot_state, _lot_follow_up),
        Op("receive-stone", _stone_prepare, _stone_run, _stone_state, _stone_follow_up),
        Op("sell", _sell_prepare, _sell_run, _sell_state, _sell_follow_up),
        Op("issue-certificate", _cert_prepare, _cert_run, _cert_state, _cert_follow_up),
        Op(
            "issue-first-certificate",
            _first_cert_prepare,
            _cert_run,
            _cert_state,
            _cert_follow_up,
        ),
    )
}


# ----------------------------------------------------------------------------- the sweep


@dataclass
class Trial:
    k: int | None
    step: str | None
    outcome: str  # "returned" or the exception's class
    error: str = ""  # its repr
    clear: bool = True  # returned, or raised a JewelerDeskError (a message for the counter)
    state: str = ""
    problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)


@dataclass
class Sweep:
    op: str
    mode: str
    steps: list[str]
    trials: list[Trial]

    def summary(self) -> str:
        states = {s: sum(1 for t in self.trials if t.state == s) for s in (PRESENT, ABSENT)}
        sql = sum(1 for s in self.steps if s.split()[0].isupper())
        return (
            f"{self.op} [{self.mode}]: {len(self.steps)} injection points "
            f"({sql} SQL, {len(self.steps) - sql} file/process); after the fault: "
            f"{states[PRESENT]} complete, {states[ABSENT]} absent"
        )


@dataclass
class Template:
    root: Path
    baseline: set[str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The demo shop with its signing keys made, closed (its WAL folded in)."""
    root = tmp_path_factory.mktemp("template") / "shop"
    with Shop.open(DataPaths(root)) as shop:
        build_demo(shop)
        certificates.warm_up(shop)
        baseline = half_done(shop.db, shop.files)
    return Template(root, baseline)


def _trial(
    template: Template, work: Path, name: str, k: int | None, mode: str
) -> tuple[Trial, list[str]]:
    """One run of operation ``name`` on a fresh copy of the template, failing at step ``k``
    (None: no fault), judged after reopening. Returns the trial and the steps taken."""
    op = OPS[name]
    root = work / "shop"
    shutil.copytree(template.root, root)
    paths = DataPaths(root)
    _forget_keys()
    shop = Shop.open(paths)
    ctx = op.prepare(shop, work)
    inj = Injector(k, mode)
    trial = Trial(k, None, "returned")
    try:
        with instrument(inj, shop.db):
            try:
                op.run(shop, ctx)
            except (SimulatedCrash, Exception) as exc:
                trial.outcome, trial.error = type(exc).__name__, repr(exc)
                trial.clear = isinstance(exc, JewelerDeskError)
        trial.step = inj.fired
        if k is not None and inj.fired is None:
            trial.problems.append(f"the operation took fewer than {k} steps this time")
        if mode == "error":  # the same window carries on after the error
            if real_connection(shop.db).in_transaction:
                trial.problems.append("the connection was left inside a transaction")
            try:
                op.state(shop, ctx)
            except AssertionError as exc:
                trial.problems.append(f"right after the error: {exc}")
    finally:
        _drop(shop.db)
    _forget_keys()
    age_documents(root)
    problems = db_problems(paths.database)
    trial.problems += [f"database: {p}" for p in problems]
    with Shop.open(paths) as again:
        try:
            trial.state = op.state(again, ctx)
        except AssertionError as exc:
            trial.problems.append(f"after reopening: {exc}")
        if trial.outcome == "returned" and trial.state != PRESENT:
            trial.problems.append("the operation returned but is not there")
        trial.problems += sorted(half_done(again.db, again.files) - template.baseline)
        strays = stray_files(root, records.all_document_hashes(again.db))
        trial.problems += [s for s in strays if " keys/" not in s]
        trial.leftovers += [s for s in strays if " keys/" in s]
        trial.problems += audit_chain_problems(again.db)
        if not trial.problems:
            try:
                op.follow_up(again, ctx, trial.state)
            except Exception as exc:  # noqa: BLE001 - any failure here is the finding
                trial.problems.append(f"the shop did not carry on: {exc!r}")
    shutil.rmtree(work)
    return trial, inj.steps


_SWEEPS: dict[tuple[str, str], Sweep] = {}


def sweep(template: Template, work: Path, name: str, mode: str) -> Sweep:
    """Count the steps of a clean run, then fail each step in turn (cached per module)."""
    if (name, mode) in _SWEEPS:
        return _SWEEPS[(name, mode)]
    clean, steps = _trial(template, work / "clean", name, None, mode)
    assert clean.outcome == "returned" and not clean.problems, (clean.error, clean.problems)
    jobs = [(template, work / f"k{k}", name, k, mode) for k in range(1, len(steps) + 1)]
    trials = [trial for trial, _ in in_parallel(_trial, jobs)]
    result = Sweep(name, mode, steps, trials)
    _SWEEPS[(name, mode)] = result
    print(f"\n{result.summary()}")
    return result


def _report(bad: list[Trial], steps: list[str]) -> str:
    return (
        "\n".join(
            f"  step {t.k} ({t.step}): raised {t.outcome}; state {t.state or '?'}; {t.problems}"
            for t in bad[:10]
        )
        + f"\n  steps: {steps}"
    )


#: Making the signing keys is four atomic file writes of the same kind; their error handling is
#: covered by the disk-full test, so the first certificate is swept with crashes only.
SWEPT = [(name, mode) for name in OPS for mode in MODES]
SWEPT.remove(("issue-first-certificate", "error"))


@pytest.mark.parametrize(("name", "mode"), SWEPT)
def test_a_fault_at_any_step_leaves_all_or_nothing(
    template: Template, tmp_path: Path, name: str, mode: str
) -> None:
    result = sweep(template, tmp_path, name, mode)
    assert result.steps, "no injection points found"
    assert len(result.trials) == len(result.steps)
    bad = [t for t in result.trials if t.problems]
    assert not bad, f"{name} [{mode}]:\n{_report(bad, result.steps)}"
    left = [(t.k, t.step, t.leftovers) for t in result.trials if t.leftovers]
    assert not left, f"{name} [{mode}] leaves temp files in keys/: {left[:3]}"
    # every fault was noticed: none was silently swallowed into a "success" that is not there
    assert all(t.outcome != "returned" or t.state == PRESENT for t in result.trials)


def test_a_crash_while_making_the_signing_keys_leaves_no_temp_file(
    template: Template, tmp_path: Path
) -> None:
    result = sweep(template, tmp_path, "issue-first-certificate", "crash")
    left = [(t.k, t.step, t.leftovers) for t in result.trials if t.leftovers]
    assert not left, (
        f"{len(left)} of {len(result.trials)} crash points leave key temp files: {left[:3]}"
    )


@pytest.mark.parametrize("name", [name for name, mode in SWEPT if mode == "error"])
def test_an_io_error_at_any_step_is_reported_in_the_shops_words(
    template: Template, tmp_path: Path, name: str
) -> None:
    result = sweep(template, tmp_path, name, "error")
    raw = [(t.k, t.step, t.error) for t in result.trials if not t.clear]
    assert not raw, f"{len(raw)} of {len(result.trials)} injected errors escape raw: {raw[:4]}"


def test_an_io_error_reading_the_records_log_head_does_not_go_onto_a_certificate(
    template: Template, tmp_path: Path
) -> None:
    root = tmp_path / "shop"
    shutil.copytree(template.root, root)
    with Shop.open(DataPaths(root)) as shop:
        sales.sell(shop, sales.SaleRequest(["R-0007"]))
        if "audit_log" not in shop.db.table_names():
            pytest.skip("this version has no records log")
        real = shop.db.conn
        fault = FailingStatements(real, "FROM audit_log")
        shop.db.conn = fault  # type: ignore[assignment]
        try:
            certificates.issue_certificate(shop, "R-0007")
        except Exception:  # noqa: BLE001 - refusing is fine here (raw errors: the tests above)
            pass
        finally:
            shop.db.conn = real
        if not fault.failed:
            pytest.fail("issuing never read the records log: this test no longer tests it")
        report = integrity.check_shop(shop)
        assert report.ok, f"after one I/O error while issuing: {report.problems}"


# ----------------------------------------------------------------------------- migrations

V1_ROWS = [
    "INSERT INTO party (id, kind, legal_name, country, created_at, updated_at) VALUES"
    " ('p-1', 'wholesaler', 'Old Supplier BV', 'BE', '2025-01-02T10:00:00Z', '2025-01-02T10:00:00Z')",
    "INSERT INTO item (id, sku, description, category, status, supplier_id, price_minor,"
    " currency, acquired_on, created_at, updated_at) VALUES ('i-1', 'OLD-1', 'Ring bought in',"
    " 'ring', 'in_stock', 'p-1', 90000, 'USD', '2025-01-03', '2025-01-03T10:00:00Z',"
    " '2025-01-03T10:00:00Z')",
    "INSERT INTO stone (id, item_id, stone_type, origin_type, weight_mct, supplier_id,"
    " acquired_on, created_at, updated_at) VALUES ('s-1', 'i-1', 'diamond', 'natural', 500,"
    " 'p-1', '2025-01-03', '2025-01-03T10:00:00Z', '2025-01-03T10:00:00Z')",
    "INSERT INTO stone (id, stock_no, stone_type, origin_type, weight_mct, supplier_id,"
    " acquired_on, created_at, updated_at) VALUES ('s-2', 'OLD-S1', 'diamond', 'natural', 700,"
    " 'p-1', '2025-01-04', '2025-01-04T10:00:00Z', '2025-01-04T10:00:00Z')",
    "INSERT INTO metal_lot (id, lot_no, metal, fineness_ppt, form, claim_class, supplier_id,"
    " received_on, created_at) VALUES ('l-1', 'OLD-L1', 'Au', 750, 'casting_grain', 'recycled',"
    " 'p-1', '2025-01-05', '2025-01-05T10:00:00Z')",
    "INSERT INTO metal_movement (lot_id, kind, mass_mg, occurred_at, note) VALUES"
    " ('l-1', 'receipt', 250000, '2025-01-05T10:00:00Z', 'received')",
    "INSERT INTO document (id, sha256, doc_type, media_type, size, original_name, added_at)"
    " VALUES ('d-1', '" + "ab" * 32 + "', 'invoice', 'application/pdf', 1234, 'old.pdf',"
    " '2025-01-05T10:00:00Z')",
    "INSERT INTO document_link (document_id, subject_kind, subject_id, linked_at) VALUES"
    " ('d-1', 'lot', 'l-1', '2025-01-05T10:00:00Z')",
]
V1_RECORDS = {
    "party": "SELECT count(*) FROM party WHERE id = 'p-1'",
    "item": "SELECT count(*) FROM item WHERE id = 'i-1' AND sku = 'OLD-1'",
    "stone": "SELECT count(*) FROM stone WHERE id IN ('s-1', 's-2') AND weight_mct IN (500, 700)",
    "metal_lot": "SELECT count(*) FROM metal_lot WHERE id = 'l-1'",
    "receipt": "SELECT count(*) FROM metal_movement WHERE lot_id = 'l-1' AND mass_mg = 250000",
    "document": "SELECT count(*) FROM document WHERE id = 'd-1'",
    "link": "SELECT count(*) FROM document_link WHERE document_id = 'd-1'",
}
V1_COUNTS = {
    "party": 1,
    "item": 1,
    "stone": 2,
    "metal_lot": 1,
    "receipt": 1,
    "document": 1,
    "link": 1,
}


def _v1_counts(path: Path) -> dict[str, int]:
    """The records entered at version 1, as they stand."""
    conn = sqlite3.connect(str(path))
    try:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in V1_RECORDS.items()}
    finally:
        conn.close()


class _Clock(datetime):
    """Backup names carry the time to the second; each call here is a second later, so a
    retry never happens to reuse the name of the copy a crash left (as a real restart
    minutes later would not)."""

    ticks = 0

    @classmethod
    def now(cls, tz: Any = None) -> _Clock:  # type: ignore[override]
        cls.ticks += 1
        return cls(2026, 11, 25, 9, 0, 0, tzinfo=UTC) + timedelta(seconds=cls.ticks)


@pytest.fixture(scope="module")
def old_versions(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A database at each version 0..latest-1; records are entered at version 1 and carried
    forward by the real migrations."""
    folder = tmp_path_factory.mktemp("versions")
    out = []
    for j in range(len(MIGRATIONS)):
        path = folder / f"v{j}.db"
        db = database.connect(path)
        try:
            if j >= 1:
                database.migrate(db, MIGRATIONS[:1])
                with db.atomic():
                    for sql in V1_ROWS:
                        db.execute(sql)
                database.migrate(db, MIGRATIONS[:j])
        finally:
            db.close()
        assert user_version(path) == j
        out.append(path)
    return out


@dataclass
class MigrationSweep:
    version: int  # the database's version; the step is to version + 1
    mode: str
    steps: list[str]
    commit_at: int  # the step that commits the migration (1-based)
    tried: list[int]
    problems: list[str]
    leftovers: list[str]
    raw_errors: list[str]
    swallowed: list[str]  # error mode: the product caught the injected error and went on

    def summary(self) -> str:
        return (
            f"migration v{self.version}->v{self.version + 1} [{self.mode}]: "
            f"{len(self.steps)} injection points, {len(self.tried)} injected"
            + (f"; {len(self.swallowed)} errors caught and ignored" if self.swallowed else "")
        )


def _migration_trial(
    source: Path, work: Path, j: int, k: int | None, mode: str, commit_at: int | None
) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Open a copy of the version-j database with the next migration and a fault at step k,
    judge it, then open it normally. (problems, leftover temp files, raw errors, swallowed
    errors, steps)"""
    work.mkdir(parents=True)
    path = work / "jewelerdesk.db"
    shutil.copyfile(source, path)
    backups = work / "backups"
    backups.mkdir()  # as Shop.open's paths.ensure() leaves it
    opened: list[Any] = []
    inj = Injector(k, mode)
    error: str = ""
    clear = True
    try:
        with instrument(inj, on_connect=opened.append):
            db = database.open_database(path, backup_dir=backups, migrations=MIGRATIONS[: j + 1])
            db.close()
    except (SimulatedCrash, Exception) as exc:
        error, clear = repr(exc), isinstance(exc, JewelerDeskError)
    finally:
        for db in opened:
            _drop(db)
    where = f"v{j}->v{j + 1} step {k} ({inj.fired})"
    problems = []
    swallowed = []
    if k is None:
        if error:
            problems.append(f"clean run failed: {error}")
    elif inj.fired is None:
        problems.append(f"{where}: fewer than {k} steps this time")
    raw = [f"{where}: {error}"] if mode == "error" and error and not clear else []
    if k is not None and commit_at is not None:
        expected = j if k <= commit_at else j + 1
        if not error and inj.fired:  # the product caught the error and carried on
            swallowed.append(where)
            expected = j + 1
        got = user_version(path)
        if got != expected:
            problems.append(f"{where}: at version {got}, expected {expected}")
    problems += [f"{where}: {p}" for p in db_problems(path)]
    if j >= 1 and _v1_counts(path) != V1_COUNTS:
        problems.append(f"{where}: records changed: {_v1_counts(path)}")
    # a crash leaves its temp file by nature; what matters is that the next start removes it
    leftovers: list[str] = []
    if k is not None:  # the next start completes every migration
        age_documents(work)
        try:
            database.open_database(path, backup_dir=backups).close()
        except Exception as exc:  # noqa: BLE001 - the finding
            problems.append(f"{where}: the next open failed: {exc!r}")
        if user_version(path) != len(MIGRATIONS):
            problems.append(f"{where}: the next open left version {user_version(path)}")
        problems += [f"{where}, next open: {p}" for p in db_problems(path)]
        if j >= 1 and _v1_counts(path) != V1_COUNTS:
            problems.append(f"{where}, next open: records changed: {_v1_counts(path)}")
        reader = sqlite_utils.Database(sqlite3.connect(str(path)))
        try:
            problems += [f"{where}, next open: {p}" for p in audit_chain_problems(reader)]
        finally:
            reader.close()
        leftovers += [f"{where}, after the next open: {p.name}" for p in work.rglob("*.part")]
    shutil.rmtree(work)
    return problems, leftovers, raw, swallowed, inj.steps


#: Error mode runs the same rollback for every statement of a migration (one transaction), so
#: it injects at every ERROR_STRIDE-th step, at every file step and at the commit; crash mode
#: injects at every step.
ERROR_STRIDE = 5
_MIGRATION_SWEEPS: dict[tuple[int, str], MigrationSweep] = {}


def migration_sweep(old_versions: list[Path], work: Path, j: int, mode: str) -> MigrationSweep:
    if (j, mode) in _MIGRATION_SWEEPS:
        return _MIGRATION_SWEEPS[(j, mode)]
    source = old_versions[j]
    problems, _, _, _, steps = _migration_trial(source, work / f"v{j}-clean", j, None, mode, None)
    assert not problems, problems
    marker = f"PRAGMA user_version = {j + 1}"
    bump = next(i for i, s in enumerate(steps) if s.startswith(marker))
    commit_at = next(i for i, s in enumerate(steps) if i > bump and s == "COMMIT") + 1
    ks = [
        k
        for k in range(1, len(steps) + 1)
        if mode == "crash"
        or k % ERROR_STRIDE == 1
        or k == commit_at
        or not steps[k - 1].split()[0].isupper()
    ]
    found = MigrationSweep(j, mode, steps, commit_at, ks, [], [], [], [])
    jobs = [(source, work / f"v{j}-k{k}", j, k, mode, commit_at) for k in ks]
    for p, left, raw, swallowed, _ in in_parallel(_migration_trial, jobs):
        found.problems += p
        found.leftovers += left
        found.raw_errors += raw
        found.swallowed += swallowed
    _MIGRATION_SWEEPS[(j, mode)] = found
    print(f"\n{found.summary()}")
    return found


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "datetime", _Clock)


VERSIONS = range(len(MIGRATIONS))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("j", VERSIONS)
def test_a_fault_at_any_step_of_a_migration_keeps_the_version_and_the_next_open_completes(
    old_versions: list[Path], tmp_path: Path, j: int, mode: str, clock: None
) -> None:
    found = migration_sweep(old_versions, tmp_path, j, mode)
    assert found.tried and found.commit_at > 0
    assert not found.problems, f"{len(found.problems)} problems: {found.problems[:8]}"


def test_a_crash_during_the_pre_migration_backup_leaves_no_temp_file(
    old_versions: list[Path], tmp_path: Path, clock: None
) -> None:
    left = [
        x for j in VERSIONS for x in migration_sweep(old_versions, tmp_path, j, "crash").leftovers
    ]
    assert not left, f"{len(left)} leftovers: {left[:4]}"


def test_an_io_error_during_a_migration_is_reported_in_the_shops_words(
    old_versions: list[Path], tmp_path: Path, clock: None
) -> None:
    raw = [
        x for j in VERSIONS for x in migration_sweep(old_versions, tmp_path, j, "error").raw_errors
    ]
    assert not raw, f"{len(raw)} raw errors: {raw[:4]}"


def test_injection_points_per_operation(
    template: Template, old_versions: list[Path], tmp_path: Path, clock: None
) -> None:
    """The counts, in one place (computed by the sweeps above; ``pytest -s`` shows them)."""
    lines = [
        "injection points per operation (crash mode injects at each; error mode too,"
        f" except migrations, every {ERROR_STRIDE}th plus file steps and the commit):"
    ]
    for name, mode in SWEPT:
        lines.append("  " + sweep(template, tmp_path / f"{name}-{mode}", name, mode).summary())
    for j in VERSIONS:
        for mode in MODES:
            lines.append(
                "  " + migration_sweep(old_versions, tmp_path / f"m{j}{mode}", j, mode).summary()
            )
    print("\n" + "\n".join(lines))
