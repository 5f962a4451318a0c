"""A webhook (notifications/channels/webhook.py): the digest as JSON, an Idempotency-Key, an HMAC of the body;
and every kind's promises (tests/channel_contract.py), a 4xx final among them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from monitor.rules.states import MessageState
from notifications.channels import channel_for
from notifications.sender import Ready
from tests.channel_contract import BASE, Contract, digest_post, settings_of, values
from tests.chatservers import WEBHOOK_SECRET, ChatServer


class TestWebhook(Contract):
    kind = "webhook"

    def test_the_body_is_the_digest_as_json(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        raw, size = channel.body(values(), 1, "20270111-0badcafe")
        body = json.loads(raw)
        assert list(body) == ["reference", "day", "subject", "late", "count", "department", "groups"]
        assert (body["reference"], body["day"], body["count"], body["department"]) == (
            "20270111-0badcafe", "2027-01-11", 1, "工业和信息化厅")
        [group] = body["groups"]
        assert (group["name"], group["count"], group["not_listed"]) == ("month", 1, 0)
        assert group["items"] == [{"cluster_id": "C001", "cluster_name": "集群1", "what": "2026年度运行报告",
                                   "due": "2027-01-31", "days_left": 20, "basis": "第十五条", "severity": None,
                                   "late": False, "note": None, "url": f"{BASE}/clusters/C001"}]
        assert size == len(raw) and (channel.size_limit, channel.rate) == (1 << 20, 60)

    def test_a_post_carries_its_idempotency_key_and_the_hmac_of_its_body(self, tmp_path: Path,
                                                                         chat: ChatServer) -> None:
        settings = settings_of(tmp_path, chat, "webhook")
        raw = digest_post(settings)
        request = channel_for(settings, chat.env()).request(Ready("<7@channel.monitor>", settings.recipient, raw))
        assert request.headers == {
            "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": "<7@channel.monitor>",
            "X-Monitor-Signature": "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()}
        assert request.body == raw and request.url == chat.urls()["webhook"]

    def test_without_a_secret_there_is_no_signature(self, tmp_path: Path, chat: ChatServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MONITOR_TEST_WEBHOOK_SECRET")
        settings = settings_of(tmp_path, chat, "webhook")
        request = channel_for(settings).request(Ready("<7@channel.monitor>", settings.recipient, b"{}"))
        assert "X-Monitor-Signature" not in request.headers and request.headers["Idempotency-Key"]

    def test_a_bad_signature_is_refused_for_good(self, tmp_path: Path, chat: ChatServer) -> None:
        outcome = self.post(self.channel(tmp_path, chat, env={"MONITOR_TEST_WEBHOOK_SECRET": "wrong"}))
        assert outcome.state is MessageState.FAILED
        assert outcome.error == 'channel webhook-group: HTTP 401 {"error": "bad signature"}'
        assert not chat.accepted
