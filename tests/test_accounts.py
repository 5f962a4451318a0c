"""`monitor user …`: passwords only from a prompt or standard input, roles and regions checked, tokens shown once
and stored as hashes, and the sign-in lock (actions, with the clock given)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.session import transaction
from monitor import clock
from monitor.actions.accounts import (
    LIMITS,
    LOCK_AFTER,
    LOCK_FOR,
    LoginRefused,
    SignInLimits,
    add_user,
    list_users,
    login,
    token_account,
)
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


def _login(app: App, name: str, password: str, now: dt.datetime, address: str = "192.0.2.1", code: str = "",
           limits: SignInLimits = LIMITS) -> str:
    """"signed in", or what the refusal says (and "unchecked" when the limits refused it without the password)."""
    try:
        login(app.sessions, name, password, now, address, code, limits)
    except LoginRefused as exc:
        return str(exc) + (" (unchecked)" if exc.retry_after is not None else "")
    return "signed in"


WRONG = "sign-in failed: wrong name or password"
START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def _clerk(app: App) -> None:
    with transaction(app.sessions) as session:
        add_user(session, "clerk", "viewer", [], "the right one", START)
        add_user(session, "admin", "admin", [], "the admin's", START)


def test_five_failures_lock_the_name_for_that_address_only(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 25, item 3: five wrong passwords used to lock the account itself for 15 minutes, whoever typed them;
    now they lock it for the address they came from, and the owner elsewhere signs in."""
    _clerk(app)
    caplog.set_level(logging.INFO, "monitor.accounts")
    for n in range(LOCK_AFTER):
        assert _login(app, "clerk", "a wrong one", START + dt.timedelta(seconds=n)) == WRONG
    assert "sign-in to 'clerk' locked for 192.0.2.1 after 5 failed sign-ins" in caplog.text
    locked = _login(app, "clerk", "the right one", START + LOCK_FOR - dt.timedelta(seconds=1))
    assert "too many failed sign-ins to this account from your address" in locked and "(unchecked)" in locked
    assert "refused unchecked: locked for this address" in caplog.text
    # elsewhere the right password passes at once; the lock itself lifts after LOCK_FOR
    assert _login(app, "clerk", "the right one", START + dt.timedelta(seconds=10), address="198.51.100.9") == (
        "signed in")
    with transaction(app.sessions) as session:
        listed = {item.account.name: item for item in list_users(session, START + dt.timedelta(minutes=1))}
    assert listed["clerk"].locked_for == ("192.0.2.1",) and listed["admin"].locked_until is None
    assert listed["clerk"].locked_until == START + LOCK_FOR
    assert _login(app, "clerk", "the right one", START + LOCK_FOR + dt.timedelta(seconds=5)) == "signed in"
    assert "a wrong one" not in caplog.text and "the right one" not in caplog.text


def test_unknown_names_are_limited_as_known_ones_and_never_logged(app: App, caplog: pytest.LogCaptureFixture
                                                                  ) -> None:
    """Guesses at names that are no account's were unlimited; the limits now count the name typed, whoever's it
    is, and answer the same: a refusal tells no names. A name that is no account's (a password typed into the
    wrong field, say) is never written to the log."""
    _clerk(app)
    caplog.set_level(logging.INFO, "monitor.accounts")
    said = [[_login(app, name, "a wrong one", START + dt.timedelta(seconds=n)) for n in range(LOCK_AFTER + 1)]
            for name in ("clerk", "Secret-Typed-As-A-Name")]
    assert said[0] == said[1] and said[0][-1].endswith("(unchecked)")
    assert "Secret-Typed-As-A-Name" not in caplog.text and "an unknown name" in caplog.text


def test_an_address_is_throttled_across_names(app: App) -> None:
    _clerk(app)
    limits = SignInLimits(per_address=8)
    for n in range(8):
        assert _login(app, f"name{n}", "a wrong one", START + dt.timedelta(seconds=n), limits=limits) == WRONG
    refused = _login(app, "clerk", "the right one", START + dt.timedelta(seconds=9), limits=limits)
    assert "too many failed sign-ins from your address" in refused and "(unchecked)" in refused
    assert _login(app, "clerk", "the right one", START + dt.timedelta(seconds=9), address="198.51.100.9",
                  limits=limits) == "signed in"


