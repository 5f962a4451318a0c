"""Signing in with an identity provider (issue 29, item 1), against a real `monitor serve`: OpenID Connect with
PKCE, state and nonce (a provider of our own on loopback, whose token endpoint answers the ID token each test
makes: signed with the provider's key or another, expired, for another audience …); a replayed state; a
gateway's trusted header with and without its secret; 企业微信 and 钉钉 web sign-in against loopback fakes of
their documented endpoints; an identity that no administrator mapped gets no access; passwords switched off,
and the administrator's break-glass (a password with an unlock code). The real provider (oidc-provider-mock)
driven by Chromium: tests/test_sign_in_browser.py."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.jwk import RSAKey

from tests.identityservers import (
    DING_CLIENT,
    DING_CORP,
    DING_SECRET,
    WECOM_AGENT,
    WECOM_CORP,
    WECOM_SECRET,
    FakeApps,
    FakeIssuer,
)
from tests.web_helpers import (
    DATABASES,
    PASSWORD,
    Console,
    add_user,
    console,
    csrf_of,
    module_database,
    run_cli,
    seeded,
)

CLIENT_SECRET, GATEWAY_SECRET = "client-secret-1", "gateway-secret-1"
CONFIG = """
[web]
passwords = false

[[web.identity]]
name = "sso"
type = "oidc"
label = "统一身份认证"
issuer = "{issuer}"
client_id = "monitor"
secret_file = "oidc.secret"

[[web.identity]]
name = "wecom"
type = "wecom"
label = "企业微信"
corp_id = "{wecom_corp}"
agent_id = "{wecom_agent}"
secret_env = "MONITOR_TEST_WECOM_LOGIN_SECRET"
login_url = "{apps}"
api_url = "{apps}"

[[web.identity]]
name = "dingtalk"
type = "dingtalk"
label = "钉钉"
client_id = "{ding_client}"
corp_id = "{ding_corp}"
secret_file = "ding.secret"
login_url = "{apps}"
api_url = "{apps}"

