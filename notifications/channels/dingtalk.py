"""钉钉 (DingTalk) custom robot: ``POST …/robot/send?access_token=TOKEN``, markdown with a title.

With a signing secret (加签), the address gets ``&timestamp=MILLIS&sign=S``: S is the base64 of the
HMAC-SHA256 of "MILLIS\\nSECRET" keyed by the secret, URL-quoted; the robot refuses a wrong one (errcode
310000) or one more than an hour old, so it is made when posting. The body counts against 20,000 bytes. A robot
takes 20 messages a minute; beyond, errcode 130101 (or 410100), which is retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from typing import Any

from notifications.channels.channel import Request, compact
from notifications.channels.robot import Robot
from notifications.sender import Ready


def dingtalk_signed(url: str, secret: str, millis: int) -> str:
    """DingTalk's signed address: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, URL-quoted."""
    digest = hmac.new(secret.encode(), f"{millis}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={millis}&sign={sign}"


class DingTalk(Robot):
    kind = "dingtalk"
    max_bytes = 20000
    per_minute = 20
    rate_limited = frozenset({130101, 410100})

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        body = compact({"msgtype": "markdown", "markdown": {"title": values["subject"], "text": self.markdown(values)}})
        return body, len(body)

    def sign(self, request: Request, message: Ready, secret: str | None) -> Request:
        if not secret:
            return request
        return request._replace(url=dingtalk_signed(request.url, secret, int(self.now_seconds() * 1000)))
