"""钉钉工作通知 (notifications/channels/dingtalk_work.py): every channel's promises (tests/channel_contract.py) and every
personal app's (tests/app_contract.py), against the loopback fake of its documented endpoints."""

from __future__ import annotations

from tests.app_contract import AppContract
from tests.channel_contract import Contract


class TestDingtalkWork(AppContract, Contract):
    kind = "dingtalk_work"
    agent_key = "agent_id"
    id_field = "dingtalk_userid"
