"""The command line (DESIGN §7). Every command calls the same services as the GUI.

Exit status: 0 fine; 1 the command ran and found a problem; 2 bad usage or bad input, with
one line on stderr saying what and where. ``--json`` prints one JSON document on stdout with
stable keys and integer units.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from . import COMMANDS, __version__
from .domain import units
from .domain.model import DOC_TYPE_LABELS, DocType
from .errors import Conflict, CriticalGaps, JewelerDeskError
from .paths import DataPaths, resolve_data_dir
from .services.shop import Shop

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit 2, never a wall of text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="jewelerdesk", description="Provenance and custody records for a jewelry shop."
    )
    p.add_argument("--version", action="version", version=f"JewelerDesk {__version__}")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the shop's data folder (default: your user data folder, or $JEWELERDESK_DATA_DIR)",
    )
    p.add_argument(
        "--staff",
        metavar="NAME",
        help="who is working, in a shop with staff profiles (the PIN is read from "
        "$JEWELERDESK_PIN, or asked for)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("demo", help="create a realistic demo shop in an empty data folder")
    d.add_argument(
        "--items", type=_positive_int, default=30, metavar="N", help="number of pieces (default 30)"
    )
    d.add_argument("--json", action="store_true")
    d.add_argument(
        "--open",
        action="store_true",
        help="then open the app on it (if the folder already holds a shop, just open it)",
    )

    i = sub.add_parser("items", help="list the shop's pieces")
    i.add_argument(
        "--search",
        metavar="TEXT",
        default="",
        help="stock number, description, report number or supplier",
    )
    i.add_argument("--json", action="store_true")

    a = sub.add_parser(
        "attach", help="attach a document (PDF, JPEG, PNG, TIFF) to a piece, loose stone or lot"
    )
    a.add_argument(
        "sku", metavar="SKU", help="piece stock number, loose-stone stock number or lot number"
    )
    a.add_argument("file", metavar="FILE")
    a.add_argument(
        "--type",
        required=True,
        dest="doc_type",
        choices=[str(t) for t in DocType],
        metavar="TYPE",
        help="one of: " + ", ".join(str(t) for t in DocType),
    )
    a.add_argument("--issuer", default="")
    a.add_argument("--number", default="")
    a.add_argument("--json", action="store_true")
    g = sub.add_parser("gaps", help="custody gaps of one piece, or of the whole shop")
    g.add_argument(
        "sku", metavar="SKU", nargs="?", help="a piece's stock number (default: the whole shop)"
    )
    g.add_argument("--json", action="store_true")

    c = sub.add_parser("custody", help="the chain of custody of each component of a piece")
    c.add_argument("sku", metavar="SKU", help="a piece's stock number")
    c.add_argument("--json", action="store_true")

    lst = sub.add_parser("lists", help="risk and sanctions lists")
    lsub = lst.add_subparsers(dest="lists_command", metavar="ACTION", required=True)
    li = lsub.add_parser("import", help="install a newer sanctions or CAHRA list (JSON)")
    li.add_argument("file", metavar="FILE")
    lsub.add_parser("show", help="the lists in force")

    s = sub.add_parser("sell", help="sell one or more pieces (records a retail-selling event)")
    s.add_argument("skus", metavar="SKU", nargs="+")
    s.add_argument("--price", metavar="AMOUNT", help="price of each piece (default: its tag price)")
    s.add_argument("--tax", metavar="AMOUNT", default="0", help="tax of each piece")
    s.add_argument("--customer", metavar="NAME", default="", help="printed only if given")
    s.add_argument("--payment", metavar="METHOD", default="card")
    s.add_argument("--invoice", metavar="NO", default="", help="default: the next number")
    s.add_argument("--date", metavar="YYYY-MM-DD", default="")
    s.add_argument("--return", dest="return_reason", metavar="REASON", help="take the piece back")
    s.add_argument(
        "--despite-critical-gaps",
        action="store_true",
        help="sell although a piece has an open critical gap (recorded with the sale)",
    )
    s.add_argument("--json", action="store_true")

    ce = sub.add_parser("certificate", help="issue, reprint, reissue or void a certificate")
    ce.add_argument("sku", metavar="SKU", nargs="?", help="a piece's stock number")
    ce.add_argument("--out", metavar="FILE", help="where to save the PDF")
    what = ce.add_mutually_exclusive_group()
    what.add_argument("--reprint", metavar="NUMBER", help="the archived PDF, byte for byte")
    what.add_argument("--reissue", metavar="NUMBER", help="issue a corrected version")
    what.add_argument("--void", metavar="NUMBER", help="void a certificate")
    what.add_argument("--preview", action="store_true", help="draw it without issuing")
    ce.add_argument("--reason", metavar="TEXT", default="", help="why (reissue, void)")
    ce.add_argument("--json", action="store_true")

    v = sub.add_parser("verify", help="check a certificate PDF (or QR text) offline")
    v.add_argument("file", metavar="FILE.pdf", nargs="?")
    v.add_argument("--public-key", metavar="FILE", help="the shop's public key (PEM)")
    v.add_argument("--qr", metavar="TEXT", help="verify the text of a certificate's QR code")
    v.add_argument("--json", action="store_true")

    k = sub.add_parser("keys", help="the shop's signing keys")
    ksub = k.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    ke = ksub.add_parser("export", help="save the public key, for customers and regulators")
    ke.add_argument("file", metavar="FILE")
    kb = ksub.add_parser(
        "backup", help="copy both key pairs, encrypted with $JEWELERDESK_KEY_PASSPHRASE"
    )
    kb.add_argument("folder", metavar="DIR")
    kr = ksub.add_parser(
        "restore",
        help="put the keys back from a key backup (passphrase from $JEWELERDESK_KEY_PASSPHRASE)",
    )
    kr.add_argument("folder", metavar="DIR")
    ksub.add_parser("new", help="start a new signing key when the old one is lost for good")

    ex = sub.add_parser("export", help="files for the accountant or a regulator")
    exsub = ex.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    ea = exsub.add_parser(
        "accountant", help="sales and purchase journals, valuation, metal ledger, memo register"
    )
    ea.add_argument("--out", metavar="DIR", required=True, help="folder to write into")
    ea.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="default: 1 January")
    ea.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="default: today")
    ea.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    ea.add_argument("--json", action="store_true")
    er = exsub.add_parser(
        "regulator", help="the due-diligence pack: EPCIS events, origin tables, documents (ZIP)"
    )
    er.add_argument("--out", metavar="FILE.zip", required=True)
    er.add_argument("--sku", dest="skus", metavar="SKU", nargs="+", help="only these pieces")
    er.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="events from this day")
    er.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="events up to this day")
    er.add_argument("--json", action="store_true")

    im = sub.add_parser("import", help="a supplier's stock sheet (CSV or XLSX)")
    imsub = im.add_subparsers(dest="import_kind", metavar="WHAT", required=True)
    for kind, label in (("stones", "loose stones"), ("lots", "metal lots")):
        ik = imsub.add_parser(kind, help=f"{label}: all rows or none; recorded ones skipped")
        ik.add_argument("file", metavar="FILE")
        ik.add_argument("--supplier", metavar="NAME", help="the supplier, as recorded")
        ik.add_argument(
            "--received-on",
            metavar="YYYY-MM-DD",
            default="",
            help="the day the goods came in (default: today)",
        )
        ik.add_argument("--dry-run", action="store_true", help="check the sheet, import nothing")
        ik.add_argument("--json", action="store_true")

    b = sub.add_parser("backup", help="a verified backup of the records and documents")
    b.add_argument("--to", metavar="DIR", help="a folder or USB drive (default: the data folder)")
    b.add_argument("--json", action="store_true")
    rs = sub.add_parser("restore", help="replace the records with a backup's (verified first)")
    rs.add_argument("backup", metavar="BACKUP", help="the backup's folder")
    rs.add_argument(
        "--other-shop",
        action="store_true",
        help="restore it even though it holds another shop's records",
    )
    ck = sub.add_parser("check", help="check the database, every stored file and certificate")
    ck.add_argument("--quick", action="store_true", help="SQLite's quick check of the file")
    ck.add_argument("--json", action="store_true")

    st = sub.add_parser(
        "staff",
        help="staff profiles and PINs (a manager's PIN from $JEWELERDESK_MANAGER_PIN or asked)",
    )
    stsub = st.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    sl = stsub.add_parser("list", help="the staff profiles")
    sl.add_argument("--json", action="store_true")
    sa = stsub.add_parser(
        "add", help="add a person (the new PIN from $JEWELERDESK_NEW_PIN, or asked twice)"
    )
    sa.add_argument("name", metavar="NAME")
    sa.add_argument("--role", choices=["manager", "staff"], required=True)
    sp = stsub.add_parser("pin", help="give someone a new PIN ($JEWELERDESK_NEW_PIN, or asked)")
    sp.add_argument("name", metavar="NAME")
    sr = stsub.add_parser("remove", help="someone has left: they can no longer sign in")
    sr.add_argument("name", metavar="NAME")
    si = stsub.add_parser("idle-lock", help="lock the app after this many idle minutes (0: never)")
    si.add_argument("minutes", type=int, metavar="MINUTES")
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(argv: Sequence[str], paths: DataPaths | None = None) -> int:
    """Run one command. Known problems become one line on stderr; bugs propagate."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    paths = paths or resolve_data_dir(args.data_dir)
    global _STAFF_NAME
    _STAFF_NAME = args.staff
    handlers = {
        "staff": cmd_staff,
        "demo": cmd_demo,
        "items": cmd_items,
        "attach": cmd_attach,
        "gaps": cmd_gaps,
        "custody": cmd_custody,
        "lists": cmd_lists,
        "sell": cmd_sell,
        "certificate": cmd_certificate,
        "verify": cmd_verify,
        "keys": cmd_keys,
        "export": cmd_export,
        "import": cmd_import,
        "backup": cmd_backup,
        "restore": cmd_restore,
        "check": cmd_check,
    }
    assert set(handlers) == set(COMMANDS)
    handler = handlers.get(args.command)
    if handler is None:
        print("jewelerdesk: no command given (see 'jewelerdesk --help')", file=sys.stderr)
        return EXIT_USAGE
    try:
        return handler(args, paths)
    except JewelerDeskError as exc:
        print(f"jewelerdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


_STAFF_NAME: str | None = None


def _secret(env: str, prompt: str) -> str | None:
    """A PIN from the environment, else asked for at a terminal (never an argument: those show
    in the process list); None when neither is possible."""
    import os

    value = os.environ.get(env)
    if value:
        return value
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return None


def _manager_pin() -> str | None:
    return _secret("JEWELERDESK_MANAGER_PIN", "Manager's PIN: ")


def _open(paths: DataPaths, writes: bool = True) -> Shop:
    """The shop, with whoever is working named in its records log. In a shop with staff
    profiles, a command that records anything needs ``--staff NAME`` and that person's PIN."""
    from .services import staff
    from .store.audit import Actor

    if Shop.needs_update(paths):
        print(
            "Updating the shop's records for this version of JewelerDesk (once; a large shop "
            "takes a minute). A copy is kept in the backups folder first.",
            file=sys.stderr,
            flush=True,
        )
    shop = Shop.open(paths, actor=Actor("owner", "command line"))
    try:
        if staff.enabled(shop):
            if _STAFF_NAME:
                pin = _secret("JEWELERDESK_PIN", f"PIN for {_STAFF_NAME}: ")
                staff.sign_in(shop, _STAFF_NAME, pin or "")
            elif writes:
                raise JewelerDeskError(
                    "This shop has staff profiles: say who is working with --staff NAME (the "
                    "PIN is read from $JEWELERDESK_PIN, or asked for)."
                )
            else:
                shop.actor.name = "command line (read only)"
    except BaseException:
        shop.close()
        raise
    return shop


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, sort_keys=True, indent=2)
    sys.stdout.write("\n")


