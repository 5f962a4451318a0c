"""`monitor report --monitoring FILE`: the assessment report written whole, as a page (monitor.views.assessment),
its PDF or its workbook (monitor.views.assessment_xlsx)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from monitor.rules.indicators import Vocabulary
from monitor.rules.listing import Evaluated
from monitor.views.assessment import Page, assemble, render
from monitor.views.assessment_xlsx import write_workbook
from monitor.views.files import write_whole


def write_assessment(path: Path, items: Iterable[Evaluated], year: int, vocabulary: Vocabulary, as_of: dt.date,
                     now: dt.datetime, lang: str, timezone: str, department: str = "",
                     policies: Mapping[str, str] | None = None) -> Page:
    """The report written whole to ``path``: .html, .pdf (the page printed by Chromium) or .xlsx."""
    page = assemble(items, year, lang)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_workbook(path, page, vocabulary, lang, policies)
        return page
    html = render(page, vocabulary, as_of, now, lang, timezone, department, policies)
    if suffix == ".pdf":
        from monitor.views.pdf import print_pdf

        print_pdf(html, path)       # its text layer made the Chinese written (monitor/views/pdf_text.py)
    else:
        write_whole(path, lambda out: out.write(html.encode("utf-8")))
    return page
