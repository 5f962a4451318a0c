"""Security by construction, held against the application's own route table: every unsafe route is behind the
router's CSRF check (or is the API, which takes only a bearer token), every route that shows clusters shows a
bureau only its regions, pages build a Selection only for an account, and HTML is escaped, with no browser.

The tables below name every route the application has: a new route fails here until it is listed, with how to
call it, so no route can be added without saying whether it is guarded and scoped.
"""

from __future__ import annotations

import ast
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from monitor.app import App
from monitor.config import load_settings
from monitor.views import console as console_view
from monitor.web.asgi import ROUTERS, create
from monitor.web.auth import api_user, csrf_checked, login_csrf_checked
from tests import web_helpers
from tests.web_helpers import add_user, cli_env, console, csrf_of, run_cli, seeded

ROOT = Path(__file__).resolve().parent.parent
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: what a bureau of 包头市 must never see
ELSEWHERE = ("ORD-001", "鄂尔多斯市煤化工")
SCRIPT = "<script>alert(1)</script>"

#: every unsafe route: the path to post to and a form that would be taken with the right token
POSTS: dict[str, tuple[str, dict[str, str]]] = {
    "/login": ("/login", {"name": "admin", "password": "correct horse 42", "next": "/"}),
    "/logout": ("/logout", {}),
    "/clusters/{cluster_id}/facts": ("/clusters/BT-001/facts", {"kind": "report", "year": "2025",
                                                                "filed_on": "2026-03-02"}),
    "/facts/{number}/amend": ("/facts/1/amend", {"filed_on": "2026-03-03", "reason": "typo"}),
    "/facts/{number}/retract": ("/facts/1/retract", {"reason": "wrong cluster"}),
    "/clusters/{cluster_id}/hold": ("/clusters/BT-001/hold", {"kind": "snooze", "subject": "", "until": "2026-12-01",
                                                               "note": "n"}),
    "/upload": ("/upload", {"action": "commit", "upload": "a-held-upload"}),
    "/holds": ("/holds", {"kind": "ack", "code": "annual_report_overdue", "cluster": "ORD-001", "until": "2026-12-31",
                          "note": "n"}),
    "/account/calendar": ("/account/calendar", {"action": "new"}),
    "/users/{name}/disable": ("/users/bao/disable", {}),
    "/users": ("/users", {"name": "newcomer", "role": "viewer", "password": "correct horse 42"}),
    "/users/{name}/role": ("/users/bao/role", {"role": "viewer", "regions": ""}),
    "/users/{name}/enable": ("/users/bao/enable", {}),
    "/users/{name}/reset": ("/users/bao/reset", {}),
    "/users/{name}/unlock": ("/users/bao/unlock", {}),
    "/password": ("/password", {"name": "bao", "code": "mon_x", "password": "another horse 7",
                                "again": "another horse 7"}),
    "/users/identities/map": ("/users/identities/map", {"issuer": "https://sso.example.gov.cn", "subject": "s1",
                                                        "account": "bao"}),
    "/users/identities/unmap": ("/users/identities/unmap", {"issuer": "https://sso.example.gov.cn", "subject": "s1"}),
    "/users/identities/refuse": ("/users/identities/refuse", {"issuer": "https://sso.example.gov.cn",
                                                              "subject": "s1"}),
    "/channels/{name}/test": ("/channels/group/test", {"press": "p" * 22}),
    "/profile": ("/profile", {"full_name": "包头", "email": "bao@example.gov.cn", "phone": "0472", "digest_email": ""}),
    "/profile/reach": ("/profile/reach", {"wecom_userid": "bao-wx", "window_from": "09:00", "window_until": "18:00",
                                          "window_workdays": "yes", "every": "round"}),
    "/users/ids": ("/users/ids", {"name": "bao", "wecom_userid": "bao-wx"}),
    "/daemon/approve": ("/daemon/approve", {"round": "no-such-round"}),
    "/api/v1/facts": ("/api/v1/facts", {}),
    "/clusters/{cluster_id}/indicators": ("/clusters/BT-001/indicators", {"year": "2025", "output": "41.5"}),
    "/clusters/{cluster_id}/targets": ("/clusters/BT-001/targets", {"indicator": "output", "base_year": "2024",
                                                                    "target_year": "2027", "target": "60"}),
    "/api/v1/clusters/{cluster_id}/indicators": ("/api/v1/clusters/BT-001/indicators", {}),
}
#: every page and API route that answers a GET: its path for the bureau, and whether it lists clusters (so the
#: administrator must see ORD-001 there, which makes its absence for the bureau mean something)
GETS: dict[str, tuple[str, bool]] = {
    "/": ("/?region=鄂尔多斯市", False),
    "/login": ("/login", False),
    "/login/with/{name}": ("/login/with/sso", False),          # no identity here: 404 (tests/test_sign_in_*.py)
    "/login/with/{name}/done": ("/login/with/sso/done?state=s&code=c", False),
    "/clusters/{cluster_id}": ("/clusters/ORD-001", True),
    "/upload": ("/upload", False),
    "/report": ("/report", True),
    "/monitoring": ("/monitoring", True),
    "/export.xlsx": ("/export.xlsx", True),
    "/backfill.xlsx": ("/backfill.xlsx", False),   # no baseline here: empty (regions: tests/test_baseline_console.py)
    "/daemon": ("/daemon", False),
    "/holds": ("/holds", False),                 # holds, not clusters: tests/test_web.py checks a bureau's are its own
    "/account": ("/account", False),
    "/calendar/{token}.ics": ("", True),          # the account's own subscription address, made in the test
    "/users": ("/users", False),
    "/channels": ("/channels", False),
    "/profile": ("/profile", False),
    "/password": ("/password", False),
    "/templates/{which}.xlsx": ("/templates/facts.xlsx", False),
    "/api/v1/status": ("/api/v1/status", True),
    "/api/v1/clusters/{cluster_id}": ("/api/v1/clusters/ORD-001", True),
    "/api/v1/clusters/{cluster_id}/indicators": ("/api/v1/clusters/ORD-001/indicators", True),
}


