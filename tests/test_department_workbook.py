"""A department's workbook as it is (issue 26, item 1): a title row and a note above the header, 序号 and 备注
columns, Chinese headers, the roster on the second sheet, a region typed without its 市. It imports with one line
about the kept columns; every mistake in it, or in what follows it, gets its suggestion, in Chinese and English."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook

from db.models import ClusterRow
from monitor.app import App
from monitor.cli import cli
from tests.helpers import in_chinese, monitor, status_json

HEADER = ["序号", "集群编号", "集群名称", "盟市", "适用办法", "认定日期", "运营管理机构", "工信局邮箱", "备注"]
ROWS: list[list[Any]] = [
    [1, "MIIT-2023-011", "包头市稀土新材料产业集群", "包头市", "miit-sme-2022", dt.datetime(2023, 10, 15),
     "包头稀土高新区管委会", "bt@example.gov.cn", "首批"],
    [2, "MIIT-2023-012", "包头市铝业产业集群", "包头市", "促进中小企业特色产业集群发展暂行办法", "2023年10月15日",
     "包头铝业园区", None, None],
    [3, "MIIT-2023-013", "鄂尔多斯市煤化工产业集群", "鄂尔多斯市", "miit-sme-2022", dt.datetime(2023, 10, 15),
     "鄂尔多斯高新区", None, "含原伊旗园区"],
    [4, "MIIT-2023-014", "包头市装备制造产业集群", "包头", "miit-sme-2022", dt.datetime(2023, 10, 15),
     None, None, None],
]


def department_workbook(path: Path, header: list[str] = HEADER, rows: list[list[Any]] = ROWS) -> Path:
    """The workbook as a department sends it: its instructions first, then the list (集群名单) under a merged title
    row and a note, the columns in its own order."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    for line in ("填表说明", "1. 请勿修改表头。", "2. 认定日期填写为 2023-10-15 或 2023年10月15日。"):
        notes.append([line])
    sheet = book.create_sheet("集群名单")
    sheet.append(["2023年度自治区中小企业特色产业集群名单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(["填报单位：自治区工业和信息化厅", None, None, None, None, "填报日期：2024年3月1日"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return department_workbook(tmp_path / "department.xlsx")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_it_imports_with_one_line_about_the_kept_columns(app: App, config_file: Path, workbook: Path) -> None:
    result = monitor("import", str(workbook), config=config_file)
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        f"{workbook}, sheet '集群名单': kept 2 column(s) the roster does not know, with each cluster: 序号, 备注",
        "imported department.xlsx: 4 added, 0 updated"]
    assert _lines(result.stderr) == [
        f"{workbook}, sheet '集群名单': line 7: 盟市: only 1 cluster(s) in '包头'; did you mean 包头市?"]
    with app.sessions() as session:
        rows = {row.id: row for row in session.query(ClusterRow)}
    assert rows["MIIT-2023-011"].region == "包头市" and rows["MIIT-2023-012"].regime == "miit-sme-2022"
    assert rows["MIIT-2023-012"].certified_on == dt.date(2023, 10, 15)
    assert json.loads(rows["MIIT-2023-011"].extra or "") == {"序号": "1", "备注": "首批"}
    assert list(json.loads(rows["MIIT-2023-013"].extra or "")) == ["序号", "备注"]     # the file's order
    assert json.loads(rows["MIIT-2023-012"].extra or "") == {"序号": "2"}               # a blank cell is not kept


def test_in_chinese(app: App, config_file: Path, workbook: Path) -> None:
    result = monitor("import", str(workbook), config=in_chinese(config_file))
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        f"{workbook}，工作表 '集群名单'：保留了名册不认识的 2 列，随各集群存储：序号, 备注",
        "已导入 department.xlsx：新增 4 个，更新 0 个"]
    assert _lines(result.stderr) == [
        f"{workbook}，工作表 '集群名单'：第 7 行：盟市：只有 1 个集群属于 '包头'，是否为 包头市？"]


