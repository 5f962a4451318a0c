"""`monitor export` and `monitor template`: real Excel files, read back with openpyxl and imported back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from monitor.actions.roster_import import COLUMNS
from monitor.rules.packs import load_packs
from tests.helpers import monitor, own_config, status_json

AS_OF = "2026-11-22"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return own_config(tmp_path, "first")


def export(config: Path, path: Path, *args: str) -> Path:
    result = monitor("export", str(path), "--as-of", AS_OF, *args, config=config)
    assert result.exit_code == 0, result.output
    return path


def rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    book = load_workbook(path)
    values = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def roster_part(path: Path) -> list[dict[str, Any]]:
    return [{chinese: row[chinese] for _, chinese, _ in COLUMNS} for row in rows(path, "集群")]


def test_export_then_import_gives_the_same_roster(config: Path, tmp_path: Path) -> None:
    first = export(config, tmp_path / "first.xlsx")
    second_config = own_config(tmp_path, "second", roster=None)
    imported = monitor("import", str(first), config=second_config)
    assert imported.exit_code == 0, imported.output
    assert "新增 8 个" in imported.stdout
    second = export(second_config, tmp_path / "second.xlsx")
    assert roster_part(second) == roster_part(first)
    assert len(roster_part(first)) == 8
    assert status_json(second_config, "--as-of", AS_OF)["clusters"] == status_json(config, "--as-of", AS_OF)["clusters"]


def test_an_edited_export_imports_back_as_an_update(config: Path, tmp_path: Path) -> None:
    path = export(config, tmp_path / "status.xlsx")
    book = load_workbook(path)
    sheet = book["集群"]
    header = [cell.value for cell in sheet[1]]
    row = next(n for n in range(2, sheet.max_row + 1) if sheet.cell(n, 3).value == "miit-sme-2022")
    sheet.cell(row, header.index("运营机构邮箱") + 1, "new-operator@example.cn")
    sheet.cell(row, header.index("有效期至") + 1, dt.datetime(2030, 6, 30))
    edited_id = sheet.cell(row, 1).value
    book.save(path)
    result = monitor("import", str(path), config=config)
    assert result.exit_code == 0, result.output
    assert "新增 0 个，更新 1 个，7 个未变" in result.stdout     # only the edited row changed
    again = {row["集群编号"]: row for row in rows(export(config, tmp_path / "again.xlsx"), "集群")}
    assert again[edited_id]["运营机构邮箱"] == "new-operator@example.cn"
    assert again[edited_id]["有效期至"] == dt.datetime(2030, 6, 30)


def test_sheets_match_status_with_dates_frozen_headers_widths_and_colours(config: Path, tmp_path: Path) -> None:
    path = export(config, tmp_path / "status.xlsx")
    document = status_json(config, "--as-of", AS_OF)
    book = load_workbook(path)
    assert book.sheetnames == ["集群", "事项", "警示"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["B"].width == 36
        assert all(cell.font.bold for cell in sheet[1])
    obligations = rows(path, "事项")
    expected = [(c["id"], o["key"]) for c in document["clusters"] for o in c["obligations"]]
    assert sorted((r["集群编号"], r["键"]) for r in obligations) == sorted(expected)
    due_cells = [row[5] for row in book["事项"].iter_rows(min_row=2) if row[5].value is not None]
    assert due_cells and all(cell.is_date and cell.number_format == "yyyy-mm-dd" for cell in due_cells)
    warnings = {(r["集群编号"], r["键"]): r for r in rows(path, "警示")}
    expected_warnings = {(c["id"], w["key"]): w for c in document["clusters"] for w in c["warnings"]}
    assert set(warnings) == set(expected_warnings)
    for key, warning in expected_warnings.items():
        assert warnings[key]["依据条款"] == warning["basis"] and warnings[key]["警示"] == warning["message"]
    fills = {row[3].value: row[3].fill.fgColor.rgb for row in book["警示"].iter_rows(min_row=2)}
    assert fills["撤销情形"] == "00FFC7CE" and fills["风险"] == "00FFEB9C"
    clusters = {r["集群编号"]: r for r in rows(path, "集群")}
    for cluster in document["clusters"]:
        assert clusters[cluster["id"]]["警示数"] == len(cluster["warnings"])
        open_due = sorted(o["due"] for o in cluster["obligations"] if o["state"] in ("pending", "overdue") and o["due"])
        next_due = clusters[cluster["id"]]["下一截止日"]
        assert (next_due.date().isoformat() if next_due else None) == (open_due[0] if open_due else None)


def test_english_headers_by_config_and_filters(tmp_path: Path) -> None:
    config = own_config(tmp_path, "en", '[general]\nlanguage = "en"\n')
    path = export(config, tmp_path / "en.xlsx", "--regime", "miit-sme-2022")
    book = load_workbook(path)
    assert book.sheetnames == ["clusters", "obligations", "warnings"]
    clusters = rows(path, "clusters")
    assert clusters and {row["regime"] for row in clusters} == {"miit-sme-2022"}
    assert {"state", "next_due", "warnings"} <= set(clusters[0])
    again = own_config(tmp_path, "en-again", roster=None)
    result = monitor("import", str(path), config=again)
    assert result.exit_code == 0 and f"新增 {len(clusters)} 个" in result.stdout
    bad = monitor("export", str(tmp_path / "status.csv"), config=config)
    assert bad.exit_code == 2 and ".xlsx" in bad.output


def test_template_has_the_columns_a_regime_list_and_instructions(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    result = monitor("template", str(path), config=config)
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames == ["名册", "说明"]
    roster = book["名册"]
    assert [cell.value for cell in roster[1]] == [chinese for _, chinese, _ in COLUMNS]
    assert roster.freeze_panes == "A2"
    lists = [v for v in roster.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1 and str(lists[0].sqref) == "C2:C2001"
    sheet_name, cells = lists[0].formula1.split("!")
    first, last = (int(part.split("$")[-1]) for part in cells.split(":"))
    choices = [book[sheet_name.strip("'")][f"B{n}"].value for n in range(first, last + 1)]   # policies by title
    titles = {pack.id: pack.title for pack in load_packs().values()}
    assert sorted(choices) == sorted(titles[regime] for regime in status_regimes(config))
    assert any(v.type == "date" and "D2:D2001" in str(v.sqref) for v in roster.data_validations.dataValidation)
    instructions = [row[1] for row in book["说明"].iter_rows(values_only=True)]
    assert all(name in instructions for name, _, _ in COLUMNS)
    empty = monitor("import", str(path), config=config)
    assert empty.exit_code == 2 and "名册没有数据行" in empty.stderr
    roster.append(["NEW-001", "新集群", titles["miit-sme-2022"], dt.datetime(2024, 1, 5)])   # as chosen from the list
    roster.append(["NEW-002", "新集群二", "nmg-sme-draft", dt.datetime(2024, 1, 5)])          # or typed by id
    book.save(path)
    filled = monitor("import", str(path), config=config)
    assert filled.exit_code == 0 and "新增 2 个" in filled.stdout
    regimes = {c["id"]: c["regime"] for c in status_json(config)["clusters"]}
    assert (regimes["NEW-001"], regimes["NEW-002"]) == ("miit-sme-2022", "nmg-sme-draft")


def status_regimes(config: Path) -> list[str]:
    result = monitor("regimes", config=config)
    return [line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")]


@pytest.mark.parametrize("command", ["export", "template", "report"])
def test_an_unwritable_path_is_one_line_on_stderr(config: Path, tmp_path: Path, command: str) -> None:
    target = tmp_path / "no-such-dir" / ("out.html" if command == "report" else "out.xlsx")
    result = monitor(command, str(target), config=config)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{target}：无法写入：没有这个文件或目录\n"
    assert not target.parent.exists()


def _bomb(workbook: Path, target: Path, padding: int) -> Path:
    """``workbook`` with its first sheet's XML padded by ``padding`` bytes of spaces: compressed, a few
    hundred kilobytes; unpacked, whatever ``padding`` says."""
    import zipfile

    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * padding, 1)
            out.writestr(info.filename, data)
    return target


@pytest.mark.parametrize("command", ["import", "import-facts"])
def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read(
        config: Path, tmp_path: Path, command: str) -> None:
    from monitor.actions.sheets import MAX_UNPACKED_BYTES

    export_file = export(config, tmp_path / "roster.xlsx")
    before = status_json(config, "--as-of", AS_OF)
    just_under = _bomb(export_file, tmp_path / "under.xlsx", MAX_UNPACKED_BYTES // 2)
    assert monitor("import", str(just_under), config=config).exit_code == 0   # large but under: read
    bomb = _bomb(export_file, tmp_path / "bomb.xlsx", MAX_UNPACKED_BYTES)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    result = monitor(command, str(bomb), config=config)
    assert result.exit_code == 2
    assert result.stderr == f"错误：{bomb}：工作簿解压后为 101 MB，超过工作簿允许的 100 MB\n"
    assert status_json(config, "--as-of", AS_OF) == before


def test_a_workbook_with_an_entity_expansion_is_refused_in_one_line(config: Path, tmp_path: Path) -> None:
    """openpyxl parses through defusedxml when it is installed (it is a dependency): a sheet declaring
    entities (the start of a "billion laughs") is refused; without defusedxml this file imports."""
    import zipfile

    import openpyxl

    assert openpyxl.DEFUSEDXML is True
    source = export(config, tmp_path / "roster.xlsx")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), bytes([97 + i]) * 10) for i in range(8))
              + b"]>")
    bomb = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = laughs + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)
            out.writestr(info.filename, data)
    before = status_json(config, "--as-of", AS_OF)
    result = monitor("import", str(bomb), config=config)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：{bomb}：无法按 .xlsx 文件读取：") and result.stderr.count("\n") == 1
    assert status_json(config, "--as-of", AS_OF) == before


# --- every read bounded: rows, columns, time (issue 25, item 1) -------------------------------------------------

def _workbook(target: Path, header: list[str], *rows: list[Any], sheet_data: bytes = b"",
              dimension: bytes | None = None) -> Path:
    """A real workbook (openpyxl) of ``header`` and ``rows``, ``sheet_data`` appended to its sheet's XML after
    them and its declared dimension replaced by ``dimension``: a bomb of a few kilobytes, built in the test."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    plain = target.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", sheet_data + b"</sheetData>", 1)
                if dimension is not None:
                    data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="' + dimension + b'"/>', data)
            out.writestr(info.filename, data)
    return target


