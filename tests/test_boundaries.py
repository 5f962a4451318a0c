"""Last days, at the boundary: an ack or a snooze is in force through its ``until`` day and not the day after, in
the query the daemon's rounds and `monitor status` read (db.queries.active_holds), on SQLite and PostgreSQL, and
as `monitor status` shows it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from db.queries import active_holds
from db.read import SessionReads
from db.session import transaction
from monitor.actions.ack_snooze import record_hold
from monitor.app import App
from tests.helpers import monitor, write_roster

UNTIL = dt.date(2026, 3, 10)
RECORDED = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def held(app: App, config_file: Path, tmp_path: Path) -> Path:
    """A cluster whose 2025 report is snoozed, and its late-filing warning acknowledged, both until UNTIL."""
    roster = write_roster(tmp_path / "roster.csv", "NMG-1,包头集群,nmg-sme-draft,2023-06-01,包头市,,,,,")
    assert monitor("import", str(roster), config=config_file).exit_code == 0
    with transaction(app.sessions) as session:
        record_hold(session, "snooze", "NMG-1", "annual_report:2025", UNTIL, "filed on paper", UNTIL - dt.timedelta(9),
                    "tester", RECORDED)
        record_hold(session, "ack", "NMG-1", "annual_report_late:2024", UNTIL, "known", UNTIL - dt.timedelta(9),
                    "tester", RECORDED)
    return config_file


@pytest.mark.parametrize(("offset", "in_force"), [(-1, True), (0, True), (1, False)])
def test_a_hold_is_in_force_through_its_last_day(app: App, held: Path, offset: int, in_force: bool) -> None:
    day = UNTIL + dt.timedelta(days=offset)
    with transaction(app.sessions) as session:
        found = active_holds(SessionReads(session.connection()), day)
    expected = [("ack", "annual_report_late:2024"), ("snooze", "annual_report:2025")] if in_force else []
    assert sorted((h.kind, h.subject) for h in found) == expected
    assert all(h.until == UNTIL for h in found)


@pytest.mark.parametrize(("offset", "in_force"), [(0, True), (1, False)])
def test_status_shows_a_hold_on_its_last_day_and_not_after(held: Path, offset: int, in_force: bool) -> None:
    day = UNTIL + dt.timedelta(days=offset)
    result = monitor("status", "--as-of", str(day), config=held)
    assert result.exit_code == 0, result.output
    assert ("snoozed NMG-1 annual_report:2025 until 2026-03-10 (tester: filed on paper)" in result.output) is in_force
    document = monitor("status", "--as-of", str(day), "--format", "json", config=held)
    assert (document.output.count('"until":"2026-03-10"') == 2) is in_force
