"""`monitor import`: encodings, Excel, every bad row named, and nothing stored unless all rows are good."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import ClusterRow
from monitor.app import App
from tests.helpers import monitor, status_json, write_roster

GOOD = "NMG-1,乌兰察布市马铃薯特色产业集群,nmg-sme-draft,2023-10-15,乌兰察布市,联盟,a@example.cn,b@example.gov.cn,,"


def count(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ClusterRow)).scalar_one())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_the_encodings_excel_writes(app: App, config_file: Path, tmp_path: Path, encoding: str) -> None:
    path = write_roster(tmp_path / "roster.csv", GOOD, encoding=encoding)
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported roster.csv: 1 added, 0 updated\n"
    [cluster] = status_json(config_file, "--as-of", "2024-01-01")["clusters"]
    assert cluster["name"] == "乌兰察布市马铃薯特色产业集群"
    assert cluster["valid_until"] == "2026-10-14"


def test_xlsx_with_excel_dates_and_chinese_dates(app: App, config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    pd.DataFrame({
        "id": ["A-1", "A-2"], "name": ["甲", "乙"], "regime": ["miit-sme-2022", "nmg-sme-draft"],
        "certified_on": [dt.datetime(2023, 10, 15), "2024年2月29日"], "batch": ["2023", None],
        "valid_until": [None, "2027-03-31"],
    }).to_excel(path, index=False)
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 0, result.output
    clusters = {c["id"]: c for c in status_json(config_file, "--as-of", "2024-03-01")["clusters"]}
    assert clusters["A-1"]["valid_until"] == "2026-10-14"
    assert clusters["A-2"]["valid_until"] == "2027-03-31"


def test_chinese_headers_are_accepted(app: App, config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("集群编号,集群名称,适用办法,认定日期\nX-1,新疆集群,xj-amc,2025-08-15\n", encoding="utf-8")
    assert monitor("import", str(path), config=config_file).exit_code == 0
    assert count(app) == 1


def test_every_bad_row_is_named_and_nothing_is_stored(app: App, config_file: Path, tmp_path: Path) -> None:
    path = write_roster(
        tmp_path / "roster.csv",
        GOOD,
        "NMG-2,,nmg-sme-draft,2023-02-30,,,,,,",
        "NMG-3,名称,no-such-regime,2023-01-01,,,,,,",
        "NMG-4,名称,miit-sme-2022,2023-01-01,,,not-an-email,,1999,",
        "NMG-1,重复,nmg-sme-draft,2023-01-01,,,,,,",
    )
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert f"error: {path}: line 3: name: is empty" in lines
    assert f"error: {path}: line 3: certified_on: '2023-02-30' is not a date: no such day" in lines
    assert any("line 4: regime: 'no-such-regime' is not a regime" in line for line in lines)
    assert any("line 5: batch: '1999' is not a batch of miit-sme-2022" in line for line in lines)
    assert any("line 5: operator_email: 'not-an-email' is not an e-mail address" in line for line in lines)
    assert any("line 6: id: 'NMG-1' is also on line 2" in line for line in lines)
    assert lines[-1] == f"error: {path}: 4 bad rows (6 problems), nothing imported"   # rows counted as rows
    assert count(app) == 0


def test_a_known_id_updates_and_absent_columns_are_kept(app: App, config_file: Path, tmp_path: Path) -> None:
    monitor("import", str(write_roster(tmp_path / "a.csv", GOOD)), config=config_file)
    partial = tmp_path / "b.csv"
    partial.write_text("id,name,regime,certified_on\nNMG-1,新名称,nmg-sme-draft,2023-10-16\n", encoding="utf-8")
    result = monitor("import", str(partial), config=config_file)
    assert result.stdout == "imported b.csv: 0 added, 1 updated\n"
    with app.sessions() as session:
        row = session.get(ClusterRow, "NMG-1")
        assert row is not None
        assert (row.name, row.certified_on, row.region) == ("新名称", dt.date(2023, 10, 16), "乌兰察布市")


@pytest.mark.parametrize(("content", "strict", "message"), [
    ("id,name\nA,B\n", False, "line 1: missing column(s) regime, certified_on"),
    ("id,name,regime,certified_on,colour\n", True, "line 1: unknown column 'colour'"),
    ("id,name,regime,certified_on,colour\n", False, "the roster has no rows"),    # kept, without --strict
    ("id,name,regime,certified_on\n", False, "the roster has no rows"),
])
def test_header_problems(app: App, config_file: Path, tmp_path: Path, content: str, strict: bool,
                         message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    result = monitor("import", str(path), *(["--strict"] if strict else []), config=config_file)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_file_that_is_not_a_roster(app: App, config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    result = monitor("import", str(path), config=config_file)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: cannot read it as a .xlsx file")
    other = tmp_path / "r.txt"
    other.write_text("x", encoding="utf-8")
    assert "reads .csv or .xlsx" in monitor("import", str(other), config=config_file).stderr


cells = st.one_of(st.text(max_size=12), st.sampled_from(["2023-10-15", "2023年10月15日", "45214", "nmg-sme-draft",
                                                          "xj-amc", "", "a@b.cn", "2024", "2025-02-30"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=1, max_size=12), min_size=1, max_size=6), st.booleans())
def test_malformed_files_never_traceback_never_half_import(tmp_path: Path, rows: list[list[str]], gbk: bool) -> None:
    import uuid

    from monitor.actions.roster_import import import_roster
    from monitor.config import load_settings
    from monitor.errors import MonitorError

    base = tmp_path / uuid.uuid4().hex
    base.mkdir()
    path = base / "r.csv"
    body = "id,name,regime,certified_on,region\n" + "\n".join(",".join(c.replace("\n", " ") for c in r) for r in rows)
    try:
        path.write_bytes(body.encode("gbk" if gbk else "utf-8"))
    except UnicodeEncodeError:
        path.write_bytes(body.encode("utf-8"))
    app = App(_settings=load_settings(None, {"MONITOR_DATABASE_URL": f"sqlite:///{base / 'm.db'}"}))
    try:
        with app.sessions() as session, session.begin():
            result = import_roster(session, path, app.packs, "t", dt.datetime.now(dt.UTC))
        assert count(app) == result.added
    except MonitorError as exc:
        assert str(exc)
        assert "\n" not in str(exc)
        assert count(app) == 0
    finally:
        app.close()


def test_errors_name_fields_by_the_files_own_headers_and_count_rows(app: App, config_file: Path,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "花名册.csv"
    path.write_text("集群编号,集群名称,适用办法,认定日期\n,,没有的办法,2024-13-01\nNMG-1,好,nmg-sme-draft,2024-01-01\n",
                    encoding="utf-8")
    result = monitor("import", str(path), config=config_file)
    lines = result.stderr.splitlines()
    assert f"error: {path}: line 2: 集群编号: is empty" in lines
    assert any(line.startswith(f"error: {path}: line 2: 适用办法: '没有的办法' is not a regime") for line in lines)
    assert lines[-1] == f"error: {path}: 1 bad row (4 problems), nothing imported"


def test_a_roster_imported_again_unchanged_updates_nothing(app: App, config_file: Path, tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.csv", GOOD)
    assert monitor("import", str(path), config=config_file).stdout == "imported r.csv: 1 added, 0 updated\n"
    assert monitor("import", str(path), config=config_file).stdout == "imported r.csv: 0 added, 0 updated, 1 unchanged\n"
