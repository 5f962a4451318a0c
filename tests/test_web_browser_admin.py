"""The administrator's pages in Debian's Chromium (selenium), against a real `monitor serve`: a double click on
"send a test message" posts one message to the loopback robot; a user added on the Users page signs in."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.chatservers import ChatServer
from tests.test_web_browser import _sign_in, _submit
from tests.web_helpers import PASSWORD, Console, add_user, console, seeded


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatServer]:
    server = ChatServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, chat: ChatServer) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("web-browser-admin")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url, chat.config("wecom"))
    add_user(config, url, "admin", "admin")
    monkey = pytest.MonkeyPatch()
    for key, value in chat.env().items():
        monkey.setenv(key, value)
    try:
        with console(tmp, url, config) as running:
            yield running
    finally:
        monkey.undo()


def test_a_double_click_on_send_a_test_message_posts_once(browser: webdriver.Chrome, site: Console,
                                                           chat: ChatServer) -> None:
    _sign_in(browser, site, "admin")
    browser.find_element(By.LINK_TEXT, "通知渠道").click()
    before = len(chat.posts("wecom"))
    ActionChains(browser).double_click(browser.find_element(By.ID, "test-wecom-group")).perform()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "test-result"))
    time.sleep(1)      # a second post, had there been one, has reached the robot by now
    assert "已送达" in browser.find_element(By.ID, "test-result").text
    assert len(chat.posts("wecom")) - before == 1


def test_a_user_added_on_the_users_page_signs_in(browser: webdriver.Chrome, site: Console) -> None:
    _sign_in(browser, site, "admin")
    browser.find_element(By.LINK_TEXT, "用户").click()
    browser.find_element(By.ID, "new-name").send_keys("wang")
    Select(browser.find_element(By.ID, "new-role")).select_by_value("bureau")
    browser.find_element(By.ID, "new-regions").send_keys("包头市")
    browser.find_element(By.ID, "new-password").send_keys(PASSWORD)
    _submit(browser, "add")
    assert "已添加用户 wang" in browser.find_element(By.ID, "said").text
    _sign_in(browser, site, "wang")
    assert "鄂尔多斯市煤化工" not in browser.page_source
