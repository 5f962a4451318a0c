"""The identity providers a person can sign in with, behind one seam: each sends the browser to its sign-in
page (``sign_in_url``) and, when the browser comes back with a code, turns the code into an ``Identity``
(``identity``), or refuses with ``SignInRefused``. What the console does with the identity (the mapping, the
session) is the same for all of them (monitor/web/identity_pages.py).

- ``OidcProvider``: OpenID Connect, authorization code with PKCE (S256), ``state`` and ``nonce``. The provider's
  discovery document names its endpoints; the ID token's signature is checked against its JWKS (joserfc), and
  its ``iss``, ``aud`` (and ``azp``), ``exp``, ``iat`` and ``nonce``. Tokens are dated by the machine's own clock
  (clock.real_utc), as the provider dates them, never by MONITOR_NOW.
- ``WecomProvider``: 企业微信 web sign-in (扫码登录): login.work.weixin.qq.com's page, then ``gettoken`` and
  ``auth/getuserinfo?code=`` give the member's userid.
- ``DingtalkProvider``: 钉钉 sign-in: login.dingtalk.com's ``oauth2/auth``, then ``POST /v1.0/oauth2/userAccessToken``
  and ``GET /v1.0/contact/users/me`` give the person's unionId.

Their addresses are configurable (``issuer``, ``login_url``, ``api_url``), so that the tests point them at
loopback servers. Every call has the configured timeout; an answer that is not what the service documents is a
refusal that names the service, never a crash."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from monitor import clock
from monitor.actions.identities import Identity
from monitor.config import IdentitySettings
from monitor.errors import MonitorError
from notifications.channels.wecom_app import WeComApp

#: the signatures an ID token may carry: public-key ones only (never "none", nor a MAC with the client secret)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
#: clock skew allowed between the provider and this machine
LEEWAY = 60


class SignInRefused(MonitorError):
    """A sign-in with an identity provider that did not prove who it is: the page says why, in one line."""


@dataclass(frozen=True)
class Started:
    """What a sign-in carries to the provider and back: its state, nonce and PKCE verifier."""
    state: str
    nonce: str
    verifier: str


class Provider(Protocol):
    settings: IdentitySettings

    def sign_in_url(self, started: Started, redirect_uri: str) -> str: ...

    def identity(self, params: dict[str, str], started: Started, redirect_uri: str) -> Identity: ...


def _json(response: httpx.Response, what: str, name: str) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise SignInRefused("sign-in with {provider} failed: {what} answered HTTP {status}, not JSON",
                            provider=name, what=what, status=response.status_code)
    return found


def _call(name: str, what: str, send: Any) -> httpx.Response:
    try:
        response: httpx.Response = send()
    except httpx.HTTPError as exc:
        raise SignInRefused("sign-in with {provider} failed: {what} could not be reached ({reason})",
                            provider=name, what=what, reason=type(exc).__name__) from None
    return response


class OidcProvider:
    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=self.settings.timeout, follow_redirects=False)

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata; its issuer must be the one configured (OpenID Connect Discovery, 4.3)."""
        name, issuer = self.settings.name, self.settings.issuer
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        with self._client() as client:
            found = _json(_call(name, url, lambda: client.get(url)), url, name)
        if found.get("issuer") != issuer:
            raise SignInRefused("sign-in with {provider} failed: its discovery document names the issuer {found!r}, "
                                "not {issuer!r} (web.identity.issuer)", provider=name,
                                found=str(found.get("issuer"))[:200], issuer=issuer)
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(found.get(key), str):
                raise SignInRefused("sign-in with {provider} failed: its discovery document has no {key}",
                                    provider=name, key=key)
        return found

    def sign_in_url(self, started: Started, redirect_uri: str) -> str:
        endpoint = str(self.discovery()["authorization_endpoint"])
        query = urlencode({"response_type": "code", "client_id": self.settings.client_id,
                           "redirect_uri": redirect_uri, "scope": " ".join(self.settings.scopes),
                           "state": started.state, "nonce": started.nonce,
                           "code_challenge": create_s256_code_challenge(started.verifier),
                           "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def identity(self, params: dict[str, str], started: Started, redirect_uri: str) -> Identity:
        name, settings = self.settings.name, self.settings
        meta = self.discovery()
        form = {"grant_type": "authorization_code", "code": params.get("code", ""), "redirect_uri": redirect_uri,
                "code_verifier": started.verifier, "client_id": settings.client_id}
        secret = settings.secret()
        auth: httpx.Auth | None = None
        if secret is not None:      # client_secret_basic unless the provider takes client_secret_post only
            methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            if "client_secret_basic" in methods:
                auth = httpx.BasicAuth(settings.client_id, secret)
            else:
                form["client_secret"] = secret
        token_url, jwks_url = str(meta["token_endpoint"]), str(meta["jwks_uri"])
        with self._client() as client:
            answer = _call(name, token_url, lambda: client.post(token_url, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT))
            tokens = _json(answer, token_url, name)
            if answer.status_code != 200 or not isinstance(tokens.get("id_token"), str):
                raise SignInRefused("sign-in with {provider} failed: its token endpoint refused the code ({error})",
                                    provider=name, error=str(tokens.get("error", answer.status_code))[:100])
            keys = _json(_call(name, jwks_url, lambda: client.get(jwks_url)), jwks_url, name)
        return self.checked(str(tokens["id_token"]), keys, started.nonce)

    def checked(self, id_token: str, jwks: dict[str, Any], nonce: str) -> Identity:
        """The identity an ID token vouches for, once its signature (against ``jwks``) and its claims hold."""
        name, settings = self.settings.name, self.settings
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=list(ALGORITHMS))  # type: ignore[arg-type]
        except JoseError as exc:
            raise SignInRefused("sign-in with {provider} refused: the ID token's signature does not verify against "
                                "the provider's keys ({error})", provider=name, error=exc.error) from None
        claims = token.claims
        rules = jwt.JWTClaimsRegistry(
            now=lambda: int(clock.real_utc().timestamp()), leeway=LEEWAY,
            iss={"essential": True, "value": settings.issuer}, aud={"essential": True, "value": settings.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            rules.validate(claims)
        except ExpiredTokenError:
            raise SignInRefused("sign-in with {provider} refused: the ID token has expired", provider=name) from None
        except (InvalidClaimError, MissingClaimError) as exc:
            raise SignInRefused("sign-in with {provider} refused: the ID token's claim {claim} is not as expected",
                                provider=name, claim=exc.claim) from None
        except JoseError as exc:
            raise SignInRefused("sign-in with {provider} refused: the ID token's claims do not hold ({error})",
                                provider=name, error=exc.error) from None
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
            raise SignInRefused("sign-in with {provider} refused: the ID token's claim {claim} is not as expected",
                                provider=name, claim="azp")
        return Identity(settings.issuer, str(claims["sub"]), _text(claims.get("email")),
                        _text(claims.get("name") or claims.get("preferred_username")), name)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class _TokenCache:
    """An app's access token, kept until shortly before its documented expiry (``expires_in``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            found = self._kept.get(key)
        return found[0] if found and found[1] > time.monotonic() else None

    def keep(self, key: tuple[str, str], token: str, seconds: float) -> None:
        with self._lock:
            self._kept[key] = (token, time.monotonic() + max(0.0, seconds - 300))

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._kept.pop(key, None)


WECOM_TOKENS = _TokenCache()
#: 企业微信's errcodes for an access token that expired or is not (or no longer) valid: fetched again, once (the
#: same service's codes as its app channel reads them, notifications/channels/wecom_app.py)
WECOM_STALE_TOKEN = WeComApp.expired_codes


class WecomProvider:
    LOGIN = "https://login.work.weixin.qq.com"
    API = "https://qyapi.weixin.qq.com"

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings

    def sign_in_url(self, started: Started, redirect_uri: str) -> str:
        base = (self.settings.login_url or self.LOGIN).rstrip("/")
        return base + "/wwlogin/sso/login?" + urlencode({
            "login_type": "CorpApp", "appid": self.settings.corp_id, "agentid": self.settings.agent_id,
            "redirect_uri": redirect_uri, "state": started.state})

    def _token(self, client: httpx.Client, api: str) -> str:
        key = (api, self.settings.corp_id)
        kept = WECOM_TOKENS.get(key)
        if kept:
            return kept
        name = self.settings.name
        answer = _json(_call(name, "gettoken", lambda: client.get(api + "/cgi-bin/gettoken", params={
            "corpid": self.settings.corp_id, "corpsecret": self.settings.secret() or ""})), "gettoken", name)
        if answer.get("errcode", 0) != 0 or not isinstance(answer.get("access_token"), str):
            raise SignInRefused("sign-in with {provider} failed: {what} answered errcode {errcode}: {errmsg}",
                                provider=name, what="gettoken", errcode=answer.get("errcode"),
                                errmsg=str(answer.get("errmsg", ""))[:200])
        expires = answer.get("expires_in", 7200)
        WECOM_TOKENS.keep(key, str(answer["access_token"]), float(expires) if isinstance(expires, int) else 0.0)
        return str(answer["access_token"])

    def _user_info(self, client: httpx.Client, api: str, code: str) -> dict[str, Any]:
        token = self._token(client, api)
        return _json(_call(self.settings.name, "auth/getuserinfo", lambda: client.get(
            api + "/cgi-bin/auth/getuserinfo", params={"access_token": token, "code": code})),
            "auth/getuserinfo", self.settings.name)

    def identity(self, params: dict[str, str], started: Started, redirect_uri: str) -> Identity:
        name, api = self.settings.name, (self.settings.api_url or self.API).rstrip("/")
        code = params.get("code", "")
        with httpx.Client(timeout=self.settings.timeout) as client:
            answer = self._user_info(client, api, code)
            if answer.get("errcode") in WECOM_STALE_TOKEN:      # the kept token went stale early: once more
                WECOM_TOKENS.drop((api, self.settings.corp_id))
                answer = self._user_info(client, api, code)
        if answer.get("errcode", 0) != 0:
            raise SignInRefused("sign-in with {provider} failed: {what} answered errcode {errcode}: {errmsg}",
                                provider=name, what="auth/getuserinfo", errcode=answer.get("errcode"),
                                errmsg=str(answer.get("errmsg", ""))[:200])
        userid = answer.get("userid")
        if not isinstance(userid, str) or not userid:
            raise SignInRefused("sign-in with {provider} refused: the person is not a member of the organisation "
                                "(no userid)", provider=name)
        return Identity(self.settings.issuer_id, userid, "", userid, name)


class DingtalkProvider:
    LOGIN = "https://login.dingtalk.com"
    API = "https://api.dingtalk.com"

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings

    def sign_in_url(self, started: Started, redirect_uri: str) -> str:
        base = (self.settings.login_url or self.LOGIN).rstrip("/")
        return base + "/oauth2/auth?" + urlencode({
            "redirect_uri": redirect_uri, "response_type": "code", "client_id": self.settings.client_id,
            "scope": "openid", "state": started.state, "prompt": "consent"})

    def identity(self, params: dict[str, str], started: Started, redirect_uri: str) -> Identity:
        name, api = self.settings.name, (self.settings.api_url or self.API).rstrip("/")
        code = params.get("authCode") or params.get("code", "")
        with httpx.Client(timeout=self.settings.timeout) as client:
            answer = _call(name, "oauth2/userAccessToken", lambda: client.post(
                api + "/v1.0/oauth2/userAccessToken", json={
                    "clientId": self.settings.client_id, "clientSecret": self.settings.secret() or "",
                    "code": code, "grantType": "authorization_code"}))
            tokens = _json(answer, "oauth2/userAccessToken", name)
            if answer.status_code != 200 or not isinstance(tokens.get("accessToken"), str):
                raise SignInRefused("sign-in with {provider} failed: {what} answered {code}: {message}",
                                    provider=name, what="oauth2/userAccessToken",
                                    code=str(tokens.get("code", answer.status_code))[:100],
                                    message=str(tokens.get("message", ""))[:200])
            answer = _call(name, "contact/users/me", lambda: client.get(
                api + "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": str(tokens["accessToken"])}))
            me = _json(answer, "contact/users/me", name)
        if answer.status_code != 200 or not isinstance(me.get("unionId"), str) or not me["unionId"]:
            raise SignInRefused("sign-in with {provider} failed: {what} answered {code}: {message}",
                                provider=name, what="contact/users/me", code=str(me.get("code", answer.status_code))[:100],
                                message=str(me.get("message", ""))[:200])
        return Identity(self.settings.issuer_id, str(me["unionId"]), _text(me.get("email")), _text(me.get("nick")),
                        name)


def provider(settings: IdentitySettings) -> Provider:
    """The provider of a web.identity entry that sends the browser somewhere (not ``header``)."""
    kinds: dict[str, type[OidcProvider | WecomProvider | DingtalkProvider]] = {
        "oidc": OidcProvider, "wecom": WecomProvider, "dingtalk": DingtalkProvider}
    return kinds[settings.type](settings)
