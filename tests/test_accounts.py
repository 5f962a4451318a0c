"""`monitor user …`: passwords only from a prompt or standard input, roles and regions checked, tokens shown once
and stored as hashes, and the sign-in lock (actions, with the clock given)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.session import transaction
from monitor.actions.accounts import LOCK_AFTER, LOCK_FOR, LoginRefused, add_user, login, token_account
from monitor.app import App
from monitor.cli import cli
from monitor.rules.access import Role


def _run(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=stdin)
    return result.exit_code, result.output


def test_user_commands(app: App, config_file: Path) -> None:
    code, out = _run(config_file, "user", "add", "admin", "--role", "admin", stdin="long enough 1\nlong enough 1\n")
    assert code == 0 and "user admin added: admin" in out
    code, out = _run(config_file, "user", "add", "bao", "--role", "bureau", "--region", "包头市", "--region", "乌海市",
                     stdin="long enough 2\n")
    assert code == 0 and "包头市" in out
    assert _run(config_file, "user", "add", "x", "--role", "bureau", stdin="long enough 3\n") == (
        2, "error: a bureau user needs --region (repeatable): the regions whose clusters it sees\n")
    assert _run(config_file, "user", "add", "y", "--role", "viewer", stdin="short\n")[0] == 2
    assert "differ" in _run(config_file, "user", "add", "z", "--role", "viewer", stdin="long enough\nlong enuogh\n")[1]
    assert "exists already" in _run(config_file, "user", "add", "admin", "--role", "admin", stdin="long enough 1\n")[1]
    code, out = _run(config_file, "user", "add", "p", "--role", "viewer", "--password", "long enough 4")
    assert code == 2 and "No such option" in out          # never from the command line
    code, out = _run(config_file, "user", "token", "bao", "--expires", "2099-01-01")
    secret = out.strip().splitlines()[-1]
    assert code == 0 and secret.startswith("mon_")
    with transaction(app.sessions) as session:
        found = token_account(session, secret, "api", dt.date(2030, 1, 1))
        assert found is not None and found.role is Role.BUREAU and found.regions == ("乌海市", "包头市")
        assert token_account(session, secret, "api", dt.date(2099, 1, 2)) is None     # expired
        assert token_account(session, secret, "calendar", dt.date(2030, 1, 1)) is None  # not a calendar token
    listed = _run(config_file, "user", "list")[1]
    assert "bao\tbureau\t乌海市, 包头市\tactive\t1 API token(s)" in listed
    assert _run(config_file, "user", "revoke-tokens", "bao")[1] == "user bao: 1 token(s) revoked\n"
    assert _run(config_file, "user", "disable", "bao")[0] == 0
    assert "disabled" in _run(config_file, "user", "list")[1]
    assert "no user 'nobody'" in _run(config_file, "user", "passwd", "nobody", stdin="long enough 5\n")[1]


def test_five_failures_lock_for_fifteen_minutes(app: App, caplog: pytest.LogCaptureFixture) -> None:
    start = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    with transaction(app.sessions) as session:
        add_user(session, "clerk", "viewer", [], "the right one", start)
    for n in range(LOCK_AFTER):
        with transaction(app.sessions) as session, pytest.raises(LoginRefused, match="wrong name or password"):
            login(session, "clerk", "a wrong one", start + dt.timedelta(seconds=n))
    assert "locked until" in caplog.text
    with transaction(app.sessions) as session, pytest.raises(LoginRefused, match="locked"):
        login(session, "clerk", "the right one", start + LOCK_FOR - dt.timedelta(seconds=1))
    with transaction(app.sessions) as session:
        assert login(session, "clerk", "the right one", start + LOCK_FOR + dt.timedelta(seconds=5)).name == "clerk"
    with transaction(app.sessions) as session, pytest.raises(LoginRefused, match="wrong name or password"):
        login(session, "nobody", "the right one", start)
