"""`monitor import-indicators` (issue 28, item 1): the annual-report data sheet read back, as CSV (UTF-8, with BOM,
GBK) or xlsx, headed by codes or the form's Chinese labels; one transaction; each bad value named by line, column
and allowed range; a tenfold move flagged in the dry run; repeats no-ops; a changed value refused naming the
fact. And the plan targets' sheet (`--targets`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from db.queries import Scope, load_facts
from monitor.app import App
from monitor.rules.facts import IndicatorValue, PlanTarget
from tests.helpers import in_chinese, monitor, write_roster

ROWS = (
    "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,乌兰察布市,运营,op@example.cn,,,",
    "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,",
)
CHINESE = ("集群编号,集群名称,年度,集群总产值,中小企业产值占集群总产值比例,集群企业数量\n"
           "NMG-1,自治区集群,2024,38,71.5,120\n"
           "NMG-1,自治区集群,2025,41.5,72,130\n"
           "AH-1,安徽集群,2025年,12,,45\n")
EXPECTED = {"NMG-1": (IndicatorValue(2024, "enterprises", 120.0), IndicatorValue(2024, "output", 38.0),
                      IndicatorValue(2024, "sme_output_share", 71.5), IndicatorValue(2025, "enterprises", 130.0),
                      IndicatorValue(2025, "output", 41.5), IndicatorValue(2025, "sme_output_share", 72.0)),
            "AH-1": (IndicatorValue(2025, "enterprises", 45.0), IndicatorValue(2025, "output", 12.0))}


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MONITOR_NOW", "2026-05-10T09:00:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file).exit_code == 0
    return config_file


def stored(app: App) -> dict[str, tuple[IndicatorValue, ...]]:
    with app.reader.connect() as conn:
        return {f.cluster.id: f.indicators for f in load_facts(conn, Scope())}


def run(config: Path, *args: str, code: int = 0) -> tuple[str, str]:
    result = monitor(*args, config=config)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def csv_file(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_csv_sheet_in_each_encoding_with_chinese_headers(app: App, roster: Path, tmp_path: Path,
                                                             encoding: str) -> None:
    sheet = csv_file(tmp_path / "data.csv", CHINESE, encoding)
    out, _ = run(roster, "import-indicators", str(sheet))
    assert "8 values added, 0 already recorded" in out
    assert stored(app) == EXPECTED
    out, _ = run(roster, "import-indicators", str(sheet))               # again: nothing new
    assert "0 values added, 8 already recorded" in out
    assert stored(app) == EXPECTED


def test_an_xlsx_sheet_with_code_headers(app: App, roster: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["cluster", "year", "output", "sme_output_share", "enterprises"])
    sheet.append(["NMG-1", 2024, 38, 71.5, 120])
    sheet.append(["NMG-1", 2025, 41.5, 72, 130])
    sheet.append(["AH-1", "2025", 12.0, None, 45])
    book.save(tmp_path / "data.xlsx")
    out, _ = run(roster, "import-indicators", str(tmp_path / "data.xlsx"))
    assert "8 values added" in out
    assert stored(app) == EXPECTED


def test_one_bad_value_stores_nothing_and_is_named_by_line_column_and_range(app: App, roster: Path,
                                                                          tmp_path: Path) -> None:
    bad = CHINESE.replace("NMG-1,自治区集群,2025,41.5,72,130", "NMG-1,自治区集群,2025,41.5,172,130.5")
    sheet = csv_file(tmp_path / "data.csv", bad, "utf-8")
    _, err = run(roster, "import-indicators", str(sheet), code=2)
    assert "line 3: 中小企业产值占集群总产值比例 172: 中小企业产值占集群总产值比例 (sme_output_share) allows 0–100" in err
    assert "line 3: 集群企业数量 130.5: 集群企业数量 (enterprises) allows ≥ 0 (whole)" in err
    _, err = run(in_chinese(roster), "import-indicators", str(sheet), code=2)
    assert "第 3 行：中小企业产值占集群总产值比例 172：中小企业产值占集群总产值比例（sme_output_share）的取值范围是 0–100" in err
    assert "第 3 行：集群企业数量 130.5：集群企业数量（enterprises）的取值范围是 不小于 0 的整数" in err
    assert stored(app) == {"NMG-1": (), "AH-1": ()}
    _, err = run(roster, "import-indicators", str(csv_file(tmp_path / "x.csv", "cluster,year,output\nNMG-1,2025,4千\n",
                                                           "utf-8")), code=2)
    assert "line 2: output: '4千' is not a number" in err


def test_a_changed_value_is_refused_naming_the_fact_and_a_tenfold_move_is_flagged(app: App, roster: Path,
                                                                                  tmp_path: Path) -> None:
    run(roster, "import-indicators", str(csv_file(tmp_path / "data.csv", CHINESE, "utf-8")))
    changed = csv_file(tmp_path / "changed.csv", "cluster,year,output\nNMG-1,2025,42\n", "utf-8")
    _, err = run(roster, "import-indicators", str(changed), code=2)
    assert "line 2: output: fact" in err and "records output of 2025: 41.5" in err and "monitor amend" in err
    tenfold = csv_file(tmp_path / "tenfold.csv", "cluster,year,output,enterprises\nNMG-1,2026,415000,131\n"
                                                 "AH-1,2026,13,46\n", "utf-8")
    out, err = run(roster, "import-indicators", str(tenfold), "--dry-run")
    assert "line 2: output: 415000 for 2026 is 1e+04 times 41.5 for 2025: check the unit" in err
    assert "AH-1" not in err and "line 3" not in err
    assert "4 values to add, 0 already recorded, 1 flagged, 0 refused; nothing stored" in out
    assert stored(app) == EXPECTED                                     # the dry run stored nothing


def test_plan_targets_from_their_own_sheet(app: App, roster: Path, tmp_path: Path) -> None:
    sheet = csv_file(tmp_path / "targets.csv", "集群编号,指标,基期年度,目标年度,目标值\nNMG-1,集群总产值,2024,2027,60\n"
                                               "AH-1,enterprises,2024,2026,60\n", "gbk")
    out, _ = run(roster, "import-indicators", "--targets", str(sheet))
    assert "2 values added" in out
    with app.reader.connect() as conn:
        targets = {f.cluster.id: f.targets for f in load_facts(conn, Scope())}
    assert targets == {"NMG-1": (PlanTarget("output", 2024, 2027, 60.0),),
                       "AH-1": (PlanTarget("enterprises", 2024, 2026, 60.0),)}
    bad = csv_file(tmp_path / "bad.csv", "cluster,indicator,base_year,target_year,target\nNMG-1,output,2024,2027,61\n"
                                         "AH-1,turnover,2024,2027,1\n", "utf-8")
    _, err = run(roster, "import-indicators", "--targets", str(bad), code=2)
    assert "line 2: target: fact" in err and "line 3: indicator 'turnover' is not an indicator" in err


def test_the_template_is_the_sheet_read_back(app: App, roster: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run(roster, "record", "indicator", "NMG-1", "--year", "2024", "--indicator", "output", "--value", "38")
    out, _ = run(roster, "template", "--indicators", str(tmp_path / "sheet.xlsx"))
    assert "6 rows (2 clusters × 2023–2025), 22 indicators" in out
    book = load_workbook(tmp_path / "sheet.xlsx")
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["cluster", "name", "year", "集群总产值"] and "专精特新“小巨人”企业数量" in header
    rows = {(row[0], row[2]): row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {(c, y) for c in ("AH-1", "NMG-1") for y in (2023, 2024, 2025)}
    assert rows[("NMG-1", 2024)][3] == 38 and rows[("NMG-1", 2025)][3] is None
    for line, row in enumerate(sheet.iter_rows(min_row=2), start=2):
        if row[0].value == "NMG-1" and row[2].value == 2025:
            sheet.cell(line, 4, 41.5)
            sheet.cell(line, header.index("集群企业数量") + 1, 130)
    book.save(tmp_path / "sheet.xlsx")
    out, _ = run(roster, "import-indicators", str(tmp_path / "sheet.xlsx"))
    assert "2 values added, 1 already recorded" in out
    assert stored(app)["NMG-1"] == (IndicatorValue(2024, "output", 38.0), IndicatorValue(2025, "enterprises", 130.0),
                                    IndicatorValue(2025, "output", 41.5))
    run(roster, "record", "target", "NMG-1", "--indicator", "output", "--base-year", "2024", "--target-year", "2027",
        "--target", "60")
    out, _ = run(roster, "template", "--targets", str(tmp_path / "targets.xlsx"))
    assert "1 targets recorded" in out
    assert [c.value for c in load_workbook(tmp_path / "targets.xlsx").worksheets[0][2]] == [
        "NMG-1", "自治区集群", "集群总产值", 2024, 2027, 60]
