"""Reading a spreadsheet someone filled in (.csv in UTF-8, UTF-8 with BOM or GBK, or .xlsx): its columns by
their English or Chinese headers, its non-empty rows with the line numbers a person sees in the file."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Collection, Mapping, Sequence
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


#: the most a workbook may unpack to. An .xlsx is a zip archive, and a few hundred kilobytes of it can
#: unpack to gigabytes of XML (a "zip bomb"); a real roster or facts file of 10,000 rows unpacks to a few MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def _check_unpacked_size(path: Path, source: str) -> None:
    """Refuse a workbook whose parts would unpack to more than MAX_UNPACKED_BYTES. zipfile stops each part
    at the size its directory declares, so the declared sizes bound what reading it can unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile):
        return      # not a readable archive: pandas says why, below
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError("{source}: the workbook unpacks to {size} MB, more than the {limit} MB a workbook may hold",
                         source=source, size=math.ceil(unpacked / (1024 * 1024)), limit=MAX_UNPACKED_BYTES // (1024 * 1024))


def read_sheet(path: Path, columns: Sequence[Column], skipped: Collection[str] = ()) -> Sheet:
    """The file's column names (normalised), its non-empty rows and its headers as written; headers in
    ``skipped`` are ignored."""
    import pandas as pd  # heavy: imported only when a file is read

    aliases = {header.casefold(): name for name, headers, _ in columns for header in headers}
    source = str(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _check_unpacked_size(path, source)
    try:
        if suffix == ".csv":
            text = _decode(path.read_bytes(), source)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        else:
            raise InputError("{source}: reads .csv or .xlsx files, not {suffix!r}", source=source, suffix=suffix)
    except (OSError, ValueError, KeyError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError("{source}: cannot read it as a {suffix} file: {reason}", source=source, suffix=suffix,
                         reason=str(exc).splitlines()[0]) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, XML and its own errors
        raise InputError("{source}: cannot read it as a {suffix} file: {reason}", source=source, suffix=suffix,
                         reason=f"{type(exc).__name__}: {exc}") from None
    found: list[str] = []
    written: dict[str, str] = {}
    for header in frame.columns:
        name = aliases.get(str(header).strip().casefold())
        if name is None and str(header).strip() in skipped:
            continue
        if name is None:
            if str(header).startswith("Unnamed:") and frame[header].map(blank).all():
                continue
            raise InputError("{source}: line 1: unknown column {header!r} (known: {known})", source=source,
                             header=str(header).strip(), known=", ".join(n for n, _, _ in columns))
        if name in found:
            raise InputError("{source}: line 1: column {name!r} appears twice", source=source, name=name)
        found.append(name)
        written[name] = str(header).strip()
    missing = [name for name, _, required in columns if required and name not in found]
    if missing:
        raise InputError("{source}: line 1: missing column(s) {missing}", source=source, missing=", ".join(missing))
    frame.columns = [aliases.get(str(h).strip().casefold(), str(h)) for h in frame.columns]
    rows = []
    for index, record in enumerate(frame[found].to_dict("records")):
        if all(blank(v) for v in record.values()):
            continue
        rows.append(SheetRow(line=index + 2, values={str(k): v for k, v in record.items()}))
    return Sheet(found, rows, written)
