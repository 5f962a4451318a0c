"""Policies by name everywhere (issue 27, item 2): the report, the monitoring report and the workbooks name a
regime by its policy's title, never by its id (``miit-sme-2022``), except where the id is a key: the ``data-``
attributes a program reads, and the roster sheet that imports back. The calendar is tests/test_calendar.py's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from openpyxl import load_workbook

from monitor.rules.indicators import load_vocabulary
from monitor.rules.listing import Evaluated
from monitor.rules.packs import load_packs
from monitor.views.assessment_files import write_assessment
from tests.assessment_fixtures import AS_OF, REGIMES, YEAR, evaluated_clusters
from tests.helpers import monitor, own_config, status_json
from tests.test_zh_everywhere import visible

TITLES = {pack.id: pack.title for pack in load_packs().values()}
IDS = re.compile("|".join(re.escape(regime) for regime in TITLES))


def _ids_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if IDS.search(line)]


def test_the_report_names_each_policy_by_its_title(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    path = tmp_path / "report.html"
    assert monitor("report", str(path), "--as-of", "2026-11-22", config=config).exit_code == 0
    html = path.read_text(encoding="utf-8")
    shown = visible(html)                  # text, the chart's tooltips (<title>), and title attributes
    assert not _ids_in(shown), _ids_in(shown)
    regimes = {c["regime"] for c in status_json(config, "--as-of", "2026-11-22")["clusters"] if c["warnings"]}
    assert len(regimes) >= 2 and all(TITLES[r] in shown for r in regimes)
    assert re.search(r'data-regime="miit-sme-2022"', html)     # the key stays where a program reads it
    tooltips = re.findall(r"<title>(\d{4}-\d{2}) ([^:<]+): \d+</title>", html)
    assert tooltips and {name for _, name in tooltips} <= set(TITLES.values())


def _assessment(tmp_path: Path, suffix: str) -> tuple[Path, list[Evaluated]]:
    items = evaluated_clusters(12)
    path = tmp_path / f"assessment.{suffix}"
    write_assessment(path, items, YEAR, load_vocabulary(), AS_OF, dt.datetime(2026, 5, 10, 1, tzinfo=dt.UTC), "zh",
                     "Asia/Shanghai", "", TITLES)
    return path, items


def test_the_monitoring_report_names_each_policy_by_its_title(tmp_path: Path) -> None:
    path, _ = _assessment(tmp_path, "html")
    html = path.read_text(encoding="utf-8")
    shown = visible(html)
    assert not _ids_in(shown), _ids_in(shown)
    labels = set(re.findall(r'class="series" data-label="([^"]*)"', html))
    assert {TITLES[r] for r in REGIMES} <= labels     # a region's chart: a series a policy, labelled by its name


def test_the_monitoring_workbook_names_each_policy_and_state_in_words(tmp_path: Path) -> None:
    path, items = _assessment(tmp_path, "xlsx")
    rows = list(load_workbook(path, read_only=True)["集群"].iter_rows(values_only=True))
    assert rows[0][3] == "适用办法"
    by_id = {row[0]: row for row in rows[1:]}
    for item in items:
        row = by_id[item.facts.cluster.id]
        assert row[3] == TITLES[item.facts.cluster.regime] and row[4] == "有效"


def test_the_export_names_the_policy_where_the_roster_needs_no_key(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    path = tmp_path / "export.xlsx"
    assert monitor("export", str(path), "--as-of", "2026-11-22", config=config).exit_code == 0
    book = load_workbook(path, read_only=True)
    for sheet in ("事项", "警示"):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert rows[0][2] == "适用办法" and len(rows) > 5
        assert {row[2] for row in rows[1:]} <= set(TITLES.values()), sheet
    clusters = list(book["集群"].iter_rows(values_only=True))
    column = clusters[0].index("适用办法")
    assert {row[column] for row in clusters[1:]} <= set(TITLES)     # the roster's key: it imports back