def test_strict_refuses_the_columns_it_would_keep_naming_them_in_the_files_language(
        app: App, config_file: Path, workbook: Path) -> None:
    known = "集群编号, 集群名称, 适用办法, 认定日期, 盟市/地州市, 运营管理机构, 运营机构邮箱, 工信局邮箱, 认定批次, 有效期至, 公示开始日期"
    result = monitor("import", str(workbook), "--strict", config=config_file)
    assert result.exit_code == 2
    assert _lines(result.stderr) == [
        f"error: {workbook}, sheet '集群名单': line 3: unknown column '序号' (known: {known})"]
    result = monitor("import", str(workbook), "--strict", config=in_chinese(config_file))
    assert _lines(result.stderr) == [f"错误：{workbook}，工作表 '集群名单'：第 3 行：未知的列 '序号'（已知：{known}）"]
    assert status_json(config_file)["clusters"] == []
    english = department_workbook(workbook.with_name("english.xlsx"), ["id", "name", "regime", "certified_on",
                                                                        "regoin"], [r[1:3] + r[4:6] + r[3:4]
                                                                                    for r in ROWS])
    result = monitor("import", str(english), "--strict", config=config_file)
    assert _lines(result.stderr) == [
        (f"error: {english}, sheet '集群名单': line 3: unknown column 'regoin' (known: id, name, regime, certified_on, "
        "region, operator, operator_email, bureau_email, batch, valid_until, publicity_start); did you mean region?")]


def test_a_column_near_a_missing_one_is_suggested(app: App, config_file: Path, tmp_path: Path) -> None:
    path = department_workbook(tmp_path / "d.xlsx", [h if h != "认定日期" else "认定日" for h in HEADER])
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 2
    assert _lines(result.stderr) == [
        f"error: {path}, sheet '集群名单': line 3: missing column(s) 认定日期; is '认定日' 认定日期?"]
    result = monitor("import", str(path), config=in_chinese(config_file))
    assert _lines(result.stderr) == [f"错误：{path}，工作表 '集群名单'：第 3 行：缺少列 认定日期；'认定日' 是否为 认定日期？"]


def test_a_kept_column_near_an_absent_one_is_said(app: App, config_file: Path, tmp_path: Path) -> None:
    path = department_workbook(tmp_path / "d.xlsx", [h if h != "运营管理机构" else "运营管理单位" for h in HEADER])
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 0, result.output
    assert f"{path}, sheet '集群名单': line 3: column '运营管理单位' is kept as a column of its own; did you mean " \
           "运营管理机构?" in _lines(result.stderr)


def test_a_regime_typo_and_a_sheet_typo_get_their_suggestions(app: App, config_file: Path, tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:4], "miit-sme-2020", *ROWS[1][5:]]]
    path = department_workbook(tmp_path / "d.xlsx", rows=rows)
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 2
    known = "ah-amc-2024, miit-sme-2022, nmg-amc-2025, nmg-sme-draft, xj-amc"
    assert _lines(result.stderr) == [
        (f"error: {path}, sheet '集群名单': line 5: 适用办法: 'miit-sme-2020' is not a regime (known: {known}); did you "
        "mean miit-sme-2022?"),
        f"error: {path}, sheet '集群名单': 1 bad row, nothing imported"]
    result = monitor("import", str(path), config=in_chinese(config_file))
    assert _lines(result.stderr) == [
        (f"错误：{path}，工作表 '集群名单'：第 5 行：适用办法：'miit-sme-2020' 不是已知的适用办法（已知：{known}），是否为 "
        "miit-sme-2022？"),
        f"错误：{path}，工作表 '集群名单'：1 行有误，未导入任何内容"]
    result = monitor("import", str(path), "--sheet", "集群明单", config=in_chinese(config_file))
    assert result.exit_code == 2
    assert _lines(result.stderr) == [f"错误：{path}：没有工作表 '集群明单'（工作表：填表说明, 集群名单），是否为 集群名单？"]
    result = monitor("import", str(path), "--sheet", "填表说明", config=config_file)
    assert _lines(result.stderr) == [(f"error: {path}, sheet '填表说明': line 1: missing column(s) 集群编号, 集群名称, "
                                     "适用办法, 认定日期")]