FACTS_HEADER = ["cluster", "fact", "year", "filed_on"]


def _refused(config: Path, command: str, path: Path, *said: str) -> str:
    before = status_json(config, "--as-of", AS_OF)
    result = monitor(command, str(path), config=config)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"错误：{path}：") and result.stderr.count("\n") == 1, result.stderr
    assert all(part in result.stderr for part in said), result.stderr
    assert "Traceback" not in result.output and "Error:" not in result.output
    assert status_json(config, "--as-of", AS_OF) == before          # nothing stored
    return result.stderr


@pytest.mark.parametrize("command", ["import", "import-facts"])
def test_a_workbook_of_empty_rows_is_refused_at_the_row_limit(config: Path, tmp_path: Path, command: str) -> None:
    """The audit's bomb, small: a header, then more empty ``<row/>`` elements than a file may have rows. They are
    counted as they stream, so the file is refused when the count passes the limit, whatever follows."""
    from monitor.actions.sheets import MAX_ROWS

    header = FACTS_HEADER if command == "import-facts" else [name for name, _, _ in COLUMNS]
    bomb = _workbook(tmp_path / "rows.xlsx", header, sheet_data=b"<row/>" * (MAX_ROWS + 10))
    assert bomb.stat().st_size < 64 * 1024
    _refused(config, command, bomb, f"超过 {MAX_ROWS} 行", "空行也计入")


