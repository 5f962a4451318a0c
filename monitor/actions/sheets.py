"""Reading a spreadsheet someone filled in (.csv in UTF-8, UTF-8 with BOM or GBK, or .xlsx): its columns by
their English or Chinese headers, its non-empty rows with the line numbers a person sees in the file.

A department's own workbook is read as it is (issue 26): the header is the first row holding the required
columns (a title and notes above it are skipped), the sheet is the first with such a header (or the one named),
columns not known are kept aside (``Sheet.kept``, ``SheetRow.extra``) or refused when strict, and what is missing
or unknown is said in the file's language with the nearest known name (monitor.rules.near)."""

from __future__ import annotations

import csv
import io
import math
import time
import unicodedata
import zipfile
from collections.abc import Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import InputError, Said
from monitor.rules.near import nearest

#: (column name, the headers that name it, required)
Column = tuple[str, tuple[str, ...], bool]


@dataclass(frozen=True)
class SheetRow:
    line: int
    values: Mapping[str, Any]
    extra: Mapping[str, str | None] = field(default_factory=dict)  # the kept columns', by their headers


@dataclass(frozen=True)
class Sheet:
    columns: list[str]                  # the column names found, normalised (id, name, …)
    rows: list[SheetRow]
    headers: Mapping[str, str]          # each column name as the file's own header writes it (集群编号, …)
    name: str | None = None             # the worksheet read, named in messages when the workbook has several
    kept: tuple[str, ...] = ()          # the headers of the columns the file has that are not known, in its order
    header_line: int = 1
    near: Mapping[str, str] = field(default_factory=dict)   # a kept header that is a near miss: the known one
    skipped: tuple[str, ...] = ()       # the headers found among those the reader was told to skip

    def where(self, source: object) -> object:
        """How messages name the file: its path, and the sheet when the workbook has several."""
        return source if self.name is None else Said("{source}, sheet {sheet!r}", source=source, sheet=self.name)

    def at(self, source: object, line: int, problem: Said) -> Said:
        """A problem on a line of the file; a ``field`` it names is named as the file's header names it
        (``适用办法``, not ``regime``)."""
        field = problem.params.get("field")
        if isinstance(field, str) and field in self.headers:
            problem = problem.with_params(field=self.headers[field])
        return Said("{source}: line {line}: {problem}", source=self.where(source), line=line, problem=problem)


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


def _open_xlsx(path: Path, source: str, wanted: str | None, header: _Header) -> tuple[Any, Any, int]:
    """The workbook (read-only, to be closed), the worksheet to read and how many the workbook has: the one named
    ``wanted``, else the first whose header (a row among the first HEADER_SEARCH) holds the required columns, else
    the one that comes closest (its message says what is missing)."""
    from openpyxl import load_workbook

    _check_unpacked_size(path, source)
    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheets: list[Any] = list(book.worksheets)
        if not sheets:
            return book, None, 0
        if wanted is not None:
            titles = [sheet.title for sheet in sheets]
            chosen = next((sheet for sheet in sheets if sheet.title == wanted), None) or next(
                (sheet for sheet in sheets if _norm(sheet.title) == _norm(wanted)), None)
            if chosen is None:
                near = nearest(wanted, titles)
                raise InputError(
                    "{source}: no sheet {sheet!r} (sheets: {sheets}); did you mean {suggestion}?" if near else
                    "{source}: no sheet {sheet!r} (sheets: {sheets})", source=source, sheet=wanted,
                    sheets=", ".join(titles), suggestion=near)
            return book, chosen, len(sheets)
        best: tuple[tuple[bool, int], Any] | None = None
        for sheet in sheets:
            sheet.reset_dimensions()
            score = max((header.score(row) for row in sheet.iter_rows(max_row=HEADER_SEARCH,
                                                                       max_col=MAX_COLUMNS + 1, values_only=True)),
                        default=(False, 0))
            if best is None or score > best[0]:
                best = (score, sheet)
            if score[0]:
                break
        assert best is not None
        return book, best[1], len(sheets)
    except BaseException:
        book.close()
        raise