@dataclass
class Site(web_helpers.Site):
    routes: list[APIRoute]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("contract")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n')
    run_cli(config, url, "record", "report", "BT-001", "--year", "2025", "--filed-on", "2026-03-02")
    tokens = {"admin": add_user(config, url, "admin", "admin"), "bao": add_user(config, url, "bao", "bureau", "包头市")}
    monkey = pytest.MonkeyPatch()
    for key, value in cli_env(url).items():
        monkey.setenv(key, value)
    app = App(_settings=load_settings(config))
    web = create(app)
    # no route is added beside the routers (FastAPI's own OpenAPI document apart), so walking them walks all
    assert [r.path for r in web.routes if isinstance(r, Route | APIRoute)] == ["/api/v1/openapi.json"]
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    app.close()
    monkey.undo()
    with console(tmp, url, config) as running:
        yield Site(running, config, url, tokens, routes)


def _dependencies(dependant: object) -> set[object]:
    """Every callable a route depends on, through sub-dependencies."""
    found: set[object] = set()
    for sub in getattr(dependant, "dependencies", ()):
        found.add(sub.call)
        found |= _dependencies(sub)
    return found


def test_every_route_is_listed_here(site: Site) -> None:
    unsafe = {route.path for route in site.routes if route.methods & UNSAFE}
    safe = {route.path for route in site.routes if route.methods & {"GET"}}
    assert unsafe == set(POSTS), "list the new route in POSTS, with a form it takes"
    assert safe == set(GETS), "list the new route in GETS, saying whether it shows clusters"


