"""飞书 (Feishu, and Lark) custom bot: ``POST …/open-apis/bot/v2/hook/TOKEN``, an interactive card.

The card has the subject as its header and the digest's markdown as one element; the whole body may have at
most 20 KB. With a signing secret, ``timestamp`` (seconds) and ``sign`` are put first in the body: the base64
of the HMAC-SHA256 keyed by "TIMESTAMP\\nSECRET" of an empty message; a wrong one, or one more than an hour old,
is refused (code 19021), so it is made when posting. The answer's code is ``code`` (older bots:
``StatusCode``); a bot takes 100 messages a minute, and says 11232 or 9499 beyond, which is retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from notifications.channels.channel import Request, compact
from notifications.channels.robot import Robot
from notifications.sender import Ready


def feishu_sign(secret: str, seconds: int) -> str:
    """Feishu's signature: HMAC-SHA256 keyed by "timestamp\\nsecret" of an empty message, base64."""
    return base64.b64encode(hmac.new(f"{seconds}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


class Feishu(Robot):
    kind = "feishu"
    max_bytes = 20000
    per_minute = 100
    code_keys = ("code", "StatusCode")
    reason_keys = ("msg",)
    rate_limited = frozenset({11232, 9499})

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        body = compact({"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": values["subject"]}},
            "elements": [{"tag": "markdown", "content": self.markdown(values)}]}})
        return body, len(body)

    def sign(self, request: Request, message: Ready, secret: str | None) -> Request:
        if not secret:
            return request
        seconds = int(self.now_seconds())
        payload = json.loads(request.body)
        return request._replace(body=compact({"timestamp": str(seconds), "sign": feishu_sign(secret, seconds),
                                              **payload}))
