"""Generated bad input beyond the roster (issue 25, item 8; tests/test_fuzz_roster.py does rosters): facts files,
config files and pack files, with numbers at the 64-bit edges, text with control characters and nesting. Each is
taken whole or refused with one line a problem (`错误：` …), exit status 2, nothing stored, never a traceback and
never a Python class name. More examples in CI (CI=true) than on a developer's machine."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import math
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import IN_CI
from tests.helpers import monitor, write_roster

EXAMPLES = 300 if IN_CI else 40
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception|Forbidden|BadZipFile)\b")
EDGES = [0, -1, 1, 2**31 - 1, 2**31, -2**31 - 1, 2**53 + 1, 2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64, 10**20]
numbers = st.one_of(st.sampled_from(EDGES), st.integers())
floats = st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 5e-324, -0.0]), st.floats())
texts = st.one_of(st.text(max_size=20), st.sampled_from(["", "a\nb", "\x1b[2J", "\u2028", "é" * 300, "2024"]))
counter = itertools.count()


def no_traceback(result: Any) -> None:
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output and not CLASS_NAME.search(result.output), result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith(("错误：", "error: ")) for line in lines), result.stderr


# --- facts files -----------------------------------------------------------------------------------------------

ROWS = ("NMG-1,集群,nmg-sme-draft,2023-10-15,乌兰察布市,op,op@example.cn,,,",
        "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,")
FACT_HEADER = ["cluster", "fact", "year", "filed_on", "change_kind", "changed_on", "result", "ground", "on",
               "dismissed_on", "note"]
cells = st.one_of(st.just(""), texts, numbers.map(str), floats.map(str),
                  st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(str))
fact_rows = st.lists(st.tuples(
    st.one_of(st.sampled_from(["NMG-1", "ah-1", "NOPE", ""]), texts),
    st.one_of(st.sampled_from(["report", "年度报告", "change", "review", "assessment", "incident", "revocation",
                               "evaluation", "rectification"]), texts),
    st.one_of(st.just(""), numbers.map(str), st.sampled_from(["2024", "2025年度", "2024.0"])),
    cells, st.one_of(st.sampled_from(["", "operator", "主导产业"]), texts), cells,
    st.one_of(st.sampled_from(["", "pass", "fail", "applied", "通过"]), texts),
    st.one_of(st.sampled_from(["", "violation", "false_declaration"]), texts), cells, cells,
    st.one_of(st.just(""), texts)), min_size=1, max_size=5)


@pytest.fixture(scope="module")
def facts_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("facts")
    config = base / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{base / "m.db"}"\n', encoding="utf-8")
    assert monitor("import", str(write_roster(base / "r.csv", *ROWS)), config=config).exit_code == 0
    return base


def _facts(base: Path) -> int:
    with sqlite3.connect(base / "m.db") as conn:
        return int(conn.execute("SELECT count(*) FROM fact").fetchone()[0])


@FUZZ
@given(fact_rows)
def test_a_generated_facts_file_is_imported_whole_or_refused_whole(facts_workspace: Path,
                                                                   rows: list[tuple[str, ...]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FACT_HEADER)
    writer.writerows(rows)
    path = facts_workspace / f"facts{next(counter)}.csv"
    try:
        path.write_text(out.getvalue(), encoding="utf-8")
    except UnicodeEncodeError:
        return
    before = _facts(facts_workspace)
    result = monitor("import-facts", str(path), config=facts_workspace / "config.toml")
    no_traceback(result)
    if result.exit_code == 2:
        assert _facts(facts_workspace) == before                          # nothing half-stored
    history = monitor("history", "NMG-1", config=facts_workspace / "config.toml")
    assert history.exit_code == 0 and all(line.startswith(("NMG-1 ", "20", "（")) for line in
                                          history.stdout.splitlines()), history.stdout


# --- config files -----------------------------------------------------------------------------------------------

def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value == math.inf else "-inf" if value == -math.inf
                                                else repr(value))
    if isinstance(value, int | dt.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


KEYS = {"general": ["timezone", "language", "department", "packs_dir", "administrators"],
        "reminders": ["overdue_every_days", "lead_days"], "digest": ["times", "working_days_only", "contact"],
        "daemon": ["scan_every_minutes", "misfire_grace_seconds", "claim_lease_seconds", "calendar_path"],
        "smtp": ["host", "port", "security", "timeout", "retries", "backoff", "concurrency", "batch_size",
                 "breaker_after", "round_deadline_seconds", "sender_name", "reply_to"],
        "calendar": ["holidays", "workdays"], "web": ["base_url"], "nope": ["x"]}
scalars = st.one_of(numbers, floats, texts, st.booleans(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(["default", "x", "a"]), inner,
                                                                       max_size=2)), max_leaves=6)
entries = st.lists(st.sampled_from(sorted(KEYS)).flatmap(
    lambda section: st.tuples(st.just(section), st.sampled_from(KEYS[section]), values)), min_size=1, max_size=4)


@FUZZ
@given(entries)
def test_a_generated_config_is_read_or_refused_in_one_line(tmp_path: Path, given_entries: list[tuple[str, str, Any]]) -> None:
    sections: dict[str, dict[str, Any]] = {}
    for section, key, value in given_entries:
        sections.setdefault(section, {})[key] = value
    text = f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n' + "".join(
        f"[{section}]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in keys.items())
        for section, keys in sections.items())
    config = tmp_path / f"config{next(counter)}.toml"
    try:
        config.write_text(text, encoding="utf-8")
    except UnicodeEncodeError:
        return
    for args in (("regimes",), ("workdays", "add", "2026-01-01", "3")):
        result = monitor(*args, config=config)
        no_traceback(result)
        if result.exit_code == 2:
            assert result.stderr.count("\n") == 1, result.stderr


# --- pack files --------------------------------------------------------------------------------------------------

PACK = {"id": "gen", "title": "生成的办法", "document": "文〔2026〕1号",
        "validity": {"years": 3, "basis": "第八条", "extension_years": 3, "extension_basis": "第八条",
                     "review_failed_basis": "第十条", "expired_basis": "第十条"},
        "annual_report": {"due": "04-30", "reporter": "cluster", "basis": "第九条", "overdue_severity": "risk",
                          "overdue_basis": "第九条"},
        "publicity": {"working_days": 5, "basis": "第六条"},
        "incidents": {"notice_basis": "第十一条"}}
PATHS = [("validity", "years"), ("validity", "extension_years"), ("validity", "application_window_months"),
         ("annual_report", "due"), ("annual_report", "consecutive_failures"), ("publicity", "working_days"),
         ("incidents", "notice_basis"), ("id",), ("title",), ("replaces",), ("batches",),
         ("change_filing", "window_months")]


def pack_text(pack: dict[str, Any]) -> str:
    top = "".join(f"{key} = {toml_value(value)}\n" for key, value in pack.items() if not isinstance(value, dict))
    return top + "".join(f"[{key}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in value.items())
                         for key, value in pack.items() if isinstance(value, dict))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_a_generated_pack_is_loaded_or_refused_in_one_line(tmp_path: Path,
                                                           changes: list[tuple[tuple[str, ...], Any]]) -> None:
    pack = json.loads(json.dumps(PACK))
    for path, value in changes:
        target = pack
        for step in path[:-1]:
            target = target.setdefault(step, {}) if isinstance(target.get(step, {}), dict) else {}
        target[path[-1]] = value
    directory = tmp_path / f"packs{next(counter)}"
    directory.mkdir()
    try:
        (directory / "gen.toml").write_text(pack_text(pack), encoding="utf-8")
    except UnicodeEncodeError:
        return
    config = tmp_path / f"{directory.name}.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n[general]\npacks_dir = "{directory}"\n',
                      encoding="utf-8")
    check = monitor("regimes", "--check", str(directory), config=config)
    no_traceback(check)
    loaded = monitor("regimes", config=config)
    no_traceback(loaded)
    if loaded.exit_code == 2:
        assert loaded.stderr.count("\n") == 1, loaded.stderr
    else:
        assert check.exit_code == 0, check.output
        roster = write_roster(tmp_path / f"{directory.name}.csv", "GEN-1,集群,gen,2024-01-10,,,,,,")
        imported = monitor("import", str(roster), config=config)
        no_traceback(imported)
        if imported.exit_code == 0:
            status = monitor("status", "--format", "json", "--as-of", "2199-12-31", config=config)
            no_traceback(status)
            assert status.exit_code == 0 and "evaluation_failed" not in status.stdout, status.output
