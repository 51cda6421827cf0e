"""The architecture promises: Qt only in ui/, SQL only in store/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "jewelerdesk"


def test_services_and_cli_do_not_load_qt() -> None:
    code = (
        "import sys\n"
        "import jewelerdesk.services.inventory, jewelerdesk.services.paperwork, jewelerdesk.services.demo\n"
        "import jewelerdesk.cli, jewelerdesk.store.records, jewelerdesk.inspect_worker\n"
        "print('PySide6' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sql_only_in_store() -> None:
    pattern = re.compile(r"\b(SELECT\s|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "store" not in p.relative_to(PACKAGE).parts
        and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_qt_only_in_ui() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+PySide6", re.MULTILINE)
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "ui" not in p.relative_to(PACKAGE).parts
        and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
