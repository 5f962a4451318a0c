"""`monitor report`: the page rendered in a real headless Chromium (Debian's chromium and chromedriver, which
scripts/test installs), with no network; assertions on what the browser laid out, and a screenshot."""

from __future__ import annotations

import io
import os
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.conftest import HEIGHT, WIDTH
from tests.helpers import monitor, own_config, status_json

AS_OF = "2026-11-22"
HORIZON = "2027-10-31"            # the end of the twelfth month


@pytest.fixture
def page(tmp_path: Path) -> tuple[Path, dict[str, Any], Path]:
    config = own_config(tmp_path)
    path = tmp_path / "report.html"
    result = monitor("report", str(path), "--as-of", AS_OF, config=config)
    assert result.exit_code == 0, result.output
    return path, status_json(config, "--as-of", AS_OF), config


def test_the_page_needs_nothing_from_the_network(page: tuple[Path, dict[str, Any], Path]) -> None:
    html = page[0].read_text(encoding="utf-8")
    for reference in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert reference not in html


def test_rendered_counts_chart_and_warnings_match_status(browser: webdriver.Chrome,
                                                         page: tuple[Path, dict[str, Any], Path]) -> None:
    path, document, config = page
    browser.get(path.as_uri())
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    clusters = document["clusters"]
    states = Counter(c["state"] for c in clusters)
    severities = Counter(w["severity"] for c in clusters for w in c["warnings"])
    for key, expected in [*states.items(), *severities.items()]:
        shown = browser.find_element(By.CSS_SELECTOR, f'[data-count="{key}"] b')
        assert shown.is_displayed() and int(shown.text) == expected

    # the chart: one bar a month; each bar's segments add up to the obligations due that month and not done by
    # AS_OF, as `status` lists them at the window's end (next year's annual reports are known by then)
    later = status_json(config, "--as-of", HORIZON)["clusters"]
    due: Counter[tuple[str, str]] = Counter(
        (o["due"][:7], c["regime"]) for c in later if c["state"] != "revoked" for o in c["obligations"]
        if o["due"] and AS_OF <= o["due"] <= HORIZON and not (o["done_on"] and o["done_on"] <= AS_OF))
    known_now = sum(1 for c in clusters for o in c["obligations"] if o["due"] and AS_OF <= o["due"] <= HORIZON)
    assert sum(due.values()) > known_now          # 2026's annual reports, due in spring 2027, are in the chart
    bars = browser.find_elements(By.CSS_SELECTOR, "#timeline g.bar")
    assert [bar.get_attribute("data-month") for bar in bars][:3] == ["2026-11", "2026-12", "2027-01"]
    assert len(bars) == 12
    drawn: Counter[tuple[str, str]] = Counter()
    heights: dict[tuple[str, str], float] = {}
    for bar in bars:
        for rect in bar.find_elements(By.TAG_NAME, "rect"):
            key = (bar.get_attribute("data-month") or "", rect.get_attribute("data-regime") or "")
            drawn[key] += int(rect.get_attribute("data-count") or 0)
            heights[key] = rect.rect["height"]
    assert +drawn == +Counter({k: v for k, v in due.items() if k[0] in {b.get_attribute("data-month") for b in bars}})
    assert len({regime for _, regime in drawn}) >= 2
    # laid out by the browser: a segment's height is proportional to its count
    per_item = {round(height / drawn[key], 1) for key, height in heights.items()}
    assert len(per_item) == 1 and next(iter(per_item)) > 10

    # the table: one row a cluster with warnings, each warning with its article and a date
    rows = browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr")
    assert [r.get_attribute("data-cluster") for r in rows] == [c["id"] for c in clusters if c["warnings"]] or \
        sorted(r.get_attribute("data-cluster") or "" for r in rows) == sorted(c["id"] for c in clusters if c["warnings"])
    expected = sorted((c["id"], w["basis"]) for c in clusters for w in c["warnings"])
    shown_rows = sorted((r.get_attribute("data-cluster") or "", li.find_element(By.CSS_SELECTOR, ".basis").text)
                        for r in rows for li in r.find_elements(By.CSS_SELECTOR, "li"))
    assert shown_rows == expected
    dates = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#warnings li time")]
    assert len(dates) == len(expected) and all(len(day) == 10 for day in dates)    # every date filled
    policies = {r.get_attribute("data-cluster"): r.find_element(By.CSS_SELECTOR, "td.policy").text for r in rows}
    assert policies["MIIT-2022-015"] == "《促进中小企业特色产业集群发展暂行办法》"      # the policy, not its code


