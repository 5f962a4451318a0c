"""企业微信 (WeCom, and 政务微信 on the same API) app messages (应用消息) to one member, by their userid.

As documented (developer.work.weixin.qq.com/document/path/90269, "发送应用消息"; path/91039 "获取access_token";
path/90313 "全局错误码"):

- token: ``GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` answers ``{"errcode": 0, "access_token": …,
  "expires_in": 7200}``;
- send: ``POST /cgi-bin/message/send?access_token=TOKEN`` with ``touser``, ``agentid``, ``msgtype`` markdown; its
  content at most 2,048 bytes (UTF-8). ``enable_duplicate_check`` with the longest interval (4 hours): the same
  request sent again after a crash, the member does not receive it twice;
- answers: 42001 (access_token expired) and 40014 (invalid access_token): fetch another; 45009 (API frequency
  out of limit) and 45033 (concurrent calls out of limit): retried; 81013 (every recipient invalid or out of the
  app's visible range) and a non-empty ``invaliduser`` in an accepted answer: the member is not reached, failed;
  -1 (system busy): retried.
- pace: a member receives at most 30 messages a minute from one app; one API at most 10,000 calls a minute
  for a corporation, 150,000 an hour: 2,500 a minute keeps to the hour's average.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from notifications.channels.apps import App, Call
from notifications.channels.channel import compact

#: 4 hours, the longest duplicate-check interval 企业微信 allows
DUPLICATE_CHECK_SECONDS = 14400


class WeComApp(App):
    kind = "wecom_app"
    id_field = "wecom_userid"
    default_url = "https://qyapi.weixin.qq.com"
    max_bytes = 2048
    per_minute = 2500
    expired_codes = frozenset({40014, 42001})
    rate_limited = frozenset({45009, 45033})
    busy_codes = frozenset({-1})
    unknown_user = frozenset({81013})

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        text = self.markdown(values)
        return compact({"touser": to, "msgtype": "markdown", "agentid": self.settings.agent_id,
                        "markdown": {"content": text}, "enable_duplicate_check": 1,
                        "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}), len(text.encode())

    def token_call(self, base: str, app_id: str, secret: str) -> Call:
        query = urllib.parse.urlencode({"corpid": app_id, "corpsecret": secret})
        return Call("GET", f"{base}/cgi-bin/gettoken?{query}")

    def send_call(self, base: str, token: str, raw: bytes) -> Call:
        return Call("POST", f"{base}/cgi-bin/message/send?access_token={urllib.parse.quote(token)}", raw)

    def refused_person(self, found: Mapping[str, Any]) -> str | None:
        invalid = str(found.get("invaliduser") or "")
        return f"invaliduser {json.dumps(invalid)}" if invalid else None
