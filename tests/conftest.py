"""Shared fixtures. The database fixture runs each test on SQLite and, where it is reachable, PostgreSQL.

PostgreSQL: MONITOR_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Each
test run creates a database of its own there and drops it after. With CI=true an unreachable server
fails the run instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.app import App
from monitor.config import load_settings
from monitor.rules.packs import Pack, load_packs
from monitor.rules.workdays import WorkCalendar
from tests.chatservers import ChatServer
from tests.mailserver import MailServer
from tests.pgcluster import Cluster, Unavailable, private_cluster

PG_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
#: the browser window of the Chromium tests
WIDTH, HEIGHT = 1280, 1400


@pytest.fixture(autouse=True)
def a_fresh_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """monitor.clock reads MONITOR_NOW once a process: each test reads it afresh (a test that sets it for the
    commands it runs in process would otherwise get the clock of an earlier test of the same worker)."""
    from monitor import clock

    monkeypatch.setattr(clock, "_offsets", [])


@pytest.fixture(autouse=True)
def every_message_in_chinese() -> Iterator[None]:
    """Every message a test makes monitor say in Chinese has its Chinese in words.toml (not said in English)."""
    from monitor.views import words

    words.MISSING.clear()
    yield
    assert not words.MISSING, f"no Chinese in words.toml [said] for: {sorted(words.MISSING)}"


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means unreachable
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run; its URL."""
    problem = _postgres_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and not reachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
    name = f"monitor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def private_postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own (tests/pgcluster.py), started, for the test to stop and start. With
    CI=true a cluster that cannot be made fails the test, saying why, instead of skipping it."""
    try:
        with private_cluster() as cluster:
            yield cluster
    except Unavailable as exc:
        if IN_CI:
            pytest.fail(f"a private PostgreSQL cluster is required in CI and could not be made: {exc}")
        pytest.skip(f"no private PostgreSQL cluster here: {exc}")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    url: str = request.getfixturevalue("postgres_server")
    _reset_postgres(url)
    return url


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    """Loopback robots of every chat service (tests/chatservers.py), their addresses and secrets in the
    environment as a channel's config names them; generous rate limits (a module that tests them has its own)."""
    found = ChatServer(per_minute=1000).start()
    for key, value in found.env().items():
        monkeypatch.setenv(key, value)
    yield found
    found.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) on loopback, keeping what it receives."""
    mail = MailServer(tmp_path).start()
    yield mail
    mail.stop()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    # bureaus and operators are mailed (opt-in: [digest] roles); [general] last, as tests append keys to it
    path.write_text('[digest]\nroles = ["administrator", "bureau", "operator"]\n'
                    '[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n', encoding="utf-8")
    return path


@pytest.fixture
def app(database_url: str, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("MONITOR_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITOR_USER", "tester")
    app = App(_settings=load_settings(config_file))
    yield app
    app.close()


@pytest.fixture(scope="session")
def packs() -> dict[str, Pack]:
    return load_packs()


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        message = "Chromium and chromedriver are needed (scripts/test installs Debian's chromium, chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()
