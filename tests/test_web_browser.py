"""The console in Debian's Chromium (selenium), against a real `monitor serve`: sign in, record a report and see
its warning go; a bureau user sees only its region; a name holding <script> is shown as text; logout ends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.web_helpers import PASSWORD, Console, add_user, console, seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("web-browser")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url)
    add_user(config, url, "admin", "admin")
    add_user(config, url, "bao", "bureau", "包头市")
    with console(tmp, url, config) as running:
        yield running


def _sign_in(browser: webdriver.Chrome, site: Console, name: str) -> None:
    browser.delete_all_cookies()
    browser.get(site.base + "/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    _submit(browser, "login")
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "user"))
    assert browser.find_element(By.ID, "user").text == name


def _submit(browser: webdriver.Chrome, element_id: str) -> None:
    """Click a submit button and wait for the next page."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()
    # while the old page goes, Chromium may answer "Node with given id does not belong to the document" (a
    # WebDriverException, not a stale element): asked again, the element is stale
    WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(staleness_of(page))
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


def _warning_keys(browser: webdriver.Chrome) -> set[str]:
    return {row.get_attribute("data-key") or "" for row in browser.find_elements(By.CSS_SELECTOR, "#warnings tr[data-key]")}


def test_record_a_report_and_its_warning_goes(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "admin")
    browser.find_element(By.LINK_TEXT, "BT-001").click()
    assert "annual_report_overdue:2025" in _warning_keys(browser)
    browser.execute_script("arguments[0].open = true", browser.find_element(By.ID, "record-report"))
    browser.find_element(By.ID, "report-year").send_keys("2025")
    date = browser.find_element(By.ID, "report-filed_on")
    browser.execute_script("arguments[0].value = '2026-03-20'", date)
    _submit(browser, "save-report")
    assert "已记录事实" in browser.find_element(By.ID, "said").text
    assert "annual_report_overdue:2025" not in _warning_keys(browser)
    assert "annual_report_overdue:2024" in _warning_keys(browser)
    history = browser.find_element(By.ID, "history").text
    assert "report" in history and "admin" in history


def test_amend_and_retract_from_the_timeline(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "admin")
    browser.get(site.base + "/clusters/ORD-001")
    browser.execute_script("arguments[0].open = true", browser.find_element(By.ID, "record-review"))
    Select(browser.find_element(By.ID, "review-result")).select_by_value("applied")
    browser.execute_script("arguments[0].value = '2026-11-02'", browser.find_element(By.ID, "review-on"))
    _submit(browser, "save-review")
    number = browser.find_element(By.ID, "said").text.split("已记录事实 ")[1].split("：")[0]
    row = browser.find_element(By.ID, f"fact-{number}")
    browser.execute_script("arguments[0].open = true", row.find_element(By.TAG_NAME, "details"))
    browser.execute_script("arguments[0].value = '2026-11-03'", browser.find_element(By.ID, f"amend-{number}-on"))
    browser.find_element(By.ID, f"amend-{number}-reason").send_keys("典型笔误")
    _submit(browser, f"amend-{number}")
    said = browser.find_element(By.ID, "said").text
    assert f"更正事实 {number}" in said and "2026-11-03的复核（已申请）" in said
    assert "fact-superseded" in (browser.find_element(By.ID, f"fact-{number}").get_attribute("class") or "")


def test_a_bureau_user_sees_its_region_only(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "bao")
    shown = {row.get_attribute("data-cluster") for row in browser.find_elements(By.CSS_SELECTOR, "#clusters tr[data-cluster]")}
    assert shown == {"BT-001", "BT-002"}
    assert [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#regions tbody td:first-child")] == ["包头市"]
    browser.get(site.base + "/clusters/ORD-001")
    assert browser.find_element(By.TAG_NAME, "h1").text == "404"
    assert "鄂尔多斯" not in browser.page_source


def test_a_script_in_a_name_is_text(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "admin")
    browser.get(site.base + "/clusters/BT-002")
    assert browser.find_element(By.ID, "cluster-name").text == "<script>alert(1)</script>包头装备集群"
    assert browser.find_elements(By.TAG_NAME, "script") == []
    browser.get(site.base + "/?q=" + "装备")
    cells = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#clusters tbody td:nth-child(2)")]
    assert cells == ["<script>alert(1)</script>包头装备集群"]


def test_logout_ends_the_session(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "admin")
    cookie = browser.get_cookie("monitor_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    _submit(browser, "logout")
    assert browser.current_url.startswith(site.base + "/login")
    browser.add_cookie({"name": "monitor_session", "value": cookie["value"], "path": "/"})
    browser.get(site.base + "/")
    assert browser.current_url.startswith(site.base + "/login")


def test_screenshot_of_the_overview(browser: webdriver.Chrome, site: Console, tmp_path: Path) -> None:
    _sign_in(browser, site, "admin")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= browser.execute_script("return window.innerWidth")
    assert browser.find_element(By.CSS_SELECTOR, "link[rel=stylesheet]") is not None
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('nav')).backgroundColor") == "rgb(29, 39, 51)"
    browser.save_screenshot(str(tmp_path / "overview.png"))


def test_tick_clusters_on_the_overview_and_acknowledge_them_at_once(browser: webdriver.Chrome, site: Console) -> None:
    """First-week issue, item 7: a bureau ticks BT-002 on the overview and acknowledges its overdue reports; the
    holds page lists them and the overview greys the row with its until."""
    _sign_in(browser, site, "bao")
    browser.execute_script("arguments[0].open = true", browser.find_element(By.ID, "bulk"))
    browser.find_element(By.CSS_SELECTOR, 'input[type=checkbox][value="BT-002"]').click()
    browser.find_element(By.ID, "bulk-code").send_keys("annual_report_overdue")
    browser.execute_script("arguments[0].value = '2026-12-31'", browser.find_element(By.ID, "bulk-until"))
    browser.find_element(By.ID, "bulk-note").send_keys("已发函督促")
    _submit(browser, "bulk-save")
    assert "已确认 1 个集群的 2 条警示，2026-12-31 前不再提醒" in browser.find_element(By.ID, "said").text
    listed = {(row.get_attribute("data-cluster"), row.get_attribute("data-key"))
              for row in browser.find_elements(By.CSS_SELECTOR, "#holds tr[data-cluster]")}
    assert listed == {("BT-002", "annual_report_overdue:2024"), ("BT-002", "annual_report_overdue:2025")}
    browser.get(site.base + "/")
    row = browser.find_element(By.CSS_SELECTOR, '#clusters tr[data-cluster="BT-002"]')
    assert row.get_attribute("class") == "acked" and "已确认至2026-12-31" in row.text
    other = browser.find_element(By.CSS_SELECTOR, '#clusters tr[data-cluster="BT-001"]')
    assert other.get_attribute("class") != "acked"
    browser.get(site.base + "/clusters/BT-002")
    acked = browser.find_element(By.CSS_SELECTOR, '#warnings tr[data-key="annual_report_overdue:2025"]')
    assert acked.get_attribute("class") == "acked" and "已确认至2026-12-31" in acked.text
