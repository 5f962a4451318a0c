"""One clock (issue 27, item 3): every time a person reads is in the configured zone with its offset, and
``--known-at`` takes back exactly what ``history`` prints: fed each printed time, status evaluates the record
as it stood at that moment (and a second earlier, without the version recorded then)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from monitor.app import App
from monitor.views.times import person_time, person_time_of, read_moment
from tests.helpers import monitor, status_json, write_roster

ROWS = ("NMG-1,赤峰市集群,nmg-sme-draft,2023-10-15,赤峰市,运营,op@example.cn,,,",)
#: history's line: the time as a person reads it, two spaces, who, what
LINE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})  (\S+)\s+(.*)$")


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path) -> Path:
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file).exit_code == 0
    return config_file


def at(monkeypatch: pytest.MonkeyPatch, now: str) -> None:
    monkeypatch.setenv("MONITOR_NOW", now)
    monkeypatch.setattr("monitor.clock._offsets", [])


def ok(config: Path, *args: str) -> str:
    result = monitor(*args, config=config)
    assert result.exit_code == 0, result.output
    return result.stdout


def evaluation(config: Path, known_at: str) -> list[tuple[str, str, object]]:
    [cluster] = status_json(config, "--as-of", "2025-04-01", "--known-at", known_at)["clusters"]
    return [(o["key"], o["state"], o["done_on"]) for o in cluster["obligations"]]


def test_every_time_history_prints_is_the_moment_known_at_replays(roster: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, "2026-11-01T10:00:00.400+08:00")
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    at(monkeypatch, "2026-11-10T23:30:00.700+08:00")        # the 10th in Beijing, the 10th in UTC too
    ok(roster, "amend", "1", "--filed-on", "2025-03-20", "--reason", "late after all")
    at(monkeypatch, "2026-11-23T07:15:09.900+08:00")        # the 23rd in Beijing, the 22nd in UTC
    ok(roster, "retract", "2", "--reason", "recorded in error")
    at(monkeypatch, "2026-12-01T09:00+08:00")
    lines = ok(roster, "history", "NMG-1").splitlines()[1:]
    times = [found.group(1) for found in map(LINE.match, lines) if found is not None]
    assert times == ["2026-11-01 10:00:00+08:00", "2026-11-10 23:30:00+08:00", "2026-11-23 07:15:09+08:00"], lines
    states = []
    for printed in times:
        states.append(evaluation(roster, printed))
        before = (dt.datetime.fromisoformat(printed) - dt.timedelta(seconds=1)).isoformat(sep=" ")
        assert evaluation(roster, before) != states[-1], printed     # a version was recorded in that second
        # the record as it stood then is the history cut there: the printed time's own line is its last
        replayed = ok(roster, "history", "NMG-1", "--known-at", printed).splitlines()
        assert replayed[0].endswith(f"as the record stood at {printed}"), replayed[0]
        assert replayed[-1].startswith(printed), replayed
    reports = [[s for s in state if s[0] == "annual_report:2024"] for state in states]
    assert reports == [[("annual_report:2024", "done", "2025-03-01")], [("annual_report:2024", "late", "2025-03-20")],
                       [("annual_report:2024", "overdue", None)]]    # the amendment retracted: nothing in force
    # the same moments in UTC with Z, and the same moments without an offset (the configured zone's)
    for printed, state in zip(times, states, strict=True):
        moment = dt.datetime.fromisoformat(printed)
        assert evaluation(roster, moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")) == state
        assert evaluation(roster, printed[:19]) == state


def test_a_person_reads_the_configured_zone_with_its_offset() -> None:
    moment = dt.datetime(2026, 11, 22, 23, 15, 9, 900000, tzinfo=dt.UTC)
    assert person_time(moment, "Asia/Shanghai") == "2026-11-23 07:15:09+08:00"
    assert person_time(moment, "Asia/Urumqi") == "2026-11-23 05:15:09+06:00"
    assert person_time(moment.replace(tzinfo=None), "Asia/Shanghai") == "2026-11-23 07:15:09+08:00"   # stored UTC
    assert person_time_of("2026-11-23T08:30:00+08:00") == "2026-11-23 08:30:00+08:00"   # the daemon's marks
    assert person_time_of(None) is None


@pytest.mark.parametrize(("typed", "means"), [
    ("2026-11-23 07:15:09+08:00", "2026-11-23T07:15:09.999999+08:00"),
    ("2026-11-22T23:15:09Z", "2026-11-22T23:15:09.999999+00:00"),
    ("2026-11-23T07:15+08:00", "2026-11-23T07:15:59.999999+08:00"),
    ("2026-11-23T07:15:09.5+08:00", "2026-11-23T07:15:09.500000+08:00"),
    ("2026-11-23T07:15:09", "2026-11-23T07:15:09.999999"),
    ("2026-11-23", "2026-11-23T23:59:59.999999"),
])
def test_known_at_reads_a_moment_as_the_whole_unit_written(typed: str, means: str) -> None:
    assert read_moment(typed) == dt.datetime.fromisoformat(means)


def test_known_at_says_what_it_takes(roster: Path) -> None:
    bad = monitor("history", "NMG-1", "--known-at", "23 Nov 2026", config=roster)
    assert bad.exit_code == 2 and "not a timestamp" in bad.stderr
