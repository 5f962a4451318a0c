"""The console as a place to work (issue 27, item 1), through a real `monitor serve` on SQLite and PostgreSQL:
an administrator manages users and sees the channels, with a test message posted once through the ledger;
everyone keeps a profile; the upload page offers its templates, and its preview names the user's file, heads
every column and says how to fix; messages that name a CLI command name the page instead."""

from __future__ import annotations

import html
import re
import threading
import zipfile
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from monitor.cli import cli
from tests.chatservers import WECOM_KEY, ChatServer
from tests.web_helpers import (
    PASSWORD,
    Site,
    add_user,
    cli_env,
    console,
    csrf_of,
    login,
    module_database,
    run_cli,
    seeded,
)


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatServer]:
    server = ChatServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chat: ChatServer
         ) -> Iterator[Site]:
    tmp, url = module_database(request, tmp_path_factory, "admin")
    config = seeded(tmp, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n'
                    + chat.config("wecom", extra='regions = ["包头市"]\n'))
    tokens = {"admin": add_user(config, url, "admin", "admin"), "bao": add_user(config, url, "bao", "bureau", "包头市")}
    monkey = pytest.MonkeyPatch()
    for key, value in chat.env().items():
        monkey.setenv(key, value)
    try:
        with console(tmp, url, config) as running:
            yield Site(running, config, url, tokens)
    finally:
        monkey.undo()


def _press(page: str, channel: str) -> str:
    found = re.search(rf'action="/channels/{channel}/test">.*?name="press" value="([^"]+)"', page)
    assert found, page[:800]
    return found.group(1)


def _messages(site: Site) -> list[tuple[str, str]]:
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(
                "SELECT recipient, state FROM message WHERE id LIKE 'test.%' ORDER BY created_at"))]
    finally:
        engine.dispose()


# --- channels -------------------------------------------------------------------------------------------------

