"""Excel files: `monitor export` (the overview in three sheets) and `monitor template` (an empty roster to fill in).

The clusters sheet starts with the roster's own columns under the headers `monitor import` reads, so an export
can be edited and imported back; the columns after them (state, next due, warnings) are computed and the
import skips them. Dates are real Excel dates, header rows are frozen, and severities are coloured. The
export is written in openpyxl's write-only mode a slice of clusters at a time, so a large roster fits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from monitor.rules.facts import FACT_KINDS, NAMES, Cluster
from monitor.rules.listing import Evaluated
from monitor.rules.packs import Pack
from monitor.rules.roster import COLUMNS, COMPUTED_COLUMNS
from monitor.rules.verdict import Obligation, Verdict
from monitor.rules.vocabulary import FACT_COLUMNS, VALUES, spelled
from monitor.views.files import write_whole
from monitor.views.words import obligation_label, term, warning_message, words

DATE_FORMAT = "yyyy-mm-dd"
#: severity → (fill, font colour): Excel's own "Bad" and "Neutral" cell styles, and a light blue for notices
SEVERITY_COLOURS = {"revocation": ("FFC7CE", "9C0006"), "risk": ("FFEB9C", "9C5700"), "notice": ("DDEBF7", "1F4E78")}
STATE_COLOURS = {"overdue": SEVERITY_COLOURS["revocation"], "late": SEVERITY_COLOURS["risk"],
                 "expired": SEVERITY_COLOURS["risk"], "revoked": SEVERITY_COLOURS["revocation"]}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
ROSTER_WIDTHS = {"id": 18, "name": 36, "regime": 36, "region": 14, "operator": 28, "operator_email": 28,
                 "bureau_email": 28, "batch": 10}


class Column(NamedTuple):
    key: str
    width: int = 14
    sheet: str = ""            # where its header is in words.toml ([xlsx.LANG.SHEET]); "" for the roster's own

    def header(self, lang: str) -> str:
        if not self.sheet:     # the import format's headers, so that an export imports back
            return ROSTER_HEADERS[self.key] if lang == "zh" else self.key
        found: str = words("xlsx", lang)[self.sheet][self.key]
        return found


ROSTER_HEADERS = {name: zh for name, zh, _ in COLUMNS} | dict(COMPUTED_COLUMNS)
ROSTER = tuple(Column(name, ROSTER_WIDTHS.get(name, 12)) for name, _, _ in COLUMNS)
CLUSTERS = (*ROSTER, *(Column(key, 14) for key, _ in COMPUTED_COLUMNS))
OBLIGATIONS = tuple(Column(key, width, "obligations") for key, width in (
    ("id", 18), ("name", 36), ("regime", 36), ("kind", 14), ("item", 40), ("due", 12), ("days_left", 10),
    ("state", 10), ("done_on", 12), ("basis", 16), ("key", 30)))
WARNINGS = tuple(Column(key, width, "warnings") for key, width in (
    ("id", 18), ("name", 36), ("regime", 36), ("severity", 10), ("message", 60), ("due", 12), ("basis", 16),
    ("code", 28), ("key", 30)))


def _setup(sheet: Worksheet, columns: Sequence[Column], lang: str) -> None:
    """Widths, a frozen and filterable header row, before any row is written (write-only mode needs this)."""
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column.header(lang))
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        header.append(cell)
    sheet.append(header)


#: the most characters an Excel cell holds
CELL_LIMIT = 32_767


def _cell(sheet: Worksheet, value: Any, colour: tuple[str, str] | None = None) -> Cell:
    """A cell; text is always text: a name beginning with "=" is never written as a formula (OWASP formula
    injection), and text is cut to what a cell holds."""
    if isinstance(value, str) and len(value) > CELL_LIMIT:
        value = value[:CELL_LIMIT - 1] + "…"
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    if colour is not None:
        cell.fill, cell.font = PatternFill("solid", fgColor=colour[0]), Font(color=colour[1])
    return cell


def _next_open(verdict: Verdict) -> Obligation | None:
    return min((o for o in verdict.obligations if o.is_open and o.due is not None), key=lambda o: o.due or dt.date.max,
               default=None)


def roster_values(cluster: Cluster) -> list[Any]:
    """The cluster as the roster row it was imported from."""
    values = {name: getattr(cluster, name) for name, _, _ in COLUMNS}
    values["operator_email"] = ";".join(cluster.operator_email) or None
    values["bureau_email"] = ";".join(cluster.bureau_email) or None
    return [values[column.key] for column in ROSTER]


def _cluster_row(sheet: Worksheet, cluster: Cluster, verdict: Verdict, lang: str,
                 kept: Sequence[str] = ()) -> list[Cell]:
    following = _next_open(verdict)
    top = verdict.warnings[0].severity if verdict.warnings else None
    extra = dict(cluster.extra)
    return [*(_cell(sheet, value) for value in roster_values(cluster)),
            _cell(sheet, term(verdict.state, lang), STATE_COLOURS.get(verdict.state)),
            _cell(sheet, verdict.valid_until),
            _cell(sheet, following.due if following else None),
            _cell(sheet, obligation_label(following, lang) if following else None),
            _cell(sheet, term(top, lang) if top else None, SEVERITY_COLOURS.get(top or "")),
            _cell(sheet, len(verdict.warnings)),
            *(_cell(sheet, extra.get(header)) for header in kept)]


def export_workbook(path: Path, items: Iterable[Evaluated], lang: str, kept: Sequence[str] = (),
                    policies: Mapping[str, str] | None = None) -> tuple[int, int, int]:
    """Write the three sheets; the number of clusters, obligations and warnings written. ``kept``: the headers of
    the clusters' kept columns (those of their roster files the roster does not know), written after the computed
    columns under their own headers, so that the export imports back with them. ``policies``: each regime's name
    (by id), which the obligations' and warnings' sheets show; the clusters' sheet keeps the id, the roster's key."""
    return write_whole(path, lambda out: _export(out, items, lang, kept, policies or {}))


class _Kept(Column):
    def header(self, lang: str) -> str:
        return self.key


def _export(out: BinaryIO, items: Iterable[Evaluated], lang: str, kept: Sequence[str],
            policies: Mapping[str, str]) -> tuple[int, int, int]:
    book = Workbook(write_only=True)
    sheets = [book.create_sheet(title) for title in words("xlsx", lang)["sheets"]]
    clusters = (*CLUSTERS, *(_Kept(header, 14) for header in kept))
    for sheet, columns in zip(sheets, (clusters, OBLIGATIONS, WARNINGS), strict=True):
        _setup(sheet, columns, lang)
    clusters_sheet, obligations_sheet, warnings_sheet = sheets
    counts = [0, 0, 0]
    for facts, verdict in items:
        cluster = facts.cluster
        who = [cluster.id, cluster.name, policies.get(cluster.regime, cluster.regime)]
        clusters_sheet.append(_cluster_row(clusters_sheet, cluster, verdict, lang, kept))
        counts[0] += 1
        for o in verdict.obligations:
            obligations_sheet.append([*who, *(_cell(obligations_sheet, v) for v in (
                term(o.kind, lang), obligation_label(o, lang), o.due, o.days_left)),
                _cell(obligations_sheet, term(o.state, lang), STATE_COLOURS.get(o.state)),
                *(_cell(obligations_sheet, v) for v in (o.done_on, o.basis, o.key))])
            counts[1] += 1
        for w in verdict.warnings:
            warnings_sheet.append([*who, _cell(warnings_sheet, term(w.severity, lang), SEVERITY_COLOURS[w.severity]),
                                   *(_cell(warnings_sheet, v) for v in (warning_message(w, lang), w.due, w.basis,
                                                                        w.code, w.key))])
            counts[2] += 1
    book.save(out)
    return counts[0], counts[1], counts[2]


TEMPLATE_ROWS = 2000


def write_template(path: Path, packs: Iterable[Pack], lang: str) -> None:
    """An empty roster: the import's columns, a regime drop-down, date checks, and an instructions sheet."""
    said = words("xlsx", lang)
    help_title, roster_title, how = said["instructions_sheet"], said["roster_sheet"], said["how"]
    book = Workbook()
    roster = book.active
    assert roster is not None
    roster.title = roster_title
    _table(roster, [column.header(lang) for column in ROSTER], [], [column.width for column in ROSTER])
    help_sheet = book.create_sheet(help_title)
    help_sheet["A1"] = how
    help_sheet["A1"].alignment = Alignment(wrap_text=False)
    required = {name: needed for name, _, needed in COLUMNS}
    rows = [[column.header(lang), column.key, said["yes"] if required[column.key] else said["no"],
             said["roster_help"][column.key]] for column in ROSTER]
    _table(help_sheet, [said["column"], said["name"], said["required"], said["what"]], rows, [16, 16, 8, 60],
           first_row=3)
    packs = sorted(packs, key=lambda p: p.id)
    regimes_at = 3 + len(rows) + 2
    _table(help_sheet, [said["regime_id"], said["title"], said["document"]], [[p.id, p.title, p.document] for p in packs],
           [], first_row=regimes_at)
    last = TEMPLATE_ROWS + 1
    letters = {column.key: get_column_letter(number) for number, column in enumerate(ROSTER, start=1)}
    choice = DataValidation(type="list", allow_blank=False, showErrorMessage=True,
                            formula1=f"'{help_title}'!$B${regimes_at + 1}:$B${regimes_at + len(packs)}")
    choice.add(f"{letters['regime']}2:{letters['regime']}{last}")
    day = DataValidation(type="date", operator="greaterThan", formula1="DATE(1990,1,1)", showErrorMessage=True)
    for name in ("certified_on", "valid_until", "publicity_start"):
        day.add(f"{letters[name]}2:{letters[name]}{last}")
        for row in range(2, last + 1):
            roster[f"{letters[name]}{row}"].number_format = DATE_FORMAT
    roster.add_data_validation(choice)
    roster.add_data_validation(day)
    write_whole(path, book.save)


