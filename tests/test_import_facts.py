"""`monitor import-facts` (issue 11): one transaction, Chinese or English headers, UTF-8/BOM/GBK CSV or .xlsx,
harmless to re-import, contradictions named by line with the stored value, --dry-run stores nothing, and
generated files (hypothesis) are imported whole or refused whole."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.models import FactRow
from monitor.app import App
from tests.conftest import IN_CI
from tests.helpers import in_chinese, monitor, own_config, status_json, write_roster

ROWS = (
    "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,乌兰察布市,运营,op@example.cn,,,",
    "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,",
)
CHINESE = "集群编号,事项,年度,报送日期,变更类型,变更日期,结果,日期,备注\n"


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path) -> Path:
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file).exit_code == 0
    return config_file


def facts(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(FactRow)).scalar_one())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_spring_of_reports_in_one_file(app: App, roster: Path, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(CHINESE + "nmg-1,年度报告,2024,2025-03-01,,,,,\n"
                    "NMG-1,重大变动,,,运营管理机构,2025-01-31,,,\n"
                    "NMG-1,变更,,2025-02-20,operator,2025-01-31,,,\n"       # fills in the row above
                    "AH-1,考核,2024年,,,,未通过,2025-01-10,\n"
                    "AH-1,事件,,,,,,2025-05-01,环保处罚\n", encoding=encoding)
    missing_ground = monitor("import-facts", str(path), config=roster)
    assert missing_ground.exit_code == 2 and "line 6: ground is required for an incident" in missing_ground.stderr
    assert facts(app) == 0
    path.write_text(path.read_text(encoding=encoding).replace("事件,,,,,,2025-05-01", "撤销,,,,,,2025-08-01"),
                    encoding=encoding)
    result = monitor("import-facts", str(path), config=roster)
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported facts.csv: 4 added, 0 filled in, 0 already recorded\n"
    assert facts(app) == 4
    [nmg] = status_json(roster, "--as-of", "2025-04-01", "--cluster", "NMG-1")["clusters"]
    [change] = [o for o in nmg["obligations"] if o["kind"] == "change_filing"]
    assert change["state"] == "done"
    assert status_json(roster, "--as-of", "2025-08-02", "--cluster", "AH-1")["clusters"][0]["state"] == "revoked"
    again = monitor("import-facts", str(path), config=roster)
    assert again.stdout == "imported facts.csv: 0 added, 0 filled in, 5 already recorded\n" and facts(app) == 4


def test_filling_in_a_stored_change_and_naming_a_contradiction(app: App, roster: Path, tmp_path: Path) -> None:
    assert monitor("record", "change", "NMG-1", "--kind", "operator", "--changed-on", "2025-01-31",
                   config=roster).exit_code == 0
    assert monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01",
                   config=roster).exit_code == 0
    path = tmp_path / "facts.csv"
    path.write_text("cluster,fact,change_kind,changed_on,filed_on\nNMG-1,change,operator,2025-01-31,2025-02-20\n",
                    encoding="utf-8")
    dry = monitor("import-facts", str(path), "--dry-run", config=roster)
    assert dry.exit_code == 0 and "line 2: would fill in fact 1: NMG-1 the operator change of 2025-01-31, filed " \
        "2025-02-20" in dry.stdout and dry.stdout.rstrip().endswith("nothing stored")
    assert facts(app) == 2
    assert monitor("import-facts", str(path), config=roster).stdout.startswith("imported facts.csv: 0 added, 1 filled")
    assert facts(app) == 3
    path.write_text("cluster,fact,year,filed_on\nNMG-1,report,2024,2025-03-09\n", encoding="utf-8")
    clash = monitor("import-facts", str(path), config=roster)
    assert clash.exit_code == 2
    assert clash.stderr.splitlines()[0] == (
        f"error: {path}: line 2: fact 2 records the report on 2024, filed 2025-03-01 (`monitor amend 2 … --reason …` "
        "corrects it), not the report on 2024, filed 2025-03-09")


@pytest.mark.parametrize(("line", "said"), [
    ("NOPE,年度报告,2024,2025-03-01,,,,,", "unknown cluster 'NOPE'"),
    ("NMG-1,报喜,2024,2025-03-01,,,,,", "事项 '报喜' is not one of report (年度报告)"),
    ("NMG-1,年度报告,二〇二四,2025-03-01,,,,,", "年度 '二〇二四' is not a year"),
    ("NMG-1,年度报告,2024,2025-02-30,,,,,", "2025-02-30"),
    ("NMG-1,年度报告,2024,2099-03-01,,,,,", "报送日期 2099-03-01 is in the future"),
    ("NMG-1,年度报告,2022,2023-03-01,,,,,", "the first report NMG-1 owes is on 2023"),
    ("NMG-1,年度报告,2024,2025-03-01,,,通过,,", "结果: a report has no 结果"),
    ("NMG-1,重大变动,,2025-01-01,主导产业,2025-02-01,,,", "报送日期 2025-01-01 is before the change on 2025-02-01"),
    ("NMG-1,重大变动,,,扩大,2025-02-01,,,", "变更类型 '扩大' is not one of"),
    ("NMG-1,复核,,,,,通过,2023-01-01,", "before the certification on 2023-10-15"),
    ("NMG-1,复核,,,,,通过,2025-06-01,", "日期 2025-06-01: a review result before 2025-10-15 is implausible"),   # no reason column
    ("AH-1,考核,2023,,,,通过,2024-07-01,", "AH-1 was not certified that year"),
    ("NMG-1,考核,2024,,,,通过,,", "has no assessment rule"),
    ("AH-1,年度报告,2024,2025-03-01,,,,,", "has no annual report rule"),
    (",年度报告,2024,2025-03-01,,,,,", "集群编号: empty"),    # each field named as the file's header names it
])
def test_every_kind_of_bad_row_is_named_and_nothing_is_stored(app: App, roster: Path, tmp_path: Path, line: str,
                                                              said: str) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(CHINESE + "NMG-1,年度报告,2023,2024-03-01,,,,,\n" + line + "\n", encoding="utf-8")
    result = monitor("import-facts", str(path), config=roster)
    assert result.exit_code == 2
    assert "line 3: " in result.stderr and said in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == f"error: {path}: 1 bad row, nothing imported"
    assert facts(app) == 0
    dry = monitor("import-facts", str(path), "--dry-run", config=roster)
    assert dry.exit_code == 2 and "line 2: would add" in dry.stdout and facts(app) == 0


def test_the_template_has_drop_downs_and_imports_back(app: App, roster: Path, tmp_path: Path) -> None:
    path = tmp_path / "facts.xlsx"
    assert monitor("template", "--facts", str(path), config=in_chinese(roster)).exit_code == 0
    book = load_workbook(path)
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:4] == ["集群编号", "事项", "年度", "报送日期"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists["B2"] == '"年度报告,重大变动,复核,考核,事件,撤销,评估,整改"'
    assert "通过" in lists["G2"] and "运营管理机构" in lists["E2"]
    for cell, value in zip(("A2", "B2", "C2", "D2"), ("nmg-1", "年度报告", 2024, dt.datetime(2025, 3, 1)), strict=True):
        sheet[cell].value = value
    book.save(path)
    result = monitor("import-facts", str(path), config=roster)
    assert result.exit_code == 0, result.output
    assert facts(app) == 1


# --- generated files ---------------------------------------------------------------------------------------------

KINDS = ["年度报告", "report", "重大变动", "change", "复核", "考核", "事件", "撤销", "x", ""]
cells = st.one_of(st.just(""), st.text(max_size=8))
dates = st.one_of(st.just(""), st.dates(min_value=dt.date(2020, 1, 1)).map(str),
                  st.sampled_from(["2025-02-30", "2025年3月1日", "45000", "x"]))
fact_rows = st.lists(st.tuples(
    st.sampled_from(["C-1", "c-1", "C-2", "NOPE", ""]), st.sampled_from(KINDS),
    st.one_of(st.sampled_from(["", "2023", "2024", "2025", "2026", "1990"]), cells), dates,
    st.one_of(st.sampled_from(["", "主导产业", "operator", "空间范围"]), cells), dates,
    st.one_of(st.sampled_from(["", "通过", "未通过", "已申请", "pass"]), cells), dates, cells,
), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz-facts")
    roster = write_roster(base / "roster.csv", "C-1,甲,nmg-sme-draft,2023-10-15,,,,,,", "C-2,乙,ah-amc-2024,2024-06-30,,,,,,")
    own_config(base, roster=roster)
    return base


def _stored(config: Path) -> list[object]:
    result = monitor("history", "C-1", "--format", "json", config=config)
    other = monitor("history", "C-2", "--format", "json", config=config)
    return json.loads(result.stdout)["entries"] + json.loads(other.stdout)["entries"]


counter = itertools.count()


@settings(max_examples=600 if IN_CI else 80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fact_rows)
def test_a_generated_facts_file_is_imported_whole_or_refused_whole(workspace: Path, body: list[tuple[str, ...]]) -> None:
    config = workspace / "config.toml"
    path = workspace / f"facts{next(counter)}.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CHINESE.strip().split(","))
    writer.writerows(body)
    try:
        path.write_text(out.getvalue(), encoding="utf-8")
    except UnicodeEncodeError:
        return
    before = _stored(config)
    result = monitor("import-facts", str(path), config=config)
    assert result.exit_code in (0, 2), result.output
    after = _stored(config)
    if result.exit_code == 2:
        assert after == before                                          # nothing half-stored
        assert all(line.startswith("错误：") for line in result.stderr.splitlines()), result.stderr
    else:
        assert after[:len(before)] == before                            # appended, never changed
        again = monitor("import-facts", str(path), config=config)
        assert again.exit_code == 0 and _stored(config) == after        # harmless the second time
    assert "Traceback" not in result.output