[[web.identity]]
name = "gateway"
type = "header"
user_header = "X-Remote-User"
secret_header = "X-Gateway-Secret"
secret_file = "gateway.secret"
"""


@dataclass
class Site:
    console: Console
    config: Path
    url: str
    issuer: FakeIssuer
    apps: FakeApps

    def cli(self, *args: str, stdin: str | None = None) -> str:
        return run_cli(self.config, self.url, *args, stdin=stdin)


@pytest.fixture(scope="module", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp, url = module_database(request, tmp_path_factory, "sign-in")
    issuer, apps = FakeIssuer(), FakeApps()
    (tmp / "oidc.secret").write_text(CLIENT_SECRET + "\n")
    (tmp / "ding.secret").write_text(DING_SECRET)
    (tmp / "gateway.secret").write_text(GATEWAY_SECRET)
    config = seeded(tmp, url, CONFIG.format(issuer=issuer.base, apps=apps.base, wecom_corp=WECOM_CORP,
                                            wecom_agent=WECOM_AGENT, ding_client=DING_CLIENT, ding_corp=DING_CORP))
    add_user(config, url, "admin", "admin")
    add_user(config, url, "bao", "bureau", "包头市")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("MONITOR_TEST_WECOM_LOGIN_SECRET", WECOM_SECRET)
    try:
        with console(tmp, url, config) as running:
            yield Site(running, config, url, issuer, apps)
    finally:
        monkey.undo()
        issuer.stop()
        apps.stop()


def _query(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def _signed_in(answer: httpx.Response) -> bool:
    return "monitor_session" in answer.cookies


# --- OpenID Connect -----------------------------------------------------------------------------------------------

def _oidc(site: Site, client: httpx.Client, token: object) -> tuple[dict[str, str], httpx.Response]:
    """A sign-in with the provider: started, its ID token made by ``token(nonce)``, and the callback; the
    authorization request's parameters and the callback's answer."""
    start = client.get("/login/with/sso", params={"next": "/clusters/BT-001"})
    assert start.status_code == 303, start.text[:300]
    sent = _query(start.headers["location"])
    assert callable(token)
    site.issuer.next_id_token = token(sent["nonce"])
    return sent, client.get("/login/with/sso/done", params={"code": "code-1", "state": sent["state"]})


def test_an_identity_gets_no_access_until_an_administrator_maps_it(site: Site) -> None:
    with site.console.client() as client:
        sent, answer = _oidc(site, client, lambda nonce: site.issuer.id_token(nonce, sub="carol",
                                                                               email="carol@example.gov.cn"))
        assert answer.status_code == 403 and not _signed_in(answer)
        assert "carol" in answer.text and "尚未对应到账户" in answer.text
        assert client.get("/", follow_redirects=False).status_code == 303       # to /login: no session
    listed = site.cli("user", "identity", "list")
    assert f"{site.issuer.base}\tcarol\tAlice <carol@example.gov.cn>\t待处理\t-" in listed
    site.cli("user", "identity", "map", "bao", site.issuer.base, "carol")
    with site.console.client() as client:
        sent, answer = _oidc(site, client, lambda nonce: site.issuer.id_token(nonce, sub="carol"))
        assert answer.status_code == 303 and answer.headers["location"] == "/clusters/BT-001" and _signed_in(answer)
        overview = client.get("/")
        assert overview.status_code == 200 and "BT-001" in overview.text and "ORD-001" not in overview.text
        assert '<span id="user">bao</span>' in overview.text or ">bao<" in overview.text
    # the authorization request was PKCE (S256) with state and nonce, and the token request proved it
    assert sent["code_challenge_method"] == "S256" and sent["response_type"] == "code"
    assert sent["client_id"] == "monitor" and "openid" in sent["scope"].split()
    asked = site.issuer.token_requests[-1]
    assert create_s256_code_challenge(asked["code_verifier"]) == sent["code_challenge"]
    assert asked["redirect_uri"] == sent["redirect_uri"] and asked["code"] == "code-1"
    assert site.issuer.token_auth[-1] == httpx.BasicAuth("monitor", CLIENT_SECRET)._auth_header   # the secret file's


OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})     # the provider's kid, not its key


@pytest.mark.parametrize(("case", "claims", "said"), [
    ("good", {}, None),
    ("forged with another key", {"key": OTHER_KEY}, "签名与身份提供方的公钥不符"),
    ("expired", {"exp": "-600", "iat": "-4200"}, "身份令牌已过期"),
    ("for another audience", {"aud": "another-app"}, "声明 aud 不符"),
    ("another audience beside ours, no azp", {"aud": ["monitor", "another-app"]}, "声明 azp 不符"),
    ("another issuer", {"iss": "http://127.0.0.1:9/evil"}, "声明 iss 不符"),
    ("another nonce", {"nonce": "not-the-one-sent"}, "声明 nonce 不符"),
    ("no subject", {"sub": None}, "声明 sub 不符"),
    ("issued in the future", {"iat": "+3600"}, "声明 iat 不符"),
])
def test_an_id_token_is_checked(site: Site, case: str, claims: dict[str, object], said: str | None) -> None:
    import time

    site.cli("user", "identity", "map", "admin", site.issuer.base, "alice")

    def made(nonce: str) -> str:
        changed = dict(claims)
        key = changed.pop("key", None)
        for name in ("exp", "iat"):
            if isinstance(changed.get(name), str):
                changed[name] = int(time.time()) + int(str(changed[name]))
        if changed.get("sub", "") is None:
            changed.pop("sub")
            return _without_sub(site, nonce, key, changed)
        nonce = str(changed.pop("nonce", nonce))
        return site.issuer.id_token(nonce, key if isinstance(key, RSAKey) else None, **changed)

    with site.console.client() as client:
        _, answer = _oidc(site, client, made)
    if said is None:
        assert answer.status_code == 303 and _signed_in(answer), answer.text[:500]
        return
    assert answer.status_code == 401 and not _signed_in(answer), (case, answer.status_code)
    assert said in answer.text, (case, answer.text[:2000])


def _without_sub(site: Site, nonce: str, key: object, claims: dict[str, object]) -> str:
    from joserfc import jwt

    token = jwt.decode(site.issuer.id_token(nonce, **claims), site.issuer.key)
    body = {k: v for k, v in token.claims.items() if k != "sub"}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, body, key if isinstance(key, RSAKey) else site.issuer.key)


def test_a_state_is_taken_once_and_only_by_the_browser_it_was_given_to(site: Site) -> None:
    site.cli("user", "identity", "map", "admin", site.issuer.base, "alice")
    with site.console.client() as client:
        sent, answer = _oidc(site, client, lambda nonce: site.issuer.id_token(nonce))
        assert answer.status_code == 303 and _signed_in(answer)
        # the same callback again, from the same browser (its state cookie put back): the state was taken
        with site.console.client() as again:
            again.cookies.set("monitor_identity", sent["state"])
            replayed = again.get("/login/with/sso/done", params={"code": "code-1", "state": sent["state"]})
        assert replayed.status_code == 403 and not _signed_in(replayed)
        assert "这次登录已用过或已超时" in replayed.text
    # a state started in one browser, brought back by another (login CSRF): refused, and still unused
    with site.console.client() as victim, site.console.client() as attacker:
        start = attacker.get("/login/with/sso")
        state = _query(start.headers["location"])["state"]
        site.issuer.next_id_token = site.issuer.id_token(_query(start.headers["location"])["nonce"])
        foreign = victim.get("/login/with/sso/done", params={"code": "code-1", "state": state})
        assert foreign.status_code == 403 and not _signed_in(foreign)
        assert "不是在本浏览器中发起的" in foreign.text
        assert _signed_in(attacker.get("/login/with/sso/done", params={"code": "code-1", "state": state}))


def test_the_provider_saying_no_is_refused(site: Site) -> None:
    with site.console.client() as client:
        start = client.get("/login/with/sso")
        state = _query(start.headers["location"])["state"]
        answer = client.get("/login/with/sso/done", params={"error": "access_denied", "state": state})
    assert answer.status_code == 401 and not _signed_in(answer) and "access_denied" in answer.text


def test_an_unknown_identity_provider_is_not_found(site: Site) -> None:
    with site.console.client() as client:
        assert client.get("/login/with/nowhere").status_code == 404
        assert client.get("/login/with/gateway").status_code == 404      # a header has no sign-in page


# --- a gateway's trusted header -----------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "gateway-secret-2", GATEWAY_SECRET[:-1], GATEWAY_SECRET + "1"])
def test_the_user_header_without_the_gateways_secret_is_refused(site: Site, secret: str | None) -> None:
    site.cli("user", "identity", "map", "admin", "header:gateway", "wang")
    headers = {"X-Remote-User": "wang", **({"X-Gateway-Secret": secret} if secret is not None else {})}
    with site.console.client() as client:
        answer = client.get("/login", headers=headers)
        assert answer.status_code == 403 and not _signed_in(answer)
        assert "未附带网关的共享密钥" in answer.text
        assert client.get("/", headers=headers).status_code == 303          # still to the sign-in page


def test_the_user_header_with_the_secret_signs_in_the_account_it_is_mapped_to(site: Site) -> None:
    headers = {"X-Remote-User": "li", "X-Gateway-Secret": GATEWAY_SECRET}
    with site.console.client() as client:
        first = client.get("/login", headers=headers)
        assert first.status_code == 403 and not _signed_in(first) and "尚未对应到账户" in first.text
    site.cli("user", "identity", "map", "bao", "header:gateway", "li")
    with site.console.client() as client:
        answer = client.get("/login", params={"next": "/clusters/BT-002"}, headers=headers)
        assert answer.status_code == 303 and answer.headers["location"] == "/clusters/BT-002" and _signed_in(answer)
        assert client.get("/clusters/ORD-001").status_code == 404             # bao's regions only
        assert client.get("/clusters/BT-002").status_code == 200
    site.cli("user", "identity", "refuse", "header:gateway", "li")
    with site.console.client() as client:
        refused = client.get("/login", headers=headers)
        assert refused.status_code == 403 and not _signed_in(refused) and "管理员已拒绝" in refused.text


# --- 企业微信 and 钉钉 ---------------------------------------------------------------------------------------------

def _app_sign_in(site: Site, name: str, person: str) -> tuple[str, httpx.Response]:
    """Start with ``name``, let the fake's login page sign ``person`` in, come back: the login page's address and
    monitor's answer."""
    site.apps.person = person
    with site.console.client() as client:
        start = client.get(f"/login/with/{name}")
        assert start.status_code == 303
        back = client.get(start.headers["location"])
        assert back.status_code == 302
        answer = client.get(back.headers["location"])
        answer.read()
        return start.headers["location"], answer