def _xlsx_rows(book: Any, sheet: Any) -> Generator[Sequence[Any], None, None]:
    """The sheet's rows as values, streamed (openpyxl's read-only mode), each cut at MAX_COLUMNS + 1 cells: a row
    with a value further right ends in a marker there, so that it is refused by its line. The dimension the sheet
    declares is ignored: a sheet claiming A1:XFD1048576 is read as the rows it has, not padded out."""
    try:
        if sheet is None:
            return
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


def _rows(stream: Generator[Sequence[Any], None, None], source: object,
          suffix: str) -> list[tuple[int, list[Any]]]:
    """The rows that are not blank, by their lines, trailing blank cells dropped. Refused when the file has more
    than MAX_ROWS rows under its first, when a row fills more than MAX_COLUMNS columns, or when reading it takes
    longer than MAX_READ_SECONDS: each checked as the rows stream in."""
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
            if cells:
                found.append((line, cells))
    except InputError:
        raise
    except (csv.Error, OSError, ValueError, KeyError) as exc:
        raise _unreadable(exc, source, suffix) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, XML and its own errors
        raise _unreadable(exc, source, suffix) from None
    finally:
        stream.close()
    return found


#: how far down a sheet its header is looked for: the title and note rows above it are skipped
HEADER_SEARCH = 20


def _norm(text: str) -> str:
    """A header or a sheet's name as matched: NFKC (full-width as half-width), case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


class _Header:
    """The columns a file may have, matched against a row: which it names, and whether it is the header."""

    def __init__(self, columns: Sequence[Column], skipped: Collection[str]) -> None:
        self.columns = columns
        self.aliases = {_norm(header): name for name, headers, _ in columns for header in headers}
        self.required = {name for name, _, required in columns if required}
        self.skipped = {_norm(header) for header in skipped}

    def name(self, title: str) -> str | None:
        return self.aliases.get(_norm(title))

    def score(self, row: Sequence[Any]) -> tuple[bool, int]:
        """Whether the row holds every required column, and how many known columns it holds."""
        names = {name for cell in row if (title := text_of(cell)) is not None and (name := self.name(title))}
        return self.required <= names, len(names)

    def shown(self, name: str, chinese: bool) -> str:
        """A column as the file's language names it: its Chinese header in a file headed in Chinese."""
        headers = next(headers for known, headers, _ in self.columns if known == name)
        return next((h for h in headers if _chinese(h)), name) if chinese else name


def _unreadable(exc: Exception, source: object, suffix: str) -> InputError:
    return InputError("{source}: cannot read it as a {suffix} file: {reason}", source=source, suffix=suffix,
                      reason=_reason(exc))


