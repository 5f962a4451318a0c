"""Reading a spreadsheet someone filled in (.csv in UTF-8, UTF-8 with BOM or GBK, or .xlsx): its columns by
their English or Chinese headers, its non-empty rows with the line numbers a person sees in the file."""

from __future__ import annotations

import csv
import io
import math
import time
import zipfile
from collections.abc import Collection, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import InputError, Said

#: (column name, the headers that name it, required)
Column = tuple[str, tuple[str, ...], bool]


@dataclass(frozen=True)
class SheetRow:
    line: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Sheet:
    columns: list[str]                  # the column names found, normalised (id, name, …)
    rows: list[SheetRow]
    headers: Mapping[str, str]          # each column name as the file's own header writes it (集群编号, …)
    skipped: tuple[str, ...] = ()       # the headers found among those the reader was told to skip

    def at(self, source: object, line: int, problem: Said) -> Said:
        """A problem on a line of the file; a ``field`` it names is named as the file's header names it
        (``适用办法``, not ``regime``)."""
        field = problem.params.get("field")
        if isinstance(field, str) and field in self.headers:
            problem = problem.with_params(field=self.headers[field])
        return Said("{source}: line {line}: {problem}", source=source, line=line, problem=problem)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def text_of(value: object) -> str | None:
    """A cell as stripped text (a whole number typed into Excel without its ``.0``), None when blank."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _decode(data: bytes, source: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("{source}: not UTF-8 or GBK text; save the CSV as UTF-8 and import it again", source=source)


#: the most a workbook may unpack to, and the largest CSV file. An .xlsx is a zip archive, and a few hundred
#: kilobytes of it can unpack to gigabytes of XML (a "zip bomb"); a real roster or facts file of 10,000 rows
#: unpacks to a few MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: the most rows a sheet may have below its header, blank ones included (a zip bomb of empty ``<row/>``
#: elements is refused when it passes this, long before it is unpacked); twice the benchmarks' 100,000
MAX_ROWS = 200_000
#: the most columns a row may fill (a roster has 14, a facts file 12)
MAX_COLUMNS = 100
#: the longest a file may take to be read, checked as its rows stream in
MAX_READ_SECONDS = 60.0
#: what a spreadsheet shows in a cell whose formula failed: blank, as an empty cell is
_CELL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


def _mb(size: int) -> int:
    return math.ceil(size / (1024 * 1024))


def _check_unpacked_size(path: Path, source: str) -> None:
    """Refuse a workbook whose parts would unpack to more than MAX_UNPACKED_BYTES. zipfile stops each part
    at the size its directory declares, so the declared sizes bound what reading it can unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile):
        return      # not a readable archive: openpyxl says why, below
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError("{source}: the workbook unpacks to {size} MB, more than the {limit} MB a workbook may hold",
                         source=source, size=_mb(unpacked), limit=_mb(MAX_UNPACKED_BYTES))


def _csv_rows(path: Path, source: str) -> Generator[Sequence[Any], None, None]:
    size = path.stat().st_size
    if size > MAX_UNPACKED_BYTES:
        raise InputError("{source}: the file is {size} MB, more than the {limit} MB a file may hold", source=source,
                         size=_mb(size), limit=_mb(MAX_UNPACKED_BYTES))
    yield from csv.reader(io.StringIO(_decode(path.read_bytes(), source), newline=""))


def _xlsx_rows(path: Path, source: str) -> Generator[Sequence[Any], None, None]:
    """The first sheet's rows as values, streamed (openpyxl's read-only mode), each cut at MAX_COLUMNS + 1 cells:
    a row with a value further right ends in a marker there, so that it is refused by its line. The dimension the
    sheet declares is ignored: a sheet claiming A1:XFD1048576 is read as the rows it has, not padded out."""
    from openpyxl import load_workbook

    _check_unpacked_size(path, source)
    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        if not book.worksheets:
            return
        sheet: Any = book.worksheets[0]
        sheet.reset_dimensions()
        cut = sheet._get_row        # openpyxl's: a parsed row's cells (dicts) as a row of values, cut at max_col

        def row_of(cells: list[dict[str, Any]], min_col: int = 1, max_col: int | None = None,
                   values_only: bool = False) -> tuple[Any, ...]:
            row: tuple[Any, ...] = cut(cells, min_col, max_col, values_only)
            if any(cell["column"] > MAX_COLUMNS + 1 and not blank(_cell(cell["value"])) for cell in cells):
                row = (*row[:MAX_COLUMNS], _FAR)
            return row

        sheet._get_row = row_of
        yield from sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
    finally:
        book.close()


#: what ends a row that holds a value beyond MAX_COLUMNS + 1 (its cells there are not read)
_FAR = "…"


