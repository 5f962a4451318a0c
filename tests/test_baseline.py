"""The baseline end to end (issue 26, item 2): `monitor import --from D` stores it for every process, status
counts what stays unrecorded (table and JSON), `template --backfill` writes it as a facts file, and
`monitor import-facts` reads the sheet back filled in and settles it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.models import ReminderRow
from db.session import transaction
from jobs.scan import scan
from monitor.app import App
from tests.helpers import in_chinese, monitor, status_json, write_roster

# certified 2021-07-10: valid until 2024-07-09 (nothing recorded), reports on 2021-2023 due each March 10
ROWS = ("NMG-1,呼和浩特集群,nmg-sme-draft,2021-07-10,呼和浩特市,运营,op@example.cn,bureau@example.gov.cn,,",)
NOW = "2026-12-07T09:00:00+08:00"


@pytest.fixture
def roster(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MONITOR_NOW", NOW)
    return write_roster(tmp_path / "roster.csv", *ROWS)


def _states(cluster: dict[str, Any]) -> dict[str, str]:
    return {o["key"]: o["state"] for o in cluster["obligations"]}


def _sheet(path: Path) -> list[list[Any]]:
    book = load_workbook(path)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _fill(path: Path, rows: list[list[Any]]) -> None:
    book = load_workbook(path)
    sheet = book.worksheets[0]
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    book.save(path)


def test_day_one_is_not_red_and_the_backfill_sheet_settles_it(app: App, config_file: Path, roster: Path,
                                                              tmp_path: Path) -> None:
    assert monitor("import", str(roster), config=config_file).exit_code == 0
    [red] = status_json(config_file)["clusters"]
    assert {w["code"] for w in red["warnings"]} >= {"validity_expired", "annual_report_overdue"}
    assert red["unrecorded"] == 0

    result = monitor("import", str(roster), "--from", "2026-12-01", config=config_file)
    assert result.exit_code == 0, result.output
    assert "baseline (监测起始日) 2026-12-01" in result.stdout
    data = status_json(config_file)
    [cluster] = data["clusters"]
    assert cluster["warnings"] == []
    assert _states(cluster) == {"renewal_review:2024-07-09": "unrecorded", "annual_report:2021": "unrecorded",
                                "annual_report:2022": "unrecorded", "annual_report:2023": "unrecorded"}
    assert (cluster["unrecorded"], data["unrecorded"], data["monitoring_from"]) == (4, 4, "2026-12-01")
    table = monitor("status", config=config_file)
    assert "unrecorded (due before the baseline, no fact recorded): 4 obligations of 1 clusters" in table.stdout
    chinese = monitor("status", config=in_chinese(config_file))
    assert "历史事项未登记 4 项（1个集群" in chinese.stdout

    sheet = tmp_path / "backfill.xlsx"
    written = monitor("template", "--backfill", str(sheet), config=config_file)
    assert written.exit_code == 0, written.output
    assert "4 unrecorded obligations" in written.stdout
    rows = _sheet(sheet)
    assert rows[0] == ["cluster", "fact", "year", "filed_on", "change_kind", "changed_on", "result", "ground", "on",
                       "dismissed_on", "note", "obligation", "was due"]
    assert [(r[0], r[1], r[2], r[3], r[6], r[8]) for r in rows[1:]] == [
        ("NMG-1", "report", 2021, None, None, None), ("NMG-1", "report", 2022, None, None, None),
        ("NMG-1", "report", 2023, None, None, None), ("NMG-1", "review", None, None, None, None)]

    # read back unfilled: refused whole, the row named, nothing stored
    unfilled = monitor("import-facts", str(sheet), config=config_file)
    assert unfilled.exit_code == 2 and "line 2" in unfilled.stderr
    assert status_json(config_file)["unrecorded"] == 4

    rows[1][3], rows[2][3], rows[3][3] = dt.date(2022, 3, 1), dt.date(2023, 3, 1), dt.date(2024, 3, 20)
    rows[4][6], rows[4][8] = "pass", dt.date(2024, 6, 1)
    _fill(sheet, rows)
    read_back = monitor("import-facts", str(sheet), config=config_file)
    assert read_back.exit_code == 0, read_back.output
    assert read_back.stdout == "imported backfill.xlsx: 4 added, 0 filled in, 0 already recorded\n"
    [cluster] = status_json(config_file)["clusters"]
    states = _states(cluster)
    # back-filled late: its warning stands (the report itself, due over a year ago, is no longer listed)
    assert {w["key"] for w in cluster["warnings"]} == {"annual_report_late:2023"}
    assert "annual_report:2023" not in states
    assert cluster["valid_until"] == "2027-07-09"
    # renewed, the cluster owed the reports on 2024 and 2025 too (due before the baseline): the next round
    assert (states["annual_report:2024"], states["annual_report:2025"]) == ("unrecorded", "unrecorded")
    assert cluster["unrecorded"] == 2
    monitor("template", "--backfill", str(sheet), config=config_file)
    rows = _sheet(sheet)
    assert [r[2] for r in rows[1:]] == [2024, 2025]
    rows[1][3], rows[2][3] = dt.date(2025, 3, 1), dt.date(2026, 3, 1)
    _fill(sheet, rows)
    assert monitor("import-facts", str(sheet), config=config_file).exit_code == 0
    data = status_json(config_file)
    assert data["unrecorded"] == 0
    assert "unrecorded" not in monitor("status", config=config_file).stdout


def test_the_backfill_sheet_in_chinese(app: App, config_file: Path, roster: Path, tmp_path: Path) -> None:
    chinese = in_chinese(config_file)
    assert monitor("import", str(roster), "--from", "2026-12-01", config=chinese).exit_code == 0
    sheet = tmp_path / "补登.xlsx"
    assert monitor("template", "--backfill", str(sheet), config=chinese).exit_code == 0
    rows = _sheet(sheet)
    assert rows[0][:4] == ["集群编号", "事项", "年度", "报送日期"] and rows[0][-2:] == ["应办事项", "原到期日"]
    assert rows[1][:3] == ["NMG-1", "年度报告", 2021]
    assert rows[1][-1] == dt.datetime(2022, 3, 10)
    rows = [rows[0], rows[1]]
    rows[1][3] = dt.date(2022, 3, 1)
    book = load_workbook(sheet)
    book.worksheets[0].delete_rows(3, 10)       # the rows not filled yet are deleted
    book.save(sheet)
    _fill(sheet, rows)
    assert monitor("import-facts", str(sheet), config=chinese).exit_code == 0
    assert status_json(config_file)["unrecorded"] == 3


def test_config_wins_and_a_different_from_is_refused(app: App, config_file: Path, roster: Path) -> None:
    config_file.write_text(config_file.read_text(encoding="utf-8") + "monitoring_from = 2026-11-01\n",
                           encoding="utf-8")
    refused = monitor("import", str(roster), "--from", "2026-12-01", config=config_file)
    assert refused.exit_code == 2
    assert "config.toml sets general.monitoring_from = 2026-11-01, which wins" in refused.stderr
    assert status_json(config_file)["clusters"] == []          # nothing stored: one transaction
    assert monitor("import", str(roster), "--from", "2026-11-01", config=config_file).exit_code == 0
    assert status_json(config_file)["monitoring_from"] == "2026-11-01"
    future = monitor("import", str(roster), "--from", "2026-12-08", config=config_file)
    assert future.exit_code == 2 and "after today" in future.stderr


def _reminders(app: App) -> set[str]:
    with transaction(app.sessions) as session:
        return set(session.execute(select(ReminderRow.subject)).scalars())


def test_the_daemons_scan_owes_no_reminder_of_what_is_unrecorded(app: App, config_file: Path, roster: Path) -> None:
    day, now = dt.date(2026, 12, 7), dt.datetime(2026, 12, 7, 1, tzinfo=dt.UTC)
    assert monitor("import", str(roster), "--from", "2026-12-01", config=config_file).exit_code == 0
    with transaction(app.sessions) as session:
        assert scan(app, session, day, now, watching=True).reminders == 0
        session.rollback()
    assert monitor("import", str(roster), "--from", "2024-01-01", config=config_file).exit_code == 0
    with transaction(app.sessions) as session:
        scan(app, session, day, now, watching=True)     # the daemon's first scan: the watch list is filled
    owed = _reminders(app)
    assert "annual_report:2023" in owed and "annual_report:2022" not in owed
    assert monitor("import", str(roster), "--from", "2026-12-01", config=config_file).exit_code == 0
    with transaction(app.sessions) as session:
        result = scan(app, session, day + dt.timedelta(days=1), now, incremental=True)
    assert result.clusters == 1         # setting the baseline emptied the watch list: evaluated again
    assert result.reminders == 0


def test_a_reminder_recorded_before_the_baseline_is_not_sent(app: App, config_file: Path, roster: Path,
                                                             tmp_path: Path) -> None:
    day, now = dt.date(2026, 12, 7), dt.datetime(2026, 12, 7, 1, tzinfo=dt.UTC)
    assert monitor("import", str(roster), config=config_file).exit_code == 0
    with transaction(app.sessions) as session:
        assert scan(app, session, day, now).reminders > 0
    before = monitor("digest", "--preview", str(tmp_path / "before"), config=config_file)
    assert before.exit_code == 0 and list((tmp_path / "before").glob("*.eml"))
    assert monitor("import", str(roster), "--from", "2026-12-01", config=config_file).exit_code == 0
    after = monitor("digest", "--preview", str(tmp_path / "after"), config=config_file)
    assert after.exit_code == 0, after.output
    assert after.stdout.startswith("0 messages")       # each pending delivery is obsolete: nothing is open


def test_the_calendar_keeps_an_unrecorded_event_without_alarms_and_moves_it_on(app: App, config_file: Path,
                                                                               roster: Path) -> None:
    import vobject

    def events() -> dict[str, Any]:
        result = monitor("calendar", config=config_file)
        assert result.exit_code == 0, result.output
        return {e.uid.value: e for e in vobject.readOne(result.stdout).vevent_list}

    assert monitor("import", str(roster), config=config_file).exit_code == 0
    before = events()
    uid = "NMG-1/annual_report:2023@monitor"
    assert before[uid].sequence.value == "1"                        # overdue
    assert "overdue-today@monitor" in before
    assert monitor("import", str(roster), "--from", "2026-12-01", config=config_file).exit_code == 0
    after = events()
    assert set(after) == set(before) - {"overdue-today@monitor"}     # nothing overdue is left to count today
    assert after[uid].sequence.value == "2" and "unrecorded" in after[uid].summary.value
    assert not after[uid].contents.get("valarm")
