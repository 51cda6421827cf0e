"""One write under a file-size limit (RLIMIT_FSIZE), then again with the limit lifted.

    python full_disk_driver.py DATA_DIR CASE SCRATCH_DIR LIMIT_BYTES

SIGXFSZ is ignored, so a write past the limit fails with EFBIG as on a full disk instead of
killing the process. The shop is opened before the limit is set. Prints one JSON object:
the error (class, its bases, message), the row counts of every table before and after the
failed attempt, temp files left, and whether the retry without the limit succeeded.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def counts(db: Any) -> dict[str, int]:
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def main(root: str, case: str, scratch: str, limit: int) -> dict[str, Any]:
    import shutil

    import shopcheck

    from jewelerdesk.domain.model import ClaimClass, DocType, Metal, MetalLot, SubjectKind
    from jewelerdesk.paths import DataPaths
    from jewelerdesk.services import certificates, paperwork, sales
    from jewelerdesk.services.inventory import receive_lot
    from jewelerdesk.services.shop import Shop

    paths = DataPaths(Path(root))
    shop = Shop.open(paths)
    source = shopcheck.write_sample(Path(scratch), case, "pdf")
    lot = MetalLot("FULL-1", Metal.GOLD, 750, ClaimClass.RECYCLED, received_on="2026-03-02")
    if case in ("issue-certificate", "issue-first-certificate"):
        sales.sell(shop, sales.SaleRequest(["R-0007"]))
    if case == "issue-certificate":
        certificates.warm_up(shop)  # the keys are read now; only the certificate is written
    if case == "issue-first-certificate":
        shutil.rmtree(paths.keys)  # the first certificate makes them

    def run() -> object:
        if case == "attach-document":
            lot_id = shop.db.execute("SELECT id FROM metal_lot ORDER BY n").fetchone()[0]
            return paperwork.attach(shop, SubjectKind.LOT, lot_id, source, DocType.INVOICE)
        if case in ("issue-certificate", "issue-first-certificate"):
            return certificates.issue_certificate(shop, "R-0007")
        if case == "receive-lot":
            return receive_lot(shop, lot, 5_000)
        raise SystemExit(f"unknown case {case}")

    before = counts(shop.db)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    error: BaseException | None = None
    try:
        run()
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        error = exc
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    after = counts(shop.db)
    leftovers = sorted(str(p.relative_to(paths.root)) for p in paths.root.rglob("*.part"))
    retry = "ok"
    try:
        run()
    except BaseException as exc:  # noqa: BLE001
        retry = f"{type(exc).__name__}: {exc}"
    shop.close()
    with Shop.open(paths) as again:
        after_retry = counts(again.db)
    return {
        "error": type(error).__name__ if error else None,
        "bases": [c.__name__ for c in type(error).__mro__] if error else [],
        "message": str(error) if error else "",
        "traceback": "".join(traceback.format_exception(error)) if error else "",
        "before": before,
        "after": after,
        "leftovers": leftovers,
        "retry": retry,
        "after_retry": after_retry,
    }


if __name__ == "__main__":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    root, case, scratch, limit = sys.argv[1:5]
    result = main(root, case, scratch, int(limit))
    sys.stdout.write(json.dumps(result) + "\n")