def test_every_unsafe_route_is_behind_the_routers_csrf_check_or_the_api_token(site: Site) -> None:
    for route in site.routes:
        if not route.methods & UNSAFE:
            continue
        called = _dependencies(route.dependant)
        if route.path.startswith("/api/"):
            assert api_user in called and not called & {csrf_checked, login_csrf_checked}, route.path
        else:
            assert called & {csrf_checked, login_csrf_checked}, f"{route.path} has no CSRF check"


def _state(site: Site) -> str:
    with site.console.api(site.tokens["admin"]) as api:
        status = api.get("/api/v1/status", params={"as_of": "2026-11-23"}).text
        history = api.get("/api/v1/clusters/BT-001").json()["history"]
    return status + str(history)


def test_every_unsafe_page_refuses_a_post_without_the_token_and_changes_nothing(site: Site) -> None:
    before = _state(site)
    with site.console.signed_in("admin") as admin:
        token = csrf_of(admin.get("/account").text)
        for template, (path, form) in POSTS.items():
            if template.startswith("/api/"):
                # the API takes no cookie: a signed-in browser's post without the bearer token is not its user's
                assert admin.post(path, json={"cluster": "BT-001", "fact": "report", "year": 2025,
                                              "filed_on": "2026-03-02"}).status_code == 401
                continue
            for sent in (form, {**form, "csrf": "not-" + token}):
                answer = admin.post(path, data=sent)
                assert answer.status_code == 403, (path, answer.status_code, answer.text[:300])
        assert admin.get("/").status_code == 200     # /logout without the token did not end the session
    with site.console.signed_in("bao"):                     # /users/bao/disable without the token did not disable
        pass
    assert _state(site) == before


def _text(answer: httpx.Response) -> str:
    if answer.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
            return "".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml"))
    return answer.text


def _calendar_path(client: httpx.Client) -> str:
    page = client.get("/account")
    made = client.post("/account/calendar", data={"csrf": csrf_of(page.text), "action": "new"})
    found = re.search(r"(/calendar/[^\"<\s]+\.ics)", made.text)
    assert found, made.text[:500]
    return found.group(1)


def test_every_route_that_shows_clusters_shows_a_bureau_only_its_regions(site: Site) -> None:
    with site.console.signed_in("bao") as bao, site.console.signed_in("admin") as admin:
        paths = {template: (path or _calendar_path(bao), shows) for template, (path, shows) in GETS.items()}
        admin_calendar = _calendar_path(admin)
        for template, (path, shows) in paths.items():
            if template.startswith("/api/"):
                with site.console.api(site.tokens["bao"]) as api:
                    answer = api.get(path)
                with site.console.api(site.tokens["admin"]) as api:
                    whole = api.get(path)
            else:
                answer = bao.get(path)
                whole = admin.get(admin_calendar if template == "/calendar/{token}.ics" else path)
            seen = _text(answer)
            if "ORD-001" in path:   # asked for by its id: unknown (the answer may repeat the id asked for)
                assert answer.status_code == 404 and ELSEWHERE[1] not in seen, (template, answer.status_code)
            else:
                assert not [word for word in ELSEWHERE if word in seen], (template, answer.status_code)
            if shows:   # the route does list clusters: the administrator finds ORD-001 on it
                assert "ORD-001" in _text(whole), template


def test_pages_build_a_selection_only_for_an_account() -> None:
    """``Selection.for_account`` is the one door: no module of monitor/web calls ``Selection.of`` or builds one."""
    calls = []
    for path in (ROOT / "monitor" / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("Selection", "Selection.of") or name.endswith(".Selection.of"):
                    calls.append(f"{path.name}:{node.lineno}: {name}")
    assert calls == []


def test_html_is_escaped_on_every_page_that_shows_a_name(site: Site) -> None:
    with site.console.signed_in("admin") as admin:
        for path in ("/", "/clusters/BT-002", "/report"):
            page = admin.get(path).text
            assert "BT-002" in page, path
            assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_the_console_templates_escape_what_they_are_given() -> None:
    page = console_view.render("error.html", "zh", user=None, csrf="", status=422, message=SCRIPT + '"x"')
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;x&#34;" in page
