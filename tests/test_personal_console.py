"""Each person's settings for messages to them in the console (monitor/web/profile_pages.py): their ids, which
personal channels reach them, their window, a digest a round or a day, and what waits for their window; and the
administrator's form for anyone's ids on the Users page (monitor/web/users_pages.py). Against a real `monitor
serve`, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from tests.chatservers import ChatServer
from tests.web_helpers import DATABASES, Site, add_user, console, csrf_of, module_database, seeded

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@dataclass
class PersonalSite(Site):
    chat: ChatServer


@pytest.fixture(scope="module", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PersonalSite]:
    tmp, url = module_database(request, tmp_path_factory, "personal")
    chat = ChatServer().start()
    config = seeded(tmp, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n'
                    + chat.config("wecom_app", "feishu_app") + "\n" + chat.config("wecom"))
    tokens = {"admin": add_user(config, url, "admin", "admin"), "bao": add_user(config, url, "bao", "bureau", "包头市")}
    monkey = pytest.MonkeyPatch()
    for key, value in chat.env().items():
        monkey.setenv(key, value)
    try:
        with console(tmp, url, config) as running:
            yield PersonalSite(running, config, url, tokens, chat)
    finally:
        monkey.undo()
        chat.stop()


def _row(site: Site, name: str) -> tuple[object, ...]:
    engine = create_engine(site.database_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT wecom_userid, dingtalk_userid, feishu_open_id, muted_channels, window_from, "
                                "window_until, window_workdays, digest_every FROM account WHERE name = :n"),
                           {"n": name}).one()
    engine.dispose()
    return tuple(row)


def test_a_person_sets_how_they_are_reached_and_a_mistake_stores_nothing(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        page = bao.get("/profile").text
        token = csrf_of(page)
        # the personal channels configured are offered (the group robot is not), each reaching by default
        assert 'id="reach-wecom_app-group" value="yes" checked' in page and 'id="reach-feishu_app-group"' in page
        assert 'reach-wecom-group' not in page
        bad = bao.post("/profile/reach", data={"csrf": token, "wecom_userid": "bao|boss", "window_from": "09:00",
                                               "window_until": "18:00", "every": "round"})
        assert bad.status_code == 422 and "不得含空格和 | , ;" in html.unescape(bad.text)
        late = bao.post("/profile/reach", data={"csrf": token, "window_from": "25:00", "window_until": "18:00",
                                                "every": "round"})
        assert late.status_code == 422 and "HH:MM" in html.unescape(late.text)
        assert _row(site, "bao")[:2] == ("", "")                        # nothing half-stored
        saved = bao.post("/profile/reach", data={
            "csrf": token, "wecom_userid": "bao-wx", "feishu_open_id": "ou_bao", "reach-wecom_app-group": "yes",
            "window_from": "08:00", "window_until": "17:30", "every": "day"})     # feishu unticked, every day
        assert saved.status_code == 200 and "个人消息设置已保存" in saved.text
        shown = bao.get("/profile").text
    row = _row(site, "bao")
    assert row[0] == "bao-wx" and row[2] == "ou_bao" and row[3] == "feishu_app-group"
    assert row[4:6] == ("08:00", "17:30") and row[6] in (False, 0) and row[7] == "day"
    assert 'id="reach-feishu_app-group" value="yes">' in shown and 'id="every-day" value="day" checked' in shown


def test_what_waits_for_the_window_is_shown(site: Site) -> None:
    engine = create_engine(site.database_url)
    with engine.begin() as conn:
        rid = conn.execute(text("INSERT INTO reminder (cluster_id, subject, stage, crossed_on, found_on, late, "
                                "created_at) VALUES ('BT-001', 'annual_report:2026', 'lead:60', :d, :d, false, :t) "
                                "RETURNING id"), {"d": NOW.date(), "t": NOW}).scalar()
        conn.execute(text("INSERT INTO delivery (reminder_id, recipient, state) VALUES "
                          "(:r, 'channel:wecom_app-group:bao', 'pending')"), {"r": rid})
    engine.dispose()
    with site.console.signed_in("bao") as bao:
        page = bao.get("/profile").text
    assert "1 条提醒正等待您的接收时段（wecom_app-group）" in page


def test_an_administrator_sets_anyones_ids_and_a_bureau_may_not(site: Site) -> None:
    with site.console.signed_in("bao") as bao:
        token = csrf_of(bao.get("/profile").text)
        assert bao.post("/users/ids", data={"csrf": token, "name": "admin", "wecom_userid": "x"}).status_code == 403
    with site.console.signed_in("admin") as admin:
        token = csrf_of(admin.get("/users").text)
        done = admin.post("/users/ids", data={"csrf": token, "name": "bao", "dingtalk_userid": "bao-dd",
                                              "feishu_open_id": "-"})
        assert done.status_code == 200 and "bao-dd" in done.text
    row = _row(site, "bao")
    assert row[1] == "bao-dd" and row[2] == "" and row[0] == "bao-wx"       # blank kept, "-" removed


def test_a_personal_channels_test_message_goes_to_the_administrator_who_pressed(site: PersonalSite) -> None:
    chat = site.chat
    with site.console.signed_in("admin") as admin:
        token = csrf_of(admin.get("/profile").text)
        admin.post("/profile/reach", data={"csrf": token, "wecom_userid": "admin-wx", "window_from": "09:00",
                                           "window_until": "18:00", "every": "round"})
        page = admin.get("/channels").text
        press = re.search(r'action="/channels/wecom_app-group/test">.*?name="press" value="([^"]+)"', page,
                          re.DOTALL)
        assert press, page[:800]
        done = admin.post("/channels/wecom_app-group/test", data={"csrf": csrf_of(page), "press": press.group(1)})
    assert done.status_code == 200 and "已送达" in done.text
    assert [post.to for post in chat.sent_to("wecom_app")] == ["admin-wx"]