def read_sheet(path: Path, columns: Sequence[Column], skipped: Collection[str] = (), *, sheet: str | None = None,
               strict: bool = False) -> Sheet:
    """The file's column names (normalised), its non-empty rows, its headers as written, and the columns it has
    that are not known (kept, or refused when ``strict``); headers in ``skipped`` are ignored. The header is the
    first row (of the first HEADER_SEARCH) that holds the required columns; the rows above it (a title, a note)
    are skipped. Of a workbook, the sheet named ``sheet`` is read, else the first with such a header. Every file
    is read within the bounds above; a message names the sheet when the workbook has several."""
    header = _Header(columns, skipped)
    source = str(path)
    suffix = path.suffix.lower()
    name: str | None = None
    if suffix == ".csv":
        if sheet is not None:
            raise InputError("{source}: --sheet applies to a workbook (.xlsx), not to a .csv file", source=source)
        stream = _csv_rows(path, source)
    elif suffix in (".xlsx", ".xlsm"):
        try:
            book, chosen, count = _open_xlsx(path, source, sheet, header)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, XML and its own errors
            raise _unreadable(exc, source, suffix) from None
        name = chosen.title if chosen is not None and (count > 1 or sheet is not None) else None
        stream = _xlsx_rows(book, chosen)
    else:
        raise InputError("{source}: reads .csv or .xlsx files, not {suffix!r}", source=source, suffix=suffix)
    where = source if name is None else Said("{source}, sheet {sheet!r}", source=source, sheet=name)
    rows = _rows(stream, where, suffix)
    top = [(line, cells) for line, cells in rows if line <= HEADER_SEARCH]
    scores = [header.score(cells) for _, cells in top]
    at = next((n for n, score in enumerate(scores) if score[0]), None)
    if at is None:
        best = max(scores, default=(False, 0))
        at = scores.index(best) if best[1] else 0
    header_line, cells = top[at] if top else (1, [])
    chinese = any(_chinese(title) for cell in cells if (title := text_of(cell)) is not None)
    found: list[str] = []
    written: dict[str, str] = {}
    named: list[tuple[int, str]] = []           # (index of the cell, column name)
    kept: list[tuple[int, str]] = []            # (index of the cell, its header): a column not known
    passed: list[str] = []                      # headers skipped
    for index, cell in enumerate(cells):
        title = text_of(cell)
        if title is None:
            continue
        column = header.name(title)
        if column is None and _norm(title) in header.skipped:
            passed.append(title)
            continue
        if column is None:
            if strict:
                known = [header.shown(n, chinese) for n, _, _ in columns]
                near = nearest(title, known)
                raise InputError("{source}: line {line}: unknown column {header!r} (known: {known}); did you mean "
                                 "{suggestion}?" if near else
                                 "{source}: line {line}: unknown column {header!r} (known: {known})",
                                 source=where, line=header_line, header=title, known=", ".join(known),
                                 suggestion=near)
            if any(_norm(title) == _norm(other) for _, other in kept):
                raise InputError("{source}: line {line}: column {name!r} appears twice", source=where,
                                 line=header_line, name=title)
            kept.append((index, title))
            continue
        if column in found:
            raise InputError("{source}: line {line}: column {name!r} appears twice", source=where, line=header_line,
                             name=column)
        found.append(column)
        written[column] = title
        named.append((index, column))
    missing = [n for n, _, required in columns if required and n not in found]
    if missing:
        shown = [header.shown(n, chinese) for n in missing]
        guess = next(((title, shown[n]) for n, column in enumerate(missing) for _, title in kept
                      if nearest(title, [h for known, hs, _ in columns if known == column for h in hs])), None)
        raise InputError("{source}: line {line}: missing column(s) {missing}; is {header!r} {column}?" if guess else
                         "{source}: line {line}: missing column(s) {missing}", source=where, line=header_line,
                         missing=", ".join(shown), header=guess[0] if guess else None,
                         column=guess[1] if guess else None)
    absent = [h for known, hs, _ in columns if known not in found for h in hs]
    near_misses = {title: near for _, title in kept if (near := nearest(title, absent)) is not None}
    titled = {index for index, cell in enumerate(cells) if text_of(cell) is not None}
    sheet_rows = []
    for line, row in rows:
        if line <= header_line:
            continue
        untitled = next((n for n, value in enumerate(row) if n not in titled and not blank(value)), None)
        if untitled is not None:
            raise InputError("{source}: line {line}: column {column} holds a value but has no header",
                             source=where, line=line, column=untitled + 1)
        values = {column: row[index] if index < len(row) else None for index, column in named}
        if all(blank(v) for v in values.values()):
            continue
        extra = {title: text_of(row[index]) if index < len(row) else None for index, title in kept}
        sheet_rows.append(SheetRow(line=line, values=values, extra=extra))
    return Sheet(found, sheet_rows, written, name, tuple(title for _, title in kept), header_line, near_misses,
                 tuple(passed))