def test_a_test_message_reaches_the_loopback_robot_once(site: Site, chat: ChatServer) -> None:
    with site.console.signed_in("admin") as admin:
        page = admin.get("/channels")
        assert page.status_code == 200
        shown = html.unescape(page.text)
        assert "wecom-group" in shown and "wecom" in shown and "包头市" in shown
        assert WECOM_KEY not in shown and "MONITOR_TEST_WECOM_URL" not in shown     # never the address
        before = len(chat.posts("wecom"))
        form = {"csrf": csrf_of(page.text), "press": _press(page.text, "wecom-group")}
        first = admin.post("/channels/wecom-group/test", data=form)
        again = admin.post("/channels/wecom-group/test", data=form)      # a double click: the same press
        for answer in (first, again):
            assert answer.status_code == 200 and 'id="test-result"' in answer.text
            assert "已送达" in answer.text, answer.text[:2000]
        posts = chat.posts("wecom")[before:]
        assert len(posts) == 1 and "测试消息" in posts[0].text
        # two workers at once on one press: still one post
        fresh = admin.get("/channels")
        form = {"csrf": csrf_of(fresh.text), "press": _press(fresh.text, "wecom-group")}
        answers: list[httpx.Response] = []

        def press() -> None:
            with site.console.client() as other:
                other.cookies = admin.cookies
                answers.append(other.post("/channels/wecom-group/test", data=form))

        threads = [threading.Thread(target=press) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [200] * 4
        assert len(chat.posts("wecom")[before:]) == 2
    assert _messages(site)[-2:] == [("channel:wecom-group", "sent")] * 2


def test_a_refused_test_message_is_shown_with_the_service_words(site: Site, chat: ChatServer) -> None:
    with site.console.signed_in("admin") as admin:
        page = admin.get("/channels")
        chat.faults.errcode.append(93000)
        answer = admin.post("/channels/wecom-group/test", data={"csrf": csrf_of(page.text),
                                                                "press": _press(page.text, "wecom-group")})
    assert answer.status_code == 200 and "被拒绝" in answer.text and "93000" in answer.text
    assert _messages(site)[-1] == ("channel:wecom-group", "failed")


def test_only_an_administrator_manages_users_and_sees_channels(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        token = csrf_of(bao.get("/profile").text)
        assert 'href="/users"' not in bao.get("/").text and 'href="/channels"' not in bao.get("/").text
        for path in ("/users", "/channels", "/templates/roster.xlsx"):
            assert bao.get(path).status_code == 403, path
        for path, form in (("/users", {"name": "x", "role": "admin", "password": PASSWORD}),
                           ("/users/admin/disable", {}), ("/users/bao/role", {"role": "admin"}),
                           ("/users/admin/reset", {}), ("/channels/wecom-group/test", {"press": "p" * 22})):
            assert bao.post(path, data={"csrf": token, **form}).status_code == 403, path
    with site.console.signed_in("bao") as bao:                 # still a bureau, still enabled
        assert "盟市工信局" in bao.get("/").text


# --- users ----------------------------------------------------------------------------------------------------

def test_an_administrator_adds_changes_resets_disables_and_enables_a_user(site: Site) -> None:
    with site.console.signed_in("admin") as admin:
        token = csrf_of(admin.get("/users").text)
        refused = admin.post("/users", data={"csrf": token, "name": "zhang", "role": "bureau", "regions": "",
                                             "password": PASSWORD})
        assert refused.status_code == 422 and "须填写所辖地区" in html.unescape(refused.text) and "--region" not in refused.text
        assert 'id="user-zhang"' not in refused.text                     # nothing half-stored
        added = admin.post("/users", data={"csrf": token, "name": "zhang", "role": "bureau",
                                           "regions": "包头市，鄂尔多斯市", "password": PASSWORD})
        assert added.status_code == 200 and 'id="user-zhang"' in added.text
        twice = admin.post("/users", data={"csrf": token, "name": "zhang", "role": "viewer", "password": PASSWORD})
        assert twice.status_code == 422 and "“用户”页" in html.unescape(twice.text) and "monitor user" not in twice.text
        with site.console.signed_in("zhang") as zhang:
            assert "鄂尔多斯市煤化工" in zhang.get("/").text
        changed = admin.post("/users/zhang/role", data={"csrf": token, "role": "bureau", "regions": "包头市"})
        assert changed.status_code == 200
        with site.console.signed_in("zhang") as zhang:
            assert "鄂尔多斯市煤化工" not in zhang.get("/").text
        reset = admin.post("/users/zhang/reset", data={"csrf": token})
        code = re.search(r'id="code">([^<]+)<', reset.text)
        assert code, reset.text[:2000]
        disabled = admin.post("/users/zhang/disable", data={"csrf": token})
        assert disabled.status_code == 200
        with site.console.client() as client:
            assert login(client, "zhang", PASSWORD).status_code == 401
        assert admin.post("/users/zhang/enable", data={"csrf": token}).status_code == 200
    new = "a new horse 2026"
    with site.console.client() as client:
        form = client.get("/password")
        sent = {"csrf": csrf_of(form.text), "name": "zhang", "code": code.group(1), "password": new, "again": new}
        differ = client.post("/password", data={**sent, "again": "different!"})
        assert differ.status_code == 422 and "不一致" in differ.text
        done = client.post("/password", data={**sent, "csrf": csrf_of(differ.text)})
        assert done.status_code == 200 and 'id="said"' in done.text
        used = client.post("/password", data={**sent, "csrf": csrf_of(client.get("/password").text)})
        assert used.status_code == 422                                  # a reset code works once
        assert login(client, "zhang", PASSWORD).status_code == 401
    with site.console.signed_in("zhang", new) as zhang:
        assert zhang.get("/").status_code == 200


def test_an_unlock_code_is_made_on_the_users_page(site: Site) -> None:
    with site.console.signed_in("admin") as admin:
        made = admin.post("/users/bao/unlock", data={"csrf": csrf_of(admin.get("/users").text)})
    assert made.status_code == 200 and re.search(r'id="code">mon_[^<]+<', made.text)


# --- profiles -------------------------------------------------------------------------------------------------

def test_a_profile_is_kept_and_checked(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        token = csrf_of(bao.get("/profile").text)
        bad = bao.post("/profile", data={"csrf": token, "full_name": "王工", "email": "not an address",
                                         "phone": "0472-1234567", "digest_email": "yes"})
        assert bad.status_code == 422 and "电子邮箱" in html.unescape(bad.text)
        saved = bao.post("/profile", data={"csrf": token, "full_name": "王工", "email": "wang@example.gov.cn",
                                           "phone": "0472-1234567"})
        assert saved.status_code == 200
        page = bao.get("/profile").text
    assert 'value="王工"' in page and 'value="wang@example.gov.cn"' in page and 'value="0472-1234567"' in page
    assert 'id="digest_email" value="yes" checked' not in page              # the digest was unticked
    engine = create_engine(site.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT digest_email FROM account WHERE name = 'bao'")).scalar() in (False, 0)
    engine.dispose()


# --- the upload page and the messages ----------------------------------------------------------------------------

def test_the_upload_page_offers_its_templates(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        page = bao.get("/upload").text
        assert 'href="/templates/facts.xlsx"' in page and "monitor template" not in page
        got = bao.get("/templates/facts.xlsx")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    with zipfile.ZipFile(BytesIO(got.content)) as book:
        assert any(name.startswith("xl/worksheets/") for name in book.namelist())
    with site.console.signed_in("admin") as admin:
        assert admin.get("/templates/roster.xlsx").status_code == 200


def test_an_upload_preview_names_the_file_heads_every_column_and_says_how_to_fix(site: Site) -> None:
    run_cli(site.config, site.database_url, "record", "report", "BT-002", "--year", "2024", "--filed-on",
            "2025-03-02")
    rows = ("cluster,fact,year,filed_on\nBT-001,report,2024,2025-03-20\nBT-001,report,2024,2025-03-20\n"
            "BT-002,report,2024,2025-03-09\n")
    with site.console.signed_in("bao") as bao:
        preview = bao.post("/upload", data={"csrf": csrf_of(bao.get("/upload").text), "action": "preview"},
                           files={"file": ("我的报送.csv", rows.encode(), "text/csv")})
    shown = html.unescape(preview.text)
    assert "monitor-upload-" not in shown and "/tmp" not in shown
    problems = shown.split('id="problems"')[1].split("</ul>")[0]
    assert "我的报送.csv" in problems and "第 4 行" in problems
    assert "“更正”表单" in problems and "monitor amend" not in problems
    assert "我的报送.csv 有 1 处问题" in shown and "重新上传" in shown
    head = shown.split('id="plan"')[1].split("</thead>")[0]
    assert "<th></th>" not in head and head.count("<th>") == 4


def test_a_contradiction_names_the_amend_form_in_the_console_and_the_command_in_the_cli(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        token = csrf_of(bao.get("/clusters/BT-001").text)
        form = {"csrf": token, "fact": "report", "year": "2025", "filed_on": "2026-03-02"}
        assert bao.post("/clusters/BT-001/facts", data=form).status_code == 200
        refused = bao.post("/clusters/BT-001/facts", data={**form, "filed_on": "2026-03-09"})
    said = html.unescape(refused.text)
    assert refused.status_code == 422 and "“更正”表单" in said and "monitor amend" not in said
    result = CliRunner().invoke(cli, ["--config", str(site.config), "record", "report", "BT-001", "--year", "2025",
                                      "--filed-on", "2026-03-10"], env=cli_env(site.database_url))
    assert result.exit_code == 2 and "monitor amend" in result.output