def _reason(exc: Exception) -> Said:
    """Why a file could not be read, without the Python class names."""
    if isinstance(exc, zipfile.BadZipFile):
        return Said("it is not a zip archive, as an .xlsx workbook is")
    if type(exc).__module__.startswith("defusedxml"):
        return Said("its XML declares entities, which a workbook may not")
    if isinstance(exc, UnicodeDecodeError):
        return Said("a part of it is not UTF-8 text")
    text = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc).strip()
    return Said("{problem}", problem=text.splitlines()[0]) if text else Said("it is damaged or not a spreadsheet")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value in _CELL_ERRORS:
        return None
    return value


def _rows(path: Path, source: str, suffix: str) -> list[tuple[int, list[Any]]]:
    """The file's header (line 1) and its rows that are not blank, by their lines, trailing blank cells dropped.
    Refused when the file has more than MAX_ROWS rows under its header, when a row fills more than MAX_COLUMNS
    columns, or when reading it takes longer than MAX_READ_SECONDS: each checked as the rows stream in."""
    if suffix == ".csv":
        stream = _csv_rows(path, source)
    elif suffix in (".xlsx", ".xlsm"):
        stream = _xlsx_rows(path, source)
    else:
        raise InputError("{source}: reads .csv or .xlsx files, not {suffix!r}", source=source, suffix=suffix)
    deadline = time.monotonic() + MAX_READ_SECONDS
    found: list[tuple[int, list[Any]]] = []
    try:
        for line, row in enumerate(stream, start=1):
            if line > MAX_ROWS + 1:
                raise InputError("{source}: more than {limit} rows under the header (blank rows count too): a file "
                                 "may hold at most {limit}", source=source, limit=MAX_ROWS)
            if time.monotonic() > deadline:
                raise InputError("{source}: reading it took more than {limit} s, the longest a file may take",
                                 source=source, limit=f"{MAX_READ_SECONDS:g}")
            if row.count(None) == len(row) and line > 1:     # a blank row, seen in C (a bomb is made of them)
                continue
            if len(row) > MAX_COLUMNS:
                rest = row[MAX_COLUMNS:]
                if rest.count(None) == len(rest) or all(blank(_cell(value)) for value in rest):
                    row = row[:MAX_COLUMNS]
            cells = [_cell(value) for value in row]
            while cells and blank(cells[-1]):
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise InputError("{source}: line {line}: more than {limit} columns: a row may fill at most {limit}",
                                 source=source, line=line, limit=MAX_COLUMNS)
            if cells or line == 1:
                found.append((line, cells))
    except InputError:
        raise
    except (csv.Error, OSError, ValueError, KeyError) as exc:
        raise InputError("{source}: cannot read it as a {suffix} file: {reason}", source=source, suffix=suffix,
                         reason=_reason(exc)) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, XML and its own errors
        raise InputError("{source}: cannot read it as a {suffix} file: {reason}", source=source, suffix=suffix,
                         reason=_reason(exc)) from None
    finally:
        stream.close()
    return found


def read_sheet(path: Path, columns: Sequence[Column], skipped: Collection[str] = ()) -> Sheet:
    """The file's column names (normalised), its non-empty rows and its headers as written; headers in
    ``skipped`` are ignored. The first row is the header (line 1); every file is read within the bounds above."""
    aliases = {header.casefold(): name for name, headers, _ in columns for header in headers}
    source = str(path)
    rows = _rows(path, source, path.suffix.lower())
    header = rows[0][1] if rows else []
    found: list[str] = []
    written: dict[str, str] = {}
    kept: list[tuple[int, str]] = []            # (index of the cell, column name)
    passed: list[str] = []                      # headers skipped
    for index, cell in enumerate(header):
        title = text_of(cell)
        if title is None:
            continue
        name = aliases.get(title.casefold())
        if name is None and title in skipped:
            passed.append(title)
            continue
        if name is None:
            raise InputError("{source}: line 1: unknown column {header!r} (known: {known})", source=source,
                             header=title, known=", ".join(n for n, _, _ in columns))
        if name in found:
            raise InputError("{source}: line 1: column {name!r} appears twice", source=source, name=name)
        found.append(name)
        written[name] = title
        kept.append((index, name))
    missing = [name for name, _, required in columns if required and name not in found]
    if missing:
        raise InputError("{source}: line 1: missing column(s) {missing}", source=source, missing=", ".join(missing))
    titled = {index for index, cell in enumerate(header) if text_of(cell) is not None}
    sheet_rows = []
    for line, cells in rows[1:]:
        untitled = next((n for n, value in enumerate(cells) if n not in titled and not blank(value)), None)
        if untitled is not None:
            raise InputError("{source}: line {line}: column {column} holds a value but has no header",
                             source=source, line=line, column=untitled + 1)
        values = {name: cells[index] if index < len(cells) else None for index, name in kept}
        if all(blank(v) for v in values.values()):
            continue
        sheet_rows.append(SheetRow(line=line, values=values))
    return Sheet(found, sheet_rows, written, tuple(passed))
