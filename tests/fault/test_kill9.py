"""kill -9 of the real app process at random points of real write paths.

A driver process (``kill_driver.py``) opens one shop and loops over one write path: receiving
goods (loose stones, metal lots, bought-in pieces), attaching documents, or selling a piece and
issuing its certificate, printing ``ACK`` after each operation returns. The test waits a random
time after the driver says READY and sends SIGKILL to its process group (the driver and any
document-reader process it started). Each driver is a fresh process forked from one server
that has already imported the app (``kill_driver.py --serve``), so sixty kills do not pay sixty
interpreter start-ups. Then, on the same data folder, whose state accumulates over all the
kills:

* SQLite's ``integrity_check`` and ``foreign_key_check`` are clean;
* every acknowledged operation is present in full (rows, custody events, movements, files with
  the right SHA-256);
* nothing is half done anywhere in the shop (no document row without its file, no certificate
  without its PDF, no lot without its receipt, no sold piece without a sale...);
* after the next ``Shop.open`` (its sweep; document files are back-dated first, as the sweep
  keeps files younger than an hour), no temp file or unreferenced document file remains;
* the records log's chain is unbroken (when the app has one).

Seeded: ``JD_FAULT_SEED`` picks the seed (printed), ``JD_FAULT_KILLS`` the number of kills.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shopcheck import (
    Acks,
    age_documents,
    audit_chain_problems,
    db_problems,
    half_done,
    missing_acked,
    stray_files,
)

from jewelerdesk.paths import DataPaths
from jewelerdesk.services.demo import build_demo
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import records

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX signals")

DRIVER = Path(__file__).with_name("kill_driver.py")
SEED = int(os.environ.get("JD_FAULT_SEED", "20261125"))
KILLS = int(os.environ.get("JD_FAULT_KILLS", "60"))  # 20 per write path
#: seconds after READY within which the kill lands, per write path (about 2-3 operations' time)
WINDOWS = {"receive": (0.0, 0.15), "attach": (0.0, 0.8), "certify": (0.0, 0.5)}
READY_TIMEOUT_S = 90.0


class Drivers:
    """``kill_driver.py --serve``: one interpreter that has imported the app, forking a fresh
    driver process for each run (a new process, a new connection, its own session)."""

    def __init__(self, log: Path):
        self.log = log
        self.err = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
        )

    def _ask(self, line: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise AssertionError(f"the driver server stopped: {self.log.read_text()[-3000:]}")
        return int(answer)

    def run_and_kill(
        self, root: Path, mode: str, run: int, scratch: Path, delay: float, out: Path
    ) -> str:
        """Start a driver, SIGKILL its process group ``delay`` s after it says READY; its
        output. A driver that fails or never gets ready fails the test."""
        pid = self._ask(f"run {root} {mode} {run} {scratch} {out}")
        err = Path(f"{out}.err")
        ready = False
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline:
                if out.exists() and b"READY\n" in out.read_bytes():
                    ready = True
                    break
                if err.exists() and err.stat().st_size:
                    break  # it failed before it was ready
                time.sleep(0.002)
            if ready:
                time.sleep(delay)
        finally:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            status = self._ask(f"wait {pid}")
        text = out.read_text("utf-8", "replace")
        if not ready or status != -signal.SIGKILL:
            raise AssertionError(
                f"driver ({mode}, run {run}) did not stay up until the kill: status {status}\n"
                f"stdout: {text[-2000:]}\nstderr: {err.read_text()[-4000:] if err.exists() else ''}"
            )
        return text

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(30)
            assert self.proc.stdout is not None
            self.proc.stdout.close()
            self.err.close()


def _leftovers(root: Path) -> int:
    """Temp files and document files no record names, before the next open sweeps them."""
    conn = sqlite3.connect(str(root / "jewelerdesk.db"))
    try:
        named = {r[0] for r in conn.execute("SELECT sha256 FROM document")}
        named |= {r[0] for r in conn.execute("SELECT pdf_sha256 FROM certificate")}
    finally:
        conn.close()
    docs = root / "documents"
    parts = list((docs / ".incoming").glob("*.part"))
    blobs = [p for p in docs.glob("??/*") if p.name not in named]
    return len(parts) + len(blobs)


def _check(root: Path, paths: DataPaths, acks: Acks, baseline: set[str], where: str) -> None:
    problems = db_problems(paths.database)
    assert problems == [], f"{where}: database damaged: {problems[:5]}"
    age_documents(root)
    with Shop.open(paths) as shop:  # the next start: its sweep removes leftovers
        missing = missing_acked(shop.db, shop.files, acks)
        broken = sorted(half_done(shop.db, shop.files) - baseline)
        stray = stray_files(root, records.all_document_hashes(shop.db))
        chain = audit_chain_problems(shop.db)
    assert missing == [], f"{where}: acknowledged but not (fully) there: {missing[:5]}"
    assert broken == [], f"{where}: half-done operations: {broken[:5]}"
    assert stray == [], f"{where}: left in the data folder after the next open: {stray[:5]}"
    assert chain == [], f"{where}: records log chain broken: {chain[:3]}"


def test_kill_9_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"\nkill -9 test: seed {SEED} (JD_FAULT_SEED), {KILLS} kills (JD_FAULT_KILLS)")
    root = tmp_path / "shop"
    paths = DataPaths(root)
    with Shop.open(paths) as shop:
        build_demo(shop)
        baseline = half_done(shop.db, shop.files)
    acks = Acks()
    modes = list(WINDOWS)
    kills = dict.fromkeys(modes, 0)
    acked = dict.fromkeys(modes, 0)
    left_something = 0
    started = time.monotonic()
    drivers = Drivers(tmp_path / "server.log")
    try:
        for run in range(KILLS):
            mode = modes[run % len(modes)]
            delay = rng.uniform(*WINDOWS[mode])
            where = (
                f"kill {run + 1}/{KILLS} ({mode}, {delay * 1000:.0f} ms after READY, seed {SEED})"
            )
            out = drivers.run_and_kill(
                root, mode, run, tmp_path / "scratch", delay, tmp_path / f"run{run}.out"
            )
            kills[mode] += 1
            acked[mode] += acks.add(out)
            left_something += _leftovers(root) > 0
            _check(root, paths, acks, baseline, where)
    finally:
        drivers.close()
    took = time.monotonic() - started
    print(
        f"kills per write path: {kills}; operations acknowledged: {acked} "
        f"({len(acks.lines)} in all); kills that left a temp or orphan file for the sweep: "
        f"{left_something}; {took:.1f} s"
    )
    assert sum(kills.values()) == KILLS
    for mode in modes:
        assert acked[mode] > 0, f"no {mode} operation was ever acknowledged"
