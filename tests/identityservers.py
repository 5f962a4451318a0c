"""Loopback servers that sign people in as the identity providers monitor trusts do, for the sign-in tests.

- ``oidc_mock``: the real OpenID Connect provider of the package oidc-provider-mock (discovery, authorize, token,
  JWKS), in a process of its own (it imports authlib.jose, which warns, and pytest makes warnings errors).
- ``FakeIssuer``: an OpenID Connect provider whose token endpoint answers the ID token a test made (signed with
  its own key, another key, expired, for another audience …), so that each refusal is a token monitor is handed
  the ordinary way. It keeps each token request (the PKCE verifier is checked against the challenge by the test).
- ``FakeApps``: 企业微信's and 钉钉's documented sign-in endpoints: the login pages (which, as the person scanning
  the code would, send the browser straight back with a code), 企业微信 ``cgi-bin/gettoken`` and
  ``cgi-bin/auth/getuserinfo``, 钉钉 ``/v1.0/oauth2/userAccessToken`` and ``/v1.0/contact/users/me``, with
  their error codes for a wrong secret, an unknown code and an expired access token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.web_helpers import free_port

WECOM_CORP, WECOM_AGENT, WECOM_SECRET = "wwcorp1", "1000002", "wecom-app-secret"
DING_CLIENT, DING_CORP, DING_SECRET = "dingappkey1", "dingcorp1", "ding-app-secret"


@contextmanager
def oidc_mock(log: Path, *users: dict[str, str]) -> Iterator[str]:
    """oidc-provider-mock on a loopback port, requiring a nonce, with these users' claims; its issuer URL."""
    port = free_port()
    claims = [part for user in users for part in ("--user-claims", json.dumps(user))]
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--host", "127.0.0.1",
                                    "--port", str(port), "--require-nonce", "true", *claims],
                                   stdout=out, stderr=out, env={**os.environ, "NO_COLOR": "1"})
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("oidc-provider-mock did not start: " + log.read_text(errors="replace"))
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=20)


class _Server:
    """A ThreadingHTTPServer on loopback whose handler calls ``self.handle(method, path, query, body, headers)``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                status, answer, headers = outer.handle(method, url.path, query, raw, dict(self.headers.items()))
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes, headers: dict[str, str]
               ) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


class FakeIssuer(_Server):
    """An OpenID Connect provider whose token endpoint answers ``next_id_token``."""

    def __init__(self) -> None:
        super().__init__()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.next_id_token = ""
        self.token_requests: list[dict[str, str]] = []
        self.token_auth: list[str] = []

    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes, headers: dict[str, str]
               ) -> tuple[int, Any, dict[str, str]]:
        if path == "/.well-known/openid-configuration":
            return 200, {"issuer": self.base, "authorization_endpoint": self.base + "/authorize",
                         "token_endpoint": self.base + "/token", "jwks_uri": self.base + "/jwks",
                         "id_token_signing_alg_values_supported": ["RS256"]}, {}
        if path == "/jwks":
            return 200, {"keys": [self.key.as_dict(private=False)]}, {}
        if path == "/token" and method == "POST":
            with self.lock:
                self.token_requests.append(dict(urllib.parse.parse_qsl(raw.decode())))
                self.token_auth.append(headers.get("Authorization", ""))
            return 200, {"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
                         "id_token": self.next_id_token}, {}
        return 404, {"error": "not_found"}, {}

    def id_token(self, nonce: str, key: RSAKey | None = None, **claims: Any) -> str:
        """An ID token for subject ``alice`` of this issuer, for client ``monitor``, valid for an hour from now
        (the machine's time, as a provider's); ``claims`` change any of it."""
        now = int(time.time())
        body = {"iss": self.base, "sub": "alice", "aud": "monitor", "exp": now + 3600, "iat": now, "nonce": nonce,
                "email": "alice@example.gov.cn", "name": "Alice", **claims}
        return jwt.encode({"alg": "RS256", "kid": "k1"}, body, key or self.key)


class FakeApps(_Server):
    """企业微信's and 钉钉's sign-in endpoints, by path. The login page signs in ``person`` (a code for them, used
    once); ``errors`` are errcodes getuserinfo answers first, one a request."""

    def __init__(self) -> None:
        super().__init__()
        self.person = "zhangsan"
        self.codes: dict[str, str] = {}
        self.errors: list[int] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.tokens: set[str] = set()

    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes, headers: dict[str, str]
               ) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.calls.append((path, {**query, **({"body": raw.decode()} if raw else {})}))
        if path in ("/wwlogin/sso/login", "/oauth2/auth"):      # the person scans and confirms
            code = f"code-{len(self.calls)}"
            self.codes[code] = self.person
            back = {"code": code, "state": query["state"]} if path == "/wwlogin/sso/login" else \
                {"authCode": code, "state": query["state"]}
            return 302, None, {"Location": query["redirect_uri"] + "?" + urllib.parse.urlencode(back)}
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") != WECOM_CORP or query.get("corpsecret") != WECOM_SECRET:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}, {}
            token = f"wecom-token-{len(self.tokens)}"
            self.tokens.add(token)
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}, {}
        if path == "/cgi-bin/auth/getuserinfo":
            if self.errors:
                return 200, {"errcode": self.errors.pop(0), "errmsg": "injected"}, {}
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 40014, "errmsg": "invalid access_token"}, {}
            userid = self.codes.pop(query.get("code", ""), None)
            if userid is None:
                return 200, {"errcode": 40029, "errmsg": "invalid code"}, {}
            return 200, {"errcode": 0, "errmsg": "ok", "userid": userid}, {}
        if path == "/v1.0/oauth2/userAccessToken" and method == "POST":
            body = json.loads(raw)
            if body.get("clientId") != DING_CLIENT or body.get("clientSecret") != DING_SECRET:
                return 400, {"code": "invalidClientSecret", "message": "clientSecret is invalid"}, {}
            union = self.codes.pop(body.get("code", ""), None)
            if union is None or body.get("grantType") != "authorization_code":
                return 400, {"code": "invalidAuthCode", "message": "authCode is invalid"}, {}
            token = f"ding-user-token-{union}"
            self.tokens.add(token)
            return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200}, {}
        if path == "/v1.0/contact/users/me":
            token = headers.get("x-acs-dingtalk-access-token", headers.get("X-Acs-Dingtalk-Access-Token", ""))
            if token not in self.tokens:
                return 401, {"code": "InvalidAuthentication", "message": "token is invalid"}, {}
            union = token.removeprefix("ding-user-token-")
            return 200, {"nick": "丁" + union, "unionId": union, "openId": "o-" + union, "stateCode": "86",
                         "email": f"{union}@example.gov.cn"}, {}
        return 404, {"errcode": 404, "errmsg": "no such endpoint"}, {}
