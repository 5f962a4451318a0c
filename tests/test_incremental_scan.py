"""The daemon's incremental scan records exactly the reminders a scan of every cluster records, day after day,
with facts recorded along the way; and with nothing changed it evaluates only the clusters whose day has come."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from pathlib import Path

from sqlalchemy import select

from db.models import ReminderRow
from db.session import transaction
from jobs.scan import scan
from monitor.app import App
from monitor.errors import MonitorError
from tests.helpers import write_roster
from tests.reminder_helpers import at, load_roster, make_app, record

REGIMES = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]


def _app(tmp: Path, name: str, roster: Path) -> App:
    (tmp / name).mkdir()
    app = make_app(tmp / name, f"sqlite:///{tmp / name / 'm.db'}",
                   '[general]\nadministrators = ["admin@example.gov.cn"]\n[reminders]\noverdue_every_days = 5\n', None)
    load_roster(app, roster)
    return app


def _ledger(app: App) -> set[tuple[str, str, str, dt.date, bool]]:
    with transaction(app.sessions) as session:
        return {tuple(row) for row in session.execute(select(  # type: ignore[misc]
            ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.stage, ReminderRow.crossed_on, ReminderRow.late))}


def test_incremental_scans_record_what_full_scans_record(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [f"C{i:02d},集群{i},{REGIMES[i % 5]},20{22 + i % 3}-{1 + i % 12:02d}-{1 + i % 27:02d},,,"
            f"op{i}@example.cn,bureau{i}@example.cn,," for i in range(25)]
    roster = write_roster(tmp_path / "r.csv", *rows)
    full, incremental = _app(tmp_path, "full", roster), _app(tmp_path, "incremental", roster)
    day, end = dt.date(2025, 11, 20), dt.date(2027, 2, 10)
    skipped_days = {day + dt.timedelta(days=n) for n in rng.sample(range(400), 40)}   # the daemon was down
    first = True
    evaluated: list[int] = []
    while day <= end:
        if rng.random() < 0.08:      # a fact, recorded in both databases
            i = rng.randrange(25)
            cid, regime = f"C{i:02d}", REGIMES[i % 5]
            action = {
                "miit-sme-2022": lambda r, cid=cid, day=day: r.report(cid, day.year - 1, day),
                "nmg-sme-draft": lambda r, cid=cid, day=day: r.change(cid, "operator", day, None),
                "nmg-amc-2025": lambda r, cid=cid, day=day: r.report(cid, day.year - 1, day),
                "ah-amc-2024": lambda r, cid=cid, day=day: r.assessment(cid, day.year - 1, "fail", day),
                "xj-amc": lambda r, cid=cid, day=day: r.incident(cid, "violation", day, None, None),
            }[regime]
            for app in (full, incremental):
                with contextlib.suppress(MonitorError):   # a fact the rules refuse (before the first year…)
                    record(app, day, action)
        if day not in skipped_days:
            now = at(day).astimezone(dt.UTC)
            with transaction(full.sessions) as session:
                scan(full, session, day, now)
            with transaction(incremental.sessions) as session:
                evaluated.append(scan(incremental, session, day, now, incremental=not first, watching=True).clusters)
            first = False
            assert _ledger(incremental) == _ledger(full), day
        day += dt.timedelta(days=1)
    assert len(_ledger(full)) > 100
    assert evaluated[0] == 25 and sum(evaluated) < 25 * len(evaluated) / 3   # most days look at few clusters
    full.close()
    incremental.close()


def test_with_nothing_changed_a_second_scan_the_same_day_evaluates_nothing(tmp_path: Path) -> None:
    rows = [f"C{i:02d},集群{i},{REGIMES[i % 5]},2024-0{1 + i % 9}-10,,,op{i}@example.cn,,," for i in range(10)]
    app = _app(tmp_path, "one", write_roster(tmp_path / "r.csv", *rows))
    day = dt.date(2026, 5, 5)
    with transaction(app.sessions) as session:
        assert scan(app, session, day, at(day), incremental=True).clusters == 10
    with transaction(app.sessions) as session:
        assert scan(app, session, day, at(day), incremental=True).clusters == 0
    record(app, day, lambda r: r.report("C01", 2025, day))
    with transaction(app.sessions) as session:
        assert scan(app, session, day, at(day), incremental=True).clusters == 1     # the fact touched C01
    app.close()


def test_a_scan_by_hand_for_a_day_of_its_own_leaves_the_watch_alone(tmp_path: Path) -> None:
    rows = [f"C{i:02d},集群{i},nmg-sme-draft,2024-0{1 + i % 9}-10,,,op{i}@example.cn,,," for i in range(4)]
    app = _app(tmp_path, "one", write_roster(tmp_path / "r.csv", *rows))
    day = dt.date(2026, 5, 5)
    with transaction(app.sessions) as session:
        scan(app, session, day + dt.timedelta(days=300), at(day))          # `monitor digest --as-of` far ahead
    with transaction(app.sessions) as session:
        assert scan(app, session, day, at(day), incremental=True).clusters == 4
        assert scan(app, session, day, at(day), incremental=True).clusters == 0
    app.close()
