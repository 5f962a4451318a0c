"""钉钉 custom robot (notifications/channels/dingtalk.py): markdown with a title, the signed address (加签), its
errcodes; and every kind's promises (tests/channel_contract.py), a 4xx final among them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from pathlib import Path

import pytest

from monitor.rules.states import MessageState
from notifications.channels import channel_for
from notifications.sender import Ready
from tests.channel_contract import Contract, settings_of, values
from tests.chatservers import DINGTALK_SECRET, ChatServer


class TestDingTalk(Contract):
    kind = "dingtalk"

    def test_the_body_is_markdown_with_the_subject_as_its_title(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        raw, size = channel.body(values(), 1, "20270111-0badcafe")
        body = json.loads(raw)
        assert body["msgtype"] == "markdown" and body["markdown"]["title"] == values()["subject"]
        assert "[C001 集群1](https://monitor.example.gov.cn/clusters/C001)" in body["markdown"]["text"]
        assert size == len(raw) and (channel.size_limit, channel.rate) == (20000, 20)

    def test_the_address_is_signed_when_it_is_posted(self, tmp_path: Path, chat: ChatServer) -> None:
        """timestamp (milliseconds) and sign: base64 HMAC-SHA256 of "timestamp\\nsecret", URL-quoted."""
        settings = settings_of(tmp_path, chat, "dingtalk")
        channel = channel_for(settings, chat.env(), wall=lambda: 1_800_000_000.25)
        request = channel.request(Ready("<1@channel.monitor>", settings.recipient, b'{"msgtype":"markdown"}'))
        digest = hmac.new(DINGTALK_SECRET.encode(), f"1800000000250\n{DINGTALK_SECRET}".encode(),
                          hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
        assert request.url == f"{chat.urls()['dingtalk']}&timestamp=1800000000250&sign={sign}"
        assert request.body == b'{"msgtype":"markdown"}'

    def test_without_a_secret_nothing_is_added(self, tmp_path: Path, chat: ChatServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MONITOR_TEST_DINGTALK_SECRET")
        settings = settings_of(tmp_path, chat, "dingtalk")
        request = channel_for(settings).request(Ready("<1@channel.monitor>", settings.recipient, b"{}"))
        assert request.url == chat.urls()["dingtalk"] and request.body == b"{}"

    @pytest.mark.parametrize(("errcode", "state"), [(130101, MessageState.RETRY), (410100, MessageState.RETRY),
                                                    (310000, MessageState.FAILED), (300001, MessageState.FAILED),
                                                    (45009, MessageState.FAILED)])
    def test_its_rate_limit_errcodes_are_retried_and_the_others_fail(self, tmp_path: Path, chat: ChatServer,
                                                                    errcode: int, state: MessageState) -> None:
        chat.faults.errcode.append(errcode)
        outcome = self.post(self.channel(tmp_path, chat))
        assert outcome.state is state and outcome.error == f"channel dingtalk-group: errcode {errcode} injected failure"
