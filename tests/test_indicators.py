"""Annual monitoring's indicators as facts (issue 28, item 1): one value per cluster, year and indicator, stored
append-only (amend, retract, history, --known-at) on SQLite and PostgreSQL, checked against the vocabulary, and
loaded into the Facts the engine evaluates; plan targets likewise (item 4's storage)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from db.queries import Scope, load_facts
from monitor.app import App
from monitor.rules.facts import Facts, IndicatorValue, PlanTarget
from tests.helpers import in_chinese, monitor, write_roster

ROWS = (
    "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,乌兰察布市,运营,op@example.cn,,,",
    "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,",
)


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MONITOR_NOW", "2026-05-10T09:00:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file).exit_code == 0
    return config_file


def ok(config: Path, *args: str) -> str:
    result = monitor(*args, config=config)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(config: Path, *args: str) -> str:
    result = monitor(*args, config=config)
    assert result.exit_code == 2, result.output
    return result.stderr


def number(output: str) -> int:
    found = re.search(r"fact (\d+)", output)
    assert found is not None, output
    return int(found.group(1))


def facts_of(app: App, cluster: str, known_at: dt.datetime | None = None) -> Facts:
    with app.reader.connect() as conn:
        [facts] = load_facts(conn, Scope(cluster_ids=(cluster,), known_at=known_at))
    return facts


def test_values_and_targets_are_versioned_facts_the_engine_reads(app: App, roster: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = number(ok(roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator", "output",
                      "--value", "41.5"))
    ok(roster, "record", "indicator", "NMG-1", "--year", "2024", "--indicator", "集群总产值", "--value", "38")
    ok(roster, "record", "target", "NMG-1", "--indicator", "output", "--base-year", "2024", "--target-year", "2027",
       "--target", "60")
    share = number(ok(roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator",
                      "sme_output_share", "--value", "72"))
    facts = facts_of(app, "NMG-1")
    assert facts.indicators == (IndicatorValue(2024, "output", 38.0), IndicatorValue(2025, "output", 41.5),
                                IndicatorValue(2025, "sme_output_share", 72.0))
    assert facts.targets == (PlanTarget("output", 2024, 2027, 60.0),)
    assert facts_of(app, "AH-1").indicators == ()

    monkeypatch.setenv("MONITOR_NOW", "2026-06-01T09:00:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    amended = number(ok(roster, "amend", str(first), "--value", "42.25", "--reason", "统计局核定数").split("amends")[0])
    ok(roster, "retract", str(share), "--reason", "录入错误")
    facts = facts_of(app, "NMG-1")
    assert facts.indicators == (IndicatorValue(2024, "output", 38.0), IndicatorValue(2025, "output", 42.25))
    before = dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    assert facts_of(app, "NMG-1", before).indicators == (
        IndicatorValue(2024, "output", 38.0), IndicatorValue(2025, "output", 41.5),
        IndicatorValue(2025, "sme_output_share", 72.0))

    entries = json.loads(ok(roster, "history", "NMG-1", "--format", "json"))["entries"]
    by_number = {e["number"]: e for e in entries if e.get("type", "fact") == "fact" and "number" in e}
    assert by_number[first]["state"] == "superseded" and by_number[amended]["value"] == 42.25
    assert by_number[amended]["indicator"] == "output" and by_number[amended]["year"] == 2025
    assert by_number[share]["state"] == "retracted"
    replayed = json.loads(ok(roster, "history", "NMG-1", "--format", "json", "--known-at", "2026-05-20"))["entries"]
    assert {e["number"]: e["state"] for e in replayed if "number" in e}[first] == "current"


def test_a_repeat_changes_nothing_and_a_different_value_names_the_fact_to_amend(app: App, roster: Path) -> None:
    first = number(ok(roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator", "enterprises",
                      "--value", "120"))
    again = ok(roster, "record", "indicator", "nmg-1", "--year", "2025", "--indicator", "集群企业数量",
               "--value", "120")
    assert "already recorded" in again and f"fact {first}" in again
    said = refused(roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator", "enterprises",
                   "--value", "121")
    assert f"fact {first} records" in said and f"monitor amend {first}" in said
    assert len(facts_of(app, "NMG-1").indicators) == 1


@pytest.mark.parametrize(("indicator", "value", "english", "chinese"), [
    ("sme_output_share", "120", "allows 0–100", "取值范围是 0–100"),
    ("enterprises", "12.5", "allows ≥ 0 (whole)", "不小于 0 的整数"),
    ("rd_growth", "-100", "allows > -100", "大于 -100"),
    ("output", "-1", "allows ≥ 0", "不小于 0"),
])
def test_a_value_outside_its_range_is_refused_naming_the_range(app: App, roster: Path, indicator: str, value: str,
                                                               english: str, chinese: str) -> None:
    args = ("record", "indicator", "NMG-1", "--year", "2025", "--indicator", indicator, "--value", value)
    assert english in refused(roster, *args)
    assert chinese in refused(in_chinese(roster), *args)
    assert facts_of(app, "NMG-1").indicators == ()


def test_years_before_certification_are_accepted_a_year_to_come_is_not(app: App, roster: Path) -> None:
    ok(roster, "record", "indicator", "NMG-1", "--year", "2021", "--indicator", "output", "--value", "30")  # 2023-10
    assert "2027 is not a year that has begun" in refused(
        roster, "record", "indicator", "NMG-1", "--year", "2027", "--indicator", "output", "--value", "30")
    assert "is not an indicator" in refused(
        roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator", "turnover", "--value", "30")
    assert "not after the base year" in refused(
        roster, "record", "target", "NMG-1", "--indicator", "output", "--base-year", "2025", "--target-year", "2025",
        "--target", "60")
    assert facts_of(app, "NMG-1").indicators == (IndicatorValue(2021, "output", 30.0),)


def test_a_province_adds_its_own_indicators(app: App, roster: Path, tmp_path: Path) -> None:
    own = tmp_path / "indicators"
    own.mkdir()
    (own / "nmg.toml").write_text('[[indicator]]\ncode = "dairy_output"\nlabel = "乳业产值"\nunit = "亿元"\n'
                                  'kind = "amount"\n', encoding="utf-8")
    roster.write_text(roster.read_text(encoding="utf-8").replace(
        "[general]\n", '[general]\nindicators_dir = "indicators"\n'), encoding="utf-8")
    assert "dairy_output  乳业产值 (亿元; ≥ 0)" in ok(roster, "indicators")
    ok(roster, "record", "indicator", "NMG-1", "--year", "2025", "--indicator", "乳业产值", "--value", "12")
    assert facts_of(app, "NMG-1").indicators == (IndicatorValue(2025, "dairy_output", 12.0),)