def test_wecom_sign_in(site: Site) -> None:
    login, answer = _app_sign_in(site, "wecom", "zhangsan")
    page = urllib.parse.urlsplit(login)
    sent = _query(login)
    assert page.path == "/wwlogin/sso/login" and sent["login_type"] == "CorpApp"
    assert sent["appid"] == WECOM_CORP and sent["agentid"] == WECOM_AGENT
    assert sent["redirect_uri"].endswith("/login/with/wecom/done") and sent["state"]
    assert answer.status_code == 403 and "wecom:wwcorp1" in answer.text and "zhangsan" in answer.text
    site.cli("user", "identity", "map", "bao", f"wecom:{WECOM_CORP}", "zhangsan")
    _, answer = _app_sign_in(site, "wecom", "zhangsan")
    assert answer.status_code == 303 and _signed_in(answer)
    calls = [path for path, _ in site.apps.calls]
    assert calls.count("/cgi-bin/gettoken") == 1            # the access token was kept for the second sign-in


def test_wecom_fetches_its_access_token_again_when_it_expired(site: Site) -> None:
    site.cli("user", "identity", "map", "bao", f"wecom:{WECOM_CORP}", "lisi")
    _app_sign_in(site, "wecom", "lisi")     # a token kept, whichever tests of the module ran before on this worker
    before = [path for path, _ in site.apps.calls].count("/cgi-bin/gettoken")
    site.apps.errors.append(42001)          # access_token expired
    _, answer = _app_sign_in(site, "wecom", "lisi")
    assert answer.status_code == 303 and _signed_in(answer)
    assert [path for path, _ in site.apps.calls].count("/cgi-bin/gettoken") == before + 1