def test_filtering_the_table_by_severity_and_text(browser: webdriver.Chrome, page: tuple[Path, dict[str, Any], Path]) -> None:
    path, document, _ = page
    browser.get(path.as_uri())
    risk = {c["id"] for c in document["clusters"] for w in c["warnings"] if w["severity"] == "risk"}
    assert risk
    browser.find_element(By.CSS_SELECTOR, 'button[data-filter="risk"]').click()
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr") if r.is_displayed()]
    assert {r.get_attribute("data-cluster") for r in visible} == risk      # the clusters with a risk warning
    browser.find_element(By.CSS_SELECTOR, 'button[data-filter=""]').click()
    browser.find_element(By.ID, "search").send_keys("MIIT-2022-015")
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr") if r.is_displayed()]
    assert [r.get_attribute("data-cluster") for r in visible] == ["MIIT-2022-015"]


def test_screenshot(browser: webdriver.Chrome, page: tuple[Path, dict[str, Any], Path], tmp_path: Path) -> None:
    browser.get("about:blank")
    blank = browser.get_screenshot_as_png()
    browser.get(page[0].as_uri())
    shot = browser.get_screenshot_as_png()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot[16:24])   # the IHDR chunk
    viewport = browser.execute_script("return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]")
    assert [width, height] == viewport and width == WIDTH
    assert len(shot) > 10 * len(blank)                   # text, badges and a chart, not an empty page
    # what is drawn: each bar segment of the chart shows its regime's colour where the browser laid it out
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    ratio = browser.execute_script("return devicePixelRatio")
    checked = 0
    for rect in browser.find_elements(By.CSS_SELECTOR, "#timeline g.bar rect"):
        box = rect.rect
        if box["height"] < 6 or box["y"] + box["height"] > HEIGHT:
            continue
        colour = rect.get_attribute("fill") or ""
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        centre = (int((box["x"] + box["width"] / 2) * ratio), int((box["y"] + box["height"] / 2) * ratio))
        got = image.getpixel(centre)
        assert isinstance(got, tuple) and all(abs(a - b) <= 8 for a, b in zip(got, want, strict=True)), (
            rect.get_attribute("data-regime"), got, want)
        checked += 1
    assert checked >= 3
    # and the page's text was painted: the title's band holds dark pixels
    title = browser.find_element(By.TAG_NAME, "h1").rect
    band = image.crop((int(title["x"] * ratio), int(title["y"] * ratio), int((title["x"] + title["width"]) * ratio),
                       int((title["y"] + title["height"]) * ratio))).convert("L")
    assert sum(1 for value in band.tobytes() if value < 100) > 200
    target = Path(os.environ.get("MONITOR_REPORT_SCREENSHOT", tmp_path / "report.png"))
    target.write_bytes(shot)


LAYOUT = """
const cells = [...document.querySelectorAll('#warnings td, #regions td:first-child')];
return {
  scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  narrow: cells.filter(c => c.getBoundingClientRect().width < 60).map(c => c.textContent.trim()).slice(0, 5),
  names: Math.min(...[...document.querySelectorAll('#warnings td.cluster b')].map(b => b.getBoundingClientRect().width)),
};
"""


