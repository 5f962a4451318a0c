"""Loopback HTTP servers that behave like the chat services monitor posts to, for the tests.

One server answers as all four, by path, as their documentation describes them:

- WeCom group robot ``/cgi-bin/webhook/send?key=K``: markdown content at most 4,096 bytes (errcode 40058 when
  longer), 20 messages a minute (errcode 45009 beyond), errcode 93000 for an unknown key;
- DingTalk robot ``/robot/send?access_token=T&timestamp=&sign=``: the signature checked (errcode 310000);
- Feishu bot ``/open-apis/bot/v2/hook/T``: ``timestamp`` and ``sign`` in the body checked (code 19021);
- a webhook ``/hook``: ``X-Monitor-Signature`` checked when a secret is set; 204.

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
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Faults:
    errcode: list[int] = field(default_factory=list)     # answer these errcodes, one per request
    status: list[int] = field(default_factory=list)      # answer these HTTP statuses, one per request
    stall: list[float] = field(default_factory=list)     # sleep this long before answering, one per request


class ChatServer:
    def __init__(self, per_minute: int = 20) -> None:
        self.accepted: list[Post] = []
        self.requests = 0
        self.faults = Faults()
        self.per_minute = per_minute
        self._times: list[float] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
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
        body = json.loads(raw)
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
        """[[channels]] entries for these services; their addresses and secrets come from env (see env())."""
        secrets = {"dingtalk": "MONITOR_TEST_DINGTALK_SECRET", "feishu": "MONITOR_TEST_FEISHU_SECRET",
                   "webhook": "MONITOR_TEST_WEBHOOK_SECRET"}
        out = []
        for service in services:
            secret = f'secret_env = "{secrets[service]}"\n' if service in secrets else ""
            out.append(f'[[channels]]\nname = "{service}-group"\ntype = "{service}"\n'
                       f'url_env = "MONITOR_TEST_{service.upper()}_URL"\n{secret}roles = {roles}\n{extra}')
        return "\n".join(out)

    def env(self) -> dict[str, str]:
        return {**{f"MONITOR_TEST_{service.upper()}_URL": url for service, url in self.urls().items()},
                "MONITOR_TEST_DINGTALK_SECRET": DINGTALK_SECRET, "MONITOR_TEST_FEISHU_SECRET": FEISHU_SECRET,
                "MONITOR_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET}