def test_wecom_refuses_a_code_it_does_not_know(site: Site) -> None:
    with site.console.client() as client:
        start = client.get("/login/with/wecom")
        answer = client.get("/login/with/wecom/done", params={"code": "made-up", "state": _query(
            start.headers["location"])["state"]})
    assert answer.status_code == 401 and not _signed_in(answer) and "40029" in answer.text


def test_dingtalk_sign_in(site: Site) -> None:
    login, answer = _app_sign_in(site, "dingtalk", "union-7")
    sent = _query(login)
    assert urllib.parse.urlsplit(login).path == "/oauth2/auth"
    assert sent["client_id"] == DING_CLIENT and sent["response_type"] == "code" and sent["scope"] == "openid"
    assert answer.status_code == 403 and f"dingtalk:{DING_CORP}" in answer.text and "union-7" in answer.text
    assert "丁union-7 <union-7@example.gov.cn>" in site.cli("user", "identity", "list")
    site.cli("user", "identity", "map", "bao", f"dingtalk:{DING_CORP}", "union-7")
    _, answer = _app_sign_in(site, "dingtalk", "union-7")
    assert answer.status_code == 303 and _signed_in(answer)
    token_call = next(query for path, query in reversed(site.apps.calls) if path == "/v1.0/oauth2/userAccessToken")
    assert f'"clientSecret": "{DING_SECRET}"' in token_call["body"] or f'"clientSecret":"{DING_SECRET}"' in \
        token_call["body"]