@pytest.mark.parametrize("width", [390, 1400])
def test_the_page_reads_on_a_phone_and_on_a_desktop(browser: webdriver.Chrome,
                                                    page: tuple[Path, dict[str, Any], Path], width: int) -> None:
    """A page forwarded to a phone (390 px) or opened on a desktop: no sideways scrolling, no name squeezed to a
    character a line (each warnings-table cell at least 60 px wide, names at least 6 characters)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 640})
    try:
        browser.get(page[0].as_uri())
        layout = browser.execute_script(LAYOUT)
        assert layout["scroll"] <= 0, layout
        assert layout["narrow"] == [] and layout["names"] >= 6 * 14, layout
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_title_names_the_department_and_totals_go_by_region(tmp_path: Path) -> None:
    config = own_config(tmp_path, text='[general]\ndepartment = "内蒙古自治区工业和信息化厅"\n')
    path = tmp_path / "report.html"
    assert monitor("report", str(path), "--as-of", AS_OF, config=config).exit_code == 0
    html = path.read_text(encoding="utf-8")
    assert "<title>内蒙古自治区工业和信息化厅 · 产业集群动态管理报告" in html
    document = status_json(config, "--as-of", AS_OF)
    regions = Counter(c.get("region") for c in document["clusters"])
    for region, count in regions.items():
        assert f'data-region="{region}">\n      <td>{region}</td><td class="num" data-count="clusters">{count}</td>' in html
    assert '<span>撤销情形</span>' in html and '<span>已撤销</span>' in html


def test_a_pdf_is_a_real_pdf_with_the_reports_counts(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from monitor.views.pdf import browser as chromium

    if chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is needed to print the report (scripts/test installs it)")
        pytest.skip("Chromium is not installed")
    config = own_config(tmp_path)
    path = tmp_path / "report.pdf"
    result = monitor("report", str(path), "--as-of", AS_OF, config=config)
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:5] == b"%PDF-"
    text = "".join(p.extract_text() for p in PdfReader(path).pages)      # as written: no radicals to normalise
    document = status_json(config, "--as-of", AS_OF)
    revocation = sum(1 for c in document["clusters"] for w in c["warnings"] if w["severity"] == "revocation")
    assert f"{revocation}\n撤销情形" in text and f"截至 {AS_OF} · {len(document['clusters'])} 集群" in text
    joined = text.replace("\n", "")        # a long id may be broken across two lines of a cell
    for cluster in document["clusters"]:
        if cluster["warnings"]:
            assert cluster["id"] in joined
    refused = monitor("report", str(tmp_path / "report.txt"), config=config)
    assert refused.exit_code == 2 and "报告只能写成 .html 或 .pdf" in refused.stderr
    assert not (tmp_path / "report.txt").exists()


def test_a_snoozed_obligations_warning_says_so_as_an_acknowledged_one_does(tmp_path: Path) -> None:
    """Issue 27: acks and snoozes are visible wherever the warning is. A warning about a snoozed obligation is
    marked 已暂停提醒至 D (greyed as an acknowledged one is); the others stay plain."""
    config = own_config(tmp_path)
    assert monitor("snooze", "MIIT-2022-015", "renewal_review", "--until", "2026-12-20", "--note", "已电话联系",
                   config=config).exit_code == 0
    path = tmp_path / "report.html"
    assert monitor("report", str(path), "--as-of", AS_OF, config=config).exit_code == 0
    html = path.read_text(encoding="utf-8")
    row = html.split('data-cluster="MIIT-2022-015"', 1)[1].split("</tr>", 1)[0]
    held = [item for item in row.split("<li ")[1:] if "snoozed-until" in item]
    assert len(held) == 1 and 'class="acked"' in held[0] and "已暂停提醒至2026-12-20" in held[0], row
    assert "2025-12-31" in held[0]          # the warning of the renewal review due then (validity_expired)
    assert html.count("snoozed-until") == 1
