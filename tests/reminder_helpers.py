"""Running the daemon's ticks with an injected clock, and reading what the mail server received."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from db.session import transaction
from jobs.daemon import Daemon
from monitor.actions.record import Recorder
from monitor.actions.roster_import import import_roster
from monitor.app import App
from monitor.config import load_settings
from tests.mailserver import Received

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM = re.compile(r"^- (\S+) .*?: (.*)$", re.MULTILINE)
SUBJECT_DAY = re.compile(r"[（(](\d{4}-\d{2}-\d{2})")


def at(day: dt.date, hour: int = 8, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


class Clock:
    """A settable clock for Daemon(now=…)."""

    def __init__(self, start: dt.datetime) -> None:
        self.value = start

    def __call__(self) -> dt.datetime:
        return self.value


#: config.toml's [digest] for tests that mail bureaus and operators (roles are opt-in: docs/rules.md, "Who is mailed")
EVERYONE = '[digest]\nroles = ["administrator", "bureau", "operator"]\n'


def make_app(tmp: Path, database_url: str, config: str, monkeypatch: object) -> App:
    """An app on this config; one that says nothing of [digest] mails bureaus and operators too (EVERYONE)."""
    path = tmp / "config.toml"
    path.write_text(config if "[digest]" in config else config + "\n" + EVERYONE, encoding="utf-8")
    settings = load_settings(path, {"MONITOR_DATABASE_URL": database_url})
    return App(_settings=settings)


def load_roster(app: App, path: Path, approve: bool = True) -> None:
    """Import a roster; with ``approve``, its recipient set is approved as if an earlier round had been (so the
    tests of reminders are not held: tests/test_first_send.py tests holding)."""
    with transaction(app.sessions) as session:
        import_roster(session, path, app.packs, "tester", dt.datetime.now(dt.UTC))
    if approve:
        approve_recipients(app)


def approve_recipients(app: App) -> None:
    """Record the recipient set config and roster make now as approved (an approved round, long ago)."""
    from db import round_log
    from monitor.rules.audience import Choice, audience
    from monitor.rules.states import RoundState

    settings = app.settings
    with transaction(app.sessions) as session:
        current = audience(round_log.roster_addresses(session), Choice(settings.digest_roles, settings.digest_regions),
                           settings.administrators, round_log.subscribers(session))
        moment = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        round_log.record(session, f"approved-{dt.datetime.now(dt.UTC):%H%M%S%f}", moment.date(), moment,
                         RoundState.APPROVED, current.to_json())


def record(app: App, today: dt.date, action: Callable[[Recorder], object]) -> None:
    with transaction(app.sessions) as session:
        action(Recorder(session, app.packs, "tester", at(today).astimezone(dt.UTC), today))


def daemon(app: App, clock: Clock, owner: str = "test-daemon") -> Daemon:
    return Daemon(app, owner, clock)


def round_day_of(mail: Received) -> str:
    """The round's day, as the subject states it."""
    match = SUBJECT_DAY.search(str(mail.message["Subject"]))
    assert match is not None, mail.message["Subject"]
    return match.group(1)


def items(received: list[Received]) -> list[tuple[str, str, str, str]]:
    """(recipient, round day, cluster, item text) for every item of every digest received."""
    return [(recipient, round_day_of(mail), cluster, what)
            for mail in received for cluster, what in ITEM.findall(mail.text) for recipient in mail.recipients]
