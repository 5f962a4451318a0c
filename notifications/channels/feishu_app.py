"""飞书 (Feishu, and Lark) messages from an app (机器人) to one user, by their open_id.

As documented (open.feishu.cn: "自建应用获取 tenant_access_token", "发送消息" im/v1/messages, "服务端错误码说明",
and "频控策略" server-docs/api-call-guide/frequency-control):

- token: ``POST /open-apis/auth/v3/tenant_access_token/internal`` with ``app_id`` and ``app_secret`` answers
  ``{"code": 0, "tenant_access_token": …, "expire": 7200}``;
- send: ``POST /open-apis/im/v1/messages?receive_id_type=open_id`` with ``Authorization: Bearer TOKEN`` and
  ``receive_id``, ``msg_type`` interactive (a card with the digest's markdown), ``content`` (the card as a JSON
  string, at most 30 KB) and ``uuid``: the message's reference, by which 飞书 sends a request repeated within an
  hour once (a resend after a crash is not received twice);
- answers: 99991663 (invalid tenant access token) and 99991661 (missing): fetch another; 99991400 (request
  trigger frequency limit, with HTTP 429, or 400 from older APIs): retried; 230013 (the bot cannot reach this
  user: outside the app's availability) and 230002 (the bot is not in the chat): failed for that user.
- pace: the send API takes 1,000 calls a minute (50 a second) for an app, 5 a second to one user.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from notifications.channels.apps import App, Call
from notifications.channels.channel import compact


class FeishuApp(App):
    kind = "feishu_app"
    id_field = "feishu_open_id"
    default_url = "https://open.feishu.cn"
    max_bytes = 30000
    per_minute = 1000
    code_keys = ("code",)
    reason_keys = ("msg",)
    expired_codes = frozenset({99991663, 99991661})
    rate_limited = frozenset({99991400})
    unknown_user = frozenset({230013, 230002})
    token_keys = ("tenant_access_token", "expire")

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        card = {"header": {"title": {"tag": "plain_text", "content": values["subject"]}},
                "elements": [{"tag": "markdown", "content": self.markdown(values)}]}
        content = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
        return (compact({"receive_id": to, "msg_type": "interactive", "content": content, "uuid": reference}),
                len(content.encode()))

    def token_call(self, base: str, app_id: str, secret: str) -> Call:
        return Call("POST", f"{base}/open-apis/auth/v3/tenant_access_token/internal",
                    compact({"app_id": app_id, "app_secret": secret}))

    def send_call(self, base: str, token: str, raw: bytes) -> Call:
        query = urllib.parse.urlencode({"receive_id_type": "open_id"})
        return Call("POST", f"{base}/open-apis/im/v1/messages?{query}", raw, {"Authorization": f"Bearer {token}"})