def _imported(config: Path, workbook: Path) -> None:
    result = monitor("import", str(workbook), config=config)
    assert result.exit_code == 0, result.output


def test_a_facts_file_gets_the_same(app: App, config_file: Path, workbook: Path, tmp_path: Path) -> None:
    """A title row above the header, a 序号 column (not read, said so), a cluster id one digit short."""
    _imported(config_file, workbook)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2024年度报告报送情况"])
    sheet.append(["序号", "集群编号", "事项", "年度", "报送日期"])
    sheet.append([1, "MIIT-2023-011", "report", 2024, "2025-03-01"])
    sheet.append([2, "MIIT-2023-01", "report", 2024, "2025-03-02"])
    facts = tmp_path / "facts.xlsx"
    book.save(facts)
    result = monitor("import-facts", str(facts), config=config_file)
    assert result.exit_code == 2
    assert _lines(result.stdout) == [f"{facts}: ignored 1 column(s) a facts file does not have: 序号"]
    assert _lines(result.stderr) == [
        f"error: {facts}: line 4: 集群编号: unknown cluster 'MIIT-2023-01'; did you mean MIIT-2023-011?",
        f"error: {facts}: 1 bad row, nothing imported"]
    result = monitor("import-facts", str(facts), config=in_chinese(config_file))
    assert _lines(result.stdout) == [f"{facts}：忽略了事实文件没有的 1 列：序号"]
    assert _lines(result.stderr)[0] == f"错误：{facts}：第 4 行：集群编号：没有集群 'MIIT-2023-01'，是否为 MIIT-2023-011？"
    result = monitor("import-facts", str(facts), "--strict", config=config_file)
    assert _lines(result.stderr)[0].startswith(f"error: {facts}: line 2: unknown column '序号' (known: 集群编号, 事项,")
    sheet.delete_rows(4)
    book.save(facts)
    result = monitor("import-facts", str(facts), config=config_file)
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout)[-1] == "imported facts.xlsx: 1 added, 0 filled in, 0 already recorded"


def test_an_accounts_region_no_cluster_has_is_refused_with_the_nearest(app: App, config_file: Path,
                                                                       workbook: Path) -> None:
    _imported(config_file, workbook)
    def add(config: Path, region: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), "user", "add", "erdos", "--role", "bureau",
                                        "--region", region], input="long enough pw\nlong enough pw\n")

    result = add(config_file, "鄂尔多斯")
    assert result.exit_code == 2
    assert _lines(result.stderr) == ["error: --region '鄂尔多斯': no cluster is in that region; did you mean 鄂尔多斯市?"]
    result = add(in_chinese(config_file), "鄂尔多斯")
    assert _lines(result.stderr) == ["错误：--region '鄂尔多斯'：没有集群属于该地区，是否为 鄂尔多斯市？"]
    result = add(config_file, "火星")
    assert _lines(result.stderr) == [("error: --region '火星': no cluster is in that region (regions: 包头, 包头市, "
                                     "鄂尔多斯市)")]
    assert add(config_file, "鄂尔多斯市").exit_code == 0


