"""No secret in any log (issue 25, item 2): the command line, the console (a real `monitor serve` on loopback) and
the daemon (`monitor run`) work with known passwords and tokens, on SQLite and PostgreSQL, and every line they
write (their logs, standard output and standard error) is searched for every one of them.

The one exception is the line a command exists to print: `monitor user token` prints the token it made, once,
and `monitor user unlock` its code; that line is taken out of the transcript, the rest of the command's output
stays in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests import daemon_procs as procs
from tests import mailserver
from tests.chatservers import (
    APP_SECRETS,
    APPS,
    DINGTALK_SECRET,
    DINGTALK_TOKEN,
    FEISHU_SECRET,
    FEISHU_TOKEN,
    WEBHOOK_SECRET,
    WECOM_KEY,
    ChatServer,
)
from tests.mailserver import MailServer
from tests.web_helpers import NOW, ROSTER, cli_env, console, csrf_of, login

#: what the people type: the administrator's password, a wrong one, and a password typed into the name field
PASSWORD, WRONG, TYPED_AS_NAME = "Admin-Passw0rd-Q7", "Wrong-Guess-Z9x", "Bao-Passw0rd-K4"
#: the database's password (PostgreSQL accepts it under trust; SQLite has none)
DB_PASSWORD = "Db-Passw0rd-M3"
#: what a careless client puts in a query string
QUERY_SECRET = "Query-Secret-W5"


def _cli(transcript: list[str], config: Path, url: str, *args: str, stdin: str | None = None,
         shows_secret: bool = False) -> str:
    """`monitor ARGS` as its own process; its output goes into the transcript (the last line kept out when it is
    the secret the command exists to print). Its standard output."""
    done = subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), *args], input=stdin, check=False,
                          env={**os.environ, **cli_env(url)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.rstrip("\n").splitlines()
    kept = out[:-1] if shows_secret else out
    transcript.append(f"$ monitor {' '.join(args)}\n" + "\n".join(kept) + "\n" + done.stderr)
    return out[-1] if out else ""


def _found(secrets: dict[str, str], text: str) -> list[str]:
    """Every secret (or the random part of a token, without its ``mon_``) that appears in the text, by name."""
    found = []
    for name, secret in secrets.items():
        parts = {secret, secret.removeprefix("mon_")}
        if any(part and part in text for part in parts):
            found.append(name)
    return found


def test_no_secret_is_in_any_log_of_a_run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = database_url
    if url.startswith("postgresql"):
        url = make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    mail = MailServer(tmp_path, starttls=True).start()
    chat = ChatServer(per_minute=1000).start()
    for key, value in {**chat.env(), "MONITOR_SMTP_PASSWORD": mailserver.PASSWORD}.items():
        monkeypatch.setenv(key, value)
    config = tmp_path / "config.toml"
    config.write_text('[general]\nadministrators = ["admin@example.gov.cn"]\n'
                      + mail.config("starttls", f'username = "{mailserver.USER}"\n')
                      + chat.config("wecom", "dingtalk", "feishu", "webhook", *APPS), encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    transcript: list[str] = []
    secrets = {"password": PASSWORD, "wrong password": WRONG, "password typed as a name": TYPED_AS_NAME,
               "smtp password": mailserver.PASSWORD, "wecom key": WECOM_KEY, "dingtalk token": DINGTALK_TOKEN,
               "dingtalk secret": DINGTALK_SECRET, "feishu token": FEISHU_TOKEN, "feishu secret": FEISHU_SECRET,
               "webhook secret": WEBHOOK_SECRET, "query secret": QUERY_SECRET,
               **{f"{app} secret": secret for app, secret in APP_SECRETS.items()}}
    if DB_PASSWORD in url:
        secrets["database password"] = DB_PASSWORD
    try:
        # the command line
        _cli(transcript, config, url, "import", str(tmp_path / "roster.csv"))
        _cli(transcript, config, url, "user", "add", "admin", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
        _cli(transcript, config, url, "user", "add", "bao", "--role", "bureau", "--region", "包头市",
             stdin=f"{TYPED_AS_NAME}\n")
        secrets["api token"] = _cli(transcript, config, url, "user", "token", "admin", shows_secret=True)
        assert secrets["api token"].startswith("mon_")
        _cli(transcript, config, url, "user", "list")
        _cli(transcript, config, url, "user", "set", "admin", "--wecom-userid", "admin-wx", "--dingtalk-userid",
             "admin-dd", "--feishu-open-id", "ou_admin")
        _cli(transcript, config, url, "status")

        # the console
        with console(tmp_path, url, config) as running, running.client() as client:
            with running.client() as browser:
                assert login(browser, "admin", PASSWORD).status_code == 303
                secrets["session cookie"] = browser.cookies["monitor_session"]
                page = browser.get("/account")
                secrets["csrf token"] = csrf_of(page.text)
                made = browser.post("/account/calendar", data={"csrf": secrets["csrf token"], "action": "new"})
                found = re.search(r"/calendar/([^\"<\s]+)\.ics", made.text)
                assert found, made.text[:500]
                secrets["calendar token"] = found.group(1)
                feed = httpx.get(f"{running.base}/calendar/{found.group(1)}.ics", timeout=30)
                assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
                assert browser.get("/", params={"token": QUERY_SECRET, "password": QUERY_SECRET}).status_code == 200
                assert browser.post("/logout", data={"csrf": secrets["csrf token"]}).status_code == 303
            for _ in range(6):            # a wrong password until the sign-in is refused for a while
                assert login(client, "admin", WRONG).status_code in (401, 429)
            assert login(client, TYPED_AS_NAME, TYPED_AS_NAME).status_code in (401, 429)
            secrets["unlock code"] = _cli(transcript, config, url, "user", "unlock", "admin", shows_secret=True)
            for _ in range(6):
                login(client, "admin", WRONG)
            page = client.get("/login")
            unlocked = client.post("/login", data={"csrf": csrf_of(page.text), "name": "admin", "password": PASSWORD,
                                                   "code": secrets["unlock code"], "next": "/"})
            assert unlocked.status_code == 303
            csrf = csrf_of(client.get("/upload").text)
            preview = client.post("/upload", data={"csrf": csrf, "action": "preview"}, files={"file": (
                "facts.csv", b"cluster,fact,year,filed_on\nBT-001,report,2024,2025-03-20\n", "text/csv")})
            held = re.search(r'name="upload" value="([^"]+)"', preview.text)
            assert held, preview.text[:500]
            secrets["upload token"] = held.group(1)
            assert client.post("/upload", data={"csrf": csrf, "action": "commit", "upload": held.group(1)}
                               ).status_code == 200
            with running.api(secrets["api token"]) as api:
                assert api.get("/api/v1/status").status_code == 200
            misused = httpx.get(f"{running.base}/api/v1/status", params={"access_token": secrets["api token"]})
            assert misused.status_code == 401
        served = running.log.read_text(errors="replace")
        # the access log is written, the calendar address in it masked
        assert '"GET /calendar/***.ics HTTP/1.1" 200' in served and "GET /api/v1/status" in served

        # the daemon: a round by e-mail (STARTTLS, AUTH) and to the four chat services
        day = NOW[:10]
        log = tmp_path / "daemon.log"
        daemon = procs.start(config, url, NOW, log)
        engine = create_engine(url)
        try:
            procs.wait_settled(engine, day, [log])
        finally:
            assert procs.stop(daemon) == 0
            engine.dispose()
        assert mail.received and {post.service for post in chat.accepted} == {"wecom", "dingtalk", "feishu",
                                                                               "webhook", *APPS}
        # the apps' access tokens, as the fake issued them: never logged either
        secrets.update({f"{app} token": token for app in APPS for token in chat.tokens[app] | chat.expired
                        if token.startswith(f"tok-{app}")})
        _cli(transcript, config, url, "status")
    finally:
        mail.stop()
        chat.stop()

    logs = {"monitor serve": served, "monitor run": log.read_text(errors="replace"),
            "the command line": "\n".join(transcript)}
    leaks = {where: _found(secrets, text) for where, text in logs.items() if _found(secrets, text)}
    lines = [line for text in logs.values() for line in text.splitlines() if _found(secrets, line)]
    assert not leaks, f"secrets in the logs: {leaks}\n" + "\n".join(lines[:20])