def test_a_guess_spread_over_many_addresses_gets_one_try_an_address_and_the_owner_still_signs_in(app: App) -> None:
    _clerk(app)
    limits = SignInLimits(per_name=6)
    for n in range(6):
        assert _login(app, "admin", "a wrong one", START, address=f"203.0.113.{n}", limits=limits) == WRONG
    # each address that failed on the name is refused; an address that did not still has its try
    assert _login(app, "admin", "a wrong one", START, address="203.0.113.0", limits=limits).endswith("(unchecked)")
    assert _login(app, "admin", "a wrong one", START, address="203.0.113.77", limits=limits) == WRONG
    assert _login(app, "admin", "a wrong one", START, address="203.0.113.77", limits=limits).endswith("(unchecked)")
    assert _login(app, "admin", "the admin's", START, address="198.51.100.9", limits=limits) == "signed in"
    # and a name with no such wave is not touched
    assert _login(app, "clerk", "a wrong one", START, address="203.0.113.0", limits=limits) == WRONG


def test_many_failures_in_all_refuse_the_addresses_that_failed(app: App, caplog: pytest.LogCaptureFixture) -> None:
    _clerk(app)
    limits = SignInLimits(everyone=10)
    for n in range(10):
        assert _login(app, f"name{n}", "a wrong one", START, address=f"203.0.113.{n}", limits=limits) == WRONG
    assert "every sign-in throttled after 10 failed sign-ins" in caplog.text
    assert _login(app, "clerk", "the right one", START, address="203.0.113.3", limits=limits).endswith("(unchecked)")
    assert _login(app, "clerk", "the right one", START, address="198.51.100.9", limits=limits) == "signed in"
    later = START + limits.window + dt.timedelta(seconds=1)
    assert _login(app, "clerk", "the right one", later, address="203.0.113.3", limits=limits) == "signed in"


def test_an_unlock_code_passes_every_limit_once(app: App, config_file: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """The owner can always get in: `monitor user unlock NAME` lifts the locks and prints a code that, with the
    right password, passes every limit (while someone keeps failing on the name), once."""
    monkeypatch.setenv("MONITOR_NOW", START.isoformat())
    monkeypatch.setattr(clock, "_offsets", [])
    _clerk(app)
    for _ in range(LOCK_AFTER):
        _login(app, "admin", "a wrong one", START)
    code, out = _run(config_file, "user", "unlock", "admin")
    unlock_code = out.strip().splitlines()[-1]
    assert code == 0 and "user admin: unlocked" in out and unlock_code.startswith("mon_")
    for _ in range(LOCK_AFTER + 1):          # the lock was lifted; someone fails again from the same address
        _login(app, "admin", "a wrong one", START)
    assert _login(app, "admin", "the admin's", START).endswith("(unchecked)")
    assert _login(app, "admin", "the admin's", START, code="mon_not-the-code").endswith("(unchecked)")
    assert _login(app, "clerk", "a wrong one", START, code=unlock_code) == WRONG     # admin's: not used up
    assert _login(app, "admin", "the admin's", START, code=unlock_code) == "signed in"
    for _ in range(LOCK_AFTER + 1):
        _login(app, "admin", "a wrong one", START)
    assert _login(app, "admin", "the admin's", START, code=unlock_code).endswith("(unchecked)")   # used up


def test_concurrent_guesses_get_no_more_tries_than_the_limit(app: App) -> None:
    """Every attempt is counted (committed) before its password is checked: a burst of concurrent guesses from
    one address gets LOCK_AFTER checks, however many workers or threads run them."""
    _clerk(app)
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        said = list(pool.map(lambda n: _login(app, "admin", f"guess {n}", START), range(24)))
    assert said.count(WRONG) <= LOCK_AFTER and len(said) == 24
    assert all(s == WRONG or s.endswith("(unchecked)") for s in said)


def test_the_failures_are_shared_by_every_worker(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts are in the database: a second App (another worker, its own engine) sees the first one's."""
    _clerk(app)
    other = App(_settings=app.settings)
    try:
        for n in range(LOCK_AFTER):
            assert _login(app if n % 2 else other, "clerk", "a wrong one", START) == WRONG
        assert _login(other, "clerk", "the right one", START).endswith("(unchecked)")
        assert _login(app, "clerk", "the right one", START).endswith("(unchecked)")
    finally:
        other.close()


def test_a_new_password_lifts_the_locks(app: App, config_file: Path) -> None:
    _clerk(app)
    for _ in range(LOCK_AFTER):
        _login(app, "clerk", "a wrong one", START)
    assert _run(config_file, "user", "passwd", "clerk", stdin="another right one\n")[0] == 0
    assert _login(app, "clerk", "another right one", START) == "signed in"
