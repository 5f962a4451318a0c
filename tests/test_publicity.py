"""`monitor workdays add` and `monitor publicity`: 公示5个工作日 on the official calendar, 2026 holiday edges, the
statutory holidays of 2027, and each regime's own period (docs/rules.md, sections 3 and 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import App
from monitor.rules.packs import Pack
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
    result = monitor("publicity", "2026-09-28", "--regime", "nmg-sme-draft", config=config_file)
    assert result.exit_code == 0, result.output
    # 09-28, 09-29, 09-30, (National Day), 10-08, 10-09
    assert result.output.splitlines() == [
        "2026-09-28 + 5 working days: ends 2026-10-09 (Fri); objections are due by then", "basis: nmg-sme-draft 第十条"]
    by_hand = monitor("publicity", "2026-09-28", "--days", "3", config=config_file)
    assert by_hand.output.splitlines() == ["2026-09-28 + 3 working days: ends 2026-09-30 (Wed); objections are due by then"]
    assert monitor("workdays", "add", "2026-09-28", "0", config=config_file).exit_code == 2


def test_publicity_without_a_regime_says_each_regimes_end(config_file: Path) -> None:
    result = monitor("publicity", "2026-09-28", config=config_file)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ah-amc-2024: 2026-09-28 + 5 working days (第十条（三）): ends 2026-10-09 (Fri)",
        "nmg-amc-2025: 2026-09-28 + 5 working days (第九条): ends 2026-10-09 (Fri)",
        "nmg-sme-draft: 2026-09-28 + 5 working days (第十条): ends 2026-10-09 (Fri)",
        "xj-amc: 2026-09-28 + 5 working days (第七条（三）): ends 2026-10-09 (Fri)",
        "without a publicity period: miit-sme-2022",
    ]
    # a year the official data lacks: the note once, under the lines (2027-10-01 to 03 are statutory holidays)
    later = monitor("publicity", "2027-09-28", config=in_chinese(config_file)).output.splitlines()
    assert later[2] == "nmg-sme-draft：2027-09-28 起 5 个工作日（第十条）：2027-10-05（周二）结束 *1"
    assert later[4:] == ["规则包未规定公示期：miit-sme-2022",
                         "*1 2027年调休安排尚未收录：已按法定节假日推算，调休未计入，请核对国务院办公厅通知"]


def test_a_pack_of_seven_working_days_is_honoured(app: App, tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "gd-amc-2026.toml").write_text(
        'id = "gd-amc-2026"\ntitle = "广东试行办法"\ndocument = "粤工信〔2026〕1号"\n'
        '[incidents]\nnotice_basis = "第九条"\n[publicity]\nworking_days = 7\nbasis = "第六条"\n', encoding="utf-8")
    config = tmp_path / "seven.toml"
    config.write_text(f'[general]\nlanguage = "en"\npacks_dir = "{packs}"\n'
                      '[pack_overrides."ah-amc-2024".publicity]\nworking_days = 7\n', encoding="utf-8")
    lines = monitor("publicity", "2026-09-28", config=config).output.splitlines()
    # 09-28 to 09-30, 10-08, 10-09, 10-10 (an adjusted working Saturday), 10-12
    assert lines[0] == "ah-amc-2024: 2026-09-28 + 7 working days (第十条（三）): ends 2026-10-12 (Mon)"
    assert lines[1] == "gd-amc-2026: 2026-09-28 + 7 working days (第六条): ends 2026-10-12 (Mon)"
    assert lines[2] == "nmg-amc-2025: 2026-09-28 + 5 working days (第九条): ends 2026-10-09 (Fri)"
    one = monitor("publicity", "2026-09-28", "--regime", "gd-amc-2026", config=config).output.splitlines()
    assert one == ["2026-09-28 + 7 working days: ends 2026-10-12 (Mon); objections are due by then",
                   "basis: gd-amc-2026 第六条"]
    roster = tmp_path / "r.csv"
    roster.write_text("id,name,regime,certified_on,publicity_start\n"
                      "GD-1,甲,gd-amc-2026,2026-10-20,2026-09-28\n", encoding="utf-8")
    assert monitor("import", str(roster), config=config).exit_code == 0
    [cluster] = status_json(config, "--as-of", "2026-11-01")["clusters"]
    assert cluster["publicity"] == {"start": "2026-09-28", "end": "2026-10-12", "basis": "第六条", "calendar": None}


@pytest.mark.parametrize(("args", "expected"), [
    (("--regime", "gd-amc"), ("error: regime 'gd-amc' is not loaded (known: ah-amc-2024, miit-sme-2022, "
                             "nmg-amc-2025, nmg-sme-draft, xj-amc)")),
    (("--regime", "miit-sme-2022"), ("error: regime 'miit-sme-2022' has no publicity period in its pack: give "
                                    "--days N to count one")),
    (("--regime", "nmg-sme-draft", "--days", "5"), ("error: give --regime or --days, not both: --days N counts "
                                                   "N working days whatever the regime")),
])
def test_publicity_refuses_in_one_line(config_file: Path, args: tuple[str, ...], expected: str) -> None:
    result = monitor("publicity", "2026-09-28", *args, config=config_file)
    assert result.exit_code == 2
    assert result.output.splitlines() == [expected]


def test_publicity_with_no_regime_that_has_a_period_asks_for_days(config_file: Path, packs: dict[str, Pack],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.app.load_packs", lambda *_: {"miit-sme-2022": packs["miit-sme-2022"]})
    result = monitor("publicity", "2026-09-28", config=config_file)
    assert (result.exit_code, result.output) == (2, "error: no loaded regime has a publicity period: give --days N\n")
    assert monitor("publicity", "2026-09-28", "--days", "5", config=config_file).exit_code == 0


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
