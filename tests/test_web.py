"""`monitor serve` as a real process on a loopback port, on SQLite and PostgreSQL: accounts, who sees what, the
API, CSRF, sessions, headers, bulk upload and the calendar subscription, through HTTP as a client sends it."""

from __future__ import annotations

import html
import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.web_helpers import (
    DATABASES,
    PASSWORD,
    Site,
    add_user,
    cli_env,
    console,
    csrf_of,
    login,
    run_cli,
    seeded,
    seeded_site,
)


@pytest.fixture(scope="module", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with seeded_site(request, tmp_path_factory, "web") as running:
        yield running


def _ids(document: dict[str, object]) -> list[str]:
    return [c["id"] for c in document["clusters"]]  # type: ignore[attr-defined,index]


def test_api_needs_a_valid_token(site: Site) -> None:
    with site.console.client() as client:
        assert client.get("/api/v1/status").status_code == 401
        bad = client.get("/api/v1/status", headers={"Authorization": "Bearer mon_not-a-token"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/v1/clusters/BT-001").status_code == 401


def test_status_is_the_cli_document_limited_to_the_regions(site: Site) -> None:
    with site.console.api(site.tokens["admin"]) as api:
        everything = api.get("/api/v1/status", params={"as_of": "2026-11-23"}).json()
    cli = json.loads(run_cli(site.config, site.database_url, "status", "--as-of", "2026-11-23", "--format", "json"))
    assert everything["clusters"] == cli["clusters"]
    assert sorted(_ids(everything)) == ["BT-001", "BT-002", "ORD-001"]
    with site.console.api(site.tokens["bao"]) as api:
        mine = api.get("/api/v1/status", params={"as_of": "2026-11-23"}).json()
        assert sorted(_ids(mine)) == ["BT-001", "BT-002"]
        assert api.get("/api/v1/status", params={"region": "鄂尔多斯市"}).json()["clusters"] == []
        assert api.get("/api/v1/status", params={"cluster": "ORD-001"}).status_code == 404
        assert api.get("/api/v1/clusters/ORD-001").status_code == 404
        assert api.get("/api/v1/clusters/ord-001").status_code == 404
        one = api.get("/api/v1/clusters/bt-001").json()
        assert one["status"]["id"] == "BT-001" and one["history"]["cluster"]["id"] == "BT-001"


def test_facts_through_the_api(site: Site) -> None:
    fact = {"cluster": "ORD-001", "fact": "report", "year": 2025, "filed_on": "2026-03-02"}
    with site.console.api(site.tokens["bao"]) as api:
        assert api.post("/api/v1/facts", json=fact).status_code == 404       # not its region
    with site.console.api(site.tokens["viewer"]) as api:
        assert api.post("/api/v1/facts", json=fact).status_code == 403
    with site.console.api(site.tokens["admin"]) as api:
        made = api.post("/api/v1/facts", json=fact)
        assert made.status_code == 201, made.text
        number = made.json()["fact"]
        again = api.post("/api/v1/facts", json=fact)
        assert again.status_code == 200 and again.json()["fact"] is None
        wrong = api.post("/api/v1/facts", json={**fact, "filed_on": "2026-02-30"})
        assert wrong.status_code == 422 and "2026-02-30" in wrong.json()["error"]
        future = api.post("/api/v1/facts", json={**fact, "year": 2026, "filed_on": "2027-01-05"})
        assert future.status_code == 422 and "future" in future.json()["error"]
        chinese = api.post("/api/v1/facts", json={"cluster": "ord-001", "fact": "重大变动",
                                                   "change_kind": "主导产业", "changed_on": "2026-11-02"})
        assert chinese.status_code == 201, chinese.text
        history = api.get("/api/v1/clusters/ORD-001").json()["history"]["entries"]
    facts = {e["number"]: e for e in history if e["type"] == "fact"}
    assert facts[number]["by"] == "admin" and facts[number]["filed_on"] == "2026-03-02"
    assert "annual_report_overdue:2025" not in {w["key"] for w in
                                                 json.loads(run_cli(site.config, site.database_url, "status", "--cluster",
                                                                    "ORD-001", "--format", "json"))["clusters"][0]["warnings"]}


def test_openapi_describes_the_api(site: Site) -> None:
    with site.console.client() as client:
        document = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/status", "/api/v1/clusters/{cluster_id}", "/api/v1/facts"} <= set(document["paths"])
    assert not any(not path.startswith("/api/v1/") for path in document["paths"])


def test_a_revoked_token_and_a_disabled_user_get_401(site: Site, tmp_path: Path) -> None:
    token = add_user(site.config, site.database_url, "leaving", "viewer")
    second = run_cli(site.config, site.database_url, "user", "token", "leaving", "--expires", "2027-01-01").split()[-1]
    with site.console.api(token) as api:
        assert api.get("/api/v1/status").status_code == 200
    assert "已吊销 2 个令牌" in run_cli(site.config, site.database_url, "user", "revoke-tokens", "leaving")
    for secret in (token, second):
        with site.console.api(secret) as api:
            assert api.get("/api/v1/status").status_code == 401
    fresh = run_cli(site.config, site.database_url, "user", "token", "leaving").split()[-1]
    run_cli(site.config, site.database_url, "user", "disable", "leaving")
    with site.console.api(fresh) as api:
        assert api.get("/api/v1/status").status_code == 401


def test_pages_need_a_session_and_forms_need_the_csrf_token(site: Site) -> None:
    with site.console.client() as client:
        bounced = client.get("/clusters/BT-001")
        assert bounced.status_code == 303 and bounced.headers["location"] == "/login?next=/clusters/BT-001"
        assert client.post("/login", data={"name": "admin", "password": "x"}).status_code == 403   # no csrf
    with site.console.signed_in("admin") as client:
        page = client.get("/clusters/BT-002")
        assert page.status_code == 200
        token = csrf_of(page.text)
        form = {"fact": "review", "result": "applied", "on": "2026-11-01"}
        assert client.post("/clusters/BT-002/facts", data=form).status_code == 403
        assert client.post("/clusters/BT-002/facts", data={**form, "csrf": "forged"}).status_code == 403
        assert "已申请" not in client.get("/clusters/BT-002").text.split('id="history"')[1]
        done = client.post("/clusters/BT-002/facts", data={**form, "csrf": token})
        assert done.status_code == 200 and 'id="said"' in done.text
        timeline = client.get("/clusters/BT-002").text.split('id="history"')[1]     # one clock: as history prints
        assert re.search(r'<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00</td>', timeline), timeline[:600]


def test_login_makes_a_fresh_session_and_logout_ends_it(site: Site) -> None:
    with site.console.client() as client:
        client.cookies.set("monitor_session", "planted-by-an-attacker", domain="127.0.0.1")
        assert login(client, "admin", "wrong password").status_code == 401
        response = login(client, "admin", "correct horse 42")
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
        secret = client.cookies["monitor_session"]
        assert secret != "planted-by-an-attacker"
        page = client.get("/")
        assert page.status_code == 200
        client.post("/logout", data={"csrf": csrf_of(page.text)})
    with site.console.client() as replay:   # the old cookie, sent again after logout
        replay.cookies.set("monitor_session", secret)
        assert replay.get("/").status_code == 303


def test_security_headers(site: Site) -> None:
    with site.console.client() as client:
        headers = client.get("/login").headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "script-src" not in csp    # default-src 'none': no script at all
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    with site.console.signed_in("admin") as client:
        report = client.get("/report")
    assert report.status_code == 200 and "'sha256-" in report.headers["content-security-policy"]
    assert "unsafe-inline" not in report.headers["content-security-policy"]


def test_a_bureau_sees_only_its_region(site: Site) -> None:
    with site.console.signed_in("bao") as client:
        overview = client.get("/")
        assert "BT-001" in overview.text and "ORD-001" not in overview.text and "鄂尔多斯" not in overview.text
        assert client.get("/clusters/ORD-001").status_code == 404
        assert client.get("/clusters/BT-001").status_code == 200
        token = csrf_of(overview.text)
        refused = client.post("/clusters/ORD-001/facts", data={"csrf": token, "fact": "revocation", "on": "2026-11-01"})
        assert refused.status_code == 404
        feed = client.post("/account/calendar", data={"csrf": token, "action": "new"})
        url = feed.text.split('id="calendar-url">')[1].split("<")[0]
        assert client.get("/users").status_code == 403
    with site.console.client() as anyone:
        calendar = anyone.get(url.replace(site.console.base, ""))
        assert calendar.status_code == 200 and "BT-001" in calendar.text and "ORD-001" not in calendar.text
        run_cli(site.config, site.database_url, "user", "revoke-tokens", "bao")
        assert anyone.get(url.replace(site.console.base, "")).status_code == 404


def test_a_viewer_reads_and_records_nothing(site: Site) -> None:
    with site.console.signed_in("viewer") as client:
        page = client.get("/clusters/ORD-001")
        assert page.status_code == 200 and 'id="record-report"' not in page.text
        refused = client.post("/clusters/ORD-001/facts", data={"csrf": csrf_of(page.text), "fact": "revocation",
                                                               "on": "2026-11-01"})
        assert refused.status_code == 403
        assert client.get("/upload").status_code == 403


def test_upload_previews_then_stores(site: Site, tmp_path: Path) -> None:
    rows = "cluster,fact,year,filed_on\nbt-001,年度报告,2024,2025-03-20\nBT-001,report,2024,2025-03-20\n"
    with site.console.signed_in("bao") as client:
        token = csrf_of(client.get("/upload").text)
        preview = client.post("/upload", data={"csrf": token, "action": "preview"},
                              files={"file": ("facts.csv", rows.encode(), "text/csv")})
        assert preview.status_code == 200 and 'id="commit"' in preview.text
        before = client.get("/api/v1/status")   # pages' cookies do not open the API
        assert before.status_code == 401
        page = client.get("/clusters/BT-001").text
        assert "annual_report_overdue:2024" in page
        stored = client.post("/upload", data={"csrf": token, "action": "commit", "upload": _held(preview.text)})
        assert stored.status_code == 200 and 'id="said"' in stored.text
        assert "annual_report_overdue:2024" not in client.get("/clusters/BT-001").text.split('id="obligations"')[0]
        other = "cluster,fact,year,filed_on\nORD-001,report,2024,2025-03-20\n"
        refused = client.post("/upload", data={"csrf": token, "action": "preview"},
                              files={"file": ("other.csv", other.encode(), "text/csv")})
        assert "没有集群 'ORD-001'" in html.unescape(refused.text) and 'id="commit"' not in refused.text


def _held(page: str) -> str:
    """The token under which the preview's file is held, from the page's store form."""
    found = re.search(r'name="upload" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _big_workbook(cluster: str, year: int) -> bytes:
    """A ~5 MB .xlsx holding one report: a part the reader ignores carries 5 MB that do not compress (a workbook
    with pictures, say), so the size is the transport's and not thousands of rows to plan."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["cluster", "fact", "year", "filed_on"])
    sheet.append([cluster, "report", year, f"{year + 1}-03-20"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("customXml/padding.bin", random.Random(year).randbytes(5 * 1024 * 1024))
    return out.getvalue()


def test_a_5_mb_upload_previews_then_stores_and_its_token_is_the_uploaders_for_an_hour(site: Site) -> None:
    """The previewed file is held server-side (issue 25, item 5): the store step posts only its token, which
    another account cannot use, and which is refused once its time is up."""
    big = _big_workbook("BT-002", 2024)
    assert len(big) > 5 * 1024 * 1024
    with site.console.signed_in("bao") as bao, site.console.signed_in("admin") as admin:
        csrf = csrf_of(bao.get("/upload").text)
        preview = bao.post("/upload", data={"csrf": csrf, "action": "preview"},
                           files={"file": ("big.xlsx", big, "application/octet-stream")})
        assert preview.status_code == 200 and 'id="commit"' in preview.text, preview.text[:500]
        held = _held(preview.text)
        assert len(preview.content) < 100_000          # the page carries the token, not the file
        # another account's token is unknown to it (and stays the uploader's)
        refused = admin.post("/upload", data={"csrf": csrf_of(admin.get("/upload").text), "action": "commit",
                                              "upload": held})
        assert refused.status_code == 422 and "预览的文件已不在服务器上" in refused.text
        assert bao.post("/upload", data={"csrf": csrf, "action": "commit", "upload": "no-such-token"}
                        ).status_code == 422
        stored = bao.post("/upload", data={"csrf": csrf, "action": "commit", "upload": held})
        assert stored.status_code == 200 and 'id="said"' in stored.text, stored.text[:800]
        again = bao.post("/upload", data={"csrf": csrf, "action": "commit", "upload": held})
        assert again.status_code == 422                 # stored once: the held file is gone
        # a preview whose hour is over
        late = bao.post("/upload", data={"csrf": csrf, "action": "preview"},
                        files={"file": ("late.xlsx", _big_workbook("BT-002", 2025), "application/octet-stream")})
        assert late.status_code == 200 and 'id="commit"' in late.text
        engine = create_engine(site.database_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM upload")).scalar() == 1
            conn.execute(text("UPDATE upload SET expires_at = created_at"))      # its time is up
        expired = bao.post("/upload", data={"csrf": csrf, "action": "commit", "upload": _held(late.text)})
        assert expired.status_code == 422 and "预览的文件已不在服务器上" in expired.text
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM upload")).scalar() == 0
        engine.dispose()
    token = run_cli(site.config, site.database_url, "user", "token", "admin").strip().splitlines()[-1]
    with site.console.api(token) as api:
        entries = api.get("/api/v1/clusters/BT-002").json()["history"]["entries"]
    reports = [(e["year"], e["filed_on"], e["by"]) for e in entries if e["type"] == "fact" and e["kind"] == "report"]
    assert reports == [(2024, "2025-03-20", "bao")]     # stored once; the expired preview never


def test_the_daemon_and_export_pages(site: Site) -> None:
    with site.console.signed_in("bao") as client:
        assert 'id="daemon"' in client.get("/daemon").text
        export = client.get("/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    ids = {row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert ids == {"BT-001", "BT-002"}


def _from(client: httpx.Client, address: str) -> httpx.Client:
    """The client as a proxy on loopback (a trusted one by default) forwards it: from ``address``."""
    client.headers["x-forwarded-for"] = address
    return client


def test_failed_logins_lock_the_name_for_that_address_and_the_owner_gets_in(site: Site) -> None:
    """Issue 25, item 3: five wrong passwords used to lock the account for everyone for 15 minutes, repeatable
    forever. They lock it now for the address they came from (forwarded by the trusted proxy), logged without
    the password; the owner elsewhere signs in, and `monitor user unlock` gives a code that passes the lock."""
    add_user(site.config, site.database_url, "clumsy", "viewer")
    with _from(site.console.client(), "192.0.2.10") as attacker:
        for _ in range(5):
            assert login(attacker, "clumsy", "wrong password").status_code == 401
        locked = login(attacker, "clumsy", "correct horse 42")
        assert locked.status_code == 429 and 0 < int(locked.headers["retry-after"]) <= 900
        assert "您所在地址对该账户的失败登录次数过多" in locked.text and '<details id="unlock" open>' in locked.text
    with _from(site.console.client(), "192.0.2.11") as owner:
        assert login(owner, "clumsy", "correct horse 42").status_code == 303
    listed = subprocess.run([sys.executable, "-m", "monitor", "--config", str(site.config), "user", "list"],
                            env={**os.environ, **cli_env(site.database_url)}, capture_output=True, text=True,
                            check=True).stdout   # a process of its own: its clock is pinned as the server's is
    assert "clumsy\tviewer\t全部地区\t对 192.0.2.10 锁定至" in listed
    served = site.console.log.read_text(errors="replace")
    assert "sign-in to 'clumsy' locked for 192.0.2.10 after 5 failed sign-ins" in served
    assert "wrong password" not in served
    code = run_cli(site.config, site.database_url, "user", "unlock", "clumsy").strip().splitlines()[-1]
    with _from(site.console.client(), "192.0.2.10") as attacker:
        for _ in range(6):                        # someone keeps failing on the name from there
            login(attacker, "clumsy", "wrong password")
        assert login(attacker, "clumsy", "correct horse 42").status_code == 429
    with _from(site.console.client(), "192.0.2.10") as owner:
        form = owner.get("/login")
        answer = owner.post("/login", data={"csrf": csrf_of(form.text), "name": "clumsy", "password": PASSWORD,
                                            "code": code, "next": "/"})
        assert answer.status_code == 303
    run_cli(site.config, site.database_url, "user", "passwd", "clumsy", stdin="correct horse 42\n")
    with _from(site.console.client(), "192.0.2.10") as client:
        assert login(client, "clumsy", "correct horse 42").status_code == 303


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    """With no trusted proxy (web.trusted_proxies = []) X-Forwarded-For is ignored: every attempt is the peer's,
    so changing the header escapes no limit; and guesses at names that are no account's are limited too."""
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = seeded(tmp_path, url, "[web]\ntrusted_proxies = []\n")
    add_user(config, url, "owner", "viewer")
    with console(tmp_path, url, config) as running:
        for n in range(20):
            with _from(running.client(), f"198.51.100.{n}") as client:
                assert login(client, f"nobody{n}", "guess").status_code == 401
        with _from(running.client(), "198.51.100.200") as client:
            refused = login(client, "owner", PASSWORD)
        assert refused.status_code == 429 and "您所在地址的失败登录次数过多" in refused.text
        served = running.log.read_text(errors="replace")
    assert "sign-ins from 127.0.0.1 throttled after 20 failed sign-ins" in served and "nobody" not in served


def test_sessions_survive_in_the_database_only_as_hashes(site: Site) -> None:
    with site.console.signed_in("admin") as client:
        secret = client.cookies["monitor_session"]
    engine = create_engine(site.database_url)
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT digest FROM web_session"))]
        tokens = [row[0] for row in conn.execute(text("SELECT digest FROM token"))]
    engine.dispose()
    assert secret not in stored and site.tokens["admin"] not in tokens and len(stored[0]) == 64


def test_the_assessment_page_keeps_to_the_accounts_regions(site: Site) -> None:
    """/monitoring: the assessment report of the account's clusters (?region= one region), under a CSP with no
    script and no inline style but its own hashed <style> block."""
    with site.console.signed_in("bao") as client:
        page = client.get("/monitoring", params={"as_of": "2026-11-23"})
        assert page.status_code == 200 and "BT-001" in page.text and "ORD-001" not in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'none'" in policy and "unsafe-inline" not in policy and "<script" not in page.text
        other = client.get("/monitoring", params={"region": "鄂尔多斯市"})
        assert other.status_code == 200 and "ORD-001" not in other.text
    with site.console.signed_in("admin") as client:
        everything = client.get("/monitoring", params={"as_of": "2026-11-23"})
        assert "BT-001" in everything.text and "ORD-001" in everything.text
        assert 'href="/monitoring?year=2025&amp;as_of=2026-11-23&amp;region=%E5%8C%85%E5%A4%B4%E5%B8%82"' in \
            everything.text
        one = client.get("/monitoring", params={"as_of": "2026-11-23", "region": "包头市"})
        assert "BT-001" in one.text and "ORD-001" not in one.text
