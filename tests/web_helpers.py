"""A real `monitor serve` process on a loopback port, its users, and HTTP clients signed in to it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli

#: the console's clock in these tests (MONITOR_NOW), so due days and warnings are fixed
NOW = "2026-11-23T10:00:00+08:00"
PASSWORD = "correct horse 42"

ROSTER = """id,name,regime,certified_on,region,operator,operator_email,bureau_email,batch,valid_until
BT-001,包头市稀土新材料特色产业集群,miit-sme-2022,2024-01-10,包头市,包头稀土集群促进中心,op1@example.cn,bt@example.gov.cn,2023,
BT-002,<script>alert(1)</script>包头装备集群,miit-sme-2022,2024-02-10,包头市,包头装备,op2@example.cn,bt@example.gov.cn,2023,
ORD-001,鄂尔多斯市煤化工特色产业集群,miit-sme-2022,2024-01-15,鄂尔多斯市,鄂尔多斯运营,op3@example.cn,ordos@example.gov.cn,2023,
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_env(database_url: str) -> dict[str, str]:
    return {"MONITOR_DATABASE_URL": database_url, "MONITOR_NOW": NOW, "MONITOR_USER": "tester"}


def run_cli(config: Path, database_url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=stdin, env=cli_env(database_url),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def add_user(config: Path, database_url: str, name: str, role: str, *regions: str) -> str:
    """The user, added; its API token."""
    options = [part for region in regions for part in ("--region", region)]
    run_cli(config, database_url, "user", "add", name, "--role", role, *options, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    return run_cli(config, database_url, "user", "token", name).strip().splitlines()[-1]


def seeded(tmp: Path, database_url: str, config_text: str = "") -> Path:
    """A config.toml in ``tmp`` (``config_text``) whose database holds ROSTER; its path."""
    config = tmp / "config.toml"
    config.write_text(config_text, encoding="utf-8")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    run_cli(config, database_url, "import", str(roster))
    return config


@dataclass
class Console:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=30)

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    @contextmanager
    def signed_in(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        with self.client() as client:
            response = login(client, name, password)
            assert response.status_code == 303, response.text
            yield client


@dataclass
class Site:
    """A running console, its config and database, and the API tokens of its users by name."""
    console: Console
    config: Path
    database_url: str
    tokens: dict[str, str]


def login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    form = client.get("/login")
    token = csrf_of(form.text)
    return client.post("/login", data={"csrf": token, "name": name, "password": password, "next": "/"})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


@contextmanager
def console(tmp_path: Path, database_url: str, config: Path) -> Iterator[Console]:
    """`monitor serve` as its own process, until the block ends."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, **cli_env(database_url)}
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "serve", "--port",
                                    str(port)], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("monitor serve did not start: " + log.read_text(errors="replace")) from None
                time.sleep(0.1)
        yield Console(base, process, log)
    finally:
        process.terminate()
        process.wait(timeout=20)


#: the two databases a console's tests run on (PostgreSQL marked: required when CI=true)
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def module_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str
                    ) -> tuple[Path, str]:
    """A module's folder and its empty database (``request.param``: "sqlite", a file in the folder, or
    "postgresql", the test server's database emptied), for a ``site`` fixture parametrised by DATABASES."""
    from tests.conftest import _reset_postgres

    tmp = tmp_path_factory.mktemp(name)
    if request.param == "sqlite":
        return tmp, f"sqlite:///{tmp / 'monitor.db'}"
    url: str = request.getfixturevalue("postgres_server")
    _reset_postgres(url)
    return tmp, url


@contextmanager
def seeded_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Site]:
    """A console on the seeded roster (``request.param``: "sqlite" or "postgresql"), with an administrator, a
    bureau of 包头市 and a viewer, for a module's tests (their ``site`` fixture, parametrised by DATABASES)."""
    tmp, url = module_database(request, tmp_path_factory, name)
    config = seeded(tmp, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n')
    tokens = {"admin": add_user(config, url, "admin", "admin"), "bao": add_user(config, url, "bao", "bureau", "包头市"),
              "viewer": add_user(config, url, "viewer", "viewer")}
    with console(tmp, url, config) as running:
        yield Site(running, config, url, tokens)
