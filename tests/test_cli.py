"""The command line through click's CliRunner: docs/interface.md's names, shapes and exit codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from db.models import FactRow
from monitor.actions.record import Recorder
from monitor.actions.roster_import import import_roster
from monitor.app import App
from monitor.cli import cli
from tests.helpers import in_chinese, monitor, status_json, write_roster

ROWS = (
    "MIIT-1,国家集群,miit-sme-2022,2023-10-15,包头市,运营,op@example.cn,bureau@example.gov.cn,2023,",
    "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,乌兰察布市,运营,op2@example.cn,,,",
    "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,",
)


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path) -> Path:
    result = monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file)
    assert result.exit_code == 0, result.output
    return config_file


def rows(app: App, model: type) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_record_report_and_status_json(app: App, roster: Path) -> None:
    result = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-12", config=roster)
    assert (result.exit_code, result.stdout) == (0, "NMG-1: recorded fact 1: the report on 2024, filed 2025-03-12\n")
    again = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-12", config=roster)
    assert again.exit_code == 0
    assert "already recorded" in again.stdout
    assert rows(app, FactRow) == 1
    [cluster] = status_json(roster, "--as-of", "2025-04-01", "--cluster", "NMG-1")["clusters"]
    reports = {o["year"]: o for o in cluster["obligations"] if o["kind"] == "annual_report"}
    assert reports[2024] == {"kind": "annual_report", "year": 2024, "due": "2025-03-10", "state": "late",
                             "days_left": -22, "basis": "第十二条", "done_on": "2025-03-12", "key": "annual_report:2024"}
    codes = {w["code"]: w for w in cluster["warnings"]}
    assert codes["annual_report_late"]["severity"] == "risk"
    assert codes["annual_report_overdue"]["message"] == "the report on 2023 is overdue (due 2024-03-10)"


def test_change_filing_fills_in(app: App, roster: Path) -> None:
    first = monitor("record", "change", "NMG-1", "--kind", "operator", "--changed-on", "2025-01-31", config=roster)
    assert first.exit_code == 0
    later = monitor("record", "change", "NMG-1", "--kind", "operator", "--changed-on", "2025-01-31",
                    "--filed-on", "2025-02-28", config=roster)
    assert later.stdout == ("NMG-1: recorded fact 2: the operator change of 2025-01-31, filed 2025-02-28 "
                            "(fills in fact 1)\n")
    assert rows(app, FactRow) == 2      # the change, then its version with the filing
    [cluster] = status_json(roster, "--as-of", "2025-03-01", "--cluster", "NMG-1")["clusters"]
    [change] = [o for o in cluster["obligations"] if o["kind"] == "change_filing"]
    assert change["due"] == "2025-02-28"
    assert change["state"] == "done"
    assert change["change_kind"] == "operator"


@pytest.mark.parametrize(("args", "message"), [
    (("record", "report", "NOPE", "--year", "2024", "--filed-on", "2025-03-01"), "unknown cluster 'NOPE'"),
    (("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-02-30"), "'2025-02-30' is not a date"),
    (("record", "report", "AH-1", "--year", "2024", "--filed-on", "2025-03-01"), "has no annual report rule"),
    (("record", "change", "NMG-1", "--kind", "operator", "--changed-on", "2025-03-01", "--filed-on", "2025-02-01"),
     "--filed-on 2025-02-01 is before the change on 2025-03-01"),
    (("record", "assessment", "NMG-1", "--year", "2024", "--result", "fail"), "has no assessment rule"),
    (("record", "review", "AH-1", "--result", "pass", "--on", "2025-01-01"), "has no validity or renewal review rule"),
    (("record", "review", "NMG-1", "--result", "maybe", "--on", "2025-01-01"), "'maybe' is not one of"),
    (("record", "revocation", "NMG-1", "--on", "2099-01-01"), "is in the future"),
    (("record", "incident", "NMG-1", "--ground", "arson", "--on", "2025-01-01"), "'arson' is not one of"),
])
def test_bad_facts_exit_2_with_one_line_and_store_nothing(app: App, roster: Path, args: tuple[str, ...],
                                                          message: str) -> None:
    result = monitor(*args, config=roster)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 or "Usage:" in result.stderr
    assert rows(app, FactRow) == 0


def test_a_contradicting_fact_is_refused(app: App, roster: Path) -> None:
    monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01", config=roster)
    result = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-02", config=roster)
    assert result.exit_code == 2
    assert result.stderr == ("error: NMG-1: fact 1 records the report on 2024, filed 2025-03-01, not the report on "
                             "2024, filed 2025-03-02: to correct it, `monitor amend 1 … --reason …`\n")


def test_facts_are_stamped_with_who_and_when(app: App, roster: Path) -> None:
    monitor("record", "incident", "NMG-1", "--ground", "violation", "--on", "2025-05-01", "--note", "环保处罚",
            config=roster)
    with app.sessions() as session:
        incident = session.scalars(select(FactRow)).one()
        assert incident.recorded_by == "tester"
        assert incident.recorded_at is not None
        assert incident.note == "环保处罚"


def test_incident_dismissal_and_revocation(app: App, roster: Path) -> None:
    monitor("record", "incident", "AH-1", "--ground", "violation", "--on", "2025-05-01", config=roster)
    [cluster] = status_json(roster, "--as-of", "2025-05-02", "--cluster", "AH-1")["clusters"]
    assert [(w["code"], w["severity"], w["basis"]) for w in cluster["warnings"]] == [
        ("incident", "revocation", "第十四条")]
    monitor("record", "incident", "AH-1", "--ground", "violation", "--on", "2025-05-01", "--dismissed-on",
            "2025-06-01", config=roster)
    assert status_json(roster, "--as-of", "2025-06-01", "--cluster", "AH-1")["clusters"][0]["warnings"] == []
    monitor("record", "revocation", "AH-1", "--on", "2025-07-01", "--note", "皖工信〔2025〕1号", config=roster)
    assert status_json(roster, "--as-of", "2025-07-01", "--cluster", "AH-1")["clusters"][0]["state"] == "revoked"


def test_assessments_through_the_cli(app: App, roster: Path) -> None:
    for year in ("2024", "2025"):
        assert monitor("record", "assessment", "AH-1", "--year", year, "--result", "fail",
                       config=roster).exit_code == 0
    [cluster] = status_json(roster, "--as-of", "2026-01-01", "--regime", "ah-amc-2024")["clusters"]
    [warning] = cluster["warnings"]
    assert warning["code"] == "assessment_failed_consecutive"
    assert warning["message"] == "failed the assessment 2 years running (2024, 2025): a ground for revocation"


def test_status_orders_most_urgent_first_and_filters(app: App, roster: Path) -> None:
    data = status_json(roster, "--as-of", "2024-05-01")
    assert data["as_of"] == "2024-05-01"
    assert [c["id"] for c in data["clusters"]] == ["NMG-1", "MIIT-1", "AH-1"]  # 52 days overdue before 1
    assert [c["id"] for c in status_json(roster, "--as-of", "2024-05-01", "--regime", "ah-amc-2024")["clusters"]] \
        == ["AH-1"]
    unknown = monitor("status", "--cluster", "NOPE", config=roster)
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: unknown cluster 'NOPE': `monitor status` lists the known ones\n"
    assert "regime 'nope' is not loaded" in monitor("status", "--regime", "nope", config=roster).stderr


def test_status_lists_open_and_recent_obligations_only(app: App, roster: Path) -> None:
    for year, filed in (("2023", "2024-03-01"), ("2024", "2025-03-01")):
        monitor("record", "report", "NMG-1", "--year", year, "--filed-on", filed, config=roster)
    listed = status_json(roster, "--as-of", "2025-03-09", "--cluster", "NMG-1")["clusters"][0]["obligations"]
    assert [o["key"] for o in listed if o["kind"] == "annual_report"] == ["annual_report:2023", "annual_report:2024"]
    later = status_json(roster, "--as-of", "2025-03-11", "--cluster", "NMG-1")["clusters"][0]["obligations"]
    assert [o["key"] for o in later if o["kind"] == "annual_report"] == ["annual_report:2024"]


def test_status_table_for_people(app: App, roster: Path) -> None:
    result = monitor("status", "--as-of", "2024-05-01", config=in_chinese(roster))
    assert result.exit_code == 0
    out = result.stdout
    assert "2024-05-01 动态管理状态" in out
    assert out.index("NMG-1") < out.index("MIIT-1") < out.index("AH-1")
    assert "共3个集群：有效3个，已到期0个，已撤销0个；警示：撤销情形2项，风险0项，提示0项" in out.replace("\n", "")


def test_status_in_english(app: App, tmp_path: Path, roster: Path) -> None:
    english = tmp_path / "en.toml"
    english.write_text('[general]\nlanguage = "en"\n', encoding="utf-8")
    data = status_json(english, "--as-of", "2024-05-01", "--cluster", "NMG-1")
    assert data["clusters"][0]["warnings"][0]["message"] == "the report on 2023 is overdue (due 2024-03-10)"
    assert "3 clusters: 3 in force" in monitor("status", "--as-of", "2024-05-01", config=english).stdout


def test_calendar_note_next_to_dates_it_affects(app: App, config_file: Path, tmp_path: Path) -> None:
    config_file = in_chinese(config_file)
    roster = write_roster(tmp_path / "r.csv", "NMG-9,新集群,nmg-sme-draft,2030-06-01,,,,,,")
    with app.sessions() as session, session.begin():   # imported in 2030: a certification at most a year ahead
        import_roster(session, roster, app.packs, "t", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    with app.sessions() as session, session.begin():
        Recorder(session, app.packs, "t", dt.datetime.now(dt.UTC), dt.date(2031, 12, 31)).change(
            "NMG-9", "operator", dt.date(2031, 2, 5), None)
    [cluster] = status_json(config_file, "--as-of", "2031-02-06")["clusters"]
    [change] = [o for o in cluster["obligations"] if o["kind"] == "change_filing"]
    assert (change["due"], change["calendar"]) == ("2031-03-05", "statutory")
    assert change["calendar_note"] == "2031年调休安排尚未收录：已按法定节假日推算，调休未计入，请核对国务院办公厅通知"
    table = monitor("status", "--as-of", "2031-02-06", "--wide", config=config_file).stdout
    lines = table.splitlines()
    assert lines[:4] == [
        "2031-02-06 动态管理状态",
        ("编号   集群    办法           状态  有效期至    下一事项                               确认/暂停键"
        "                        警示"),
        ("NMG-9  新集群  nmg-sme-draft  有效  2033-05-31  重大变动备案 2031-03-05 (剩余27天) *1  "
        "change_filing:operator:2031-02-05  —"),
        "*1 2031年调休安排尚未收录：已按法定节假日推算，调休未计入，请核对国务院办公厅通知",
    ]
    assert lines[4:6] == ["共1个集群：有效1个，已到期0个，已撤销0个；警示：撤销情形0项，风险0项，提示0项",
                          "守护进程：未运行；上次扫描 从未，上次摘要 从未；待发送 0 项（重试中邮件 0 封），发送失败 0 项"]
    assert lines[6].startswith("数据库：") and len(lines) == 7
    [overdue] = status_json(config_file, "--as-of", "2031-03-06")["clusters"][0]["warnings"]
    assert (overdue["code"], overdue["calendar"]) == ("change_filing_overdue", "statutory")


def test_regimes_lists_every_pack_with_articles(roster: Path) -> None:
    out = monitor("regimes", config=roster).stdout
    for regime in ("miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"):
        assert regime in out
    assert "annual report: due 03-10 each year, by the 盟市工信局 (第十二条)" in out
    assert "batch 2024: 工信部企业函〔2024〕267号: 3 years, reports due 03-31" in out


def test_regimes_names_the_reporter_as_its_measure_does(tmp_path: Path) -> None:
    """``reporter_label`` where the pack gives it (the Inner Mongolian packs: 盟市工信局), else a neutral word."""
    packs = tmp_path / "packs"
    packs.mkdir()
    text = ('id = "{id}"\ntitle = "t"\ndocument = "d"\n[annual_report]\ndue = "05-31"\nreporter = "bureau"\n{label}'
            'basis = "第八条"\noverdue_severity = "risk"\noverdue_basis = "第八条"\n[incidents]\nnotice_basis = "第九条"\n')
    (packs / "gd-a.toml").write_text(text.format(id="gd-a", label='reporter_label = "地市工业和信息化局"\n'),
                                     encoding="utf-8")
    (packs / "gd-b.toml").write_text(text.format(id="gd-b", label=""), encoding="utf-8")
    expected = {     # by language: the annual report's line of gd-a, gd-b, miit-sme-2022 and nmg-amc-2025
        "zh": ("  年度报告：每年5月31日前由地市工业和信息化局报送（第八条）；逾期：风险（第八条）",
               "  年度报告：每年5月31日前由地方工业和信息化主管部门报送（第八条）；逾期：风险（第八条）",
               "  年度报告：每年4月30日前由集群报送（第十六条）；逾期：撤销情形（第十七条（三））",
               "  年度报告：每年3月31日前由盟市工业和信息化局报送（第十一条）；逾期：风险（第十一条）"),
        "en": ("  annual report: due 05-31 each year, by the 地市工业和信息化局 (第八条); overdue: risk (第八条)",
               "  annual report: due 05-31 each year, by the local industry bureau (第八条); overdue: risk (第八条)",
               "  annual report: due 04-30 each year, by the cluster (第十六条); overdue: ground for revocation (第十七条（三）)",
               "  annual report: due 03-31 each year, by the 盟市工业和信息化局 (第十一条); overdue: risk (第十一条)"),
    }
    heads = {"zh": "  年度报告：", "en": "  annual report:"}
    for language, lines in expected.items():
        config = tmp_path / f"{language}.toml"
        config.write_text(f'[general]\nlanguage = "{language}"\npacks_dir = "{packs}"\n', encoding="utf-8")
        described = {block.split()[0]: next(line for line in block.splitlines() if line.startswith(heads[language]))
                     for block in monitor("regimes", config=config).stdout.split("\n\n")}
        assert (described["gd-a"], described["gd-b"], described["miit-sme-2022"], described["nmg-amc-2025"]) == lines


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[general]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = monitor("status", config=bad)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{bad}：时区（general.timezone）：应为时区（如 `Asia/Shanghai`），实际为 'Mars/Olympus'\n"
    secret = tmp_path / "secret.toml"
    secret.write_text('[smtp]\npassword = "x"\n', encoding="utf-8")
    assert "不要把密码写在 config.toml 中" in monitor("regimes", config=secret).stderr


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("path", _commands(cli))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = monitor(*path, "--help")          # in the packaged default's language, Chinese
    assert result.exit_code == 0
    assert "用法: " in result.stdout
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help, f"monitor {' '.join(path)} has no help text"


def test_a_sixth_regime_is_one_file(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "gd-amc-2026.toml").write_text(
        'id = "gd-amc-2026"\ntitle = "广东试行办法"\ndocument = "粤工信〔2026〕1号"\n'
        '[annual_report]\ndue = "05-31"\nreporter = "bureau"\nbasis = "第八条"\noverdue_severity = "revocation"\n'
        'overdue_basis = "第十二条（二）"\n[incidents]\nnotice_basis = "第十二条"\n', encoding="utf-8")
    config = tmp_path / "gd.toml"
    config.write_text(f'[general]\npacks_dir = "{packs}"\n', encoding="utf-8")
    roster = write_roster(tmp_path / "r.csv", "GD-1,广州集群,gd-amc-2026,2025-03-01,,,,,,")
    assert monitor("import", str(roster), config=config).exit_code == 0
    assert "gd-amc-2026  广东试行办法（粤工信〔2026〕1号）" in monitor("regimes", config=config).stdout
    [cluster] = status_json(config, "--as-of", "2026-06-01")["clusters"]
    assert [(o["key"], o["due"], o["state"]) for o in cluster["obligations"]] == [
        ("annual_report:2025", "2026-05-31", "overdue")]
    assert [(w["severity"], w["basis"]) for w in cluster["warnings"]] == [("revocation", "第十二条（二）")]


def test_region_selects_the_clusters_of_one_region_in_every_output(tmp_path: Path) -> None:
    from tests.helpers import own_config

    config = own_config(tmp_path)
    ids = [c["id"] for c in status_json(config, "--as-of", "2026-11-22", "--region", "包头市")["clusters"]]
    assert sorted(ids) == ["MIIT-2022-015", "NMG-AMC-2025-003"]
    table = monitor("status", "--as-of", "2026-11-22", "--region", "包头市", config=config).output
    assert "MIIT-2022-015" in table and "MIIT-2023-041" not in table and "共2个集群" in table
    calendar = monitor("calendar", "--as-of", "2026-11-22", "--region", "昌吉州", config=config).output
    assert "XJ-AMC-2025-001" not in calendar and "MIIT-2022-015" not in calendar   # xj-amc has no dated items
    both = status_json(config, "--as-of", "2026-11-22", "--region", "包头市", "--regime", "miit-sme-2022")
    assert [c["id"] for c in both["clusters"]] == ["MIIT-2022-015"]
    assert status_json(config, "--as-of", "2026-11-22", "--region", "火星")["clusters"] == []
