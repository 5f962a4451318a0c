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
    # 2027 is not in the official data: 元旦 (a Friday) is still a holiday, and the note says 调休 is unknown
    result = monitor("workdays", "add", "2026-12-31", "1", config=in_chinese(config_file))
    assert result.output.splitlines() == [
        "2027-01-04（周一）", "  * 2027年调休安排尚未收录：已按法定节假日推算，调休未计入，请核对国务院办公厅通知"]
    english = monitor("workdays", "add", "2027-09-30", "1", config=config_file).output
    assert english.startswith("2027-10-04 (Mon)") and "adjusted working days (调休) are not yet known" in english
    configured = tmp_path / "holidays.toml"
    configured.write_text("[calendar]\nholidays = [2027-01-04]\nworkdays = [2027-01-02]\n", encoding="utf-8")
    result = monitor("workdays", "add", "2026-12-31", "1", config=configured)
    assert result.output.startswith("2027-01-02（周六）") and "按法定节假日及配置的节假日、调休推算" in result.output
    assert monitor("workdays", "add", "2027-01-02", "1", config=configured).output.startswith("2027-01-05（周二）")


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ("error: {config}: calendar.workdays: 2027-10-02 is a statutory holiday (National Day, "
            "《全国年节及纪念日放假办法》) and cannot be a working day")),
    ("zh", "错误：{config}：calendar.workdays：2027-10-02 是法定节假日（国庆节，《全国年节及纪念日放假办法》），不能设为工作日"),
])
def test_config_cannot_make_a_statutory_holiday_a_working_day(tmp_path: Path, lang: str, expected: str) -> None:
    config = tmp_path / "calendar.toml"
    config.write_text(f'[general]\nlanguage = "{lang}"\n[calendar]\nworkdays = [2027-09-26, 2027-10-02]\n',
                      encoding="utf-8")
    result = monitor("workdays", "add", "2027-09-30", "1", config=config)
    assert result.exit_code == 2
    assert result.output.splitlines() == [expected.format(config=config)]
    config.write_text("[calendar]\nworkdays = [2026-02-17]\n", encoding="utf-8")   # 春节 in the official data too
    assert "2026-02-17 是法定节假日（春节" in monitor("status", config=config).output
    config.write_text("[calendar]\nworkdays = [2027-09-26]\n", encoding="utf-8")   # a 调休 Sunday is fine
    assert monitor("workdays", "add", "2027-09-25", "1", config=config).output.startswith("2027-09-26（周日）")


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
