"""企业微信应用消息 (notifications/channels/wecom_app.py): every channel's promises (tests/channel_contract.py) and every
personal app's (tests/app_contract.py), against the loopback fake of its documented endpoints."""

from __future__ import annotations

from tests.app_contract import AppContract
from tests.channel_contract import Contract


class TestWecomApp(AppContract, Contract):
    kind = "wecom_app"
    agent_key = "agentid"
    id_field = "wecom_userid"
