"""The bar on applying again after a revocation, "撤销认定的，N年内不得再次申报" (docs/rules.md,
"Revocation and the cluster's state"): the pack's [revocation] table, the revocation's ground on the record, the
bar as a Civil Code period (the day before, on and after its last day), where it is shown, and the roster import's
warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import PackError
from monitor.rules.bars import barred_as_of, reapply_barred_until
from monitor.rules.engine import evaluate
from monitor.rules.facts import Cluster, Facts
from monitor.rules.listing import shown
from monitor.rules.packs import Pack, load_packs
from monitor.rules.roster import name_key
from monitor.rules.workdays import WorkCalendar
from tests.conftest import d
from tests.helpers import monitor, own_config, status_json, write_roster

BAR = {"reapply_after_years": 3, "basis": "第二十条", "grounds": {"false_declaration": 5, "report_not_filed": 0}}
ONLY_LISTED = {"basis": "第二十条", "grounds": {"false_declaration": 3}}
RULES: dict[str, dict[str, Any] | None] = {"bar": BAR, "only_listed": ONLY_LISTED, "none": None}


@pytest.fixture(scope="module")
def barred_packs() -> dict[str, Pack]:
    """nmg-sme-draft with each of RULES as its [revocation] table (as config's [pack_overrides] gives it)."""
    return {name: load_packs(overrides={"nmg-sme-draft": {"revocation": rule}} if rule else None)["nmg-sme-draft"]
            for name, rule in RULES.items()}


def revoked(on: str, ground: str | None = None) -> Facts:
    return Facts(Cluster("NMG-1", "某集群", "nmg-sme-draft", d("2023-07-10")), revoked_on=d(on),
                 revocation_ground=ground)


@pytest.mark.parametrize(("rule", "on", "ground", "as_of", "until"), [
    # three years from 2025-01-05: barred through 2028-01-05 (the day before, on and after its last day)
    ("bar", "2025-01-05", None, "2025-01-04", None),             # not revoked yet
    ("bar", "2025-01-05", None, "2025-01-05", "2028-01-05"),
    ("bar", "2025-01-05", None, "2028-01-04", "2028-01-05"),
    ("bar", "2025-01-05", None, "2028-01-05", "2028-01-05"),
    ("bar", "2025-01-05", None, "2028-01-06", None),
    # February 29: the corresponding day three years on does not exist, so the month's last day
    ("bar", "2024-02-29", None, "2027-02-27", "2027-02-28"),
    ("bar", "2024-02-29", None, "2027-02-28", "2027-02-28"),
    ("bar", "2024-02-29", None, "2027-03-01", None),
    # a ground barred longer, one barred as the default, one that bars nothing
    ("bar", "2025-01-05", "false_declaration", "2030-01-05", "2030-01-05"),
    ("bar", "2025-01-05", "false_declaration", "2030-01-06", None),
    ("bar", "2024-02-29", "false_declaration", "2029-02-28", "2029-02-28"),
    ("bar", "2025-01-05", "violation", "2028-01-05", "2028-01-05"),
    ("bar", "2025-03-11", "report_not_filed", "2025-03-11", None),
    # no default: only the grounds listed bar, and a revocation without its ground bars nothing
    ("only_listed", "2025-01-05", "false_declaration", "2028-01-05", "2028-01-05"),
    ("only_listed", "2025-01-05", "violation", "2025-01-05", None),
    ("only_listed", "2025-01-05", None, "2025-01-05", None),
    # no [revocation] table: no bar
    ("none", "2025-01-05", "false_declaration", "2025-01-05", None),
])
def test_the_bar_is_a_civil_code_period_from_the_revocation(barred_packs: dict[str, Pack], calendar: WorkCalendar,
                                                            rule: str, on: str, ground: str | None, as_of: str,
                                                            until: str | None) -> None:
    pack, facts = barred_packs[rule], revoked(on, ground)
    expected = d(until) if until else None
    assert barred_as_of(pack, facts, d(as_of)) == expected
    verdict = evaluate(pack, facts, d(as_of), calendar)
    assert verdict.reapply_barred_until == expected
    assert shown(facts, verdict, d(as_of)).verdict.reapply_barred_until == expected    # as the overview lists it


def test_the_last_day_does_not_depend_on_the_day_asked(barred_packs: dict[str, Pack]) -> None:
    assert reapply_barred_until(barred_packs["bar"], revoked("2025-01-05")) == d("2028-01-05")
    assert reapply_barred_until(barred_packs["bar"], revoked("2025-01-05", "report_not_filed")) is None
    assert reapply_barred_until(barred_packs["none"], revoked("2025-01-05")) is None
    unrevoked = Facts(Cluster("NMG-1", "某集群", "nmg-sme-draft", d("2023-07-10")))
    assert reapply_barred_until(barred_packs["bar"], unrevoked) is None


def test_no_bundled_pack_bars_applying_again() -> None:
    """None of the five policy texts says 不得再次申报."""
    assert all(pack.revocation is None for pack in load_packs().values())


@pytest.mark.parametrize(("rule", "message"), [
    ({"basis": "第二十条"}, r"revocation\.reapply_after_years: is missing"),
    ({"basis": "第二十条", "grounds": {"false_declaration": 0}}, r"revocation\.reapply_after_years: is missing"),
    ({"reapply_after_years": 0, "basis": "第二十条"}, r"revocation\.reapply_after_years: 0 must be at least 1"),
    ({"reapply_after_years": 3}, r"revocation\.basis: is missing"),
    ({"reapply_after_years": 3, "basis": "第二十条", "grounds": {"arson": 3}},
     r"revocation\.grounds\.arson: unknown ground"),
    ({"reapply_after_years": 3, "basis": "第二十条", "grounds": {"violation": -1}}, r"must be at least 0"),
    ({"reapply_after_years": 3, "basis": "第二十条", "years": 3}, r"revocation\.years: unknown key"),
])
def test_a_revocation_table_with_a_mistake_is_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(PackError, match=message):
        load_packs(overrides={"nmg-sme-draft": {"revocation": rule}})


def test_regimes_says_what_bars(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert ("  撤销认定后不得再次申报：一般3年内、虚假申报5年内、未按时报送年度报告不限（第二十条）"
            in monitor("regimes", config=config).stdout.splitlines())
    english = tmp_path / "en.toml"
    english.write_text(CONFIG.replace('language = "zh"', 'language = "en"'), encoding="utf-8")
    assert ("  after a revocation, no new application for: 3 year(s) in general, false declaration: 5 year(s), "
            "annual report not filed on time: not barred (第二十条)") in monitor("regimes", config=english).stdout


# --- on the record and in the outputs -----------------------------------------------------------------------------

CONFIG = """[general]
language = "zh"
[pack_overrides.nmg-sme-draft.revocation]
reapply_after_years = 3
basis = "第二十条"
[pack_overrides.nmg-sme-draft.revocation.grounds]
false_declaration = 5
report_not_filed = 0
"""


def at(monkeypatch: pytest.MonkeyPatch, now: str) -> None:
    """The clock, pinned (MONITOR_NOW)."""
    monkeypatch.setenv("MONITOR_NOW", now)
    monkeypatch.setattr("monitor.clock._offsets", [])


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """nmg-sme-draft with a bar; NMG-1 revoked on 2025-01-05 for a false declaration, NMG-2 in force."""
    monkeypatch.setenv("MONITOR_USER", "tester")
    at(monkeypatch, "2025-06-01T10:00+08:00")
    path = own_config(tmp_path, text=CONFIG, roster=write_roster(
        tmp_path / "r.csv", "NMG-1,呼和浩特市乳业特色产业集群,nmg-sme-draft,2023-07-10,呼和浩特市,,,,,",
        "NMG-2,包头市稀土特色产业集群,nmg-sme-draft,2023-07-10,包头市,,,,,"))
    recorded = monitor("record", "revocation", "NMG-1", "--on", "2025-01-05", "--ground", "虚假申报", "--note",
                       "内工信〔2025〕1号", config=path)
    assert recorded.stdout == "NMG-1：已记录事实 1：2025-01-05的撤销认定（虚假申报）\n", recorded.output
    return path


def test_the_ground_is_recorded_shown_in_history_and_corrected(config: Path) -> None:
    [entry] = json.loads(monitor("history", "NMG-1", "--format", "json", config=config).stdout)["entries"]
    assert (entry["kind"], entry["on"], entry["ground"], entry["note"]) == (
        "revocation", "2025-01-05", "false_declaration", "内工信〔2025〕1号")
    assert "事实1：撤销认定（revocation）日期2025-01-05，情形虚假申报，备注内工信〔2025〕1号，现行" in monitor(
        "history", "NMG-1", config=config).stdout
    amended = monitor("amend", "1", "--ground", "violation", "--reason", "误记", config=config)
    assert amended.exit_code == 0, amended.output
    assert status_json(config, "--as-of", "2025-06-01", "--cluster", "NMG-1")["clusters"][0][
        "reapply_barred_until"] == "2028-01-05"


def test_a_ground_must_be_one_of_the_vocabulary(config: Path) -> None:
    refused = monitor("record", "revocation", "NMG-2", "--on", "2025-01-05", "--ground", "arson", config=config)
    assert refused.exit_code == 2 and "'arson' 不是以下之一" in refused.stderr
    assert "report_not_filed (未按时报送年度报告)" in refused.stderr
    incident = monitor("record", "incident", "NMG-2", "--on", "2025-01-05", "--ground", "report_not_filed",
                       config=config)
    assert incident.exit_code == 2        # a rule's ground is not an incident's


def test_a_revocation_without_its_ground_gets_the_default_bar(config: Path) -> None:
    assert monitor("record", "revocation", "NMG-2", "--on", "2025-02-01", config=config).exit_code == 0
    [cluster] = status_json(config, "--as-of", "2025-06-01", "--cluster", "NMG-2")["clusters"]
    assert (cluster["state"], cluster["reapply_barred_until"]) == ("revoked", "2028-02-01")
    filled = monitor("record", "revocation", "NMG-2", "--on", "2025-02-01", "--ground", "report_not_filed",
                     config=config)
    assert filled.stdout == "NMG-2：已记录事实 3：2025-02-01的撤销认定（未按时报送年度报告）（补全事实 2）\n"
    [cluster] = status_json(config, "--as-of", "2025-06-01", "--cluster", "NMG-2")["clusters"]
    assert cluster["reapply_barred_until"] is None


def test_status_shows_the_bar_while_it_stands(config: Path) -> None:
    [one] = status_json(config, "--as-of", "2030-01-05", "--cluster", "NMG-1")["clusters"]
    assert (one["state"], one["revoked_on"], one["reapply_barred_until"]) == ("revoked", "2025-01-05", "2030-01-05")
    assert status_json(config, "--as-of", "2030-01-06", "--cluster", "NMG-1")["clusters"][0][
        "reapply_barred_until"] is None
    assert status_json(config, "--as-of", "2025-06-01", "--cluster", "NMG-2")["clusters"][0][
        "reapply_barred_until"] is None
    lines = monitor("status", "--as-of", "2025-06-01", "--wide", config=config).stdout.splitlines()
    assert "撤销 NMG-1：不得再次申报至2030-01-05" in lines
    assert not any("不得再次申报" in line for line in monitor(
        "status", "--as-of", "2030-01-06", "--wide", config=config).stdout.splitlines())
    english = config.with_name("en.toml")
    english.write_text(config.read_text(encoding="utf-8").replace('language = "zh"', 'language = "en"'),
                       encoding="utf-8")
    assert "revoked NMG-1: barred from applying again through 2030-01-05" in monitor(
        "status", "--as-of", "2025-06-01", "--wide", config=english).stdout.splitlines()


def test_a_revocation_in_a_facts_file_keeps_its_ground(config: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.csv"
    facts.write_text("集群编号,事项,日期,情形\nNMG-2,撤销,2025-02-01,未按时报送年度报告\n", encoding="utf-8")
    assert monitor("import-facts", str(facts), config=config).exit_code == 0
    [entry] = json.loads(monitor("history", "NMG-2", "--format", "json", config=config).stdout)["entries"]
    assert (entry["kind"], entry["ground"]) == ("revocation", "report_not_filed")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("集群编号,事项,日期,情形\nNMG-2,事件,2025-03-01,未按时报送年度报告\n", encoding="utf-8")
    refused = monitor("import-facts", str(wrong), config=config)
    assert refused.exit_code == 2 and "情形 'report_not_filed' 不是以下之一" in refused.stderr, refused.stderr


# --- the roster import's warning ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "name", "region", "warned"), [
    ("2030-01-05T10:00+08:00", "呼和浩特市乳业特色产业集群", "呼和浩特市", True),      # the bar's last day
    ("2030-01-05T23:30+08:00", "呼和浩特市 乳业特色产业集群", "", True),           # a namesake: a space, no region
    ("2030-01-06T00:30+08:00", "呼和浩特市乳业特色产业集群", "呼和浩特市", False),  # the day after, in Beijing time
    ("2027-06-01T10:00+08:00", "呼和浩特市乳业特色产业集群", "包头市", False),      # another region
    ("2027-06-01T10:00+08:00", "呼和浩特市乳业集群", "呼和浩特市", False),          # another name
])
def test_a_new_cluster_named_as_a_barred_one_is_a_warning(config: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, now: str, name: str,
                                                          region: str, warned: bool) -> None:
    at(monkeypatch, now)
    roster = write_roster(tmp_path / "new.csv", f"NMG-9,{name},nmg-sme-draft,2026-07-10,{region},,,,,")
    result = monitor("import", str(roster), config=config)
    assert result.exit_code == 0 and result.stdout == "已导入 new.csv：新增 1 个，更新 0 个\n", result.output
    warning = f"{roster}：第 2 行：{name} 与已撤销的集群 NMG-1 同名，不得再次申报至2030-01-05\n"
    assert result.stderr == (warning if warned else "")
    assert "NMG-9" in [c["id"] for c in status_json(config, "--as-of", "2027-06-01")["clusters"]]


def test_a_known_cluster_imported_again_is_no_namesake(config: Path, tmp_path: Path) -> None:
    again = write_roster(tmp_path / "again.csv", "NMG-1,呼和浩特市乳业特色产业集群,nmg-sme-draft,2023-07-10,呼和浩特市,,,,,")
    result = monitor("import", str(again), config=config)
    assert result.exit_code == 0 and result.stderr == ""


def test_names_compare_after_nfkc_without_spaces() -> None:
    assert name_key(" 呼和浩特市　乳业 集群\t") == "呼和浩特市乳业集群"
    assert name_key("ＡＢＣ１２３集群") == "ABC123集群"
    assert name_key(None) == ""


# --- the console ----------------------------------------------------------------------------------------------------

def test_the_console_records_the_ground_and_shows_the_bar(tmp_path: Path) -> None:
    from tests.web_helpers import add_user, console, csrf_of, seeded

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = seeded(tmp_path, url, CONFIG.replace("nmg-sme-draft", "miit-sme-2022"))
    add_user(config, url, "admin", "admin")
    with console(tmp_path, url, config) as running, running.signed_in("admin") as client:
        page = client.get("/clusters/BT-001").text
        assert 'id="revocation-ground"' in page and "不得再次申报" not in page
        posted = client.post("/clusters/BT-001/facts", data={
            "csrf": csrf_of(page), "fact": "revocation", "on": "2026-11-01", "ground": "violation"})
        assert posted.status_code in (200, 303), posted.text
        page = client.get("/clusters/BT-001").text
        assert '<span id="reapply-barred">不得再次申报至2029-11-01（第二十条）</span>' in page
        assert "情形违法违规" in page
