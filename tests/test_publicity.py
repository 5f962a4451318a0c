"""`monitor workdays add` and `monitor publicity`: 公示5个工作日 on the official calendar, 2026 holiday edges."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import App
from tests.helpers import in_chinese, monitor, status_json


@pytest.mark.parametrize(("start", "count", "expected"), [
    ("2026-09-30", 1, "2026-10-08 (Thu)"),     # National Day: 10-01 to 10-07 off
    ("2026-09-18", 1, "2026-09-20 (Sun)"),     # an adjusted working Sunday (调休) before it
    ("2026-10-09", 1, "2026-10-10 (Sat)"),     # and the adjusted Saturday after it
    ("2026-02-13", 1, "2026-02-14 (Sat)"),     # Spring Festival: the working Saturday before it
    ("2026-02-14", 1, "2026-02-24 (Tue)"),     # 02-15 to 02-23 off
    ("2026-02-24", 4, "2026-02-28 (Sat)"),     # the working Saturday after it
])
def test_workdays_add_follows_the_2026_holiday_notice(config_file: Path, start: str, count: int,
                                                      expected: str) -> None:
    result = monitor("workdays", "add", start, str(count), config=config_file)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_workdays_add_says_when_the_year_is_not_in_the_official_calendar(config_file: Path, tmp_path: Path) -> None:
    assert "仅按周末推算" in monitor("workdays", "add", "2026-12-31", "1", config=in_chinese(config_file)).output
    configured = tmp_path / "holidays.toml"
    configured.write_text("[calendar]\nholidays = [2027-01-01]\n", encoding="utf-8")
    result = monitor("workdays", "add", "2026-12-31", "1", config=configured)
    assert result.output.startswith("2027-01-04（周一）") and "按配置的节假日推算" in result.output


def test_publicity_counts_its_first_day_and_cites_the_articles(config_file: Path) -> None:
    result = monitor("publicity", "2026-09-28", config=config_file)
    assert result.exit_code == 0, result.output
    # 09-28, 09-29, 09-30, (National Day), 10-08, 10-09
    assert result.output.splitlines()[0].startswith("2026-09-28 + 5 working days: ends 2026-10-09 (Fri)")
    assert "nmg-sme-draft 第十条" in result.output and "xj-amc 第七条（三）" in result.output
    assert "ends 2026-10-02" not in monitor("publicity", "2026-09-28", "--days", "3", config=config_file).output
    assert monitor("workdays", "add", "2026-09-28", "0", config=config_file).exit_code == 2


def test_status_shows_when_a_recorded_publicity_ends(app: App, config_file: Path, tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("id,name,regime,certified_on,publicity_start\n"
                      "NMG-1,甲,nmg-sme-draft,2026-10-20,2026-09-28\n"
                      "MIIT-1,乙,miit-sme-2022,2026-10-20,2026-09-28\n", encoding="utf-8")
    assert monitor("import", str(roster), config=config_file).exit_code == 0
    clusters = {c["id"]: c for c in status_json(config_file, "--as-of", "2026-11-01")["clusters"]}
    assert clusters["NMG-1"]["publicity"] == {"start": "2026-09-28", "end": "2026-10-09", "basis": "第十条",
                                              "calendar": None}
    assert clusters["MIIT-1"]["publicity"] is None    # the national measures set no working-day period
    during = monitor("status", "--as-of", "2026-10-09", config=in_chinese(config_file))
    assert "公示 NMG-1：2026-09-28起，2026-10-09止（第十条）" in during.stdout
    assert "公示" not in monitor("status", "--as-of", "2026-10-10", config=in_chinese(config_file)).stdout
