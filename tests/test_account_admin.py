"""The account actions the console's Users and Profile pages use (monitor.actions.account_admin), on SQLite and
PostgreSQL: role changes checked as `monitor user add` checks them, reset codes (once, through tomorrow),
profiles checked; and migration 0015 keeps existing accounts, which receive the digest by default."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from importlib import resources

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from db.session import ensure_schema, in_transaction, make_engine, session_factory
from monitor.actions.account_admin import (
    Profile,
    issue_reset,
    profile,
    reset_password,
    save_profile,
    set_role,
)
from monitor.actions.accounts import add_user, login
from monitor.errors import InputError

NOW = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
PASSWORD = "long enough pw"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    ensure_schema(engine)
    made = session_factory(engine)
    in_transaction(made, lambda s: add_user(s, "bao", "bureau", ["包头市"], PASSWORD, NOW))
    yield made
    engine.dispose()


def test_a_role_change_is_checked_and_whole(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InputError, match="bureau user needs"):
        in_transaction(sessions, lambda s: set_role(s, "bao", "bureau", []))
    with pytest.raises(InputError, match="applies to bureau users"):
        in_transaction(sessions, lambda s: set_role(s, "bao", "viewer", ["包头市"]))
    assert login(sessions, "bao", PASSWORD, NOW).covers == ("包头市",)          # unchanged
    changed = in_transaction(sessions, lambda s: set_role(s, "bao", "bureau", ["鄂尔多斯市", "包头市"]))
    assert changed.covers == ("包头市", "鄂尔多斯市")
    assert in_transaction(sessions, lambda s: set_role(s, "bao", "viewer", [])).covers == ()


def test_a_reset_code_works_once_through_tomorrow(sessions: sessionmaker[Session]) -> None:
    today = NOW.date()
    code = in_transaction(sessions, lambda s: issue_reset(s, "bao", NOW, today))
    later = NOW + dt.timedelta(days=2)
    with pytest.raises(InputError, match="wrong, used or expired"):
        in_transaction(sessions, lambda s: reset_password(s, "bao", code, "another pw 1", later))
    newer = in_transaction(sessions, lambda s: issue_reset(s, "bao", NOW, today))
    with pytest.raises(InputError, match="wrong, used or expired"):           # the newer one revoked it
        in_transaction(sessions, lambda s: reset_password(s, "bao", code, "another pw 1", NOW))
    with pytest.raises(InputError, match="wrong, used or expired"):           # another account's name
        in_transaction(sessions, lambda s: reset_password(s, "nobody", newer, "another pw 1", NOW))
    tomorrow = NOW + dt.timedelta(days=1)
    in_transaction(sessions, lambda s: reset_password(s, "bao", newer, "another pw 1", tomorrow))
    assert login(sessions, "bao", "another pw 1", tomorrow).name == "bao"
    with pytest.raises(InputError, match="wrong, used or expired"):
        in_transaction(sessions, lambda s: reset_password(s, "bao", newer, "a third pw 22", tomorrow))
    with pytest.raises(InputError, match="at least 8"):                       # a short password keeps the code
        code = in_transaction(sessions, lambda s: issue_reset(s, "bao", NOW, today))
        in_transaction(sessions, lambda s: reset_password(s, "bao", code, "short", NOW))
    in_transaction(sessions, lambda s: reset_password(s, "bao", code, "a third pw 22", NOW))


def test_a_profile_is_checked_and_kept(sessions: sessionmaker[Session]) -> None:
    assert in_transaction(sessions, lambda s: profile(s, "bao")) == Profile()      # the digest, by default
    for bad in (Profile(email="not an address"), Profile(phone="call me"), Profile(full_name="x" * 65)):
        with pytest.raises(InputError):
            in_transaction(sessions, functools.partial(save_profile, name="bao", given=bad))
    kept = Profile(" 王工 ", "wang@example.gov.cn", "+86 472-1234567", False)
    in_transaction(sessions, lambda s: save_profile(s, "bao", kept))
    assert in_transaction(sessions, lambda s: profile(s, "bao")) == Profile("王工", "wang@example.gov.cn",
                                                                          "+86 472-1234567", False)


def test_0015_keeps_the_accounts_and_goes_back(database_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("db").joinpath("migrations")))
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0009")
            conn.execute(text("INSERT INTO account (name, role, password_hash, disabled, failed_logins, created_at) "
                              "VALUES ('old', 'viewer', 'x', false, 0, :t)"), {"t": NOW})
            command.upgrade(config, "0015")
            row = conn.execute(text("SELECT full_name, email, phone, digest_email FROM account")).one()
            assert tuple(row) in (("", "", "", True), ("", "", "", 1))
            command.downgrade(config, "0009")
            assert conn.execute(text("SELECT name FROM account")).scalar() == "old"
    finally:
        engine.dispose()
