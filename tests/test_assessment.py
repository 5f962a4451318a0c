"""The assessment report (`monitor report --monitoring`, issue 28 item 5): every figure of its tables recomputed
here from the raw values (plain Python, not pandas), its charts' data points read back from the SVG, the page in
Chromium at 1,200 and 390 px (no script, nothing wider than the viewport, chart labels at least 10 px), the PDF's
text as written (no Kangxi radicals), the workbook's numbers, and the command's refusals."""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.common.by import By

from monitor.rules.indicators import load_vocabulary
from monitor.rules.listing import Evaluated
from monitor.rules.states import StandardState
from monitor.views.assessment import DETAILED, number
from monitor.views.assessment_files import write_assessment
from tests.assessment_fixtures import AS_OF, YEAR, evaluated_clusters
from tests.helpers import monitor, own_config

NOW = dt.datetime(2026, 5, 10, 8, tzinfo=dt.UTC)


def _write(path: Path, items: list[Evaluated], lang: str = "zh") -> Path:
    write_assessment(path, items, YEAR, load_vocabulary(), AS_OF, NOW, lang, "Asia/Shanghai", "内蒙古自治区工业和信息化厅",
                     {"miit-sme-2022": "中小企业特色产业集群", "nmg-sme-draft": "内蒙古特色产业集群"})
    return path


# --- the expected figures, recomputed from the raw values ---------------------------------------------------------

def _values(items: list[Evaluated]) -> dict[tuple[str, str, int], float]:
    return {(i.facts.cluster.id, v.code, v.year): v.value for i in items for v in i.facts.indicators}


def _growth(values: dict[tuple[str, str, int], float], cluster: str, code: str) -> float | None:
    now, before = values.get((cluster, code, YEAR)), values.get((cluster, code, YEAR - 1))
    if now is None or before is None or before <= 0:
        return None
    return (now / before - 1) * 100


def _rank(items: list[Evaluated], values: dict[tuple[str, str, int], float], cluster: str, code: str) -> str:
    regime = next(i.facts.cluster.regime for i in items if i.facts.cluster.id == cluster)
    mine = values.get((cluster, code, YEAR))
    if mine is None:
        return "—"
    peers = [values[(i.facts.cluster.id, code, YEAR)] for i in items if i.facts.cluster.regime == regime
             and (i.facts.cluster.id, code, YEAR) in values]
    return f"{1 + sum(1 for p in peers if p > mine)}/{len(peers)}"


def _risky(item: Evaluated) -> bool:
    return any(s.state is not StandardState.MET for s in item.verdict.standards)


def _percent(value: float | None) -> str:
    return "—" if value is None else number(value, 1) + "%"


@pytest.fixture(scope="module")
def items() -> list[Evaluated]:
    return evaluated_clusters(12)


@pytest.fixture(scope="module")
def page(items: list[Evaluated], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("assessment") / "assessment.html", items)


