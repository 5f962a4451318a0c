"""The sheets of annual monitoring a department sends out and reads back (`monitor template --indicators`,
`--targets`): the data sheet, one row a cluster and year headed as the declaration form is (the values already
recorded filled in, so that a re-import of an untouched row changes nothing), and the sheet of plan targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from monitor.rules.checks import ALLOWED_WORDS
from monitor.rules.facts import Facts
from monitor.rules.indicators import SHEET_KEYS, TARGET_COLUMNS, Indicator, Vocabulary
from monitor.views.files import write_whole

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

#: each kind of indicator's check in Excel (type, operator, bounds), as the vocabulary allows (rules/indicators.py)
_VALIDATION: dict[str, tuple[Any, Any, str, str | None]] = {"share": ("decimal", "between", "0", "100"), "growth": ("decimal", "greaterThan", "-100", None),
               "count": ("whole", "greaterThanOrEqual", "0", None), "amount": ("decimal", "greaterThanOrEqual", "0",
                                                                               None)}
_ALLOWED_ZH = dict(zip(ALLOWED_WORDS, ("0–100", "大于 -100", "不小于 0 的整数", "不小于 0"), strict=True))


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[int]) -> None:
    for number, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = sheet.cell(1, number, title)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "D2" if len(titles) > 3 and titles[2] in ("年度", "year") else "A2"


def _instructions(book: Workbook, vocabulary: Vocabulary, lang: str) -> None:
    sheet = book.create_sheet("说明" if lang == "zh" else "instructions")
    zh = lang == "zh"
    _header(sheet, ["指标代码", "指标名称", "单位", "取值范围"] if zh else ["code", "label", "unit", "allowed"],
            [20, 40, 10, 20])
    for row, indicator in enumerate(vocabulary, start=2):
        allowed = _ALLOWED_ZH.get(indicator.allowed, indicator.allowed) if zh else indicator.allowed
        for column, value in enumerate((indicator.code, indicator.label, indicator.unit, allowed), start=1):
            sheet.cell(row, column, value)


def _validate(sheet: Worksheet, indicator: Indicator, letter: str, last: int) -> None:
    kind, operator, low, high = _VALIDATION[indicator.kind]
    check = DataValidation(type=kind, operator=operator, formula1=low, formula2=high, allow_blank=True,
                           showErrorMessage=True, error=f"{indicator.label}: {indicator.allowed}")
    check.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(check)


def write_indicators_template(path: Path, facts: Sequence[Facts], vocabulary: Vocabulary, years: Sequence[int],
                              lang: str) -> int:
    """The data sheet: a row for each cluster and each of ``years``, a column for each indicator headed by the
    form's label, the values recorded filled in; an instructions sheet with codes, units and ranges. Rows
    written."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "年度监测数据" if lang == "zh" else "indicators"
    indicators = list(vocabulary)
    keys = [headers[-1] if lang == "zh" else name for name, headers, _ in SHEET_KEYS]
    _header(sheet, [*keys, *(i.label for i in indicators)], [18, 30, 8, *(max(10, len(i.label) * 2)
                                                                           for i in indicators)])
    row = 1
    for cluster in facts:
        recorded = {(v.year, v.code): v.value for v in cluster.indicators}
        for year in years:
            row += 1
            sheet.cell(row, 1, cluster.cluster.id)
            sheet.cell(row, 2, cluster.cluster.name)
            sheet.cell(row, 3, year)
            for column, indicator in enumerate(indicators, start=len(keys) + 1):
                value = recorded.get((year, indicator.code))
                if value is not None:
                    sheet.cell(row, column, int(value) if indicator.kind == "count" else value)
    last = max(row, 2)
    for column, indicator in enumerate(indicators, start=len(keys) + 1):
        _validate(sheet, indicator, get_column_letter(column), last)
    _instructions(book, vocabulary, lang)
    write_whole(path, book.save)
    return row - 1


def write_targets_template(path: Path, facts: Sequence[Facts], vocabulary: Vocabulary, lang: str) -> int:
    """The sheet of plan targets: the targets recorded, a row each (an empty sheet to fill in when there are
    none), and the instructions sheet. Rows written."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "规划目标" if lang == "zh" else "targets"
    _header(sheet, [headers[-1] if lang == "zh" else name for name, headers, _ in TARGET_COLUMNS],
            [18, 30, 36, 10, 10, 12])
    row = 1
    for cluster in facts:
        for target in cluster.targets:
            row += 1
            found = vocabulary.by_code.get(target.code)
            values: tuple[Any, ...] = (cluster.cluster.id, cluster.cluster.name,
                                       found.label if found is not None else target.code, target.base_year,
                                       target.target_year, target.target)
            for column, value in enumerate(values, start=1):
                sheet.cell(row, column, value)
    choice = DataValidation(type="list", allow_blank=False, showErrorMessage=True,
                            formula1="=" + ("说明" if lang == "zh" else "instructions") + f"!$B$2:$B${len(vocabulary) + 1}")
    choice.add("C2:C2000")
    sheet.add_data_validation(choice)
    _instructions(book, vocabulary, lang)
    write_whole(path, book.save)
    return row - 1


def monitoring_years(today: dt.date) -> list[int]:
    """The years a data sheet asks for: the three before this one (the form's 近三年)."""
    return [today.year - 3, today.year - 2, today.year - 1]


def write_monitoring_sheet(path: Path, facts: Sequence[Facts], vocabulary: Vocabulary, today: dt.date, lang: str,
                           targets: bool) -> int:
    """The data sheet (or, with ``targets``, the plan targets' sheet) of ``facts``' clusters; its row count."""
    if targets:
        return write_targets_template(path, facts, vocabulary, lang)
    return write_indicators_template(path, facts, vocabulary, monitoring_years(today), lang)
