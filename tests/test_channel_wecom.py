"""企业微信 group robot (notifications/channels/wecom.py): its markdown body measured by its content, its limits,
its errcodes; and every kind's promises (tests/channel_contract.py), a 4xx final among them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.rules.states import MessageState
from notifications.channels import channel_for
from tests.channel_contract import Contract, digest_post, settings_of, values
from tests.chatservers import ChatServer


class TestWeCom(Contract):
    kind = "wecom"

    def test_the_body_is_markdown_measured_by_its_content(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        raw, size = channel.body(values(), 1, "20270111-0badcafe")
        body = json.loads(raw)
        assert list(body) == ["msgtype", "markdown"] and body["msgtype"] == "markdown"
        content = body["markdown"]["content"]
        assert "[C001 集群1](https://monitor.example.gov.cn/clusters/C001)" in content
        assert "20270111-0badcafe" in content
        assert size == len(content.encode()) < len(raw)          # the content counts, as WeCom counts it
        assert (channel.size_limit, channel.rate) == (4096, 20)
        assert digest_post(channel.settings) == raw              # as a round stores it: nothing to cut

    def test_the_entry_overrides_the_services_limits(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = channel_for(settings_of(tmp_path, chat, "wecom", extra="max_bytes = 600\nper_minute = 5\n"))
        assert (channel.size_limit, channel.rate) == (600, 5)
        content = json.loads(digest_post(channel.settings))["markdown"]["content"]
        assert len(content.encode()) <= 600 and "C001" not in content and "另有1项未列出" in content

    @pytest.mark.parametrize(("errcode", "state"), [(45009, MessageState.RETRY), (93000, MessageState.FAILED),
                                                    (40058, MessageState.FAILED), (130101, MessageState.FAILED)])
    def test_its_rate_limit_errcode_is_retried_and_the_others_fail(self, tmp_path: Path, chat: ChatServer,
                                                                  errcode: int, state: MessageState) -> None:
        chat.faults.errcode.append(errcode)
        outcome = self.post(self.channel(tmp_path, chat))
        assert outcome.state is state and outcome.error == f"channel wecom-group: errcode {errcode} injected failure"
