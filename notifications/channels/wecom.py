"""企业微信 (WeCom, and 政务微信 on the same API) group robot: ``POST …/cgi-bin/webhook/send?key=KEY``.

The body is markdown (``{"msgtype": "markdown", "markdown": {"content": …}}``), whose content may have at most
4,096 bytes of UTF-8 (errcode 40058 beyond): that, not the body, is what is measured. A robot takes 20 messages
a minute; beyond, errcode 45009, which is retried. The key is in the address; there is no signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.channels.channel import compact
from notifications.channels.robot import Robot


class WeCom(Robot):
    kind = "wecom"
    max_bytes = 4096
    per_minute = 20
    rate_limited = frozenset({45009})

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        text = self.markdown(values)
        return compact({"msgtype": "markdown", "markdown": {"content": text}}), len(text.encode())