def test_a_channels_region_no_cluster_has_stops_the_daemon(app: App, config_file: Path, workbook: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _imported(config_file, workbook)
    monkeypatch.setenv("MONITOR_TEST_HOOK", "https://hooks.example.cn/a")
    config_file.write_text(config_file.read_text(encoding="utf-8") + '[[channels]]\nname = "erdos"\ntype = "webhook"\n'
                           'url_env = "MONITOR_TEST_HOOK"\nregions = ["鄂尔多斯"]\n', encoding="utf-8")
    result = monitor("run", config=config_file)
    assert result.exit_code == 2
    assert _lines(result.stderr) == [
        "error: channels.erdos.regions '鄂尔多斯': no cluster is in that region; did you mean 鄂尔多斯市?"]


def test_kept_columns_are_exported_back_and_kept_on_reimport(app: App, config_file: Path, workbook: Path,
                                                              tmp_path: Path) -> None:
    _imported(config_file, workbook)
    export = tmp_path / "export.xlsx"
    assert monitor("export", str(export), "--as-of", "2024-01-01", config=in_chinese(config_file)).exit_code == 0
    sheet = load_workbook(export).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[-2:] == ["序号", "备注"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["MIIT-2023-011"][-2:] == ("1", "首批") and rows["MIIT-2023-012"][-2:] == ("2", None)
    again = monitor("import", str(export), config=config_file)           # the export imports back, unchanged
    assert _lines(again.stdout) == [(f"{export}, sheet '集群': kept 2 column(s) the roster does not know, with each "
                                    "cluster: 序号, 备注"),
                                    "imported export.xlsx: 0 added, 0 updated, 4 unchanged"], again.output
    edited = tmp_path / "edited.csv"            # 备注 changed and cleared, a new column, 序号 absent: kept as it was
    edited.write_text("集群编号,集群名称,适用办法,认定日期,备注,联系人\n"
                      "MIIT-2023-011,包头市稀土新材料产业集群,miit-sme-2022,2023-10-15,第一批,王工\n"
                      "MIIT-2023-013,鄂尔多斯市煤化工产业集群,miit-sme-2022,2023-10-15,,\n", encoding="utf-8")
    assert monitor("import", str(edited), config=config_file).exit_code == 0
    with app.sessions() as session:
        first, third = session.get(ClusterRow, "MIIT-2023-011"), session.get(ClusterRow, "MIIT-2023-013")
        assert first is not None and third is not None
        assert json.loads(first.extra or "") == {"序号": "1", "备注": "第一批", "联系人": "王工"}
        assert json.loads(third.extra or "") == {"序号": "3"}


def test_the_console_shows_kept_columns_and_reads_an_upload_alike(tmp_path: Path, workbook: Path) -> None:
    from tests.web_helpers import add_user, console, csrf_of, run_cli

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = tmp_path / "web.toml"
    config.write_text('[general]\nadministrators = ["admin@example.gov.cn"]\n', encoding="utf-8")
    run_cli(config, url, "import", str(workbook))
    add_user(config, url, "bao", "bureau", "包头市")
    with console(tmp_path, url, config) as running, running.signed_in("bao") as client:
        page = client.get("/clusters/MIIT-2023-011").text
        assert '<dl class="meta" id="extra"><dt>序号</dt><dd>1</dd><dt>备注</dt><dd>首批</dd></dl>' in page
        token = csrf_of(client.get("/upload").text)
        rows = "2024年度报告报送情况\n序号,集群编号,事项,年度,报送日期\n1,MIIT-2023-01,report,2024,2025-03-01\n"
        preview = client.post("/upload", data={"csrf": token, "action": "preview"},
                              files={"file": ("facts.csv", rows.encode(), "text/csv")}).text
        assert "facts.csv：忽略了事实文件没有的 1 列：序号" in preview
        assert "facts.csv：第 3 行：集群编号：没有集群 &#39;MIIT-2023-01&#39;，是否为 MIIT-2023-011？" in preview


def test_a_mistyped_cluster_id_on_the_command_line_gets_the_nearest(app: App, config_file: Path,
                                                                    workbook: Path) -> None:
    _imported(config_file, workbook)
    result = monitor("record", "report", "MIIT-2023-01", "--year", "2024", "--filed-on", "2025-03-01",
                     config=in_chinese(config_file))
    assert result.exit_code == 2
    assert _lines(result.stderr) == ["错误：没有集群 'MIIT-2023-01'，是否为 MIIT-2023-011？"]
    result = monitor("status", "--cluster", "MIIT-2023-01", config=config_file)
    assert _lines(result.stderr) == ["error: unknown cluster 'MIIT-2023-01'; did you mean MIIT-2023-011?"]
    result = monitor("roster", "archive", "MIIT-2023-01", "--reason", "x", config=config_file)
    assert _lines(result.stderr) == ["error: unknown cluster 'MIIT-2023-01'; did you mean MIIT-2023-011?"]
    result = monitor("status", "--cluster", "XJ-1", config=config_file)      # none near: as before
    assert _lines(result.stderr) == ["error: unknown cluster 'XJ-1': `monitor status` lists the known ones"]