def test_dingtalk_refuses_a_code_it_does_not_know(site: Site) -> None:
    with site.console.client() as client:
        start = client.get("/login/with/dingtalk")
        answer = client.get("/login/with/dingtalk/done", params={"authCode": "made-up", "state": _query(
            start.headers["location"])["state"]})
    assert answer.status_code == 401 and not _signed_in(answer) and "invalidAuthCode" in answer.text


# --- passwords switched off, and the break-glass -------------------------------------------------------------------

def test_passwords_switched_off_refuse_a_password_without_an_unlock_code(site: Site) -> None:
    with site.console.client() as client:
        page = client.get("/login")
        assert "用统一身份认证登录" in page.text and "用企业微信登录" in page.text and "管理员应急登录" in page.text
        assert 'href="/login/with/gateway' not in page.text
        answer = client.post("/login", data={"csrf": csrf_of(page.text), "name": "admin", "password": PASSWORD,
                                             "next": "/"})
        assert answer.status_code == 401 and not _signed_in(answer) and "已停用密码登录" in answer.text
        wrong = client.post("/login", data={"csrf": csrf_of(answer.text), "name": "admin", "password": PASSWORD,
                                            "code": "mon_not-a-code", "next": "/"})
        assert wrong.status_code == 401 and not _signed_in(wrong)


def test_the_break_glass_an_administrator_signs_in_with_the_password_and_an_unlock_code(site: Site) -> None:
    code = site.cli("user", "unlock", "admin").strip().splitlines()[-1]
    with site.console.client() as client:
        page = client.get("/login")
        wrong = client.post("/login", data={"csrf": csrf_of(page.text), "name": "admin", "password": "not it at all",
                                            "code": code, "next": "/users"})
        assert wrong.status_code == 401 and not _signed_in(wrong)          # the code is used up by a wrong password
        code = site.cli("user", "unlock", "admin").strip().splitlines()[-1]
        answer = client.post("/login", data={"csrf": csrf_of(wrong.text), "name": "admin", "password": PASSWORD,
                                             "code": code, "next": "/users"})
        assert answer.status_code == 303 and _signed_in(answer)
        users = client.get("/users")
    assert users.status_code == 200 and 'id="identities"' in users.text


def test_the_users_page_maps_and_refuses_identities(site: Site) -> None:
    with site.console.client() as client:
        _oidc(site, client, lambda nonce: site.issuer.id_token(nonce, sub="dave", name="戴维"))
    code = site.cli("user", "unlock", "admin").strip().splitlines()[-1]
    with site.console.client() as admin:
        page = admin.get("/login")
        assert _signed_in(admin.post("/login", data={"csrf": csrf_of(page.text), "name": "admin",
                                                     "password": PASSWORD, "code": code, "next": "/"}))
        users = admin.get("/users")
        assert 'data-subject="dave" data-state="pending"' in users.text and "戴维" in users.text
        mapped = admin.post("/users/identities/map", data={"csrf": csrf_of(users.text), "issuer": site.issuer.base,
                                                           "subject": "dave", "account": "bao"})
        assert mapped.status_code == 200 and 'data-subject="dave" data-state="mapped"' in mapped.text
        with site.console.client() as client:
            _, answer = _oidc(site, client, lambda nonce: site.issuer.id_token(nonce, sub="dave"))
            assert answer.status_code == 303 and client.get("/").status_code == 200
            refused = admin.post("/users/identities/refuse", data={"csrf": csrf_of(mapped.text),
                                                                   "issuer": site.issuer.base, "subject": "dave"})
            assert 'data-subject="dave" data-state="refused"' in refused.text
            assert client.get("/").status_code == 303            # refusing ended the account's sign-ins
        unknown = admin.post("/users/identities/map", data={"csrf": csrf_of(refused.text), "issuer": "x",
                                                            "subject": "dave", "account": "nobody"})
        assert unknown.status_code == 422 and "没有用户 &#39;nobody&#39;" in unknown.text


