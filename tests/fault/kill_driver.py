"""The app process the kill -9 test kills: real write paths, acknowledged one by one.

    python kill_driver.py DATA_DIR MODE SEED SCRATCH_DIR
    python kill_driver.py --serve

MODE is ``receive`` (loose stones, metal lots and bought-in pieces), ``attach`` (a new PDF or
PNG on a stone, lot, piece or party) or ``certify`` (sell a piece, issue its certificate). The
driver prints ``READY`` once it has opened the shop, then loops until it is killed, printing
``ACK <kind> <ids...>`` (flushed) after each operation has returned. Any exception is a failure:
it exits with status 3 and the traceback on stderr.

``--serve`` imports everything once and then starts each driver as a fork of itself, so that
fifty kills do not pay fifty interpreter start-ups: it reads ``run DATA_DIR MODE SEED SCRATCH
OUT_FILE`` lines on stdin and answers with the new process's id (the process has its own
session, so a kill of its group reaches the document reader it may be running; its stdout goes
to OUT_FILE and its stderr to OUT_FILE.err), and ``wait PID`` lines, answered with the exit
status as ``os.waitstatus_to_exitcode`` gives it (-9 for SIGKILL).
"""

from __future__ import annotations

import itertools
import os
import random
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def say(*words: object) -> None:
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def main(root: str, mode: str, seed: str, scratch: str) -> None:
    from jewelerdesk.domain.model import (
        ClaimClass,
        DocType,
        Item,
        ItemCategory,
        Metal,
        MetalLot,
        OriginType,
        Stone,
        StoneType,
        SubjectKind,
    )
    from jewelerdesk.paths import DataPaths
    from jewelerdesk.services import certificates, inventory, paperwork, sales
    from jewelerdesk.services.shop import Shop

    shop = Shop.open(DataPaths(Path(root)))
    rng = random.Random(f"{mode}-{seed}")
    suppliers = [
        r[0]
        for r in shop.db.execute(
            "SELECT id FROM party WHERE kind IN ('supplier', 'wholesaler') ORDER BY n"
        )
    ]
    if mode == "certify":
        certificates.warm_up(shop)
    elif mode == "attach":
        import shopcheck

        shopcheck.pdf_bytes("warm-up")
    say("READY")

    def new_piece(n: int) -> str:
        item = inventory.save_item(
            shop,
            Item(
                sku=f"KP-{seed}-{n}",
                description="Ring bought in from the trade",
                category=ItemCategory.RING,
                supplier_id=rng.choice(suppliers),
                price_minor=rng.randrange(20_000, 90_000, 500),
                acquired_on="2026-03-01",
            ),
        )
        say("ACK item", item.id)
        return item.sku

    for n in itertools.count():
        if mode == "receive":
            what = rng.choice(["stone", "lot", "item"])
            if what == "stone":
                stone = inventory.save_loose_stone(
                    shop,
                    Stone(
                        StoneType.DIAMOND,
                        OriginType.LAB_GROWN,
                        rng.choice([300, 500, 750]),
                        stock_no=f"KS-{seed}-{n}",
                        growth_method="CVD",
                        supplier_id=rng.choice(suppliers),
                        acquired_on="2026-03-01",
                    ),
                )
                say("ACK stone", stone.id)
            elif what == "lot":
                mass = rng.randrange(1_000, 500_000)
                lot = inventory.receive_lot(
                    shop,
                    MetalLot(
                        f"KL-{seed}-{n}",
                        Metal.GOLD,
                        750,
                        ClaimClass.RECYCLED,
                        supplier_id=rng.choice(suppliers),
                        received_on="2026-03-01",
                    ),
                    mass,
                )
                say("ACK lot", lot.id, mass)
            else:
                new_piece(n)
        elif mode == "attach":
            import shopcheck

            kind = rng.choice(["item", "stone", "lot", "party"])
            table = {"item": "item", "stone": "stone", "lot": "metal_lot", "party": "party"}[kind]
            ids = [r[0] for r in shop.db.execute(f"SELECT id FROM {table} ORDER BY n")]
            subject = rng.choice(ids)
            path = shopcheck.write_sample(
                Path(scratch), f"{seed}-{n}-{rng.random()}", rng.choice(["pdf", "png"])
            )
            result = paperwork.attach(
                shop,
                SubjectKind(kind),
                subject,
                path,
                DocType.PHOTO if path.suffix == ".png" else DocType.INVOICE,
            )
            assert not result.already_stored
            say("ACK doc", result.document.sha256, kind, subject)
            path.unlink()
        elif mode == "certify":
            free = [
                r[0]
                for r in shop.db.execute(
                    "SELECT sku FROM item WHERE status IN ('in_stock', 'returned', 'memo_out')"
                    " AND id NOT IN (SELECT item_id FROM certificate) ORDER BY sku"
                )
            ]
            sku = rng.choice(free) if free else new_piece(n)
            sale = sales.sell(shop, sales.SaleRequest([sku]))
            say("ACK sale", sale.id, sale.lines[0].item_id)
            issued = certificates.issue_certificate(shop, sku)
            c = issued.certificate
            say("ACK cert", c.id, c.item_id, c.pdf_sha256)
        else:
            raise SystemExit(f"unknown mode {mode}")


def _child(args: list[str]) -> None:
    """In the fork: a session of its own, stdout and stderr to files, then the driver."""
    os.setsid()
    out = os.open(args[4], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(args[4] + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (out, err, null):
        os.close(fd)
    code = 3
    try:
        main(*args[:4])
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    import shopcheck  # noqa: F401 - loaded once, for every fork

    from jewelerdesk.certificates import pdf, render
    from jewelerdesk.services import certificates, inventory, paperwork, sales  # noqa: F401

    render.warm_up()
    pdf.warm_up()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "run":
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(words[1:])
            say(pid)
        elif words[0] == "wait":
            _, status = os.waitpid(int(words[1]), 0)
            say(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
        sys.exit(0)
    try:
        main(*sys.argv[1:5])
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        sys.exit(3)
