"""飞书 (notifications/channels/feishu_app.py): every channel's promises (tests/channel_contract.py) and every
personal app's (tests/app_contract.py), against the loopback fake of its documented endpoints."""

from __future__ import annotations

from tests.app_contract import AppContract
from tests.channel_contract import Contract


class TestFeishuApp(AppContract, Contract):
    kind = "feishu_app"
    id_field = "feishu_open_id"
