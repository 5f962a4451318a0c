"""飞书 custom bot (notifications/channels/feishu.py): an interactive card, the signature in the body, its codes
(``code``, or an older bot's ``StatusCode``); and every kind's promises (tests/channel_contract.py), a 4xx final
among them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from monitor.rules.states import MessageState
from notifications.channels import channel_for
from notifications.sender import Ready, TransportError
from tests.channel_contract import Contract, settings_of, values
from tests.chatservers import FEISHU_SECRET, ChatServer


class TestFeishu(Contract):
    kind = "feishu"

    def test_the_body_is_a_card_with_the_digest_as_markdown(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        raw, size = channel.body(values(), 1, "20270111-0badcafe")
        card = json.loads(raw)
        assert card["msg_type"] == "interactive"
        assert card["card"]["header"]["title"] == {"tag": "plain_text", "content": values()["subject"]}
        [element] = card["card"]["elements"]
        assert element["tag"] == "markdown" and "[C001 集群1](" in element["content"]
        assert size == len(raw) and (channel.size_limit, channel.rate) == (20000, 100)

    def test_the_signature_is_put_first_in_the_body_when_it_is_posted(self, tmp_path: Path,
                                                                      chat: ChatServer) -> None:
        """timestamp (seconds) and sign: base64 HMAC-SHA256 keyed by "timestamp\\nsecret" of nothing."""
        settings = settings_of(tmp_path, chat, "feishu")
        channel = channel_for(settings, chat.env(), wall=lambda: 1_800_000_000.75)
        request = channel.request(Ready("<1@channel.monitor>", settings.recipient,
                                        '{"msg_type":"interactive","card":{"x":"卡片"}}'.encode()))
        sign = base64.b64encode(hmac.new(f"1800000000\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest())
        assert request.body == (f'{{"timestamp":"1800000000","sign":"{sign.decode()}",'
                                '"msg_type":"interactive","card":{"x":"卡片"}}').encode()
        assert request.url == chat.urls()["feishu"]

    @pytest.mark.parametrize(("answer", "permanent"), [
        ({"code": 0, "msg": "success", "data": {}}, None), ({"StatusCode": 0, "StatusMessage": "success"}, None),
        ({"code": 11232, "msg": "frequency limited"}, False), ({"code": 9499, "msg": "Too Many Request"}, False),
        ({"code": 19021, "msg": "sign match fail"}, True), ({"StatusCode": 19001, "msg": "param invalid"}, True),
        ({"data": {}}, False), ([], False)])
    def test_the_answer_is_read_by_its_code(self, tmp_path: Path, chat: ChatServer, answer: object,
                                             permanent: bool | None) -> None:
        channel = self.channel(tmp_path, chat)
        response = httpx.Response(200, json=answer)
        if permanent is None:
            channel.raise_for_response(response)
            return
        with pytest.raises(TransportError) as raised:
            channel.raise_for_response(response)
        assert raised.value.permanent is permanent

    @pytest.mark.parametrize(("errcode", "state"), [(11232, MessageState.RETRY), (9499, MessageState.RETRY),
                                                    (19021, MessageState.FAILED), (45009, MessageState.FAILED)])
    def test_its_rate_limit_codes_are_retried_and_the_others_fail(self, tmp_path: Path, chat: ChatServer,
                                                                 errcode: int, state: MessageState) -> None:
        chat.faults.errcode.append(errcode)
        outcome = self.post(self.channel(tmp_path, chat))
        assert outcome.state is state and outcome.error == f"channel feishu-group: errcode {errcode} injected failure"