def _cells(html: str, table: str) -> dict[str, dict[str, str]]:
    """A table's rows by their data-cluster or data-region, each cell by its data-field (text without tags)."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for key, row in re.findall(r'<tr data-(?:cluster|region)="([^"]*)">(.*?)</tr>', body, re.DOTALL):
        rows[key] = {field: re.sub(r"<[^>]+>|\s+", "", text) for field, text in
                     re.findall(r'data-field="([a-z_]+)">(.*?)</td>', row, re.DOTALL)}
    return rows


def test_every_figure_of_the_clusters_table_is_recomputed(items: list[Evaluated], page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    values = _values(items)
    rows = _cells(html, "clusters")
    assert sorted(rows) == sorted(i.facts.cluster.id for i in items)
    for item in items:
        cid = item.facts.cluster.id
        row = rows[cid]
        assert row["output"] == number(values.get((cid, "output", YEAR))), cid
        assert row["growth"] == _percent(_growth(values, cid, "output")), cid
        assert row["rank"] == _rank(items, values, cid, "output"), cid
    # some growths and ranks are real numbers, some missing: the recomputation covered both
    assert {r["growth"] == "—" for r in rows.values()} == {True, False}


def test_every_figure_of_the_regions_table_is_recomputed(items: list[Evaluated], page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    values = _values(items)
    rows = _cells(html, "regions")
    regions: dict[str, list[Evaluated]] = defaultdict(list)
    for item in items:
        regions[item.facts.cluster.region or ""].append(item)
    assert sorted(rows) == sorted(regions)
    for region, members in regions.items():
        ids = [m.facts.cluster.id for m in members]
        outputs = [values[(c, "output", YEAR)] for c in ids if (c, "output", YEAR) in values]
        both = [c for c in ids if (c, "output", YEAR) in values and (c, "output", YEAR - 1) in values]
        growth = (sum(values[(c, "output", YEAR)] for c in both) / sum(values[(c, "output", YEAR - 1)] for c in both)
                  - 1) * 100
        row = rows[region]
        assert row["clusters"] == str(len(members))
        assert row["reported"] == str(sum(1 for c in ids if any(k[0] == c and k[2] == YEAR for k in values)))
        assert row["output_total"] == number(sum(outputs))
        assert row["output_median"] == number(statistics.median(outputs))
        assert row["output_growth"] == _percent(growth)
        assert row["met"] == str(sum(1 for m in members if all(s.state is StandardState.MET
                                                                 for s in m.verdict.standards)))
        assert row["at_risk"] == str(sum(1 for m in members if _risky(m)))


def test_the_clusters_at_risk_are_listed_with_why_and_their_next_review(items: list[Evaluated], page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    body = html.split('id="risky"', 1)[1].split("</table>", 1)[0]
    listed = re.findall(r'<tr data-cluster="([^"]+)">', body)
    expected = sorted((i for i in items if _risky(i)), key=lambda i: (i.verdict.obligations[0].due, i.facts.cluster.id))
    assert listed == [i.facts.cluster.id for i in expected] and listed
    for item in expected:
        row = body.split(f'data-cluster="{item.facts.cluster.id}"', 1)[1].split("</tr>", 1)[0]
        assert str(item.verdict.obligations[0].due) in row
        state = item.verdict.standards[0].state
        assert ("未达标" if state is StandardState.UNMET else "缺数据") in row and "近三年产值均在40亿元以上" in row


def test_each_clusters_indicators_over_the_years_and_its_standard(items: list[Evaluated], page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    values = _values(items)
    sections = re.findall(r'<section class="cluster" data-cluster="([^"]+)">(.*?)</section>', html, re.DOTALL)
    assert len(sections) == min(DETAILED, len(items))
    for cid, section in sections:
        for code, row in re.findall(r'<tr data-code="([a-z_0-9]+)">(.*?)</tr>', section, re.DOTALL):
            for year, shown in re.findall(r'data-year="(\d+)">([^<]*)<', row):
                assert shown == number(values.get((cid, code, int(year)))), (cid, code, year)
            growth = re.search(r'data-field="growth">(.*?)</td>', row, re.DOTALL)
            assert growth and growth.group(1).strip() == _percent(_growth(values, cid, code)), (cid, code)
            rank = re.search(r'data-field="rank">([^<]*)<', row)
            expected = _rank(items, values, cid, code) if code in ("output", "sme_output_share") else "—"
            assert rank and rank.group(1) == expected, (cid, code)
        item = next(i for i in items if i.facts.cluster.id == cid)
        for standard in item.verdict.standards:
            assert f'data-item="{standard.item}" data-state="{standard.state}"' in section


def test_the_series_charts_carry_the_data_points(items: list[Evaluated], page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    values = _values(items)
    sections = dict(re.findall(r'<section class="cluster" data-cluster="([^"]+)">(.*?)</section>', html, re.DOTALL))
    charted = 0
    for cid, section in sections.items():
        points = re.findall(r'<use [^>]*class="point" data-year="(\d+)" data-value="([^"]+)"><title>([^<]*)</title>',
                            section)
        expected = sorted((y, v) for (c, code, y), v in values.items() if c == cid and code == "output")
        assert [(int(y), float(v)) for y, v, _ in points] == expected[-len(points):] if points else not expected
        charted += bool(points)
        if points:
            assert 'stroke="#b00020"' in section        # the standard's threshold line
    assert charted >= 8
    assert "<script" not in html and "style=\"" not in html.split("</style>", 1)[1]
    # the distributions: one point a cluster that reported output, with its value
    dist = html.split('id="distributions"', 1)[1].split("<h2>", 1)[0]
    found = re.findall(r'class="point" data-cluster="([^"]+)" data-value="([^"]+)"', dist)
    assert sorted((c, float(v)) for c, v in found) == sorted(
        (c, v) for (c, code, y), v in values.items() if code == "output" and y == YEAR)


def _layout(browser: webdriver.Chrome, path: Path, width: int) -> dict[str, object]:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 640})
    browser.get(path.as_uri())
    result: dict[str, object] = browser.execute_script("""
      const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
                   .map(e => e.tagName + '.' + (e.getAttribute('class') || ''));
      const labels = [...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height);
      const fonts = [...document.querySelectorAll('svg.chart text')].map(t => parseFloat(getComputedStyle(t).fontSize)
                    * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b));
      return {scroll: document.documentElement.scrollWidth - innerWidth, wide: wide, scripts:
              document.querySelectorAll('script').length, fonts: fonts, labels: labels.length,
              points: document.querySelectorAll('svg.chart use.point').length};""")
    return result


@pytest.mark.parametrize("width", [390, 1200])
def test_the_page_in_chromium(browser: webdriver.Chrome, page: Path, width: int) -> None:
    layout = _layout(browser, page, width)
    try:
        assert layout["scroll"] == 0 and layout["wide"] == [], layout
        assert layout["scripts"] == 0 and int(str(layout["points"])) > 20
        fonts = layout["fonts"]
        assert isinstance(fonts, list) and fonts and min(fonts) >= 10, fonts
        titles = browser.find_elements(By.CSS_SELECTOR, "svg.chart use.point title")
        assert titles and all(t.get_attribute("textContent") for t in titles)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_pdf_text_is_the_chinese_written(items: list[Evaluated], tmp_path: Path) -> None:
    from pypdf import PdfReader

    from monitor.views.pdf import browser as chromium

    if chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is needed to print the report")
        pytest.skip("Chromium is not installed")
    path = _write(tmp_path / "assessment.pdf", items)
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert "赤峰市" in text and "产业集群发展评估报告" in text
    assert not [c for c in text if 0x2F00 <= ord(c) <= 0x2FDF], "Kangxi radicals in the PDF's text"


def test_the_workbook_holds_every_clusters_figures(items: list[Evaluated], tmp_path: Path) -> None:
    path = _write(tmp_path / "assessment.xlsx", items)
    values = _values(items)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["地区汇总", "集群", "指标", "认定标准", "复核风险"]
    rows = list(book["指标"].iter_rows(values_only=True))
    header = rows[0]
    years = [int(str(h)) for h in header[4:-2]]
    assert years[-1] == YEAR
    seen = 0
    for short in rows[1:]:
        row = (*short, *[None] * (len(header) - len(short)))     # read-only mode drops trailing empty cells
        cid, code = row[0], row[1]
        for year, value in zip(years, row[4:-2], strict=True):
            assert value == values.get((str(cid), str(code), year))
            seen += value is not None
    assert seen == sum(1 for (_, _, y) in values if y in years)
    clusters = {r[0]: (*r, *[None] * (13 - len(r))) for r in list(book["集群"].iter_rows(values_only=True))[1:]}
    for item in items:
        cid = item.facts.cluster.id
        assert clusters[cid][5] == values.get((cid, "output", YEAR))
        assert clusters[cid][12] == ("✓" if _risky(item) else None)


def test_the_command_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    result = monitor("report", "--monitoring", str(tmp_path / "a.csv"), config=config)
    assert result.exit_code == 2 and "评估报告只能写成 .html、.pdf 或 .xlsx" in result.output
    result = monitor("report", str(tmp_path / "a.html"), "--year", "2025", config=config)
    assert result.exit_code == 2 and "--year 用于评估报告" in result.output
    result = monitor("report", "--monitoring", "--year", "2027", "--as-of", "2026-05-10", str(tmp_path / "a.html"),
                     config=config)
    assert result.exit_code == 2 and "晚于" in result.output
    assert not (tmp_path / "a.html").exists()


def test_the_command_writes_the_report_of_the_stored_roster(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    path = tmp_path / "assessment.html"
    result = monitor("report", "--monitoring", str(path), "--as-of", "2026-05-10", config=config)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{path}：2025 年度评估，截至 2026-05-10，8 个集群")
    html = path.read_text(encoding="utf-8")
    assert len(re.findall(r'<tr data-cluster="', html.split('id="clusters"')[1])) == 8


# --- end to end: indicators stored by `monitor import-indicators`, standards decided by the engine ---------------

STORED = """cluster,year,output,sme_output_share,leading_share
MIIT-2022-015,2022,38.5,72,75
MIIT-2022-015,2023,42,73,76
MIIT-2022-015,2024,46.2,74,77
MIIT-2022-015,2025,51,75,78
MIIT-2023-041,2023,55,66,80
MIIT-2023-041,2024,61.5,68,81
MIIT-2023-041,2025,58,69,82
MIIT-2024-007,2023,41,71,72
MIIT-2024-007,2025,44.8,72,73
NMG-SME-2023-007,2023,16,61,62
NMG-SME-2023-007,2024,18.4,62,63
NMG-SME-2023-007,2025,21,63,64
NMG-SME-2024-002,2023,14,58,70
NMG-SME-2024-002,2024,15.5,59,71
NMG-SME-2024-002,2025,17,60,72
"""


def test_the_report_of_stored_indicators_matches_status_and_the_raw_values(tmp_path: Path) -> None:
    import csv
    import io

    from tests.helpers import status_json

    config = own_config(tmp_path)
    sheet = tmp_path / "indicators.csv"
    sheet.write_text(STORED, encoding="utf-8")
    assert monitor("import-indicators", str(sheet), config=config).exit_code == 0
    path = tmp_path / "assessment.html"
    result = monitor("report", "--monitoring", str(path), "--as-of", "2026-05-10", config=config)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    raw = {(r["cluster"], code, int(r["year"])): float(r[code]) for r in csv.DictReader(io.StringIO(STORED))
           for code in ("output", "sme_output_share", "leading_share")}
    document = status_json(config, "--as-of", "2026-05-10")
    regimes = {c["id"]: c["regime"] for c in document["clusters"]}
    rows = _cells(html, "clusters")
    for cid, regime in regimes.items():
        mine = raw.get((cid, "output", 2025))
        assert rows[cid]["output"] == number(mine)
        before = raw.get((cid, "output", 2024))
        assert rows[cid]["growth"] == (_percent((mine / before - 1) * 100) if mine and before else "—")
        peers = [raw[(c, "output", 2025)] for c, r in regimes.items() if r == regime and (c, "output", 2025) in raw]
        assert rows[cid]["rank"] == (f"{1 + sum(p > mine for p in peers)}/{len(peers)}" if mine else "—")
    # the standard item by item is the engine's, as status --format json gives it
    sections = dict(re.findall(r'<section class="cluster" data-cluster="([^"]+)">(.*?)</section>', html, re.DOTALL))
    checked = 0
    for cluster in document["clusters"]:
        if cluster["id"] in sections and cluster.get("standards"):
            shown = re.findall(r'<tr data-item="[^"]+" data-state="([a-z_]+)">', sections[cluster["id"]])
            assert shown == [s["state"] for s in cluster["standards"]]
            checked += 1
    assert checked >= 4
    risky = re.findall(r'<tr data-cluster="([^"]+)">', html.split('id="risky"', 1)[1].split("</table>", 1)[0])
    assert sorted(risky) == sorted(c["id"] for c in document["clusters"] if c["state"] != "revoked" and any(
        s["state"] != "met" for s in c.get("standards", [])))
    assert "<script" not in html
