"""`monitor template --backfill FILE.xlsx`: the unrecorded obligations (due before the baseline, 监测起始日, with no
fact recorded) as a facts file to fill in and read back with `monitor import-facts`.

One row an obligation, under the facts file's own headers (Chinese, or English), pre-filled with what identifies
the fact to record (the cluster, the kind, the report's year, the change's kind and day) and blank where the
dates go (the filing, the review's or evaluation's result and day, the rectification's day). Two columns more,
which `monitor import-facts` skips (monitor.rules.vocabulary.BACKFILL_COLUMNS), say which obligation a row is
and when it was due.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from monitor.rules.facts import Cluster
from monitor.rules.listing import Evaluated
from monitor.rules.states import ObligationState
from monitor.rules.verdict import Obligation
from monitor.rules.vocabulary import BACKFILL_COLUMNS, FACT_COLUMNS, spelled
from monitor.views.files import write_whole
from monitor.views.words import obligation_label

DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
INFO_FILL = PatternFill("solid", fgColor="F2F2F2")
#: the fact that settles each kind of obligation
FACT_OF = {"annual_report": "report", "change_filing": "change", "renewal_review": "review",
           "evaluation": "evaluation", "rectification": "rectification"}
#: what is left blank for the administrator to fill in, by kind (highlighted)
TO_FILL = {"report": ("filed_on",), "change": ("filed_on",), "review": ("result", "on"),
           "evaluation": ("result", "on"), "rectification": ("on",)}
TO_FILL_FILL = PatternFill("solid", fgColor="FFF2CC")

HOW = {
    "zh": ("历史事项补登表：监测起始日之前到期、尚未登记事实的事项，每行一项。请填写黄色单元格（报送日期；复核、评估的结果和日期；"
           "整改完成日期），然后用 monitor import-facts 导入（或在控制台上传）。暂时无法填写的行请删除：它们仍为“历史事项未登记”，"
           "下次导出时会再次列出。最后两列仅供参考，导入时忽略。"),
    "en": ("Back-fill sheet: the obligations due before the baseline with no fact recorded, one a row. Fill in the "
           "yellow cells (the filing day; a review's or an evaluation's result and day; the day a rectification was "
           "completed) and read it back with monitor import-facts (or upload it in the console). Delete the rows you "
           "cannot fill yet: they stay unrecorded and are listed again next time. The last two columns are for "
           "reference and skipped on import."),
}


def backfill_rows(items: Iterable[Evaluated], lang: str) -> list[tuple[Cluster, Obligation]]:
    """Every unrecorded obligation of ``items``, in cluster order then due day."""
    found = [(item.facts.cluster, o) for item in items for o in item.verdict.obligations
             if o.state is ObligationState.UNRECORDED and o.kind in FACT_OF]
    return sorted(found, key=lambda pair: (pair[0].id, pair[1].due or pair[1].changed_on, pair[1].key))


def _values(cluster: Cluster, obligation: Obligation, lang: str) -> dict[str, Any]:
    kind = FACT_OF[obligation.kind]
    values: dict[str, Any] = {"cluster": cluster.id, "fact": spelled("fact", kind) if lang == "zh" else kind}
    if obligation.kind == "annual_report":
        values["year"] = obligation.year
    if obligation.kind == "change_filing":
        change = obligation.change_kind or ""
        values["change_kind"] = spelled("change", change) if lang == "zh" else change
        values["changed_on"] = obligation.changed_on
    return values


def write_backfill(path: Path, items: Iterable[Evaluated], lang: str) -> int:
    """The sheet, written whole to ``path``; how many obligations it lists."""
    pairs = backfill_rows(items, lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "历史事项补登" if lang == "zh" else "backfill"
    names = [name for name, _, _ in FACT_COLUMNS]
    headers = [headers[-1] if lang == "zh" else name for name, headers, _ in FACT_COLUMNS]
    info = list(BACKFILL_COLUMNS[lang])
    for number, text in enumerate([*headers, *info], start=1):
        cell = sheet.cell(1, number, text)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        sheet.column_dimensions[get_column_letter(number)].width = 14 if number <= len(headers) else 30
    for line, (cluster, obligation) in enumerate(pairs, start=2):
        values = _values(cluster, obligation, lang)
        fill = TO_FILL[FACT_OF[obligation.kind]]
        for number, name in enumerate(names, start=1):
            target = sheet.cell(line, number, values.get(name))
            if name in ("filed_on", "changed_on", "on", "dismissed_on"):
                target.number_format = DATE_FORMAT
            if name in fill:
                target.fill = TO_FILL_FILL
        sheet.cell(line, len(names) + 1, f"{cluster.name} · {obligation_label(obligation, lang)}").fill = INFO_FILL
        due = sheet.cell(line, len(names) + 2, obligation.due)
        due.number_format, due.fill = DATE_FORMAT, INFO_FILL
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("说明" if lang == "zh" else "instructions")
    help_sheet["A1"] = HOW[lang]
    write_whole(path, book.save)
    return len(pairs)