def write_facts_template(path: Path, lang: str) -> None:
    """An empty facts file for `monitor import-facts`: its columns (Chinese headers, or English), drop-downs of
    the words each value accepts, date checks, and an instructions sheet saying which columns each fact takes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "事项" if lang == "zh" else "facts"
    headers = [headers[-1] if lang == "zh" else name for name, headers, _ in FACT_COLUMNS]
    _table(sheet, headers, [], [14] * len(headers))
    last = TEMPLATE_ROWS + 1
    letters = {name: get_column_letter(number) for number, (name, _, _) in enumerate(FACT_COLUMNS, start=1)}
    lists = {"fact": "fact", "change_kind": "change", "result": "result", "ground": "ground"}
    for column, vocabulary in lists.items():
        offered = [spelled(vocabulary, v) if lang == "zh" else v for v in VALUES[vocabulary]]
        choice = DataValidation(type="list", allow_blank=column != "fact", showErrorMessage=True,
                                formula1='"' + ",".join(offered) + '"')
        choice.add(f"{letters[column]}2:{letters[column]}{last}")
        sheet.add_data_validation(choice)
    day = DataValidation(type="date", operator="greaterThan", formula1="DATE(1990,1,1)", showErrorMessage=True)
    for name in ("filed_on", "changed_on", "on", "dismissed_on"):
        day.add(f"{letters[name]}2:{letters[name]}{last}")
        for row in range(2, last + 1):
            sheet[f"{letters[name]}{row}"].number_format = DATE_FORMAT
    sheet.add_data_validation(day)
    help_sheet = book.create_sheet("说明" if lang == "zh" else "instructions")
    title = {name: headers[-1] if lang == "zh" else name for name, headers, _ in FACT_COLUMNS}
    rows = [[spelled("fact", kind) if lang == "zh" else kind,
             ", ".join(title[column] for column in NAMES[kind].values())] for kind in FACT_KINDS]
    _table(help_sheet, ["事项" if lang == "zh" else "fact", "填写的列" if lang == "zh" else "columns it takes"], rows,
           [14, 60])
    write_whole(path, book.save)


def _table(sheet: Worksheet, header: list[str], rows: Iterable[list[Any]], widths: list[int],
           first_row: int = 1) -> None:
    for number, text in enumerate(header, start=1):
        cell = sheet.cell(first_row, number, text)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        if number <= len(widths):
            sheet.column_dimensions[get_column_letter(number)].width = widths[number - 1]
    for offset, row in enumerate(rows, start=1):
        for number, value in enumerate(row, start=1):
            sheet.cell(first_row + offset, number, value)
    if first_row == 1:
        sheet.freeze_panes = "A2"
