"""Importing a supplier's stock sheet (CSV or XLSX) of loose stones or metal lots.

Three steps, so a preview dialog and the command line can share them: :func:`read_sheet`
turns a file into rows of text, :func:`plan_import` checks every row against the shop
without writing anything, and :func:`commit_import` writes the good rows all together or
not at all. A half-imported parcel would be worse than none: the clerk could not tell which
stones are on the books.

Supplier files arrive by e-mail from strangers, so reading is defensive: the type is taken
from the contents, not the name; size, rows and unpacked size are capped before the work
is done; XML is parsed only through defusedxml; formulas are refused rather than
evaluated or replaced by whatever value the sender's Excel cached last.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from ..domain import units
from ..domain.model import (
    ORIGIN_TYPE_LABELS,
    ClaimClass,
    Metal,
    MetalForm,
    MetalLot,
    OriginType,
    Stone,
    StoneType,
)
from ..domain.validation import (
    KNOWN_LABS,
    MAX_MASS_MG,
    is_currency,
    is_iso_date,
    validate_lot,
    validate_stone,
)
from ..errors import BadDocument, Conflict, JewelerDeskError, NotFound, ValidationError
from ..store import records
from . import inventory
from .paperwork import sniff_media_type
from .shop import Shop

log = logging.getLogger(__name__)

#: A supplier's sheet of a few thousand stones is well under 1 MB; 20 MB is generous.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Rows below the header. More is a whole inventory, not a delivery: split it.
MAX_ROWS = 50_000
MAX_COLUMNS = 200
#: What an XLSX may unpack to. Its sheet XML is typically 10-20 times the ZIP size; a
#: "zip bomb" is hundreds to thousands of times.
MAX_UNPACKED_BYTES = 150 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
#: Longest text kept from one cell (names, notes); longer is a pasted document.
MAX_TEXT_CHARS = 200

ProgressFn = Callable[[int, int], None]


class ImportKind(StrEnum):
    STONES = "stones"
    LOTS = "lots"


# ============================================================================ reading


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number the user sees in Excel or a text editor's table view
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    """A supplier sheet as text: every cell a stripped string, rows as wide as the header."""

    name: str  # the file's name, for messages
    file_type: str  # "csv" or "xlsx"
    header_row: int
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    encoding: str = ""  # CSV only
    delimiter: str = ""  # CSV only
    #: The file's own hint about decimal commas (a ``;``-separated CSV usually has them);
    #: None when the file says nothing. The numbers themselves decide first.
    decimal_comma: bool | None = None

    def column_label(self, index: int) -> str:
        """How a message names a column: its header, or its letter when the header is blank."""
        if 0 <= index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        return f"column {_column_letter(index)}"


def read_sheet(path: Path) -> Sheet:
    """Read the first sheet of a CSV or XLSX file; refuse anything that is not a plain
    table of values, with a message that says what is wrong and what to do."""
    name, where = path.name, str(path)
    if not path.exists():
        raise BadDocument(f"The file '{name}' does not exist.", where=where)
    if path.is_dir():
        raise BadDocument(f"'{name}' is a folder, not a file.", where=where)
    if not path.is_file():
        raise BadDocument(f"'{name}' is not an ordinary file.", where=where)
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)  # the file may grow after stat()
            size = len(data)
    except OSError as exc:
        raise BadDocument(
            f"The file '{name}' cannot be read: {exc.strerror or exc}", where=where
        ) from exc
    if size == 0:
        raise BadDocument(
            f"The file '{name}' is empty (0 bytes); it was probably not saved or copied completely.",
            where=where,
        )
    if size > MAX_FILE_BYTES:
        raise BadDocument(
            f"The file '{name}' is {_mb(size, 1)} MB; a stock sheet may be at most "
            f"{_mb(MAX_FILE_BYTES)} MB. Split it into smaller sheets.",
            where=where,
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _read_xlsx(data, name, where)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise BadDocument(
            f"'{name}' is an old-style Excel 97-2003 workbook or a password-protected one. "
            "Open it in Excel, remove any password and save it as .xlsx or CSV.",
            where=where,
        )
    media = sniff_media_type(data[:2048])
    if media is not None:
        what = {
            "application/pdf": "a PDF",
            "image/jpeg": "a JPEG image",
            "image/png": "a PNG image",
            "image/tiff": "a TIFF image",
        }[media]
        raise BadDocument(
            f"'{name}' is really {what}, not a spreadsheet. Ask the supplier for the sheet "
            "as CSV or Excel (.xlsx); a scan can be attached to the delivery instead.",
            where=where,
        )
    return _read_text(data, name, where)


def _mb(size: int, decimals: int = 0) -> str:
    return f"{size / (1024 * 1024):,.{decimals}f}"


def _column_letter(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ----------------------------------------------------------------------------- CSV


def _decode(data: bytes, name: str, where: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:8192]:
        raise BadDocument(
            f"'{name}' is not a text (CSV) file or an Excel workbook; it holds binary data. "
            "Ask the supplier for the sheet as CSV or .xlsx.",
            where=where,
        )
    else:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            pass
    raise BadDocument(
        f"The text in '{name}' is in an encoding JewelerDesk cannot read. Save it from Excel "
        "as 'CSV UTF-8' and import it again.",
        where=where,
    )


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most of the first lines into the same number (two or
    more) of columns: the header and the rows agree, while a title above the header, or a
    decimal comma in a ';' sheet, splits only some lines. Python's csv.Sniffer guesses wrong
    on short sheets with decimal commas."""
    best, best_score = ",", (0, 0)
    for delim in (",", ";", "\t"):
        try:
            parsed = [r for r in csv.reader(lines, delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        widths = Counter(len(r) for r in parsed if len(r) >= 2)
        if not widths:
            continue
        width, count = max(widths.items(), key=lambda wc: (wc[1], wc[0]))
        score = (count, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_text(data: bytes, name: str, where: str) -> Sheet:
    text, encoding = _decode(data, name, where)
    if "\x00" in text:
        raise BadDocument(
            f"'{name}' holds binary data, not text; it is not a CSV file.", where=where
        )
    head_lines: list[str] = []
    for line in io.StringIO(text, newline=""):
        if line.strip(" \t\r\n,;\"'"):  # a line of bare delimiters is blank too
            head_lines.append(line)
        if len(head_lines) >= 20:
            break
    if not head_lines:
        raise BadDocument(f"'{name}' has no rows at all.", where=where)
    hint = _SEP_HINT.fullmatch(head_lines[0].strip().strip('"'))
    delimiter = hint.group(1) if hint else _sniff_delimiter(head_lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect(enumerate(reader, 1), name, where, "csv", encoding, delimiter)
    except csv.Error as exc:
        raise BadDocument(
            f"'{name}' is not a well-formed CSV file near row {reader.line_num}: {exc}. "
            "Open it in Excel and save it as CSV again.",
            where=where,
        ) from exc


#: how far down a sheet its header row is looked for (below a title, a date, a blank line)
HEADER_SEARCH_ROWS = 10
_SEP_HINT = re.compile(r"(?i)sep=(.)")


def _header_score(cells: Sequence[str]) -> int:
    """How many cells of a row are headers a supplier commonly writes (for either kind)."""
    return max(len(propose_mapping(cells, kind)) for kind in ImportKind)


def _collect(
    rows: Iterator[tuple[int, Sequence[str]]],
    name: str,
    where: str,
    file_type: str,
    encoding: str = "",
    delimiter: str = "",
) -> Sheet:
    """The header is the first row, among the first :data:`HEADER_SEARCH_ROWS` non-empty
    ones, with at least two headers JewelerDesk knows and wider than every row above it (so
    a title row, a date or Excel's ``sep=;`` line above it is passed over); failing that,
    the first non-empty row. Blank
    rows are skipped; counting stops at the limit, so a sheet of a million rows is refused
    after reading fifty thousand, not all of it."""
    header: tuple[str, ...] | None = None
    header_row = 0
    body: list[tuple[int, tuple[str, ...]]] = []
    waiting: list[tuple[int, tuple[str, ...]]] = []  # rows read before the header is known

    def take(number: int, cells: tuple[str, ...]) -> None:
        if len(body) >= MAX_ROWS:
            raise BadDocument(
                f"'{name}' has more than {MAX_ROWS:,} rows; import at most {MAX_ROWS:,} at a "
                "time. Split the sheet into smaller ones.",
                where=where,
            )
        body.append((number, cells))

    def choose_header() -> None:
        nonlocal header, header_row
        rows_ = [r for r in waiting if not (len(r[1]) == 1 and _SEP_HINT.fullmatch(r[1][0]))]
        if not rows_:
            waiting.clear()
            return
        # a title, a date or a note above the header is narrower than it: a data row below a
        # header of unknown names (as wide as it) is never taken for the header
        at = next(
            (
                i
                for i, (_n, c) in enumerate(rows_)
                if all(len(above) < len(c) for _m, above in rows_[:i]) and _header_score(c) >= 2
            ),
            0,
        )
        header_row, header = rows_[at]
        for number, cells in rows_[at + 1 :]:
            take(number, cells)
        waiting.clear()

    for number, raw in rows:
        cells = [c.strip() for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise BadDocument(
                f"Row {number} of '{name}' has {len(cells)} columns; a stock sheet may have at "
                f"most {MAX_COLUMNS}. Is this the right sheet?",
                where=where,
            )
        if header is None:
            waiting.append((number, tuple(cells)))
            if len(waiting) >= HEADER_SEARCH_ROWS:
                choose_header()
            continue
        take(number, tuple(cells))
    if header is None:
        choose_header()
    if header is None:
        raise BadDocument(f"'{name}' has no rows at all.", where=where)
    if not body:
        raise BadDocument(
            f"'{name}' has a header row but no rows below it, so there is nothing to import.",
            where=where,
        )
    width = max(len(header), *(len(c) for _, c in body))
    pad = ("",) * width
    return Sheet(
        name=name,
        file_type=file_type,
        header_row=header_row,
        headers=(header + pad)[:width],
        rows=tuple(SheetRow(n, (c + pad)[:width]) for n, c in body),
        encoding=encoding,
        delimiter=delimiter,
        decimal_comma=True if delimiter == ";" else None,
    )


# ---------------------------------------------------------------------------- XLSX


def _check_zip(data: bytes, name: str, where: str) -> None:
    """Look inside the ZIP before any XML is parsed: the parts must be a workbook's, and the
    whole may not unpack to more than :data:`MAX_UNPACKED_BYTES`. (zipfile stops at each
    member's declared size and then fails its checksum, so the declared sizes are a bound.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise BadDocument(
                    f"'{name}' holds {len(infos):,} files inside; an Excel workbook has far "
                    "fewer. It is not a stock sheet JewelerDesk can read.",
                    where=where,
                )
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                if "mimetype" in names and zf.read("mimetype")[:64].startswith(
                    b"application/vnd.oasis.opendocument"
                ):
                    raise BadDocument(
                        f"'{name}' is an OpenDocument file (LibreOffice). Save it as .xlsx or "
                        "CSV and import it again.",
                        where=where,
                    )
                raise BadDocument(
                    f"'{name}' is a ZIP archive, not an Excel workbook. Unpack it and import "
                    "the sheet inside, or ask the supplier for CSV or .xlsx.",
                    where=where,
                )
            if "word/document.xml" in names or "ppt/presentation.xml" in names:
                raise BadDocument(
                    f"'{name}' is a Word or PowerPoint file, not a spreadsheet.", where=where
                )
            if any(i.flag_bits & 0x1 for i in infos):
                raise BadDocument(
                    f"'{name}' is encrypted. Remove the password in Excel and save it again.",
                    where=where,
                )
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_UNPACKED_BYTES:
                raise BadDocument(
                    f"'{name}' would unpack to {_mb(unpacked)} MB; JewelerDesk opens workbooks "
                    f"up to {_mb(MAX_UNPACKED_BYTES)} MB unpacked. A stock sheet is far "
                    "smaller, so the file is either damaged or built to exhaust the computer. "
                    "Nothing was imported.",
                    where=where,
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BadDocument(
            f"'{name}' looks like an Excel workbook but is damaged ({exc}). Open it in Excel "
            "and save it again, or ask the supplier for a new copy.",
            where=where,
        ) from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _read_xlsx(data: bytes, name: str, where: str) -> Sheet:
    """Parse the very bytes that were checked, so the file cannot change in between."""
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise JewelerDeskError(
            "This copy of JewelerDesk is missing its safe XML reader (defusedxml), so Excel "
            "files cannot be opened safely. Save the sheet as CSV, or reinstall JewelerDesk.",
            where=where,
        )
    _check_zip(data, name, where)
    formulas: list[str] = []  # the first few formula cells, for the message
    formula_count = 0
    try:
        # data_only=False on purpose: with data_only=True a formula cell reads as the value
        # the sender's Excel cached (or nothing), so it could not be refused.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
            try:
                sheets = list(wb.worksheets)
                if not sheets:
                    raise BadDocument(f"'{name}' has no worksheet to import.", where=where)
                visible = [ws for ws in sheets if getattr(ws, "sheet_state", "") == "visible"]
                ws = (visible or sheets)[0]
                ws.reset_dimensions()  # a wrong <dimension> would pad or cut rows

                def rows() -> Iterator[tuple[int, list[str]]]:
                    nonlocal formula_count
                    for number, row in enumerate(ws.iter_rows(min_row=1), 1):
                        cells: list[str] = []
                        for col, cell in enumerate(row):
                            if getattr(cell, "data_type", "n") == "f":
                                formula_count += 1
                                if len(formulas) < 5:
                                    formulas.append(f"{_column_letter(col)}{number}")
                                cells.append("")
                                continue
                            cells.append(_cell_text(cell.value))
                        yield number, cells

                sheet = _collect(rows(), name, where, "xlsx")
            finally:
                wb.close()
    except JewelerDeskError:
        raise
    except Exception as exc:  # any parser failure on a stranger's file is a bad file
        raise _xlsx_error(exc, name, where) from exc
    if formula_count:
        shown = ", ".join(formulas)
        more = f" and {formula_count - len(formulas)} more" if formula_count > len(formulas) else ""
        cells = "cell" if formula_count == 1 else "cells"
        raise BadDocument(
            f"'{name}' has formulas in {cells} {shown}{more}. JewelerDesk does not run formulas "
            "from supplier files. In Excel, select the sheet, copy it and use Paste Values, "
            "then save and import again. Nothing was imported.",
            where=where,
        )
    return sheet


def _xlsx_error(exc: Exception, name: str, where: str) -> BadDocument:
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:  # openpyxl wraps the parser's error
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    kinds = [type(e).__module__ + "." + type(e).__name__ for e in chain]
    if any(k.startswith("defusedxml.") for k in kinds):
        return BadDocument(
            f"'{name}' contains XML that Excel never writes (document type or entity "
            "declarations, as used to make a file expand until the computer runs out of "
            "memory or to read other files). It was refused and "
            "nothing was imported. Ask the supplier for a fresh copy.",
            where=where,
        )
    log.info("unreadable workbook %s: %s", where, " <- ".join(kinds))
    return BadDocument(
        f"'{name}' cannot be read as an Excel workbook; it may be damaged or a different kind "
        "of file. Open it in Excel and save it as .xlsx or CSV again.",
        where=where,
    )


# ============================================================================ mapping


@dataclass(frozen=True)
class FieldSpec:
    """One thing an import can fill in, as the mapping dialog offers it."""

    name: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()


def _syn(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|"))


# Synonyms are compared after _fold (case, accents and punctuation removed; '#' reads 'no').
# Earlier synonyms are more specific: they win when two columns could fill one field.
STONE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "stock_no",
        "Stock no.",
        True,
        _syn(
            "stock no | stock number | stock | stock id | item | item no | lot no | lot | sku"
            " | ref | reference | parcel | parcel no"
        ),
    ),
    FieldSpec(
        "weight",
        "Carat weight",
        True,
        _syn(
            "carat | carats | cts | ct | weight | carat weight | weight ct | weight cts"
            " | weight carats | ct wt | cts wt | total carat weight | tcw | wt"
        ),
    ),
    FieldSpec(
        "report_no",
        "Report no.",
        False,
        _syn(
            "cert no | certificate | certificate no | certificate number | report no"
            " | report number | report | cert | cert number | grading report | lab report no"
            " | lab report"
        ),
    ),
    FieldSpec("report_lab", "Lab", False, _syn("lab | grading lab | laboratory | cert lab")),
    FieldSpec("shape", "Shape", False, _syn("shape | cut | shape cut | shape and cut")),
    FieldSpec("colour", "Colour", False, _syn("color | colour | col")),
    FieldSpec("clarity", "Clarity", False, _syn("clarity | clar")),
    FieldSpec(
        "country_of_mining",
        "Country of mining",
        False,
        _syn(
            "origin | country of origin | mine country | country of mining | mining country"
            " | country | source country | origin country"
        ),
    ),
    FieldSpec(
        "country_of_cutting",
        "Country of cutting",
        False,
        _syn("country of cutting | cutting country | cut in | polished in | country of polishing"),
    ),
    FieldSpec("stone_type", "Stone type", False, _syn("stone type | type | stone | gem type")),
    FieldSpec("variety", "Variety", False, _syn("variety | species | gem | gemstone")),
    FieldSpec(
        "origin_type",
        "Natural / lab-grown",
        False,
        _syn(
            "natural lab | growth | natural or lab | natural lab grown | nat lab | lab grown"
            " | origin type | natural | natural or lab grown"
        ),
    ),
    FieldSpec(
        "cost",
        "Cost",
        False,
        _syn(
            "price | cost | total | amount | total price | total cost | value | total amount"
            " | price total"
        ),
    ),
    FieldSpec(
        "count",
        "Count",
        False,
        _syn("pcs | pieces | qty | quantity | count | no of stones | stones | no of pcs"),
    ),
)

LOT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "lot_no",
        "Lot no.",
        True,
        _syn("lot no | lot number | lot | stock no | stock number | item | sku | ref | reference"),
    ),
    FieldSpec("metal", "Metal", True, _syn("metal | material | alloy | metal type")),
    FieldSpec(
        "fineness",
        "Fineness",
        True,
        _syn(
            "fineness | purity | karat | kt | karatage | fine | fineness ppt"
            " | millesimal fineness | assay"
        ),
    ),
    FieldSpec(
        "mass",
        "Mass (g)",
        True,
        _syn(
            "weight g | grams | mass | gross wt | gross weight | weight | wt | mass g"
            " | gross wt g | gross weight g | weight grams | weight gr | gr | g"
        ),
    ),
    FieldSpec("refiner", "Refiner", False, _syn("refiner | smelter | refinery | refiner smelter")),
    FieldSpec(
        "refiner_cid",
        "Refiner CID",
        False,
        _syn("refiner cid | cid | smelter id | rmi cid | smelter cid | rmi id"),
    ),
    FieldSpec(
        "country_of_origin",
        "Country of origin",
        False,
        _syn("country of origin | origin | country | origin country | mine country"),
    ),
    FieldSpec(
        "claim_class",
        "Recycled / mined",
        False,
        _syn(
            "recycled mined | claim | claim class | source | recycled | recycled or mined"
            " | mined recycled | origin type"
        ),
    ),
    FieldSpec(
        "bar_batch_no",
        "Bar / batch no.",
        False,
        _syn("bar no | batch | batch no | bar batch | bar batch no | serial | serial no"),
    ),
    FieldSpec("form", "Form", False, _syn("form | product | shape")),
    FieldSpec("notes", "Notes", False, _syn("notes | note | remarks | comment | comments")),
)


def fields_for(kind: ImportKind | str) -> tuple[FieldSpec, ...]:
    """The fields the mapping dialog offers for this kind of sheet, in display order."""
    return STONE_FIELDS if ImportKind(kind) == ImportKind.STONES else LOT_FIELDS


def _fold(text: str) -> str:
    """Case, accents and punctuation removed: 'Cert. #' and 'cert no' compare equal."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[#№]|\bn[º°]", " no ", text)
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _header_keys(header: str) -> list[str]:
    key = _fold(header)
    keys = [key]
    words = key.split()
    # "Cost (USD)", "Price EUR": the currency says nothing about which field it is.
    if len(words) > 1 and len(words[-1]) == 3 and is_currency(words[-1]):
        keys.append(" ".join(words[:-1]))
    return keys


def propose_mapping(headers: Sequence[str], kind: ImportKind | str) -> dict[str, int]:
    """Field name -> column index for the headers a supplier commonly writes. Each column
    is used once; when several columns could fill a field, the most specific name wins."""
    candidates: list[tuple[int, int, str, int]] = []  # (rank, column, field, field order)
    for order, spec in enumerate(fields_for(kind)):
        synonyms = [_fold(s) for s in spec.synonyms]
        for col, header in enumerate(headers):
            for key in _header_keys(header):
                if key in synonyms:
                    candidates.append((synonyms.index(key), col, spec.name, order))
                    break
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _rank, col, name, _order in sorted(candidates, key=lambda c: (c[0], c[3], c[1])):
        if name not in mapping and col not in used:
            mapping[name] = col
            used.add(col)
    return mapping


# ============================================================================ planning


@dataclass(frozen=True)
class RowError:
    row: int  # sheet row number
    column: str  # the column's header (or the field's name when no column is matched)
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class FlaggedRow:
    """A row left out because its stone or lot is already recorded (or listed twice)."""

    row: int
    key: str  # the report number or lot number
    reason: str


@dataclass(frozen=True)
class ReadyStone:
    row: int
    stone: Stone


@dataclass(frozen=True)
class ReadyLot:
    row: int
    lot: MetalLot
    mass_mg: int


@dataclass
class ImportPlan:
    kind: ImportKind
    sheet_name: str
    mapping: dict[str, int]
    supplier_id: str | None
    stones: list[ReadyStone] = field(default_factory=list)
    lots: list[ReadyLot] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    flagged: list[FlaggedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth a look; they do not stop the import

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def ready_count(self) -> int:
        return len(self.stones) + len(self.lots)

    def errors_by_row(self) -> dict[int, list[RowError]]:
        out: dict[int, list[RowError]] = {}
        for e in self.errors:
            out.setdefault(e.row, []).append(e)
        return out

    def summary(self) -> str:
        what = "stone" if self.kind == ImportKind.STONES else "lot"
        n = self.ready_count
        parts = [f"{n} {what}{'' if n == 1 else 's'} ready"]
        if self.flagged:
            parts.append(f"{len(self.flagged)} already recorded (skipped)")
        if self.errors:
            parts.append(f"{len(self.errors)} problem{'' if len(self.errors) == 1 else 's'}")
        return ", ".join(parts) + "."


def received_day(text: str = "") -> str:
    """The day the sheet's goods came in: the one given (YYYY-MM-DD, not after today), or
    today. Every imported stone and lot carries it, so the purchase journal, the stock value
    at a date and the lots' origin table count them from that day."""
    today = date.today().isoformat()
    day = text.strip() or today
    if not is_iso_date(day):
        raise ValidationError(
            {"received_on": f"The day the goods came in must look like {today}, not '{day}'."}
        )
    if day > today:
        raise ValidationError({"received_on": "The day the goods came in cannot be after today."})
    return day


def plan_import(
    shop: Shop,
    sheet: Sheet,
    mapping: dict[str, int],
    kind: ImportKind | str,
    supplier_name: str | None = None,
    *,
    received_on: str = "",
    progress: ProgressFn | None = None,
) -> ImportPlan:
    """Check every row and say what an import would do, writing nothing. The plan lists
    the rows ready to import, the rows skipped as already recorded, and every problem by
    row and column so the user can fix the sheet (or the mapping) in one pass."""
    kind = ImportKind(kind)
    supplier_id: str | None = None
    if supplier_name and supplier_name.strip():
        party = inventory.find_party(shop, supplier_name)
        if party is None:
            raise NotFound(
                f"No supplier named '{supplier_name.strip()}' is recorded. Add them under "
                "Parties first, or import without naming a supplier."
            )
        supplier_id = party.id
    day = received_day(received_on)
    plan = ImportPlan(kind, sheet.name, dict(mapping), supplier_id)
    plan.errors.extend(_mapping_errors(sheet, mapping, kind))
    ident = shop.identity()
    plan.errors.extend(_currency_errors(sheet, mapping, ident.currency if ident else "USD"))
    if plan.errors:
        return plan
    plan.notes.extend(_twin_columns(sheet, mapping, kind))
    ctx = _RowContext(shop, sheet, mapping, kind, day)
    total = len(sheet.rows)
    for done, row in enumerate(sheet.rows, 1):
        if kind == ImportKind.STONES:
            ctx.plan_stone(plan, row)
        else:
            ctx.plan_lot(plan, row)
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
    return plan


def _mapping_errors(sheet: Sheet, mapping: dict[str, int], kind: ImportKind) -> list[RowError]:
    specs = {s.name: s for s in fields_for(kind)}
    row = sheet.header_row
    errors: list[RowError] = []
    by_column: dict[int, str] = {}
    for name, col in mapping.items():
        spec = specs.get(name)
        if spec is None:
            errors.append(RowError(row, name, f"'{name}' is not a field this import fills in."))
            continue
        if not 0 <= col < len(sheet.headers):
            errors.append(RowError(row, spec.label, "The matched column is not in the sheet."))
            continue
        if col in by_column:
            errors.append(
                RowError(
                    row,
                    sheet.column_label(col),
                    f"This column is matched to both {specs[by_column[col]].label} and "
                    f"{spec.label}; match it to one.",
                )
            )
            continue
        by_column[col] = name
    for spec in specs.values():
        if spec.required and spec.name not in mapping:
            if kind == ImportKind.LOTS and spec.name == "metal" and "fineness" in mapping:
                continue  # "18K" in the fineness column says gold
            errors.append(
                RowError(
                    row,
                    spec.label,
                    f"No column is matched to {spec.label}; choose the column that holds it.",
                )
            )
    return errors


_CURRENCY_WORD = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])|([$€£¥₹])")
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


def _currency_errors(sheet: Sheet, mapping: dict[str, int], shop_currency: str) -> list[RowError]:
    """A cost column headed in another currency ('Price EUR' in a USD shop): its amounts would
    be taken as the shop's own money. ('$' is left alone: several currencies write it.)"""
    col = mapping.get("cost")
    if col is None:
        return []
    header = sheet.headers[col]
    for code, symbol in _CURRENCY_WORD.findall(header):
        named = code or _SYMBOLS.get(symbol, "")
        if named and is_currency(named) and named != shop_currency.upper():
            return [
                RowError(
                    sheet.header_row,
                    header,
                    f"The costs in this column are in {named}, but the shop keeps its books in "
                    f"{shop_currency}. Convert them to {shop_currency} first, or leave the cost "
                    "column unmatched.",
                )
            ]
    return []


def _twin_columns(sheet: Sheet, mapping: dict[str, int], kind: ImportKind) -> list[str]:
    """A matched column whose header another, unmatched column repeats: say which one is
    read, so a second 'Carat' column is not left out unnoticed."""
    labels = {f.name: f.label for f in fields_for(kind)}
    used = set(mapping.values())
    notes = []
    for name, col in mapping.items():
        key = _fold(sheet.headers[col])
        twins = [
            i for i, h in enumerate(sheet.headers) if i != col and i not in used and _fold(h) == key
        ]
        for other in twins:
            notes.append(
                f"Two columns are headed '{sheet.headers[col]}' (columns {_column_letter(col)} "
                f"and {_column_letter(other)}): column {_column_letter(col)} is read as "
                f"{labels.get(name, name)} and column {_column_letter(other)} is left out. "
                "Check it is the right one."
            )
    return notes


class _RowContext:
    """What every row needs: the sheet, the mapping, the shop's currency and what the sheet
    has shown so far (report numbers, stock numbers) to catch a row listed twice."""

    def __init__(
        self, shop: Shop, sheet: Sheet, mapping: dict[str, int], kind: ImportKind, day: str
    ):
        self.shop = shop
        self.sheet = sheet
        self.mapping = mapping
        self.day = day
        identity = shop.identity()
        self.currency = identity.currency if identity else "USD"
        numeric = ("weight", "cost", "count") if kind == ImportKind.STONES else ("mass",)
        self.decimal_comma = _guess_decimal_comma(
            sheet, [mapping[f] for f in numeric if f in mapping]
        )
        self.labels = {s.name: s.label for s in fields_for(kind)}
        self.seen_keys: dict[str, int] = {}
        self.seen_numbers: dict[str, int] = {}
        self.refiners: dict[str, str | None] = {}
        # what the shop holds already, read once for the whole sheet (not a query a row)
        self.reports: dict[str, tuple[str | None, str]] = {}
        self.taken: set[str] = set()
        if kind == ImportKind.STONES:
            self.reports = records.report_holders(
                shop.db, [_clean_report_no(self.get(r, "report_no")) for r in sheet.rows]
            )
            self.taken = records.taken_stock_nos(
                shop.db, [self.get(r, "stock_no") for r in sheet.rows]
            )

    def stock_no_taken(self, stock_no: str) -> bool:
        return stock_no.strip().casefold() in self.taken

    def recorded_report(self, report_no: str) -> str | None:
        found = self.reports.get(report_no)
        if found is None:
            return None
        item_id, stock_no = found
        if item_id is None:
            return f"loose stone {stock_no}" if stock_no else "a loose stone"
        return "a stone set in a piece"

    def get(self, row: SheetRow, name: str) -> str:
        col = self.mapping.get(name)
        return row.cells[col] if col is not None else ""

    def column(self, name: str) -> str:
        col = self.mapping.get(name)
        return self.sheet.column_label(col) if col is not None else self.labels.get(name, name)

    # ------------------------------------------------------------------ stones

    def plan_stone(self, plan: ImportPlan, row: SheetRow) -> None:
        report_no = _clean_report_no(self.get(row, "report_no"))
        if report_no and self._flag(plan, row, report_no, self.recorded_report(report_no)):
            return
        if not report_no:
            # Without a report number the stock number is the stone's name: a sheet imported
            # again skips the stones it brought in the first time.
            known = self.get(row, "stock_no")
            if known and self.stock_no_taken(known):
                plan.flagged.append(
                    FlaggedRow(
                        row.number,
                        known,
                        f"Stock number {known} is already recorded as a loose stone; "
                        "the row is skipped.",
                    )
                )
                return
        errs: dict[str, str] = {}

        def take(name: str, parse: Callable[[str], Any], default: Any) -> Any:
            raw = self.get(row, name)
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError as exc:
                errs[name] = str(exc)
                return default

        stock_no = self.get(row, "stock_no")
        if len(stock_no) > 40:
            errs["stock_no"] = "A stock number may be at most 40 characters."
        weight_raw = self.get(row, "weight")
        weight = 0
        if not weight_raw:
            errs["weight"] = "The carat weight is empty."
        else:
            weight = take("weight", self._carats, 0)
        count = take("count", lambda t: _parse_count(t, self.decimal_comma), 1)
        cost = take("cost", self._money, 0)
        lab = _clean_lab(self.get(row, "report_lab"))
        mining = take("country_of_mining", _parse_country, "")
        cutting = take("country_of_cutting", _parse_country, "")
        stone_type, variety, implied = _parse_stone_type(self.get(row, "stone_type"))
        if self.get(row, "variety"):
            variety = self.get(row, "variety")
        if stone_type is None:
            stone_type = (
                StoneType.COLOURED_GEM
                if variety and _fold(variety) != "diamond"
                else StoneType.DIAMOND
            )
        origin, growth = take("origin_type", _parse_origin_type, (None, ""))
        if origin is not None and implied is not None and origin != implied:
            errs["origin_type"] = (
                f"This says {ORIGIN_TYPE_LABELS[origin].lower()}, but the stone type "
                f"'{self.get(row, 'stone_type')}' says {ORIGIN_TYPE_LABELS[implied].lower()}."
            )
        origin = origin or implied or _default_origin(stone_type, report_no, lab)
        for name in ("shape", "colour", "clarity", "variety"):
            if len(self.get(row, name)) > MAX_TEXT_CHARS:
                errs[name] = f"This text is longer than {MAX_TEXT_CHARS} characters."
        stone = Stone(
            stone_type,
            origin,
            weight,
            stock_no=stock_no,
            count=count,
            weight_is_total=count > 1,  # a parcel line gives the parcel's total weight
            variety=variety[:MAX_TEXT_CHARS],
            shape=_clean_shape(self.get(row, "shape"))[:MAX_TEXT_CHARS],
            colour=_clean_colour(self.get(row, "colour"))[:MAX_TEXT_CHARS],
            clarity=_clean_clarity(self.get(row, "clarity"))[:MAX_TEXT_CHARS],
            growth_method=growth,
            country_of_mining=mining,
            country_of_cutting=cutting,
            report_lab=lab,
            report_no=report_no,
            supplier_id=plan.supplier_id,
            acquired_on=self.day,
            cost_minor=cost,
        )
        field_of = {
            "weight_mct": "weight",
            "cost_minor": "cost",
            "variety": "variety" if "variety" in self.mapping else "stone_type",
            "acquired_on": "received_on",
        }
        for key, message in validate_stone(stone).items():
            errs.setdefault(field_of.get(key, key), message)
        if stock_no and "stock_no" not in errs:
            problem = self._number_clash(
                row,
                stock_no,
                self.stock_no_taken(stock_no),
                "stone",
                "stock number",
            )
            if problem:
                errs["stock_no"] = problem
        if errs:
            self._errors(plan, row, errs)
        else:
            plan.stones.append(ReadyStone(row.number, stone))

    def _carats(self, text: str) -> int:
        value = _parse_decimal(text, decimal_comma=self.decimal_comma, grouped=False)
        try:
            return units.carats_to_mct(value)
        except ValueError:
            raise ValueError(
                f"'{text}' is more precise than a thousandth of a carat; round it to three "
                "decimals."
            ) from None

    def _money(self, text: str) -> int:
        value = _parse_decimal(_strip_currency(text), decimal_comma=self.decimal_comma)
        try:
            return units.money_to_minor(value, self.currency)
        except ValueError:
            raise ValueError(
                f"'{text}' has more decimals than {self.currency} amounts have."
            ) from None

    # ------------------------------------------------------------------ lots

    def plan_lot(self, plan: ImportPlan, row: SheetRow) -> None:
        lot_no = self.get(row, "lot_no")
        if lot_no and self._flag(plan, row, lot_no.upper(), _recorded_lot(self.shop, lot_no)):
            return
        errs: dict[str, str] = {}
        if len(lot_no) > 40:
            errs["lot_no"] = "A lot number may be at most 40 characters."
        metal_raw = self.get(row, "metal")
        metal: Metal | None = None
        hint: int | None = None
        if metal_raw:
            try:
                metal, hint = _parse_metal(metal_raw)
            except ValueError as exc:
                errs["metal"] = str(exc)
        fineness = 0
        fine_raw = self.get(row, "fineness")
        if fine_raw:
            try:
                fineness, karat = _parse_fineness(fine_raw, metal)
                if metal is None and karat and "metal" not in errs:
                    metal = Metal.GOLD
            except ValueError as exc:
                errs["fineness"] = str(exc)
        elif hint:
            fineness = hint
        elif "fineness" not in errs:
            errs["fineness"] = "The fineness is empty (for example 750 or 18K)."
        if metal is None and "metal" not in errs:
            errs["metal"] = "Say which metal this is (gold, silver, platinum, palladium, rhodium)."
        mass = 0
        mass_raw = self.get(row, "mass")
        if not mass_raw:
            errs["mass"] = "The mass in grams is empty."
        else:
            try:
                mass = self._grams(mass_raw)
            except ValueError as exc:
                errs["mass"] = str(exc)
            else:
                if mass <= 0:
                    errs["mass"] = "The mass received must be greater than zero."
                elif mass > MAX_MASS_MG:
                    errs["mass"] = "The mass is over a tonne; check the decimal point."
        claim = ClaimClass.UNSPECIFIED
        notes = self.get(row, "notes")
        claim_raw = self.get(row, "claim_class")
        if claim_raw:
            try:
                claim, said = _parse_claim(claim_raw)
            except ValueError as exc:
                errs["claim_class"] = str(exc)
            else:
                if said:
                    notes = "; ".join(x for x in (notes, f"Supplier sheet says: {said}") if x)
        form = MetalForm.CASTING_GRAIN
        if self.get(row, "form"):
            try:
                form = _parse_form(self.get(row, "form"))
            except ValueError as exc:
                errs["form"] = str(exc)
        cid = self.get(row, "refiner_cid").upper().replace(" ", "")
        refiner_id: str | None = None
        refiner = self.get(row, "refiner")
        if re.fullmatch(r"CID\s*\d{6}", refiner.upper()) and not cid:
            cid, refiner = refiner.upper().replace(" ", ""), ""
        if refiner:
            refiner_id = self._refiner(refiner)
            if refiner_id is None:
                errs["refiner"] = (
                    f"No refiner named '{refiner}' is recorded. Add the refiner under Parties "
                    "first, or leave this cell empty and give the refiner's CID."
                )
        country = ""
        if self.get(row, "country_of_origin"):
            try:
                country = _parse_country(self.get(row, "country_of_origin"))
            except ValueError as exc:
                errs["country_of_origin"] = str(exc)
        for name in ("notes", "bar_batch_no"):
            if len(self.get(row, name)) > MAX_TEXT_CHARS:
                errs[name] = f"This text is longer than {MAX_TEXT_CHARS} characters."
        lot = MetalLot(
            lot_no,
            metal or Metal.GOLD,
            fineness,
            claim,
            form=form,
            refiner_id=refiner_id,
            refiner_cid=cid,
            bar_batch_no=self.get(row, "bar_batch_no")[:MAX_TEXT_CHARS],
            country_of_origin=country,
            supplier_id=plan.supplier_id,
            received_on=self.day,
            notes=notes[:MAX_TEXT_CHARS],
        )
        field_of = {
            "fineness_ppt": "fineness",
            "refiner_id": "refiner" if "refiner" in self.mapping else "refiner_cid",
            "received_on": "received_on",
        }
        for key, message in validate_lot(lot).items():
            errs.setdefault(field_of.get(key, key), message)
        if errs:
            self._errors(plan, row, errs)
        else:
            plan.lots.append(ReadyLot(row.number, lot, mass))

    def _grams(self, text: str) -> int:
        cleaned = re.sub(r"(?i)\s*(g|gr|grams?)$", "", text.strip())
        value = _parse_decimal(cleaned, decimal_comma=self.decimal_comma)
        try:
            return units.grams_to_mg(value)
        except ValueError:
            raise ValueError(
                f"'{text}' is more precise than a milligram; round it to three decimals."
            ) from None

    def _refiner(self, name: str) -> str | None:
        key = name.casefold()
        if key not in self.refiners:
            party = inventory.find_party(self.shop, name)
            self.refiners[key] = party.id if party else None
        return self.refiners[key]

    # ------------------------------------------------------------------ shared

    def _flag(self, plan: ImportPlan, row: SheetRow, key: str, recorded: str | None) -> bool:
        """Skip a row whose stone or lot is already on the books, or listed higher up."""
        what = "Report" if plan.kind == ImportKind.STONES else "Lot"
        first = self.seen_keys.get(key.upper())
        if recorded is not None:
            reason = f"{what} {key} is already recorded ({recorded}); the row is skipped."
        elif first is not None:
            reason = f"{what} {key} is also on row {first}; only row {first} is imported."
        else:
            self.seen_keys[key.upper()] = row.number
            return False
        plan.flagged.append(FlaggedRow(row.number, key, reason))
        return True

    def _number_clash(
        self, row: SheetRow, number: str, taken: bool, what: str, label: str
    ) -> str | None:
        if taken:
            return f"Another {what} already has the {label} '{number}'."
        first = self.seen_numbers.get(number.casefold())
        if first is not None:
            return f"The {label} '{number}' is also used on row {first}."
        self.seen_numbers[number.casefold()] = row.number
        return None

    def _errors(self, plan: ImportPlan, row: SheetRow, errs: dict[str, str]) -> None:
        for name, message in errs.items():
            column = "Received on" if name == "received_on" else self.column(name)
            plan.errors.append(RowError(row.number, column, message))


def _recorded_lot(shop: Shop, lot_no: str) -> str | None:
    return "a metal lot" if records.lot_no_taken(shop.db, lot_no) else None


# ============================================================================ values

_DIGITS = re.compile(r"[0-9]+")
_NUMBERISH = re.compile(r"[+-]?[0-9.,]+")


def _squeeze(text: str) -> str:
    for ch in (" ", "\u00a0", "\u202f", "\u2009", "'", "\u2019"):
        text = text.replace(ch, "")
    return text


def _strip_currency(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^[$€£¥₹]|[$€£¥₹]$", "", text).strip()
    m = re.fullmatch(r"([A-Za-z]{3})\s*(.+)|(.+?)\s*([A-Za-z]{3})", text)
    if m:
        code, rest = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if is_currency(code):
            return rest
    return text


def _parse_decimal(text: str, *, decimal_comma: bool, grouped: bool = True) -> Decimal:
    """A number as suppliers write it: '1,02', '1.02', '1,020.50', '1.020,50', '1 020,5'.

    A lone separator before exactly three digits ('1,020') is a thousands separator only
    when ``grouped`` (money, grams) and the sheet writes decimal points the other way;
    a carat weight is never in the thousands, so there it is always the decimal mark.
    Anything else - '=1+1', '1e3', '@x', '1.2.3' - is refused, never evaluated."""
    s = _squeeze(text.strip())
    if not _NUMBERISH.fullmatch(s) or not re.search(r"[0-9]", s):
        raise ValueError(f"'{text}' is not a number.")
    sign = ""
    if s[0] in "+-":
        sign, s = s[0], s[1:]
    dec: str | None
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        head, *tail = s.split(sep)
        if len(tail) > 1:
            dec = None  # '1.234.567': grouping only
        elif len(tail[0]) == 3 and grouped and head and not head.startswith("0"):
            dec = sep if (sep == ",") == decimal_comma else None
        else:
            dec = sep
    else:
        dec = None
    if dec is None:
        int_part, frac = s, ""
        group = "," if "," in s else "."
    else:
        int_part, _, frac = s.rpartition(dec)
        group = "." if dec == "," else ","
    if (dec and dec in int_part) or group in frac:
        raise ValueError(f"'{text}' is not a number.")
    if group in int_part:
        if not re.fullmatch(rf"[0-9]{{1,3}}(\{group}[0-9]{{3}})+", int_part):
            raise ValueError(f"'{text}' is not a number (the thousands separators are misplaced).")
        int_part = int_part.replace(group, "")
    int_part = int_part or "0"
    if not _DIGITS.fullmatch(int_part) or (frac and not _DIGITS.fullmatch(frac)):
        raise ValueError(f"'{text}' is not a number.")
    return Decimal(f"{sign}{int_part}.{frac}" if frac else f"{sign}{int_part}")


def _guess_decimal_comma(sheet: Sheet, columns: list[int]) -> bool:
    """Which way this sheet writes decimals, from the numbers that can only be read one
    way ('1,02', '1.020,50', '0.5'); the file's own hint breaks a tie."""
    comma = dot = 0
    for row in sheet.rows:
        for col in columns:
            s = _squeeze(_strip_currency(row.cells[col]))
            if not s or not _NUMBERISH.fullmatch(s):
                continue
            if "," in s and "." in s:
                if s.rfind(",") > s.rfind("."):
                    comma += 1
                else:
                    dot += 1
                continue
            for sep in (",", "."):
                parts = s.split(sep)
                if len(parts) == 2 and len(parts[1]) != 3:
                    comma, dot = (comma + 1, dot) if sep == "," else (comma, dot + 1)
                elif len(parts) > 2:  # a grouping mark, so decimals are the other one
                    comma, dot = (comma, dot + 1) if sep == "," else (comma + 1, dot)
    if comma != dot:
        return comma > dot
    return bool(sheet.decimal_comma)


def _parse_count(text: str, decimal_comma: bool = False) -> int:
    """A number of stones, read in the sheet's own number style: '1.000' is a thousand in a
    sheet that writes '12,50' carats, and '1,000' a thousand in one that writes '12.50'."""
    cleaned = re.sub(r"(?i)\s*(pcs?|pieces?|stones?)\.?$", "", text.strip())
    try:
        value = _parse_decimal(cleaned, decimal_comma=decimal_comma, grouped=True)
    except ValueError:
        raise ValueError(f"'{text}' is not a number of stones.") from None
    if value != value.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number of stones.")
    if value < 1:
        raise ValueError("The count must be at least 1.")
    if value > 1_000_000:
        raise ValueError(f"'{text}' stones in one row is more than JewelerDesk accepts.")
    return int(value)


_UNKNOWN = {"unknown", "n a", "not known", "unk", "", "none"}

_COUNTRY_ALIASES = {
    "russia": "RU",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "usa": "US",
    "u s a": "US",
    "united states": "US",
    "america": "US",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "ivory coast": "CI",
    "burma": "MM",
    "vietnam": "VN",
    "laos": "LA",
    "iran": "IR",
    "syria": "SY",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "czech republic": "CZ",
    "holland": "NL",
    "turkey": "TR",
    "macedonia": "MK",
    "swaziland": "SZ",
    "brunei": "BN",
    "cape verde": "CV",
    "drc": "CD",
    "dr congo": "CD",
    "d r congo": "CD",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "congo kinshasa": "CD",
    "congo drc": "CD",
    "congo brazzaville": "CG",
    "republic of the congo": "CG",
    "uae": "AE",
    "emirates": "AE",
    "hong kong": "HK",
    "taiwan": "TW",
}


@cache
def _country_index() -> dict[str, str]:
    import pycountry

    index: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_3", "name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                index.setdefault(_fold(value), c.alpha_2)
        index[_fold(c.alpha_2)] = c.alpha_2
    index.update(_COUNTRY_ALIASES)
    return index


def _parse_country(text: str) -> str:
    key = _fold(text)
    if key in _UNKNOWN or text.strip() in {"-", "--", "?"}:
        return ""
    code = _country_index().get(key)
    if code is None:
        raise ValueError(
            f"'{text}' is not a country JewelerDesk knows. Write the country's name or its "
            "two-letter code (for example Botswana or BW)."
        )
    return code


def _clean_report_no(text: str) -> str:
    return text.strip().upper().replace(" ", "")


_LABS = {_fold(lab): lab for lab in KNOWN_LABS if lab != "Other"}
_LABS.update({"gubelin": "Gübelin", "guebelin": "Gübelin", "gia usa": "GIA", "igi usa": "IGI"})


def _clean_lab(text: str) -> str:
    text = text.strip()
    return _LABS.get(_fold(text), text)[:MAX_TEXT_CHARS]


_SHAPES = {
    "Round brilliant": ("rd", "rb", "rbc", "br", "round", "round brilliant", "brilliant", "rnd"),
    "Oval": ("ov", "oval"),
    "Pear": ("ps", "pe", "pear", "pear shape"),
    "Emerald": ("em", "emerald", "emerald cut"),
    "Princess": ("pr", "prn", "princess"),
    "Cushion": ("cu", "cus", "cush", "cushion", "cushion brilliant", "cb"),
    "Marquise": ("mq", "mar", "marquise"),
    "Heart": ("hs", "ht", "heart", "hrt"),
    "Asscher": ("as", "asscher", "sq em", "square emerald"),
    "Radiant": ("ra", "rad", "radiant"),
    "Baguette": ("bg", "bag", "baguette"),
    "Trillion": ("tr", "tri", "trillion", "trilliant"),
}
_SHAPE_INDEX = {key: canon for canon, keys in _SHAPES.items() for key in keys}


def _clean_shape(text: str) -> str:
    return _SHAPE_INDEX.get(_fold(text), text.strip())


_CLARITY = {"FL", "IF", "VVS1", "VVS2", "VS1", "VS2", "SI1", "SI2", "SI3", "I1", "I2", "I3"}


def _clean_clarity(text: str) -> str:
    up = text.strip().upper().replace(" ", "")
    return up if up in _CLARITY else text.strip()


def _clean_colour(text: str) -> str:
    t = text.strip()
    return t.upper() if len(t) == 1 and t.upper() in "DEFGHIJKLMNOPQRSTUVWXYZ" else t


_GEMS = frozenset(
    _syn(
        "sapphire | ruby | emerald | tanzanite | spinel | tourmaline | garnet"
        " | aquamarine | morganite | topaz | amethyst | citrine | peridot | opal"
        " | alexandrite | tsavorite | jade | jadeite | turquoise | zircon | iolite"
        " | kunzite | chrysoberyl | beryl | quartz | moonstone | lapis lazuli"
        " | paraiba tourmaline | padparadscha | demantoid | rhodolite | spessartite"
        " | coloured gem | colored gem | coloured gemstone | colored gemstone | gemstone"
        " | gem | coloured stone | colored stone"
    )
)


_LAB_GROWN = frozenset(
    _syn(
        "lab | lab grown | labgrown | laboratory grown | lab created | laboratory created"
        " | lgd | lg | cvd | hpht | synthetic | created | man made | lab grown diamond"
        " | cultivated"
    )
)
_NATURAL = {"natural", "nat", "n", "mined", "earth mined", "natural diamond", "earth grown"}
_IMITATION = {"imitation", "simulant", "simulated", "cz", "cubic zirconia", "glass", "faux"}
_ORIGIN_WORDS = {"natural", "lab", "grown", "laboratory", "created", "synthetic", "mined"}


def _parse_stone_type(text: str) -> tuple[StoneType | None, str, OriginType | None]:
    """Type, variety and the origin type the words imply: 'Sapphire' is a coloured gem of
    variety Sapphire; 'Lab-grown diamond' is a diamond that must not default to natural."""
    key = _fold(text)
    if not key:
        return None, "", None
    words = set(key.split())
    implied: OriginType | None = None
    if key in _LAB_GROWN or words & _LAB_GROWN or "lab grown" in key or "moissanite" in words:
        implied = OriginType.LAB_GROWN
    elif key in _IMITATION or words & _IMITATION:
        implied = OriginType.IMITATION
    elif "natural" in words or "mined" in words:
        implied = OriginType.NATURAL
    if "pearl" in words or "pearls" in words:
        if "cultured" in words:
            implied = OriginType.CULTURED_PEARL
        elif "natural" in words:
            implied = OriginType.NATURAL_PEARL
        return StoneType.PEARL, "", implied
    if "diamond" in words or "diamonds" in words or key in {"d", "dia", "diam"}:
        return StoneType.DIAMOND, "", implied
    core = " ".join(w for w in key.split() if w not in _ORIGIN_WORDS)
    if core in _GEMS:
        if core.startswith(("colo", "gem")):
            return StoneType.COLOURED_GEM, "", implied
        return StoneType.COLOURED_GEM, text.strip() if core == key else core.title(), implied
    if key == "other":
        return StoneType.OTHER, "", implied
    return StoneType.OTHER, text.strip()[:MAX_TEXT_CHARS], implied


def _parse_origin_type(text: str) -> tuple[OriginType, str]:
    """Origin type and, for lab-grown, the growth method when the sheet names it."""
    key = _fold(text)
    if key in _LAB_GROWN:
        return OriginType.LAB_GROWN, key.upper() if key in {"cvd", "hpht"} else ""
    if key in _NATURAL:
        return OriginType.NATURAL, ""
    if key in _IMITATION:
        return OriginType.IMITATION, ""
    if "pearl" in key or key == "cultured":
        if "cultured" in key:
            return OriginType.CULTURED_PEARL, ""
        if "natural" in key:
            return OriginType.NATURAL_PEARL, ""
    raise ValueError(
        f"'{text}' does not say natural or laboratory-grown. Write Natural, Lab-grown (LGD, "
        "CVD, HPHT), Imitation, Cultured pearl or Natural pearl."
    )


def _default_origin(stone_type: StoneType, report_no: str, lab: str) -> OriginType:
    """What a sheet that does not say means: an IGI number with 'LG' is lab-grown by IGI's
    own convention; a pearl is taken as cultured (nearly all are); anything else natural."""
    if lab.upper() == "IGI" and report_no.startswith("LG"):
        return OriginType.LAB_GROWN
    if stone_type == StoneType.PEARL:
        return OriginType.CULTURED_PEARL
    return OriginType.NATURAL


_METALS = {
    Metal.GOLD: ("gold", "au", "yg", "wg", "rg", "yellow gold", "white gold", "rose gold"),
    Metal.SILVER: ("silver", "ag", "sterling", "sterling silver", "fine silver"),
    Metal.PLATINUM: ("platinum", "pt", "plat"),
    Metal.PALLADIUM: ("palladium", "pd"),
    Metal.RHODIUM: ("rhodium", "rh"),
}
_METAL_WORDS = {w: m for m, words in _METALS.items() for w in words}


def _parse_metal(text: str) -> tuple[Metal, int | None]:
    """The metal, and a fineness if the text carries one ('18K gold', 'Pt950', 'sterling')."""
    key = _fold(text)
    words = re.sub(r"([a-z])([0-9])|([0-9])([a-z])", r"\1\3 \2\4", key).split()
    metal: Metal | None = _METAL_WORDS.get(key)
    for w in words:
        metal = metal or _METAL_WORDS.get(w)
    if metal is None:
        raise ValueError(
            f"'{text}' is not a metal JewelerDesk keeps lots of (gold, silver, platinum, "
            "palladium, rhodium)."
        )
    hint: int | None = None
    if "sterling" in words:
        hint = 925
    number = re.search(r"([0-9]+)\s*(k|kt|ct|karat)?\b", key)
    if number:
        try:
            hint, _ = _parse_fineness(number.group(0), metal)
        except ValueError:
            pass
    return metal, hint


_KARATS = {
    24: 999,
    23: 958,
    22: 916,
    21: 875,
    20: 833,
    19: 792,
    18: 750,
    16: 666,
    15: 625,
    14: 585,
    12: 500,
    10: 417,
    9: 375,
    8: 333,
}


def _parse_fineness(text: str, metal: Metal | None) -> tuple[int, bool]:
    """Parts per thousand and whether it was given in karats: '18K' -> 750, '0.925' -> 925,
    '99.9%' -> 999. Fine metal is never overstated: '999.9' is kept as 999."""
    raw = text.strip()
    key = _fold(raw)
    if key == "sterling":
        return 925, False
    if key in {"fine", "fine silver", "fine gold"}:
        return 999, False
    karat = re.fullmatch(r"([0-9]+)\s*(k|kt|ct|karat|karats|carat)", key)
    number = karat.group(1) if karat else raw.rstrip("%").strip()
    try:
        value = _parse_decimal(number, decimal_comma="," in number, grouped=False)
    except ValueError:
        raise ValueError(f"'{text}' is not a fineness (for example 750, 0.750 or 18K).") from None
    if karat or (value == value.to_integral_value() and 1 <= value <= 24 and "%" not in raw):
        if metal not in (None, Metal.GOLD):
            raise ValueError(f"'{text}' is in karats, which apply to gold only.")
        k = int(value)
        if value != k or k not in _KARATS:
            raise ValueError(f"'{text}' is not a gold karat JewelerDesk knows (9K to 24K).")
        return _KARATS[k], True
    if raw.endswith("%"):
        value *= 10
    elif value < 1:
        value *= 1000
    ppt = int(value)  # rounded down: never more fine metal than the sheet says
    if not 1 <= ppt <= 1000:
        raise ValueError(f"'{text}' is not a fineness between 1 and 1000 parts per thousand.")
    return ppt, False


def _parse_claim(text: str) -> tuple[ClaimClass, str]:
    """The claim class and, when the sheet's words carry more than the class, those words
    to keep in the lot's notes ('Mined' says less than 'mined, certified')."""
    key = _fold(text)
    if key in {"recycled", "recycle", "reclaimed", "post consumer", "recycled gold", "r"}:
        return ClaimClass.RECYCLED, ""
    if key in {"mined certified", "certified mined", "certified", "rjc coc", "rjc", "lbma"}:
        return ClaimClass.MINED_CERTIFIED, ""
    if key in {"grandfathered", "grandfathered stock", "legacy"}:
        return ClaimClass.GRANDFATHERED, ""
    if key == "fairtrade":
        return ClaimClass.FAIRTRADE, ""
    if key == "fairmined":
        return ClaimClass.FAIRMINED, ""
    if key in _UNKNOWN or key == "unspecified":
        return ClaimClass.UNSPECIFIED, ""
    if key in {"mined", "newly mined", "primary", "m", "mine"}:
        return ClaimClass.UNSPECIFIED, text.strip()
    raise ValueError(
        f"'{text}' is not a claim JewelerDesk knows. Write Recycled, Mined certified, "
        "Grandfathered, Fairtrade, Fairmined or Unspecified."
    )


_FORMS = {
    MetalForm.CASTING_GRAIN: ("casting grain", "grain", "shot", "casting"),
    MetalForm.SHEET: ("sheet", "plate"),
    MetalForm.WIRE: ("wire",),
    MetalForm.FINDING: ("finding", "findings"),
    MetalForm.SCRAP: ("scrap", "old gold", "filings", "lemel"),
    MetalForm.BAR: ("bar", "ingot", "bullion"),
}
_FORM_WORDS = {w: f for f, words in _FORMS.items() for w in words}


def _parse_form(text: str) -> MetalForm:
    form = _FORM_WORDS.get(_fold(text))
    if form is None:
        raise ValueError(
            f"'{text}' is not a form JewelerDesk knows (casting grain, sheet, wire, findings, "
            "scrap, bar)."
        )
    return form


# ============================================================================ committing


@dataclass(frozen=True)
class ImportResult:
    kind: ImportKind
    imported: int
    skipped: int  # rows flagged as already recorded
    ids: tuple[str, ...]  # the new stones' or lots' ids, in sheet order


def commit_import(
    shop: Shop, plan: ImportPlan, *, progress: ProgressFn | None = None
) -> ImportResult:
    """Write every ready row in one transaction. If any row fails now (a stock number taken
    since the sheet was checked), nothing at all is written and the row is named."""
    if plan.errors:
        raise ValidationError(
            {f"row {e.row}, {e.column}": e.message for e in plan.errors},
            where=f"{plan.sheet_name}: fix these and check the sheet again",
        )
    total = plan.ready_count
    ids: list[str] = []
    row = 0
    try:
        with shop.db.atomic():
            # stones in batches: bulk inserts, with progress between them
            # copies (the saves normalise in place); a stone's only mutable field is its list
            stones = [
                dataclasses.replace(r.stone, treatments=list(r.stone.treatments))
                for r in plan.stones
            ]
            rows_of = {id(s): r.row for s, r in zip(stones, plan.stones, strict=True)}
            recorded = inventory.recorded_report_nos(shop, [s.report_no for s in stones])
            for stone in stones:
                if stone.report_no and stone.report_no.strip().upper() in recorded:
                    row = rows_of[id(stone)]
                    raise Conflict(f"Report {stone.report_no} was recorded after the check.")
            for i in range(0, len(stones), 1000):
                batch = stones[i : i + 1000]
                try:
                    ids.extend(inventory.receive_loose_stones(shop, batch))
                except JewelerDeskError as exc:
                    index = getattr(exc, "index", 0)
                    row = rows_of[id(batch[index if 0 <= index < len(batch) else 0])]
                    raise
                _tick(progress, len(ids), total)
            for lot_row in plan.lots:
                row = lot_row.row
                lot = copy.deepcopy(lot_row.lot)
                ids.append(inventory.receive_lot(shop, lot, lot_row.mass_mg).id)
                _tick(progress, len(ids), total)
    except JewelerDeskError as exc:
        raise Conflict(
            f"Row {row}: {exc.message} Nothing was imported; check the sheet again.",
            where=plan.sheet_name,
        ) from exc
    log.info("imported %d %s from %s", len(ids), plan.kind, plan.sheet_name)
    return ImportResult(plan.kind, len(ids), len(plan.flagged), tuple(ids))


def _tick(progress: ProgressFn | None, done: int, total: int) -> None:
    if progress and (done % 200 == 0 or done == total):
        progress(done, total)


def import_sheet(
    shop: Shop,
    path: Path,
    kind: ImportKind | str,
    supplier_name: str | None = None,
    *,
    dry_run: bool = False,
    received_on: str = "",
) -> tuple[ImportPlan, ImportResult | None]:
    """Read, match headers automatically, check and (unless ``dry_run`` or the check found
    problems) import: the whole of ``jewelerdesk import stones FILE``. The goods are dated
    ``received_on`` (default: today)."""
    day = received_day(received_on)
    sheet = read_sheet(path)
    plan = plan_import(
        shop, sheet, propose_mapping(sheet.headers, kind), kind, supplier_name, received_on=day
    )
    if dry_run or plan.errors:
        return plan, None
    return plan, commit_import(shop, plan)
