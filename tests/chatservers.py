"""Loopback HTTP servers that behave like the chat services monitor posts to, for the tests.

One server answers as all four, by path, as their documentation describes them:

- WeCom group robot ``/cgi-bin/webhook/send?key=K``: markdown content at most 4,096 bytes (errcode 40058 when
  longer), 20 messages a minute (errcode 45009 beyond), errcode 93000 for an unknown key;
- DingTalk robot ``/robot/send?access_token=T&timestamp=&sign=``: the signature checked (errcode 310000);
- Feishu bot ``/open-apis/bot/v2/hook/T``: ``timestamp`` and ``sign`` in the body checked (code 19021);
- a webhook ``/hook``: ``X-Monitor-Signature`` checked when a secret is set; 204;

and as the three apps that write to one person (notifications/channels/wecom_app.py, dingtalk_work.py,
feishu_app.py), each with its token endpoint (tokens issued, checked, expired by ``expire_tokens()``) and its
answers for an expired token, a rate limit (``app_per_minute`` sends a minute, or a ``faults.app_code``) and an
unknown user (``UNKNOWN_USER``, or no id):

- 企业微信 ``GET /cgi-bin/gettoken?corpid&corpsecret``, ``POST /cgi-bin/message/send?access_token=``: 42001 for an
  expired token, 40014 for an unknown one, 45009 beyond the rate, 81013 (and ``invaliduser``) for an unknown user;
- 钉钉 ``GET /gettoken?appkey&appsecret``, ``POST /topapi/message/corpconversation/asyncsend_v2?access_token=``
  and ``…/getsendresult``: 88 with ``sub_code`` 40014 for an expired token, 143103 beyond the rate, an unknown
  userid accepted and then listed in the task's ``invalid_user_id_list``;
- 飞书 ``POST /open-apis/auth/v3/tenant_access_token/internal``, ``POST /open-apis/im/v1/messages
  ?receive_id_type=open_id`` with ``Authorization: Bearer``: HTTP 400 code 99991663 for an expired token, HTTP 429
  code 99991400 beyond the rate, HTTP 400 code 230013 for an unknown user.

Faults to inject, each for the next request(s): an errcode failure, an HTTP status (429, 500), a stall longer
than the client's timeout. Every request is kept; accepted posts are kept apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WECOM_KEY, DINGTALK_TOKEN, FEISHU_TOKEN = "wecom-key-1", "ding-token-1", "feishu-token-1"
DINGTALK_SECRET, FEISHU_SECRET, WEBHOOK_SECRET = "SECding-secret", "feishu-secret", "hook-secret"
#: the apps' ids (config.toml's app_id) and secrets (from the environment), and their agents
APP_IDS = {"wecom_app": "ww-test-corp", "dingtalk_work": "ding-app-key", "feishu_app": "cli_test_app"}
APP_SECRETS = {"wecom_app": "wecom-app-secret", "dingtalk_work": "ding-app-secret", "feishu_app": "feishu-app-secret"}
AGENT_ID = 1000002
APPS = tuple(APP_IDS)
#: an id no app knows
UNKNOWN_USER = "nobody"


#: the apps' endpoints, by path: which app answers there
TOKEN_PATHS = {"/cgi-bin/gettoken": "wecom_app", "/gettoken": "dingtalk_work",
               "/open-apis/auth/v3/tenant_access_token/internal": "feishu_app"}
APP_PATHS = {**TOKEN_PATHS, "/cgi-bin/message/send": "wecom_app",
             "/topapi/message/corpconversation/asyncsend_v2": "dingtalk_work",
             "/topapi/message/corpconversation/getsendresult": "dingtalk_work",
             "/open-apis/im/v1/messages": "feishu_app"}


@dataclass
class Post:
    service: str
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        """The markdown a person reads in the chat (the webhook: its JSON)."""
        if self.service == "wecom":
            return str(self.body["markdown"]["content"])
        if self.service == "dingtalk":
            return str(self.body["markdown"]["text"])
        if self.service == "feishu":
            return str(self.body["card"]["elements"][0]["content"])
        if self.service == "wecom_app":
            return str(self.body["markdown"]["content"])
        if self.service == "dingtalk_work":
            return str(self.body["msg"]["markdown"]["text"])
        if self.service == "feishu_app":
            return str(json.loads(self.body["content"])["elements"][0]["content"])
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def to(self) -> str:
        """The person an app's message was sent to (their id on the service)."""
        return str(self.body.get("touser") or self.body.get("userid_list") or self.body.get("receive_id") or "")


