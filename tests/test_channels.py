"""Group chats and webhooks: config, routing, each service's API against a loopback server that behaves like it
(signatures checked, errcodes, 429, timeouts, size and rate limits), and the ledger's outcomes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import DeliveryRow, MessageRow
from db.session import transaction
from monitor.app import App
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.rules.states import MessageState
from notifications.channels import channels_for
from notifications.router import Router
from notifications.sender import Outcome, Ready
from tests.chatservers import ChatServer
from tests.conftest import d
from tests.helpers import write_roster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = d("2027-01-11")   # the 2026 reports of nmg-sme-draft clusters are 58 days away: lead:60 crossed
BASE = "https://monitor.example.gov.cn"


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    server = ChatServer().start()
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    yield server
    server.stop()


def _app(tmp_path: Path, chat: ChatServer, channels: str, rows: int = 2, extra: str = "") -> App:
    config = (f'[general]\nadministrators = ["admin@example.gov.cn"]\n[web]\nbase_url = "{BASE}/"\n'
              f'[digest]\ncontact = "中小企业处 0471-1234567"\nroles = ["administrator", "bureau", "operator"]\n{extra}{channels}')
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", config, None)
    regions = ["呼和浩特市", "包头市"]
    load_roster(app, write_roster(tmp_path / "roster.csv", *(
        f"C{n:03d},集群{n}[*x*],nmg-sme-draft,2024-03-15,{regions[n % 2]},,op{n}@example.cn,"
        f"bureau{n % 2}@example.gov.cn,," for n in range(rows))))
    return app


def _messages(app: App) -> dict[str, tuple[str, str | None]]:
    with transaction(app.sessions) as session:
        return {r: (s, e) for r, s, e in session.execute(
            select(MessageRow.recipient, MessageRow.state, MessageRow.error))}


def test_each_service_gets_its_own_format_signed_and_the_ledger_says_sent(tmp_path: Path, chat: ChatServer) -> None:
    app = _app(tmp_path, chat, chat.config("wecom", "dingtalk", "feishu", "webhook"))
    counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
    assert counts["sent"] == 4 and counts["failed"] == counts["retry"] == 0, counts
    assert {post.service for post in chat.accepted} == {"wecom", "dingtalk", "feishu", "webhook"}
    assert len(chat.accepted) == 4
    for service in ("wecom", "dingtalk", "feishu"):
        text = chat.posts(service)[0].text
        # the article with its policy; a link to each cluster's page; markup in a name shown as text
        assert "《内蒙古自治区中小企业特色产业集群培育认定管理暂行办法（征求意见稿）》第十五条（三）" in text
        assert f"[C000 集群0［＊x＊］]({BASE}/clusters/C000)" in text
        assert "中小企业处 0471-1234567" in text and "monitor ack" not in text
    hook = chat.posts("webhook")[0]
    # two clusters: the 2024 and 2025 reports overdue (revocation), the 2026 report due in 58 days; the 2025 report
    # is each cluster's principal ground, the 2024 one counted under it (docs/rules.md, "Principal ground")
    assert hook.headers["Idempotency-Key"] == f"<{hook.body['reference']}@channel.monitor>"
    assert hook.body["count"] == 4 and [g["count"] for g in hook.body["groups"]] == [2, 2]
    assert all("另有1项逾期" in item["what"] for item in hook.body["groups"][0]["items"]), hook.body["groups"][0]
    assert [item["url"] for item in hook.body["groups"][1]["items"]] == [f"{BASE}/clusters/C000",
                                                                          f"{BASE}/clusters/C001"]
    states = _messages(app)
    assert {state for recipient, (state, _) in states.items() if recipient.startswith("channel:")} == {"sent"}
    app.close()


def test_a_wrong_signing_secret_fails_with_the_services_errcode(tmp_path: Path, chat: ChatServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_DINGTALK_SECRET", "SECwrong")
    monkeypatch.setenv("MONITOR_TEST_FEISHU_SECRET", "wrong")
    app = _app(tmp_path, chat, chat.config("dingtalk", "feishu"))
    counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
    assert counts["failed"] == 2 and not chat.accepted
    states = _messages(app)
    assert states["channel:dingtalk-group"] == ("failed", "channel dingtalk-group: errcode 310000 sign not match")
    assert states["channel:feishu-group"][1] is not None and "errcode 19021" in states["channel:feishu-group"][1]
    with transaction(app.sessions) as session:   # the deliveries share the message's fate, visibly
        failed = session.execute(select(DeliveryRow.state).where(DeliveryRow.recipient.like("channel:%"))).scalars()
        assert set(failed) == {"failed"}
    app.close()


@pytest.mark.parametrize("fault", ["errcode", "status429", "status500", "timeout", "rate"])
def test_a_refusal_a_429_a_timeout_and_a_rate_limit(tmp_path: Path, chat: ChatServer, fault: str) -> None:
    app = _app(tmp_path, chat, chat.config("wecom", extra="timeout = 0.5\n"))
    if fault == "errcode":
        chat.faults.errcode.append(93000)
    elif fault == "rate":
        chat.faults.errcode.append(45009)
    elif fault == "timeout":
        chat.faults.stall.append(1.5)
    else:
        chat.faults.status.append(int(fault.removeprefix("status")))
    clock = Clock(at(DAY))
    run = daemon(app, clock)
    first = run.digest_tick(day=DAY)
    state, error = _messages(app)["channel:wecom-group"]
    if fault == "errcode":       # refused for good: failed, with the service's words, never retried
        assert first["failed"] == 1 and state == "failed"
        assert error == "channel wecom-group: errcode 93000 injected failure"
        clock.value += dt.timedelta(hours=3)
        assert run.resend()["sent"] == 0 and not chat.accepted
    else:                        # a temporary refusal: retried after the backoff, then sent once
        assert first["retry"] == 1 and state == "retry" and error, (first, error)
        assert not chat.accepted
        clock.value += dt.timedelta(minutes=3)
        assert run.resend()["sent"] == 1
        clock.value += dt.timedelta(hours=3)
        assert run.resend()["sent"] == 0
        assert len(chat.posts("wecom")) == 1 and _messages(app)["channel:wecom-group"][0] == "sent"
    app.close()


def test_a_long_digest_is_summarised_within_the_wecom_limit_with_a_link(tmp_path: Path, chat: ChatServer) -> None:
    app = _app(tmp_path, chat, chat.config("wecom", "dingtalk"), rows=120)
    counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
    assert counts["sent"] == 2              # the two channels; e-mail (no smtp.host) waits, pending
    with transaction(app.sessions) as session:
        waiting = set(session.execute(select(DeliveryRow.state).where(~DeliveryRow.recipient.like("channel:%")))
                      .scalars())
    assert waiting == {"pending"}
    wecom = chat.posts("wecom")[0].text
    assert len(wecom.encode()) <= 4096
    # every item is counted: one principal ground a cluster (the older overdue report counted under it)
    assert "**撤销情形（120）**" in wecom and "**60日内到期（120）**" in wecom
    assert f"未列出，请在管理平台查看：{BASE}" in wecom
    listed = wecom.count("\n- [C")
    assert 2 <= listed < 20
    ding = chat.posts("dingtalk")[0].text                      # 20,000 bytes: DingTalk lists more
    assert listed < ding.count("\n- [C") <= 100 and len(ding.encode()) > 4096
    app.close()


def test_routes_by_role_region_and_regime(tmp_path: Path, chat: ChatServer) -> None:
    channels = (chat.config("wecom", roles='["bureau"]', extra='regions = ["包头市"]\n')
                + chat.config("feishu", roles='["administrator"]', extra='regimes = ["ah-amc-2024"]\n'))
    app = _app(tmp_path, chat, channels, rows=4)
    daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
    text = chat.posts("wecom")[0].text
    assert "C001" in text and "C003" in text and "C000" not in text and "C002" not in text
    assert not chat.posts("feishu")          # no cluster is under ah-amc-2024: that channel gets nothing
    with transaction(app.sessions) as session:
        assert not session.execute(select(DeliveryRow).where(DeliveryRow.recipient == "channel:feishu-group")).all()
    app.close()


def test_a_channel_keeps_to_its_services_pace() -> None:
    """21 posts to one WeCom robot: the 21st waits until a minute after the first (the clock is injected); a wait
    longer than MAX_WAIT gives the message back for a retry instead of holding the daemon."""
    server = ChatServer(per_minute=1000).start()
    try:
        settings = load_settings(_write(server.config("wecom")), server.env())
        now = [0.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds

        sender = Router(None, channels_for(settings.channels, server.env(), monotonic=lambda: now[0], sleep=sleep))
        body = json.dumps({"msgtype": "markdown", "markdown": {"content": "x"}}).encode()
        def post(n: int) -> Outcome:
            return next(sender.send([Ready(f"<{n}@x>", "channel:wecom-group", body)]))[1]

        outcomes = []
        for n in range(21):
            outcomes.append(post(n).state)
            now[0] += 2.5
        assert outcomes == [MessageState.SENT] * 21
        assert slept == [pytest.approx(60 - 50.0)]          # 20 posts 2.5 s apart; the 21st 60 s after the 1st
        sender = Router(None, channels_for(settings.channels, server.env(), monotonic=lambda: now[0], sleep=sleep))
        assert [post(n).state for n in range(20)] == [MessageState.SENT] * 20     # 20 at once
        now[0] += 1.0
        refused = post(99)                  # its slot is 59 s away: given back for a retry, not waited for
        assert refused.state is MessageState.RETRY and "20 messages a minute" in (refused.error or "")
        assert len(slept) == 1 and len(server.posts("wecom")) == 41
    finally:
        server.stop()


def _write(text: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_addresses_and_secrets_never_in_config_and_a_missing_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[channels]]\nname = "g"\ntype = "wecom"\nurl = "https://qyapi.weixin.qq.com/x?key=1"\n')
    with pytest.raises(ConfigError, match=r"channels\[0\]\.url: never put the robot's address"):
        load_settings(path)
    path.write_text('[[channels]]\nname = "g"\ntype = "dingtalk"\nurl_env = "U"\nsecret = "SEC1"\n')
    with pytest.raises(ConfigError, match=r"channels\[0\]\.secret: never put the signing secret"):
        load_settings(path)
    path.write_text('[[channels]]\nname = "g"\ntype = "dingtalk"\nurl_env = "MONITOR_UNSET_URL"\n')
    with pytest.raises(ConfigError, match="set the environment variable MONITOR_UNSET_URL"):
        load_settings(path, {}).channels[0].url({})
    (tmp_path / "hook.url").write_text("https://hooks.example.cn/a\n")
    path.write_text('[[channels]]\nname = "g"\ntype = "webhook"\nurl_file = "hook.url"\n')
    assert load_settings(path).channels[0].url() == "https://hooks.example.cn/a"


def test_preview_writes_each_channel_message_as_json(tmp_path: Path, chat: ChatServer) -> None:
    from jobs.manual import preview_round

    app = _app(tmp_path, chat, chat.config("wecom", "webhook"))
    paths = preview_round(app, DAY, tmp_path / "preview")
    posts = {p.name.split("-", 1)[1]: p for p in paths if p.suffix == ".json"}
    assert sorted(posts) == ["channel_webhook-group.json", "channel_wecom-group.json"]
    body = json.loads(posts["channel_wecom-group.json"].read_bytes())
    assert body["msgtype"] == "markdown" and "C000" in body["markdown"]["content"]
    assert len([p for p in paths if p.suffix == ".eml"]) == 3
    assert not chat.accepted and not _messages(app)          # nothing posted, nothing stored
    app.close()