def test_no_secret_reaches_the_log(site: Site) -> None:
    """Run last of the console's tests here: the serve log of everything above holds no secret of a provider,
    the gateway or a sign-in under way (the callbacks' codes and states are masked)."""
    log = site.console.log.read_text(encoding="utf-8", errors="replace")
    assert "/login/with/sso/done?code=***&state=***" in log
    for secret in (CLIENT_SECRET, GATEWAY_SECRET, WECOM_SECRET, DING_SECRET, "code-1", "wecom-token-0"):
        assert secret not in log, secret


# --- the config ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "said"), [
    ('name = "sso"\ntype = "oidc"\nissuer = "https://sso.example.gov.cn"\nclient_id = "m"\nclient_secret = "s3"',
     "web.identity[0].client_secret: never put a secret in config.toml"),
    ('name = "wx"\ntype = "wecom"\ncorp_id = "ww1"\nagent_id = "1"\nsecret = "s3"',
     "web.identity[0].secret: never put a secret in config.toml"),
    ('name = "sso"\ntype = "oidc"\nclient_id = "m"', "web.identity.sso.issuer: a oidc identity needs it"),
    ('name = "wx"\ntype = "wecom"\ncorp_id = "ww1"\nagent_id = "1"',
     "web.identity.wx.secret_env: a wecom identity needs its secret"),
    ('name = "gw"\ntype = "header"\nuser_header = "X-User"\nsecret_header = "X-Secret"',
     "web.identity.gw.secret_env: a header identity needs its secret"),
    ('name = "gw"\ntype = "header"\nuser_header = "X User"\nsecret_header = "X-Secret"\nsecret_env = "E"',
     "web.identity.gw.user_header: 'X User' is not a header name"),
    ('name = "Bad Name"\ntype = "oidc"\nissuer = "https://a"\nclient_id = "m"',
     "web.identity.name: 'Bad Name' must be lower-case letters"),
    ('name = "sso"\ntype = "oidc"\nissuer = "ftp://a"\nclient_id = "m"',
     "web.identity.sso.issuer: 'ftp://a' is not an http(s) address"),
])
def test_a_wrong_identity_entry_is_refused_naming_its_key(tmp_path: Path, entry: str, said: str) -> None:
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text(f"[[web.identity]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, environ={})
    assert said in str(refused.value)


def test_two_identities_of_one_name_are_refused(tmp_path: Path) -> None:
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    entry = '[[web.identity]]\nname = "sso"\ntype = "oidc"\nissuer = "https://a"\nclient_id = "m"\n'
    config = tmp_path / "config.toml"
    config.write_text(entry + entry, encoding="utf-8")
    with pytest.raises(ConfigError, match="two are named 'sso'"):
        load_settings(config, environ={})


def test_the_command_line_refuses_an_unknown_identity_or_account_in_one_line(site: Site) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from tests.web_helpers import cli_env

    for args, said in ((("unmap", "https://nowhere.example", "ghost"),
                        "错误：'https://nowhere.example' 没有身份 'ghost'：`monitor user identity list` 列出全部身份"),
                       (("refuse", "header:gateway", "ghost"), "没有身份 'ghost'"),
                       (("map", "nobody", "header:gateway", "ghost"), "没有用户 'nobody'")):
        result = CliRunner().invoke(cli, ["--config", str(site.config), "user", "identity", *args],
                                    env=cli_env(site.url))
        assert result.exit_code != 0 and said in result.output, result.output
    assert "ghost" not in site.cli("user", "identity", "list")         # nothing half-stored