@dataclass
class Faults:
    errcode: list[int] = field(default_factory=list)     # answer these errcodes, one per request
    status: list[int] = field(default_factory=list)      # answer these HTTP statuses, one per request
    stall: list[float] = field(default_factory=list)     # sleep this long before answering, one per request
    app_code: list[int] = field(default_factory=list)    # an app's send answers this code (its own format), one per send


class ChatServer:
    def __init__(self, per_minute: int = 20) -> None:
        self.accepted: list[Post] = []
        self.requests = 0
        self.faults = Faults()
        self.per_minute = per_minute
        self._times: list[float] = []
        self.lock = threading.Lock()
        # the apps: tokens issued and not expired, by service; token calls; sends a minute; who exists
        self.tokens: dict[str, set[str]] = {app: set() for app in APPS}
        self.expired: set[str] = set()
        self.token_calls: dict[str, int] = dict.fromkeys(APPS, 0)
        self.token_lifetime = 7200
        self.app_per_minute = 1000
        self._app_times: dict[str, list[float]] = {app: [] for app in APPS}
        self.tasks: dict[int, str] = {}          # 钉钉's task ids and the userid each was for
        self.refused: list[Post] = []            # an app's sends refused (unknown user, rate, token)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                status, answer = outer.answer(self.path, raw, dict(self.headers.items()))
                data = json.dumps(answer).encode() if answer is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass      # the client gave up (a stall longer than its timeout)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        # polled often, so that stop() returns at once (the default, half a second, adds up over the tests)
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def urls(self) -> dict[str, str]:
        return {"wecom": f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
                "dingtalk": f"{self.base}/robot/send?access_token={DINGTALK_TOKEN}",
                "feishu": f"{self.base}/open-apis/bot/v2/hook/{FEISHU_TOKEN}",
                "webhook": f"{self.base}/hook"}

    def posts(self, service: str) -> list[Post]:
        return [post for post in self.accepted if post.service == service]

    # --- the services ---------------------------------------------------------------------------------------

    def answer(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            self.requests += 1
            stall = self.faults.stall.pop(0) if self.faults.stall else 0.0
            status = self.faults.status.pop(0) if self.faults.status else 200
            errcode = self.faults.errcode.pop(0) if self.faults.errcode else 0
        if stall:
            time.sleep(stall)
            return 200, {"errcode": 0, "errmsg": "ok (too late)"}
        if status != 200:
            return status, {"errcode": -1, "errmsg": f"status {status}"}
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = json.loads(raw) if raw else {}
        if url.path in APP_PATHS:
            return self._app(APP_PATHS[url.path], url.path, query, body, headers, raw, errcode)
        service, code, message = self._check(url.path, query, body, headers, raw)
        if code == 0 and errcode:
            code, message = errcode, "injected failure"
        if code == 0:
            with self.lock:
                now = time.monotonic()
                self._times = [t for t in self._times if now - t < 60]
                if service in ("wecom", "dingtalk") and len(self._times) >= self.per_minute:
                    code, message = (45009 if service == "wecom" else 130101), "api freq out of limit"
                else:
                    self._times.append(now)
                    self.accepted.append(Post(service, body, raw, headers))
        if service == "webhook":
            return (204, None) if code == 0 else (401, {"error": message})
        if service == "feishu":
            return 200, {"code": code, "msg": message or "success", "data": {}}
        return 200, {"errcode": code, "errmsg": message or "ok"}

    def _check(self, path: str, query: dict[str, str], body: dict[str, Any], headers: dict[str, str],
               raw: bytes) -> tuple[str, int, str]:
        if path == "/cgi-bin/webhook/send":
            if query.get("key") != WECOM_KEY:
                return "wecom", 93000, "invalid webhook url"
            content = body.get("markdown", {}).get("content", "")
            if body.get("msgtype") != "markdown" or not content:
                return "wecom", 40008, "invalid message type"
            if len(content.encode()) > 4096:
                return "wecom", 40058, "markdown.content exceed max length 4096"
            return "wecom", 0, ""
        if path == "/robot/send":
            stamp = query.get("timestamp", "")
            expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if query.get("access_token") != DINGTALK_TOKEN:
                return "dingtalk", 300001, "token is not exist"
            if query.get("sign") != expected or abs(time.time() * 1000 - int(stamp or 0)) > 3600_000:
                return "dingtalk", 310000, "sign not match"
            return "dingtalk", 0, ""
        if path == f"/open-apis/bot/v2/hook/{FEISHU_TOKEN}":
            stamp = str(body.get("timestamp", ""))
            expected = base64.b64encode(hmac.new(f"{stamp}\n{FEISHU_SECRET}".encode(), b"",
                                                 hashlib.sha256).digest()).decode()
            if body.get("sign") != expected or abs(time.time() - int(stamp or 0)) > 3600:
                return "feishu", 19021, "sign match fail or timestamp is not within one hour from current time"
            return "feishu", 0, ""
        if path == "/hook":
            signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if headers.get("X-Monitor-Signature") not in (None, signature):
                return "webhook", 1, "bad signature"
            return "webhook", 0, ""
        return "unknown", 404, "no such robot"

    def config(self, *services: str, roles: str = '["administrator"]', extra: str = "") -> str:
        """[[channels]] entries for these services; their addresses and secrets come from env (see env()). An
        app's address is the server's base, and it has its app_id and agent_id."""
        secrets = {"dingtalk": "MONITOR_TEST_DINGTALK_SECRET", "feishu": "MONITOR_TEST_FEISHU_SECRET",
                   "webhook": "MONITOR_TEST_WEBHOOK_SECRET",
                   **{app: f"MONITOR_TEST_{app.upper()}_SECRET" for app in APPS}}
        out = []
        for service in services:
            secret = f'secret_env = "{secrets[service]}"\n' if service in secrets else ""
            app = f'app_id = "{APP_IDS[service]}"\nagent_id = {AGENT_ID}\n' if service in APP_IDS else ""
            out.append(f'[[channels]]\nname = "{service}-group"\ntype = "{service}"\n'
                       f'url_env = "MONITOR_TEST_{service.upper()}_URL"\n{secret}{app}roles = {roles}\n{extra}')
        return "\n".join(out)

    def env(self) -> dict[str, str]:
        return {**{f"MONITOR_TEST_{service.upper()}_URL": url for service, url in self.urls().items()},
                **{f"MONITOR_TEST_{app.upper()}_URL": self.base for app in APPS},
                **{f"MONITOR_TEST_{app.upper()}_SECRET": secret for app, secret in APP_SECRETS.items()},
                "MONITOR_TEST_DINGTALK_SECRET": DINGTALK_SECRET, "MONITOR_TEST_FEISHU_SECRET": FEISHU_SECRET,
                "MONITOR_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET}

    # --- the apps that write to one person -------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far expires (as after its expires_in): the next send with one is refused so."""
        with self.lock:
            for issued in self.tokens.values():
                self.expired.update(issued)
                issued.clear()

    def sent_to(self, service: str) -> list[Post]:
        """An app's messages accepted, in order."""
        return [post for post in self.accepted if post.service == service]

    def _token(self, service: str) -> str:
        with self.lock:
            self.token_calls[service] += 1
            token = f"tok-{service}-{self.token_calls[service]}"
            self.tokens[service].add(token)
        return token

    def _app_rate(self, service: str) -> bool:
        """Whether a send keeps within the app's rate (counted when it does)."""
        with self.lock:
            now = time.monotonic()
            times = self._app_times[service] = [t for t in self._app_times[service] if now - t < 60]
            if len(times) >= self.app_per_minute:
                return False
            times.append(now)
            return True

    def _app(self, service: str, path: str, query: dict[str, str], body: dict[str, Any], headers: dict[str, str],
             raw: bytes, injected: int) -> tuple[int, dict[str, Any] | None]:
        token_path = path in TOKEN_PATHS
        if service == "wecom_app":
            if token_path:
                if query.get("corpid") != APP_IDS[service]:
                    return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
                if query.get("corpsecret") != APP_SECRETS[service]:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential"}
                return 200, {"errcode": 0, "errmsg": "ok", "access_token": self._token(service),
                             "expires_in": self.token_lifetime}
            token = query.get("access_token", "")
            code, said, extra = self._send(service, token, str(body.get("touser", "")), body, raw, injected,
                                           {"expired": 42001, "invalid": 40014, "rate": 45009, "unknown": 81013})
            if code == 81013:
                extra["invaliduser"] = body.get("touser", "")
            return 200, {"errcode": code, "errmsg": said or "ok", **({"invaliduser": ""} if code == 0 else {}),
                         **extra}
        if service == "dingtalk_work":
            if token_path:
                if (query.get("appkey"), query.get("appsecret")) != (APP_IDS[service], APP_SECRETS[service]):
                    return 200, {"errcode": 40089, "errmsg": "invalid appkey or appsecret"}
                return 200, {"errcode": 0, "errmsg": "ok", "access_token": self._token(service),
                             "expires_in": self.token_lifetime}
            token = query.get("access_token", "")
            if path.endswith("/getsendresult"):
                if token not in self.tokens[service]:
                    return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
                user = self.tasks.get(int(body.get("task_id", 0)), "")
                invalid = [user] if user in ("", UNKNOWN_USER) else []
                return 200, {"errcode": 0, "errmsg": "ok", "send_result": {"invalid_user_id_list": invalid}}
            user = str(body.get("userid_list", ""))
            code, said, extra = self._send(service, token, user, body, raw, injected,
                                           {"expired": 88, "invalid": 40014, "rate": 143103, "unknown": 0})
            if code == 88:
                extra.update(sub_code="40014", sub_msg="不合法的access_token")
            if code == 0:
                with self.lock:
                    task = len(self.tasks) + 1
                    self.tasks[task] = user
                extra.update(task_id=task, request_id=f"req-{task}")
            return 200, {"errcode": code, "errmsg": said or "ok", **extra}
        # feishu_app
        if token_path:
            if (body.get("app_id"), body.get("app_secret")) != (APP_IDS[service], APP_SECRETS[service]):
                return 200, {"code": 10014, "msg": "app secret invalid"}
            return 200, {"code": 0, "msg": "ok", "tenant_access_token": self._token(service),
                         "expire": self.token_lifetime}
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if query.get("receive_id_type") != "open_id":
            return 400, {"code": 230001, "msg": "invalid receive_id_type"}
        code, said, extra = self._send(service, token, str(body.get("receive_id", "")), body, raw, injected,
                                       {"expired": 99991663, "invalid": 99991663, "rate": 99991400,
                                        "unknown": 230013})
        status = 200 if code == 0 else 429 if code == 99991400 else 400
        return status, {"code": code, "msg": said or "success",
                        **({"data": {"message_id": f"om_{len(self.accepted)}"}} if code == 0 else {})}

    def _send(self, service: str, token: str, user: str, body: dict[str, Any], raw: bytes, injected: int,
              codes: dict[str, int]) -> tuple[int, str, dict[str, Any]]:
        """A send's code and words, checked in the services' order: the token, the rate, the person."""
        post = Post(service, body, raw, {})
        with self.lock:
            app_code = self.faults.app_code.pop(0) if self.faults.app_code else 0
        if token in self.expired:
            code, said = codes["expired"], "access_token expired"
        elif token not in self.tokens[service]:
            code, said = codes["invalid"], "invalid access_token"
        elif app_code:
            code, said = app_code, "injected failure"
        elif injected:
            code, said = injected, "injected failure"
        elif not self._app_rate(service):
            code, said = codes["rate"], "api freq out of limit"
        elif codes["unknown"] and (not user or user == UNKNOWN_USER):
            code, said = codes["unknown"], "user not found"
        else:
            with self.lock:
                self.accepted.append(post)
            return 0, "", {}
        with self.lock:
            self.refused.append(post)
        return code, said, {}
