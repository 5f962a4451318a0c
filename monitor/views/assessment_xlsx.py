"""The assessment report as a workbook (`monitor report --monitoring FILE.xlsx`), every cluster's figures: the
regions' summary, one row a cluster (output, growth, rank, standard counts, next review), every value reported
(cluster × indicator, one column a year, with the growth and the rank), the standard item by item, and the
clusters at risk with why. Numbers are numbers (Excel computes on them), written in openpyxl's write-only mode."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitor.rules.indicators import Vocabulary
from monitor.rules.states import StandardState
from monitor.views.assessment import Page, measured_text, why
from monitor.views.assessment_data import at_risk
from monitor.views.files import write_whole
from monitor.views.words import term, words


def _value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _sheet(book: Workbook, title: str, header: list[str], widths: list[int]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    for n, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(n + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, text)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet


def write_workbook(path: Path, page: Page, vocabulary: Vocabulary, lang: str,
                   policies: Mapping[str, str] | None = None) -> None:
    """The report as a workbook; a cluster's regime is its policy's name (``policies``, by regime id)."""
    said = words("assessment", lang)
    policies = policies or {}
    data = page.data
    book = Workbook(write_only=True)
    regions = _sheet(book, said["sheet_regions"], [said["region"], said["clusters_count"], said["reported"],
                                                   said["output_total"], said["output_median"], said["growth"],
                                                   said["met"], said["at_risk"]], [18, 8, 8, 16, 16, 10, 10, 10])
    for region, row in data.regions.iterrows():
        regions.append([str(region) or said["no_region"], int(row["clusters"]), int(row["reported"]),
                        _value(row["output_total"]), _value(row["output_median"]), _value(row["output_growth"]),
                        int(row["met"]), int(row["at_risk"])])
    clusters = _sheet(book, said["sheet_clusters"], [
        said["cluster"], said["cluster"], said["region"], said["regime"], said["state_of_cluster"],
        f"{said['output']} {page.year}", said["growth"], said["rank"], said["state_met"], said["state_unmet"],
        said["state_no_data"], said["next_review"], said["at_risk"]], [22, 30, 12, 40, 10, 14, 10, 10, 8, 8, 8, 12, 8])
    for s in page.subjects:
        rank = data.rank_of(s.id, "output")
        counts = [sum(1 for v in s.standards if v.state is state) for state in StandardState]
        clusters.append([s.id, s.name, s.region, policies.get(s.regime, s.regime), term(s.state, lang),
                         data.value(s.id, "output", page.year),
                         data.growth_of(s.id, "output"), f"{rank[0]}/{rank[1]}" if rank else None, *counts,
                         s.next_review, "✓" if at_risk(s) else ""])
    values = _sheet(book, said["sheet_values"], [said["cluster"], said["code"], said["indicator"], said["unit"],
                                                 *[str(y) for y in data.years], said["growth"], said["rank"]],
                    [22, 18, 30, 8, *[10] * len(data.years), 10, 10])
    for s in page.subjects:
        for code in data.codes_of(s.id):
            indicator = vocabulary.by_code.get(code)
            rank = data.rank_of(s.id, code)
            values.append([s.id, code, indicator.label if indicator else code, indicator.unit if indicator else "",
                           *[data.value(s.id, code, y) for y in data.years], data.growth_of(s.id, code),
                           f"{rank[0]}/{rank[1]}" if rank else None])
    standards = _sheet(book, said["sheet_standards"], [said["cluster"], said["item"], said["item"], said["basis"],
                                                       said["state"], said["values_used"]], [22, 14, 40, 14, 10, 60])
    for s in page.subjects:
        for v in s.standards:
            standards.append([s.id, v.item, v.label, v.basis, said[f"state_{v.state}"],
                              "；".join(measured_text(m, vocabulary, lang) for m in v.alternatives)])
    risky = _sheet(book, said["sheet_risky"], [said["cluster"], said["cluster"], said["region"], said["next_review"],
                                               said["why"]], [22, 30, 12, 12, 80])
    for s in page.risky:
        risky.append([s.id, s.name, s.region, s.next_review, "；".join(why(s, vocabulary, lang))])
    write_whole(path, book.save)
