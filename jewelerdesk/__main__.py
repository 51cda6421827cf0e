"""The one composition root: arguments, data folder, logging, crash handling, then either a
command-line command or the Qt application."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import traceback
from collections.abc import Sequence

from . import COMMANDS
from .paths import DataPaths, resolve_data_dir

log = logging.getLogger("jewelerdesk")


def setup_logging(paths: DataPaths) -> None:
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            paths.log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def _split_global(argv: list[str]) -> tuple[str | None, list[str]]:
    """Find --data-dir before the subcommand without parsing the rest twice."""
    data_dir = None
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            data_dir = argv[i + 1]
            break
        if arg.startswith("--data-dir="):
            data_dir = arg.split("=", 1)[1]
            break
        if not arg.startswith("-"):
            break
    return data_dir, argv


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--inspect-worker"]:  # frozen bundles re-enter here for the document reader
        from .inspect_worker import main as worker_main

        return worker_main(args[1:])
    data_dir, args = _split_global(args)
    wants_gui = not any(a in COMMANDS for a in args if not a.startswith("-"))
    if any(a in ("-h", "--help", "--version") for a in args):
        wants_gui = False
    paths = resolve_data_dir(data_dir)
    setup_logging(paths)
    if wants_gui:
        from .ui.app import run_gui

        return run_gui(paths)
    from .cli import run

    try:
        return run(args, paths)
    except BrokenPipeError:  # output piped into `head` and the reader went away
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("jewelerdesk: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception:
        log.error("unexpected error in %s\n%s", args, traceback.format_exc())
        print(
            f"jewelerdesk: an unexpected problem stopped the command; nothing half-written was kept. "
            f"Details for support are in {paths.log_file}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
