"""The console and the report on a phone (issue 27, item 5), in Debian's Chromium with device metrics emulated at a
true 390 px viewport, and at 1,200 px: nothing wider than the viewport, the overview's and the cluster page's rows
as cards with the name whole, the overview paged by 50, every label at least 10 px on the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import monitor, own_config
from tests.web_helpers import PASSWORD, Console, add_user, console, run_cli, seeded

REGIONS = ("呼和浩特市", "包头市", "鄂尔多斯市", "赤峰市", "乌兰察布市", "阿拉善盟")
NAME = "锡林郭勒盟二连浩特市中蒙跨境现代物流与进出口加工特色产业集群"     # a long name, to be shown whole
HEADER = "id,name,regime,certified_on,region,operator,operator_email,bureau_email,batch,valid_until\n"
ROWS = "".join(f"NMG-{n:03d},{REGIONS[n % len(REGIONS)]}第{n}号{NAME},miit-sme-2022,2023-01-{1 + n % 28:02d},"
               f"{REGIONS[n % len(REGIONS)]},运营{n},op{n}@example.cn,b{n % 6}@example.gov.cn,2023,\n" for n in range(61))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("web-phone")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url)
    roster = tmp / "many.csv"
    roster.write_text(HEADER + ROWS, encoding="utf-8")
    run_cli(config, url, "import", str(roster))
    add_user(config, url, "admin", "admin")
    with console(tmp, url, config) as running:
        yield running


def _width(browser: webdriver.Chrome, width: int) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": width < 640})


def _sign_in(browser: webdriver.Chrome, site: Console) -> None:
    browser.delete_all_cookies()
    browser.get(site.base + "/login")
    browser.find_element(By.ID, "name").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "user"))


WIDEST = """return [...document.querySelectorAll('body *')].filter(e => e.getClientRects().length)
  .map(e => [e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className, e.getBoundingClientRect().right])
  .filter(([_, right]) => right > window.innerWidth + 0.5).slice(0, 5)"""
SPILLING = """return [...document.querySelectorAll('main td, main p, main h1, main li')].filter(e => e.getClientRects().length)
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 30))
  .slice(0, 5)"""
SMALLEST = """return [...document.querySelectorAll('body *')].filter(e => e.getClientRects().length
    && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => [e.tagName + '.' + e.className, parseFloat(getComputedStyle(e).fontSize)])
  .filter(([_, size]) => size < 10).slice(0, 5)"""


def _fits(browser: webdriver.Chrome) -> None:
    width = browser.execute_script("return window.innerWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert browser.execute_script(WIDEST) == []
    assert browser.execute_script(SMALLEST) == []
    if width < 640:                                                       # the text wraps within its card
        assert browser.execute_script(SPILLING) == []


@pytest.mark.parametrize("width", [390, 1200])
def test_the_overview_and_the_cluster_page_fit(browser: webdriver.Chrome, site: Console, width: int) -> None:
    _width(browser, width)
    try:
        _sign_in(browser, site)
        assert browser.execute_script("return window.innerWidth") == width
        browser.get(site.base + "/?sort=id")
        _fits(browser)
        rows = browser.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
        assert len(rows) == 50                                           # 64 clusters: paged by 50
        name = rows[3].find_element(By.CSS_SELECTOR, "td.name")
        assert name.text.endswith(NAME)                                   # the name whole, not cut
        due = rows[3].find_element(By.CSS_SELECTOR, "td.due")
        assert due.is_displayed() and ("逾期" in due.text or "剩余" in due.text) and "-" not in due.text.split()[-1]
        assert rows[3].find_element(By.CSS_SELECTOR, "td.top .badge").is_displayed()   # the principal warning
        if width < 640:
            card = rows[3].rect
            assert card["width"] <= width and name.rect["width"] >= card["width"] - 30   # a card, the name a line
            assert name.rect["height"] <= 4 * 26                          # a long name in few lines, not 2 a line
        else:
            assert len({c.rect["y"] for c in rows[3].find_elements(By.TAG_NAME, "td")}) == 1   # a table row
        assert len(browser.find_elements(By.LINK_TEXT, "下一页")) == 2          # above and below the cards
        browser.find_element(By.CSS_SELECTOR, "#pager-bottom a").click()
        WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")) == 14)
        _fits(browser)
        browser.get(site.base + "/clusters/NMG-003")
        _fits(browser)
        assert browser.find_element(By.ID, "cluster-name").text.endswith(NAME)
        left = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#obligations td:nth-child(3)")]
        assert left and all(re.fullmatch(r"(逾期|剩余)\d+天", text) for text in left if text), left
        assert any(text.startswith("逾期") for text in left)
        for region in ("/?region=包头市", "/daemon"):
            browser.get(site.base + region)
            _fits(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


CHART = """const svg = document.querySelector('#timeline svg'); const scale = svg.getBoundingClientRect().width / 960;
return [...svg.querySelectorAll('text')].filter(t => t.getClientRects().length)
  .map(t => parseFloat(getComputedStyle(t).fontSize) * scale)"""


@pytest.mark.parametrize("width", [390, 1200])
def test_the_reports_chart_labels_are_at_least_10_px(browser: webdriver.Chrome, tmp_path: Path, width: int) -> None:
    config = own_config(tmp_path)
    path = tmp_path / "report.html"
    assert monitor("report", str(path), "--as-of", "2026-11-22", config=config).exit_code == 0
    _width(browser, width)
    try:
        browser.get(path.as_uri())
        sizes = browser.execute_script(CHART)
        assert len(sizes) >= 6 and min(sizes) >= 10, sizes
        _fits(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
