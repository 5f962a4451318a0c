"""Signing in with a real OpenID Connect provider, in Debian's Chromium (issue 29, "How it is checked"): the
package oidc-provider-mock serves discovery, authorize, token and JWKS on loopback (in its own process, nonce
required); `monitor serve` sends the browser there and back. A person signs in, and has no access until the
administrator maps their identity on the Users page; then they sign in again and see only their account's
regions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.identityservers import oidc_mock
from tests.web_helpers import PASSWORD, Console, add_user, console, seeded

CONFIG = """
[[web.identity]]
name = "sso"
type = "oidc"
label = "统一身份认证"
issuer = "{issuer}"
client_id = "monitor"
secret_env = "MONITOR_TEST_OIDC_SECRET"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    tmp = tmp_path_factory.mktemp("sign-in-browser")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    monkey = pytest.MonkeyPatch()
    monkey.setenv("MONITOR_TEST_OIDC_SECRET", "any-secret")
    try:
        with oidc_mock(tmp / "provider.log", {"sub": "bao.zhang", "email": "zhang@baotou.example.gov.cn",
                                               "name": "张包头"}) as issuer:
            config = seeded(tmp, url, CONFIG.format(issuer=issuer))
            add_user(config, url, "admin", "admin")
            add_user(config, url, "bao", "bureau", "包头市")
            with console(tmp, url, config) as running:
                yield running, issuer
    finally:
        monkey.undo()


def _submit(browser: webdriver.Chrome, element: object) -> None:
    """Click, and wait for the next page (after any redirects)."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(staleness_of(page))
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


def _with_provider(browser: webdriver.Chrome, base: str, issuer: str, subject: str) -> None:
    """From the sign-in page, the provider's button; at the provider, sign in as ``subject``; back."""
    browser.get(base + "/login")
    _submit(browser, browser.find_element(By.ID, "login-with-sso"))
    assert browser.current_url.startswith(issuer + "/oauth2/authorize"), browser.current_url
    browser.find_element(By.NAME, "sub").send_keys(subject)
    _submit(browser, browser.find_element(By.XPATH, "//button[text()='Authorize']"))
    assert browser.current_url.startswith(base), browser.current_url


def test_sign_in_map_the_identity_and_see_only_its_regions(browser: webdriver.Chrome,
                                                           site: tuple[Console, str]) -> None:
    running, issuer = site
    browser.delete_all_cookies()
    _with_provider(browser, running.base, issuer, "bao.zhang")
    error = browser.find_element(By.ID, "error").text
    assert "bao.zhang" in error and "尚未对应到账户" in error
    assert browser.get_cookie("monitor_session") is None

    # the administrator (a password) maps the identity to bao on the Users page
    browser.delete_all_cookies()
    browser.get(running.base + "/login")
    browser.find_element(By.ID, "name").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    _submit(browser, browser.find_element(By.ID, "login"))
    browser.get(running.base + "/users")
    row = browser.find_element(By.CSS_SELECTOR, '#identities tr[data-subject="bao.zhang"]')
    assert row.get_attribute("data-state") == "pending"
    assert "张包头" in row.text and "zhang@baotou.example.gov.cn" in row.text and issuer in row.text
    Select(row.find_element(By.NAME, "account")).select_by_value("bao")
    _submit(browser, row.find_element(By.XPATH, ".//button[@type='submit']"))
    row = browser.find_element(By.CSS_SELECTOR, '#identities tr[data-subject="bao.zhang"]')
    assert row.get_attribute("data-state") == "mapped" and "bao" in row.text
    _submit(browser, browser.find_element(By.ID, "logout"))

    # signed in with the provider again: bao, and only 包头市's clusters
    _with_provider(browser, running.base, issuer, "bao.zhang")
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "user"))
    assert browser.find_element(By.ID, "user").text == "bao"
    shown = {row.get_attribute("data-cluster")
             for row in browser.find_elements(By.CSS_SELECTOR, "#clusters tr[data-cluster]")}
    assert shown == {"BT-001", "BT-002"}
    browser.get(running.base + "/clusters/ORD-001")
    assert browser.find_element(By.TAG_NAME, "h1").text == "404"
    cookie = browser.get_cookie("monitor_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert browser.get_cookie("monitor_identity") is None          # the sign-in's state is gone with it
