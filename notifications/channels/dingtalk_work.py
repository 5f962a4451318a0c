"""钉钉 (DingTalk) work notifications (工作通知) to one employee, by their userid.

As documented (open.dingtalk.com, "获取企业内部应用的access_token" and "发送工作通知";
developer.alibaba.com/docs/api.htm?apiId=37692 asyncsend_v2, apiId=37024 getsendresult):

- token: ``GET /gettoken?appkey=KEY&appsecret=SECRET`` (the legacy API, on the same host as the send) answers
  ``{"errcode": 0, "access_token": …, "expires_in": 7200}``;
- send: ``POST /topapi/message/corpconversation/asyncsend_v2?access_token=TOKEN`` with ``agent_id``,
  ``userid_list`` (the one userid) and ``msg`` (markdown, title and text; the msg at most 2,048 bytes); answers
  ``{"errcode": 0, "task_id": …}``. The send is asynchronous: an unknown userid does not fail it, so the task's
  result is asked at once (``POST /topapi/message/corpconversation/getsendresult``), and a userid in its
  ``invalid_user_id_list`` is not reached: failed. (A result not ready yet lists nobody: sent.) The same content
  to the same employee is delivered once a day (143106): a resend after a crash is not received twice;
- answers: 40014 (invalid access_token), 42001 (expired), and 88 whose ``sub_code`` is one of them: fetch
  another; 143103 and 143104 (messages a minute over the limit, per app and per corporation), 90018 (calls too
  frequent) and -1 (system busy, "retry at most 3 times"): retried; 33012 (invalid userid): failed. (The
  global codes, 88 with its ``sub_code`` and -1, as the error-code pages quote them; 33012 is read from the
  global table as third parties copy it and was not found on an official page: the task's result is the check
  that counts.)
- pace: at most 500 messages a day to one employee from one app; 1,500 a minute by default (``per_minute``).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from notifications.channels.apps import App, Call, Expired
from notifications.channels.channel import compact
from notifications.sender import Ready, TransportError


class DingTalkWork(App):
    kind = "dingtalk_work"
    id_field = "dingtalk_userid"
    default_url = "https://oapi.dingtalk.com"
    max_bytes = 2048
    per_minute = 1500
    expired_codes = frozenset({40014, 42001})
    rate_limited = frozenset({143103, 143104, 90018})
    busy_codes = frozenset({-1})
    unknown_user = frozenset({33012})

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        msg = {"msgtype": "markdown", "markdown": {"title": values["subject"], "text": self.markdown(values)}}
        return compact({"agent_id": self.settings.agent_id, "userid_list": to, "msg": msg}), len(compact(msg))

    def judge(self, answer: httpx.Response) -> dict[str, Any]:
        code, found = self.code(answer)
        if code == 88 and str(found.get("sub_code", "")) in {str(c) for c in self.expired_codes}:
            raise Expired(f"channel {self.name}: errcode 88 sub_code {found.get('sub_code')} "
                          f"{found.get('sub_msg') or found.get('errmsg') or ''}".rstrip())
        return super().judge(answer)

    def token_call(self, base: str, app_id: str, secret: str) -> Call:
        query = urllib.parse.urlencode({"appkey": app_id, "appsecret": secret})
        return Call("GET", f"{base}/gettoken?{query}")

    def send_call(self, base: str, token: str, raw: bytes) -> Call:
        return Call("POST", f"{base}/topapi/message/corpconversation/asyncsend_v2?access_token="
                            f"{urllib.parse.quote(token)}", raw)

    def confirm(self, client: httpx.Client, base: str, token: str, found: Mapping[str, Any],
                message: Ready) -> None:
        task = found.get("task_id")
        if task is None:
            return
        to = str(json.loads(message.raw).get("userid_list", ""))
        call = Call("POST", f"{base}/topapi/message/corpconversation/getsendresult?access_token="
                            f"{urllib.parse.quote(token)}",
                    compact({"agent_id": self.settings.agent_id, "task_id": task}))
        try:
            result = self.judge(self._call(client, call)).get("send_result") or {}
        except (TransportError, Expired):
            return          # the message was taken; only whether it reached its employee is unknown
        if to and to in [str(user) for user in result.get("invalid_user_id_list") or []]:
            raise TransportError(f"channel {self.name}: invalid_user_id_list [{json.dumps(to)}] (unknown user)",
                                 permanent=True)