def test_a_row_far_below_the_data_counts_every_row_above_it(config: Path, tmp_path: Path) -> None:
    bomb = _workbook(tmp_path / "far.xlsx", FACTS_HEADER, ["BT-1", "report", 2024, "2025-03-01"],
                     sheet_data=b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    _refused(config, "import-facts", bomb, "超过 200000 行")


def test_a_sheet_declaring_a_huge_dimension_is_read_as_the_rows_it_has(config: Path, tmp_path: Path) -> None:
    """``A1:XFD1048576`` declared, three rows written: read as three rows (the declaration would otherwise be
    padded out to a billion empty cells)."""
    path = _workbook(tmp_path / "wide.xlsx", FACTS_HEADER, ["MIIT-2022-015", "report", 2023, "2024-03-01"],
                     ["MIIT-2023-041", "report", 2024, "2025-03-01"], dimension=b"A1:XFD1048576")
    result = monitor("import-facts", str(path), "--dry-run", config=config)
    assert result.exit_code == 0, result.output
    assert "第 2 行" in result.stdout and "第 3 行" in result.stdout and "第 4 行" not in result.stdout


def test_a_row_past_the_column_limit_is_refused(config: Path, tmp_path: Path) -> None:
    from monitor.actions.sheets import MAX_COLUMNS

    path = _workbook(tmp_path / "columns.xlsx", FACTS_HEADER, ["BT-1", "report"] + [None] * MAX_COLUMNS + ["x"])
    _refused(config, "import-facts", path, "第 2 行", f"超过 {MAX_COLUMNS} 列")
    csv = tmp_path / "columns.csv"
    csv.write_text(",".join(FACTS_HEADER) + "\nBT-1,report" + "," * MAX_COLUMNS + "x\n", encoding="utf-8")
    _refused(config, "import", csv, "第 2 行", f"超过 {MAX_COLUMNS} 列")


def test_a_value_under_no_header_is_refused(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "untitled.csv"
    path.write_text(",".join(FACTS_HEADER) + ",\nBT-1,report,2024,2025-03-01,oops\n", encoding="utf-8")
    _refused(config, "import-facts", path, "第 2 行：第 5 列有值但没有表头")


def test_a_csv_past_the_size_or_row_limits_is_refused(config: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.csv"
    path.write_text(",".join(FACTS_HEADER) + "\n" + "\n" * 40, encoding="utf-8")
    monkeypatch.setattr("monitor.actions.sheets.MAX_ROWS", 30)
    _refused(config, "import-facts", path, "超过 30 行")
    monkeypatch.setattr("monitor.actions.sheets.MAX_UNPACKED_BYTES", 10)
    _refused(config, "import", path, "超过文件允许的")


def test_a_read_that_passes_its_deadline_is_refused(config: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline is checked as the rows stream: with a clock that moves a second a row, the sixth row of a
    file read within 5 s is past it."""
    import itertools
    import types

    ticks = itertools.count()
    monkeypatch.setattr("monitor.actions.sheets.time", types.SimpleNamespace(monotonic=lambda: float(next(ticks))))
    monkeypatch.setattr("monitor.actions.sheets.MAX_READ_SECONDS", 5.0)
    path = _workbook(tmp_path / "slow.xlsx", FACTS_HEADER, *([["BT-1", "report", 2024, "2025-03-01"]] * 10))
    _refused(config, "import-facts", path, "读取超过 5 秒")


def test_the_console_upload_reads_through_the_same_bounds(config: Path, tmp_path: Path) -> None:
    """The console's /upload plans the uploaded bytes with plan_import, as `import-facts` does."""
    from db.session import transaction
    from monitor.actions.facts_import import plan_import
    from monitor.actions.sheets import MAX_ROWS
    from monitor.app import App
    from monitor.errors import InputError

    bomb = _workbook(tmp_path / "upload.xlsx", FACTS_HEADER, sheet_data=b"<row/>" * (MAX_ROWS + 10))
    app = App(config_path=config)
    try:
        with pytest.raises(InputError, match=f"more than {MAX_ROWS} rows"), transaction(app.sessions) as session:
            plan_import(session, bomb, app.packs, app.today())
    finally:
        app.close()


def test_a_damaged_workbook_says_why_without_python_names(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    stderr = _refused(config, "import", path, "无法按 .xlsx 文件读取")
    assert "BadZipFile" not in stderr and "zip" in stderr
