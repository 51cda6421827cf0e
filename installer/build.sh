#!/usr/bin/env bash
# Build the one-folder bundle into dist/JewelerDesk and smoke-test the frozen program:
# --version, a demo shop, items --json, attaching a PDF (exercises the frozen document
# reader), a sale with its signed certificate verified, both exports, a stock-sheet check,
# and the main window staying up offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip install -q -e '.[build]'
started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build installer/jewelerdesk.spec
echo "built in $(( $(date +%s) - started )) s; size $(du -sh dist/JewelerDesk | cut -f1)"

APP=dist/JewelerDesk/JewelerDesk
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export QT_QPA_PLATFORM=offscreen
"$APP" --version
"$APP" --data-dir "$TMP/shop" demo --items 5
"$APP" --data-dir "$TMP/shop" items --json > "$TMP/items.json"
"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['count'] == 5, d" "$TMP/items.json"
"$PY" - "$TMP/memo.pdf" <<'PYEOF'
import sys
from reportlab.pdfgen import canvas
c = canvas.Canvas(sys.argv[1]); c.drawString(72, 720, "Frozen smoke test memo"); c.save()
PYEOF
"$APP" --data-dir "$TMP/shop" attach R-0001 "$TMP/memo.pdf" --type memo --json | grep -q '"pages": 1'
# sale, signed certificate (fonts, QR, pyHanko) and its verification
"$APP" --data-dir "$TMP/shop" sell R-0001 > /dev/null
"$APP" --data-dir "$TMP/shop" certificate R-0001 --out "$TMP/cert.pdf" > /dev/null
"$APP" --data-dir "$TMP/shop" verify "$TMP/cert.pdf"
# exports (openpyxl; the GS1 event-hash contexts bundled) and a stock sheet (defusedxml)
"$APP" --data-dir "$TMP/shop" export accountant --out "$TMP/books" --format xlsx > /dev/null
"$APP" --data-dir "$TMP/shop" export regulator --out "$TMP/pack.zip"
"$APP" --data-dir "$TMP/shop" import stones tests/data/stock_sheets/stones_semicolon_cp1252.csv --dry-run
set +e
timeout 8 "$APP" --data-dir "$TMP/shop"
code=$?
set -e
if [ "$code" -ne 124 ]; then echo "the main window exited early (status $code)"; exit 1; fi
echo "smoke test passed"
