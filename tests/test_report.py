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

    # the table: every warning, with its article
    rows = browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr")
    expected = sorted((c["id"], w["basis"]) for c in clusters for w in c["warnings"])
    shown_rows = sorted((r.find_element(By.CSS_SELECTOR, "td:nth-child(2) .meta").text,
                         r.find_element(By.CSS_SELECTOR, "td.basis").text) for r in rows)
    assert shown_rows == expected


def test_filtering_the_table_by_severity_and_text(browser: webdriver.Chrome, page: tuple[Path, dict[str, Any], Path]) -> None:
    path, document, _ = page
    browser.get(path.as_uri())
    risk = [(c["id"], w) for c in document["clusters"] for w in c["warnings"] if w["severity"] == "risk"]
    assert risk
    browser.find_element(By.CSS_SELECTOR, 'button[data-filter="risk"]').click()
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr") if r.is_displayed()]
    assert len(visible) == len(risk)
    assert {r.get_attribute("data-severity") for r in visible} == {"risk"}
    browser.find_element(By.CSS_SELECTOR, 'button[data-filter=""]').click()
    browser.find_element(By.ID, "search").send_keys("MIIT-2022-015")
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#warnings tbody tr") if r.is_displayed()]
    expected = next(len(c["warnings"]) for c in document["clusters"] if c["id"] == "MIIT-2022-015")
    assert len(visible) == expected > 0


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