def cmd_demo(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services.demo import build_demo

    started = time.perf_counter()
    with _open(paths) as shop:
        if args.open and shop.is_set_up():
            return _open_gui(paths)
        summary = build_demo(shop, args.items)
    elapsed = time.perf_counter() - started
    if args.json:
        _emit({"data_dir": str(paths.root), **asdict(summary), "seconds": round(elapsed, 2)})
    else:
        print(
            f"Demo shop created in {paths.root}: {summary.pieces} pieces, {summary.loose_stones} loose "
            f"stones, {summary.lots} metal lots, {summary.parties} suppliers and labs, "
            f"{summary.documents} documents ({elapsed:.1f} s)."
        )
        if not args.open:
            print(f"Open it with: jewelerdesk --data-dir {paths.root}")
    return _open_gui(paths) if args.open else EXIT_OK


def _open_gui(paths: DataPaths) -> int:
    from .ui.app import run_gui

    return run_gui(paths)


def cmd_items(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import inventory
    from .services.inventory import ListQuery

    q = ListQuery(search=args.search)
    with _open(paths, writes=False) as shop:
        total = inventory.count_items(shop, q)
        rows = []
        offset = 0
        while offset < total:
            page = inventory.list_items(shop, q, offset, 2000)
            if not page:
                break
            rows.extend(page)
            offset += len(page)
    if args.json:
        _emit({"count": len(rows), "items": [asdict(r) for r in rows]})
        return EXIT_OK
    if not rows:
        print("No pieces match." if args.search else "The shop has no pieces yet.")
        return EXIT_OK
    print(
        f"{'SKU':<12} {'Status':<10} {'Stones':>6} {'Carats':>9} {'Metal g':>9} {'Price':>14}  Description"
    )
    for r in rows:
        print(
            f"{r.sku:<12} {r.status:<10} {r.stone_count:>6} {r.stone_mct / 1000:>9.3f} "
            f"{r.metal_mg / 1000:>9.3f} {units.format_money(r.price_minor, r.currency):>14}  {r.description}"
        )
    print(f"{len(rows)} piece{'s' if len(rows) != 1 else ''}")
    return EXIT_OK


def cmd_attach(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import inventory, paperwork

    doc_type = DocType(args.doc_type)
    path = Path(args.file)
    with _open(paths) as shop:
        kind, subject_id, label = inventory.find_subject(shop, args.sku)
        result = paperwork.attach(
            shop, kind, subject_id, path, doc_type, issuer=args.issuer, number=args.number
        )
        doc = result.document
    if args.json:
        _emit(
            {
                "attached_to": {"kind": str(kind), "id": subject_id, "label": label},
                "already_stored": result.already_stored,
                "document": {
                    "id": doc.id,
                    "sha256": doc.sha256,
                    "type": str(doc.doc_type),
                    "media_type": doc.media_type,
                    "size": doc.size,
                    "pages": doc.page_count,
                    "original_name": doc.original_name,
                    "issuer": doc.issuer,
                    "number": doc.number,
                    "text_chars": len(doc.text),
                },
                "detected": {
                    "statements": [{"id": d.id, "score": d.score} for d in result.statements],
                    "numbers": [{"kind": n.kind, "number": n.number} for n in result.numbers],
                },
            }
        )
    else:
        again = (
            " (this file was already stored; linked, not copied again)"
            if result.already_stored
            else ""
        )
        print(
            f"Attached {DOC_TYPE_LABELS[doc_type].lower()} '{doc.original_name}' to {label}{again}."
        )
        print(f"sha256 {doc.sha256}, {doc.page_count} page(s), {len(doc.text)} characters of text")
        for d in result.statements:
            print(
                f"Found statement {d.id} ({d.score:.0f}% of its wording) — confirm it in the app."
            )
        for n in result.numbers:
            print(f"Found {n.kind} number {n.number}")
    return EXIT_OK


def _gap_json(g: Any) -> dict[str, Any]:
    return {
        "rule": g.rule,
        "severity": g.severity.label.lower(),
        "component": g.component,
        "component_id": g.component_id,
        "component_label": g.component_label,
        "title": g.title,
        "explanation": g.explanation,
        "basis": g.basis,
        "actions": [
            {
                "kind": a.kind,
                "label": a.label,
                "doc_type": str(a.doc_type) if a.doc_type else None,
                "field": a.field_name or None,
            }
            for a in g.actions
        ],
    }


def cmd_gaps(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import custody

    with _open(paths, writes=False) as shop:
        if args.sku:
            piece = custody.gaps_for_piece(shop, args.sku)
            if args.json:
                _emit(
                    {
                        "sku": piece.sku,
                        "description": piece.description,
                        "gaps": [_gap_json(g) for g in piece.gaps],
                        "acknowledged": [
                            {**_gap_json(k.gap), "reason": k.reason, "recorded_at": k.recorded_at}
                            for k in piece.acknowledged
                        ],
                    }
                )
                return EXIT_OK
            print(f"{piece.sku}  {piece.description}")
            if not piece.gaps:
                print("No open custody gaps.")
            for g in piece.gaps:
                print(f"\n[{g.rule} · {g.severity.label}] {g.component_label}: {g.title}")
                print(f"  {g.explanation}")
                print(f"  Basis: {g.basis}")
                for a in g.actions:
                    print(f"  → {a.label}")
            for k in piece.acknowledged:
                g = k.gap
                print(f"\n[{g.rule} · recorded as unknown] {g.component_label}: {g.title}")
                print(f"  Reason: {k.reason} ({k.recorded_at[:10]})")
            return EXIT_OK
        # The JSON report gives every gap in full; the summary needs only the kept checks.
        result = custody.gaps_for_shop_uncached(shop) if args.json else custody.gaps_for_shop(shop)
    if args.json:
        _emit(
            {
                "pieces_checked": result.pieces_checked,
                "pieces_with_gaps": len(result.pieces),
                "by_rule": dict(sorted(result.by_rule.items(), key=lambda kv: int(kv[0][1:]))),
                "by_severity": {k.lower(): v for k, v in result.by_severity.items()},
                "acknowledged": result.acknowledged,
                "pieces": [
                    {
                        "sku": p.sku,
                        "worst": p.worst.label.lower() if p.worst else None,
                        "gaps": [_gap_json(g) for g in p.gaps],
                    }
                    for p in result.pieces
                ],
            }
        )
        return EXIT_OK
    print(f"{len(result.pieces)} of {result.pieces_checked} pieces have open custody gaps.")
    for rule, n in sorted(result.by_rule.items(), key=lambda kv: int(kv[0][1:])):
        print(f"  {rule}: {n}")
    for p in result.pieces[:50]:
        worst = p.worst.label if p.worst else ""
        print(f"{p.sku:<12} {worst:<9} {len(p.gaps):>2} gap(s)  {p.gaps[0].title}")
    if len(result.pieces) > 50:
        print(f"... and {len(result.pieces) - 50} more (use --json for all)")
    return EXIT_OK


def _hop_json(h: object) -> dict[str, object]:
    from .services.custody import TimelineEntry

    assert isinstance(h, TimelineEntry)
    e = h.event
    return {
        "event_id": e.id,
        "hop": str(e.hop),
        "label": h.label,
        "event_type": str(e.info.event_type),
        "biz_step": e.info.biz_step,
        "disposition": e.info.disposition,
        "event_time": e.event_time + e.tz_offset,
        "party": h.party or None,
        "country": h.country or None,
        "confidence": str(e.confidence),
        "evidence": [{"file": d.original_name, "sha256": d.sha256} for d in h.evidence],
        "note": e.note or None,
        "corrects_event_id": e.corrects_event_id,
        "corrected_by": h.corrected_by,
        "withdrawn": h.retracted,
    }


def cmd_custody(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import custody

    with _open(paths, writes=False) as shop:
        chain = custody.piece_custody(shop, args.sku)
    if args.json:
        _emit(
            {
                "sku": chain.sku,
                "description": chain.description,
                "components": [
                    {
                        "kind": c.kind,
                        "id": c.id,
                        "label": c.label,
                        "hops": [_hop_json(h) for h in c.hops],
                        "documents": [
                            {"file": d.original_name, "type": str(d.doc_type), "sha256": d.sha256}
                            for d in c.documents
                        ],
                    }
                    for c in chain.components
                ],
            }
        )
        return EXIT_OK
    print(f"{chain.sku}  {chain.description}")
    for c in chain.components:
        print(f"\n{c.label}")
        if not c.hops:
            print("  (no custody events recorded)")
        for h in c.hops:
            mark = ""
            if h.corrected_by:
                mark = "  [corrected]"
            if h.event.corrects_event_id and not h.retracted:
                mark = "  [correction]"
            where = f", {h.country}" if h.country else ""
            who = f"  {h.party}" if h.party else ""
            print(f"  {h.day}  {h.label:<22}{who}{where}  ({h.confidence}){mark}")
            for d in h.evidence:
                print(f"              evidence: {d.original_name}")
        for d in c.documents:
            print(f"  paperwork: {d.original_name}")
    return EXIT_OK


def cmd_lists(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import custody

    with _open(paths, writes=args.lists_command == "import") as shop:
        if args.lists_command == "import":
            done = custody.import_list(shop, Path(args.file))
            print(f"Installed {done.info.name}, version {done.info.version} ({done.info.date}).")
            if done.parties_to_rescreen:
                print(
                    f"{done.parties_to_rescreen} parties were screened against an older list; "
                    "they show gap G13 until screened again."
                )
            return EXIT_OK
        lists = custody.installed_lists(shop)
    for info in (lists.sanctions, lists.cahra, lists.flags_info):
        print(f"{info.name}: version {info.version} ({info.date})")
    return EXIT_OK


def cmd_sell(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import sales

    with _open(paths) as shop:
        if args.return_reason is not None:
            for sku in args.skus:
                sales.return_sale(shop, sku, args.return_reason)
                print(f"{sku} is back in stock.")
            return EXIT_OK
        ident = shop.identity()
        currency = ident.currency if ident else "USD"
        prices = (
            {sku: units.money_to_minor(args.price, currency) for sku in args.skus}
            if args.price
            else None
        )
        tax = {sku: units.money_to_minor(args.tax, currency) for sku in args.skus}
        request = sales.SaleRequest(
            args.skus,
            prices,
            tax,
            payment_method=args.payment,
            customer_name=args.customer,
            invoice_no=args.invoice,
            day=args.date,
            despite_critical_gaps=args.despite_critical_gaps,
        )
        try:
            sale = sales.sell(shop, request)
        except CriticalGaps as exc:
            raise JewelerDeskError(
                f"{exc} To sell all the same, knowingly, add --despite-critical-gaps."
            ) from exc
    if args.json:
        _emit(
            {
                "invoice_no": sale.invoice_no,
                "sold_at": sale.sold_at,
                "currency": sale.currency,
                "total_minor": sale.total_minor,
                "lines": [asdict(li) for li in sale.lines],
                "event_id": sale.event_id,
            }
        )
    else:
        print(f"Sold {', '.join(args.skus)} on invoice {sale.invoice_no}.")
    return EXIT_OK


def _write_pdf(data: bytes, out: str | None, default: str) -> Path:
    from .store.files import write_atomic

    path = Path(out or default)
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise JewelerDeskError(
            f"The PDF could not be saved: {exc.strerror or exc}", where=str(path)
        ) from exc
    return path


def _cert_json(c: Any, path: Path | None) -> dict[str, Any]:
    return {
        "number": c.number,
        "version": c.version,
        "issued_at": c.issued_at,
        "status": c.status,
        "payload_sha256": c.payload_sha256,
        "pdf_sha256": c.pdf_sha256,
        "key_fingerprint": c.key_fingerprint,
        "file": str(path) if path else None,
    }


def cmd_certificate(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import certificates

    with _open(paths) as shop:
        path: Path | None = None
        if args.void:
            c = certificates.void(shop, args.void, args.reason, _approval(shop))
            if not args.json:
                print(f"{c.number} version {c.version} is void.")
        elif args.reprint:
            c = certificates.get_certificate(shop, args.reprint)
            path = _write_pdf(
                certificates.reprint(shop, args.reprint), args.out, f"{c.number}-v{c.version}.pdf"
            )
        elif args.reissue:
            issued = certificates.reissue(shop, args.reissue, args.reason, _approval(shop))
            c = issued.certificate
            path = _write_pdf(issued.pdf, args.out, f"{c.number}-v{c.version}.pdf")
        else:
            if not args.sku:
                raise JewelerDeskError("Name the piece: certificate SKU.")
            if args.preview:
                path = _write_pdf(
                    certificates.preview_certificate(shop, args.sku),
                    args.out,
                    f"{args.sku}-preview.pdf",
                )
                print(f"Preview saved to {path} (not issued, not signed).")
                return EXIT_OK
            issued = certificates.issue_certificate(shop, args.sku)
            c = issued.certificate
            path = _write_pdf(issued.pdf, args.out, f"{c.number}-v{c.version}.pdf")
    if args.json:
        _emit(_cert_json(c, path))
    elif path is not None:
        print(f"Certificate {c.number} version {c.version} saved to {path}.")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import certificates

    key = Path(args.public_key) if args.public_key else None
    shop = Shop.open(paths, sweep=False) if paths.database.exists() else None
    try:
        if args.qr:
            result = certificates.verify_qr(args.qr, key, shop)
        elif args.file:
            result = certificates.verify_file(Path(args.file), key, shop)
        else:
            raise JewelerDeskError("Name a certificate PDF, or give --qr TEXT.")
    finally:
        if shop is not None:
            shop.close()
    if args.json:
        _emit(
            {
                "status": result.status,
                "valid": result.ok,
                "number": result.number,
                "version": result.version,
                "sku": result.sku,
                "key_fingerprint": result.fingerprint,
                "problems": result.problems,
                "notes": result.notes,
            }
        )
    else:
        print(result.summary())
    return EXIT_OK if result.ok else EXIT_PROBLEM


def cmd_keys(args: argparse.Namespace, paths: DataPaths) -> int:
    import os

    from .services import certificates

    with _open(paths) as shop:
        if args.keys_command == "restore":
            passphrase = os.environ.get("JEWELERDESK_KEY_PASSPHRASE", "")
            if not passphrase:
                passphrase = _secret("JEWELERDESK_KEY_PASSPHRASE", "Key backup passphrase: ") or ""
            restored = certificates.restore_keys(
                shop, Path(args.folder), passphrase, _approval(shop)
            )
            print(f"Signing keys restored (fingerprint {restored.fingerprint}).")
            return EXIT_OK
        if args.keys_command == "new":
            made = certificates.new_keys(shop, _approval(shop))
            print(
                f"A new signing key is in place (fingerprint {made.fingerprint}). Back it up "
                "with 'jewelerdesk keys backup DIR', and give customers the new public key."
            )
            return EXIT_OK
        keys = certificates.shop_keys(shop)
        if args.keys_command == "export":
            keys.export_public(Path(args.file))
            print(f"Public key saved to {args.file} (fingerprint {keys.fingerprint}).")
            return EXIT_OK
        passphrase = os.environ.get("JEWELERDESK_KEY_PASSPHRASE", "")
        if len(passphrase) < 8:
            raise JewelerDeskError(
                "Set JEWELERDESK_KEY_PASSPHRASE to a passphrase of at least 8 characters; "
                "the private keys in the backup are encrypted with it."
            )
        written = keys.backup(Path(args.folder), passphrase)
        print(f"Saved {len(written)} key files to {args.folder}; keep the passphrase apart.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, paths: DataPaths) -> int:
    from datetime import date

    from .services import exports

    if args.export_command == "regulator":
        return _export_regulator(args, paths)
    today = date.today()
    start = args.start or f"{today.year}-01-01"
    end = args.end or today.isoformat()
    with _open(paths) as shop:
        result = exports.export_accountant(shop, Path(args.out), start, end, args.format)
    if args.json:
        _emit(
            {
                "files": [str(p) for p in result.files],
                "rows": result.rows,
                "from": start,
                "to": end,
            }
        )
    else:
        for p in result.files:
            print(p)
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in result.rows.items())
        print(f"Exported {start} to {end}: {counts} rows.")
    return EXIT_OK


def _export_regulator(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import regulator

    with _open(paths) as shop:
        result = regulator.export_regulator(shop, Path(args.out), args.start, args.end, args.skus)
    if args.json:
        _emit(
            {
                "file": str(result.path),
                "events": result.events,
                "hashed_now": result.hashed_now,
                "documents": result.documents,
                "files": result.files,
            }
        )
    else:
        print(
            f"Wrote {result.path}: {result.events} custody events, {result.documents} documents, "
            f"{len(result.files) + 1} files with their manifest."
        )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import stock_import

    with _open(paths) as shop:
        plan, result = stock_import.import_sheet(
            shop,
            Path(args.file),
            args.import_kind,
            args.supplier,
            dry_run=args.dry_run,
            received_on=args.received_on,
        )
    if args.json:
        _emit(
            {
                "ok": plan.ok,
                "ready": plan.ready_count,
                "imported": result.imported if result else 0,
                "skipped": [{"row": f.row, "key": f.key, "reason": f.reason} for f in plan.flagged],
                "notes": plan.notes,
                "errors": [
                    {"row": e.row, "column": e.column, "message": e.message} for e in plan.errors
                ],
                "ids": list(result.ids) if result else [],
            }
        )
    else:
        for note in plan.notes:
            print(f"Note: {note}", file=sys.stderr)
        for f in plan.flagged:
            print(f"Row {f.row}: skipped — {f.reason}")
        for e in plan.errors:
            print(str(e), file=sys.stderr)
        if result is not None:
            print(f"Imported {result.imported} {args.import_kind}; {result.skipped} skipped.")
        elif plan.ok:
            print(f"Checked: {plan.summary()} Nothing imported (--dry-run).")
        else:
            print(f"Nothing imported: {plan.summary()}", file=sys.stderr)
    return EXIT_OK if plan.ok else EXIT_USAGE


def cmd_backup(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import backup

    with _open(paths, writes=False) as shop:
        info = backup.back_up(shop, Path(args.to) if args.to else None)
    if args.json:
        _emit(
            {
                "folder": str(info.folder),
                "created_at": info.created_at,
                "counts": info.counts,
                "documents": info.documents,
                "unavailable_documents": list(info.unavailable),
            }
        )
    else:
        print(f"Backed up and verified: {info.folder} ({info.documents} documents).")
    if info.unavailable:
        print(f"Note: {info.unavailable_text()}", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, paths: DataPaths) -> int:
    from .instance import InstanceLock
    from .services import backup

    with InstanceLock(paths), _open(paths) as shop:
        try:
            info = backup.restore(
                shop,
                Path(args.backup),
                manager_pin=_approval(shop),
                allow_other_shop=args.other_shop,
            )
        except Conflict as exc:
            if "another shop" not in str(exc):
                raise
            raise JewelerDeskError(f"{exc} To restore it all the same, add --other-shop.") from exc
    print(
        f"Restored the backup of {info.created_at} ({info.counts.get('item', 0)} pieces, "
        f"{info.documents} documents). The records before it were backed up first."
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import integrity

    with _open(paths, writes=False) as shop:
        report = integrity.check_shop(shop, full=not args.quick)
    if args.json:
        _emit(
            {
                "ok": report.ok,
                "problems": report.problems,
                "notes": report.notes,
                "checked": report.checked,
            }
        )
    else:
        for p in report.problems:
            print(p)
        print(report.summary())
    return EXIT_OK if report.ok else 1


def _approval(shop: Shop) -> str | None:
    from .services import staff

    return _manager_pin() if staff.enabled(shop) else None


def _new_pin(name: str) -> str:
    import os

    value = os.environ.get("JEWELERDESK_NEW_PIN")
    if value:
        return value
    if not sys.stdin.isatty():
        raise JewelerDeskError(
            "Give the new PIN in $JEWELERDESK_NEW_PIN, or run this at a terminal."
        )
    import getpass

    first = getpass.getpass(f"New PIN for {name}: ")
    if getpass.getpass("The same PIN again: ") != first:
        raise JewelerDeskError("The two PINs are not the same. Nothing was changed.")
    return first


def cmd_staff(args: argparse.Namespace, paths: DataPaths) -> int:
    from .services import staff

    action = args.staff_command
    with _open(paths, writes=action != "list") as shop:
        if action == "list":
            people = staff.list_staff(shop, include_inactive=True)
            if args.json:
                _emit(
                    {
                        "staff": [
                            {"name": m.name, "role": m.role, "active": m.active} for m in people
                        ],
                        "idle_lock_minutes": staff.idle_lock_minutes(shop),
                    }
                )
            else:
                for m in people:
                    print(f"{m.name}\t{m.role}\t{'active' if m.active else 'has left'}")
                if not people:
                    print("No staff profiles: the records log names the owner.")
            return EXIT_OK
        first = not staff.enabled(shop)
        approval = None if (first and action == "add") else _approval(shop)
        if action == "add":
            staff.add_staff(shop, args.name, args.role, _new_pin(args.name), approval)
            print(f"Added {args.name} ({args.role}).")
        elif action == "pin":
            staff.change_pin(shop, args.name, _new_pin(args.name), approval)
            print(f"{args.name} has a new PIN.")
        elif action == "remove":
            staff.deactivate(shop, args.name, approval)
            print(f"{args.name} can no longer sign in; the records log keeps their name.")
        elif action == "idle-lock":
            staff.set_idle_lock_minutes(shop, args.minutes, approval)
            print(
                f"The app locks after {args.minutes} idle minutes."
                if args.minutes
                else "The app no longer locks by itself."
            )
    return EXIT_OK
