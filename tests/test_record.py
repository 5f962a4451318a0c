"""The record (issue 11): facts are numbered, append-only versions; corrections are new versions with who,
when and why; history shows them all; --known-at replays the record as it stood; archived clusters leave the
roster without leaving the record; stricter facts; Chinese values and ids in any case."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from db.models import ArchiveRow, FactRow
from monitor.app import App
from tests.helpers import in_chinese, monitor, status_json, write_roster

ROWS = (
    "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,乌兰察布市,运营,op@example.cn,,,",
    "AH-1,安徽集群,ah-amc-2024,2024-06-30,合肥市,,,,,",
)


@pytest.fixture
def roster(app: App, config_file: Path, tmp_path: Path) -> Path:
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *ROWS)), config=config_file).exit_code == 0
    return config_file


def ok(config: Path, *args: str) -> str:
    result = monitor(*args, config=config)
    assert result.exit_code == 0, result.output
    return result.stdout


def number(output: str) -> int:
    found = re.search(r"fact (\d+)", output)
    assert found is not None, output
    return int(found.group(1))


def history(config: Path, cluster: str, *args: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(ok(config, "history", cluster, "--format", "json", *args))["entries"]
    return entries


def report_state(config: Path, as_of: str, *args: str) -> str:
    [cluster] = status_json(config, "--as-of", as_of, "--cluster", "NMG-1", *args)["clusters"]
    [report] = [o for o in cluster["obligations"] if o["key"] == "annual_report:2024"]
    return str(report["state"])


def test_amend_and_retract_keep_every_version_with_who_when_and_why(app: App, roster: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first = number(ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01"))
    assert report_state(roster, "2025-04-01") == "done"
    monkeypatch.setenv("MONITOR_USER", "li")
    amended = ok(roster, "amend", str(first), "--filed-on", "2025-03-20", "--reason", "报送日期录入错误")
    second = number(amended.split("amends")[0])
    assert amended == (f"NMG-1: fact {second} amends fact {first}: the report on 2024, filed 2025-03-20 "
                       "(was: the report on 2024, filed 2025-03-01)\n")
    assert report_state(roster, "2025-04-01") == "late"
    retracted = ok(roster, "retract", str(second), "--reason", "实际未报送")
    third = number(retracted)
    assert report_state(roster, "2025-04-01") == "overdue"             # the obligation is open again
    entries = history(roster, "NMG-1")
    assert [(e["number"], e["state"], e["by"], e["reason"]) for e in entries] == [
        (first, "superseded", "tester", None), (second, "retracted", "li", "报送日期录入错误"),
        (third, "retraction", "li", "实际未报送")]
    assert entries[0]["filed_on"] == "2025-03-01" and entries[1]["replaces"] == first
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FactRow)).scalar_one() == 3
    # the same report recorded anew is a new fact; the retracted one stays retracted
    fourth = number(ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-05"))
    assert fourth == third + 1 and report_state(roster, "2025-04-01") == "done"
    table = ok(roster, "history", "NMG-1")
    assert f"fact {second} report year=2024 filed_on=2025-03-20 (amends fact {first}) [retracted by fact {third}]" \
        in table


@pytest.mark.parametrize(("args", "said"), [
    (("amend", "1", "--reason", "x"), "give what to change"),
    (("amend", "1", "--filed-on", "2025-03-01", "--reason", "x"), "fact 1 already says that"),
    (("amend", "1", "--changed-on", "2025-03-01", "--reason", "x"), "--changed-on does not apply to a report"),
    (("amend", "1", "--filed-on", "2025-03-02", "--reason", "  "), "--reason is required"),
    (("amend", "1", "--filed-on", "2099-03-02", "--reason", "x"), "is in the future"),
    (("amend", "2", "--year", "2024", "--reason", "x"), "fact 1 already records the report on 2024"),
    (("amend", "1", "--year", "2025", "--reason", "x"), "before that year ended"),
    (("amend", "9", "--year", "2025", "--reason", "x"), "there is no fact 9"),
    (("retract", "3", "--reason", "x"), "there is no fact 3"),
])
def test_bad_corrections_are_refused_and_store_nothing(app: App, roster: Path, args: tuple[str, ...],
                                                       said: str) -> None:
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    ok(roster, "record", "report", "NMG-1", "--year", "2025", "--filed-on", "2026-03-01")
    result = monitor(*args, config=roster)
    assert result.exit_code == 2 and said in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FactRow)).scalar_one() == 2


def test_only_the_version_in_force_can_be_corrected(roster: Path) -> None:
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    ok(roster, "amend", "1", "--filed-on", "2025-03-02", "--reason", "typo")
    again = monitor("amend", "1", "--filed-on", "2025-03-03", "--reason", "typo", config=roster)
    assert again.exit_code == 2 and "fact 1 was superseded by fact 2" in again.stderr and "correct fact 2" in again.stderr
    assert re.search(r", \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00\): correct", again.stderr), again.stderr  # as history
    ok(roster, "retract", "2", "--reason", "wrong cluster")
    twice = monitor("retract", "2", "--reason", "again", config=roster)
    assert twice.exit_code == 2 and "fact 2 was retracted by fact 3" in twice.stderr
    of_retraction = monitor("amend", "3", "--filed-on", "2025-03-03", "--reason", "x", config=roster)
    assert of_retraction.exit_code == 2 and "is the retraction of fact 2" in of_retraction.stderr


def test_a_correction_can_make_a_cluster_revocable_and_not_revocable(roster: Path) -> None:
    def codes() -> set[str]:
        [cluster] = status_json(roster, "--as-of", "2027-01-02", "--cluster", "AH-1")["clusters"]
        return {w["code"] for w in cluster["warnings"] if w["severity"] == "revocation"}

    ok(roster, "record", "assessment", "AH-1", "--year", "2024", "--result", "未通过", "--on", "2025-01-10")
    second = number(ok(roster, "record", "assessment", "AH-1", "--year", "2025", "--result", "通过",
                       "--on", "2026-01-10"))
    assert codes() == set()
    failed = number(ok(roster, "amend", str(second), "--result", "fail", "--reason", "结果公布有误"))
    assert codes() == {"assessment_failed_consecutive"}                 # now revocable
    ok(roster, "amend", str(failed), "--result", "pass", "--reason", "复核后更正")
    assert codes() == set()                                             # and no longer


def test_known_at_replays_the_record_as_it_stood(roster: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_NOW", "2026-11-01T10:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    monkeypatch.setenv("MONITOR_NOW", "2026-11-10T10:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    ok(roster, "amend", "1", "--filed-on", "2025-03-20", "--reason", "late after all")
    assert report_state(roster, "2025-04-01") == "late"
    assert report_state(roster, "2025-04-01", "--known-at", "2026-11-05") == "done"
    assert report_state(roster, "2025-04-01", "--known-at", "2026-11-10T09:59:59+08:00") == "done"
    assert report_state(roster, "2025-04-01", "--known-at", "2026-11-10T10:00:01+08:00") == "late"
    assert report_state(roster, "2025-04-01", "--known-at", "2026-10-31") == "overdue"   # nothing recorded yet
    early = history(roster, "NMG-1", "--known-at", "2026-11-05")
    assert [(e["number"], e["state"]) for e in early] == [(1, "current")]
    bad = monitor("status", "--known-at", "yesterday", config=roster)
    assert bad.exit_code == 2 and "not a timestamp" in bad.stderr


def test_stricter_facts_name_the_rule(roster: Path) -> None:
    for args, said in [
        (("assessment", "AH-1", "--year", "2023", "--result", "fail", "--on", "2024-07-01"),
         "AH-1 was not certified that year"),
        (("report", "NMG-1", "--year", "2022", "--filed-on", "2023-12-01"), "the first report NMG-1 owes is on 2023"),
        (("change", "NMG-1", "--kind", "operator", "--changed-on", "2023-10-01"), "before the certification"),
        (("change", "NMG-1", "--kind", "operator", "--changed-on", "2025-03-01", "--filed-on", "2025-02-01"),
         "is before the change"),
        (("review", "NMG-1", "--result", "pass", "--on", "2099-01-01"), "is in the future"),
        (("review", "NMG-1", "--result", "maybe", "--on", "2025-01-01"), "'maybe' is not one of applied (已申请)"),
    ]:
        result = monitor("record", *args, config=roster)
        assert result.exit_code == 2 and said in result.stderr, (args, result.output)


def test_chinese_values_and_ids_in_any_case(roster: Path) -> None:
    ok(roster, "record", "change", "nmg-1", "--kind", "主导产业", "--changed-on", "2025-01-31")
    ok(roster, "record", "review", "Nmg-1", "--result", "已申请", "--on", "2026-07-01")
    [entry, review] = history(roster, "nmg-1")
    assert (entry["change_kind"], review["result"]) == ("leading_industry", "applied")
    [cluster] = status_json(roster, "--as-of", "2025-02-01", "--cluster", "nmg-1")["clusters"]
    assert cluster["id"] == "NMG-1"


def test_the_database_refuses_to_edit_or_delete_a_fact(app: App, roster: Path) -> None:
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    ok(roster, "roster", "archive", "AH-1", "--reason", "重复录入")
    for statement in ("UPDATE fact SET filed_on = NULL", "DELETE FROM fact", "DELETE FROM archive"):
        with app.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))


def test_no_action_emits_an_update_or_delete_of_a_fact(app: App, roster: Path, tmp_path: Path) -> None:
    """Every path that writes facts, watched at the driver: only INSERTs reach the fact and archive tables."""
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    facts = tmp_path / "facts.csv"
    facts.write_text("集群编号,事项,变更类型,变更日期,报送日期\nNMG-1,重大变动,运营管理机构,2025-01-31,2025-02-20\n",
                     encoding="utf-8")
    steps = [("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01"),
             ("record", "change", "NMG-1", "--kind", "operator", "--changed-on", "2025-01-31"),
             ("import-facts", str(facts)),
             ("amend", "1", "--filed-on", "2025-03-02", "--reason", "x"), ("retract", "4", "--reason", "x"),
             ("roster", "archive", "AH-1", "--reason", "x"), ("roster", "unarchive", "AH-1", "--reason", "x")]
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        for step in steps:
            ok(roster, *step)
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    writes = [s for s in seen if re.match(r"\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(fact|archive)\b", s, re.IGNORECASE)]
    assert writes and all(s.lstrip().upper().startswith("INSERT") for s in writes)


def test_archived_clusters_leave_the_roster_but_not_the_record(app: App, roster: Path, tmp_path: Path) -> None:
    ok(roster, "record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01")
    assert ok(roster, "roster", "archive", "nmg-1", "--reason", "重复录入") == "NMG-1: archived (重复录入)\n"
    assert [c["id"] for c in status_json(roster, "--as-of", "2025-04-01")["clusters"]] == ["AH-1"]
    assert {c["id"] for c in status_json(roster, "--as-of", "2025-04-01", "--include-archived")["clusters"]} == {
        "AH-1", "NMG-1"}
    named = monitor("status", "--cluster", "NMG-1", config=roster)
    assert named.exit_code == 2 and "cluster 'NMG-1' is archived" in named.stderr
    assert "NMG-1" not in ok(roster, "calendar", "--as-of", "2025-04-01")
    assert "NMG-1" in ok(roster, "calendar", "--as-of", "2025-04-01", "--include-archived")
    again = monitor("import", str(write_roster(tmp_path / "again.csv", ROWS[0])), config=roster)
    assert again.exit_code == 2
    assert "line 2: id: cluster 'NMG-1' is archived" in again.stderr and "重复录入" in again.stderr
    refused = monitor("record", "report", "NMG-1", "--year", "2025", "--filed-on", "2026-03-01", config=roster)
    assert refused.exit_code == 2 and "is archived" in refused.stderr
    assert monitor("roster", "archive", "NMG-1", "--reason", "x", config=roster).exit_code == 2
    ok(roster, "roster", "unarchive", "NMG-1", "--reason", "误操作")
    assert [c["id"] for c in status_json(roster, "--as-of", "2025-04-01")["clusters"]] == ["NMG-1", "AH-1"]
    kinds = [(e["type"], e.get("archived")) for e in history(roster, "NMG-1")]
    assert kinds == [("fact", None), ("archive", True), ("archive", False)]
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ArchiveRow)).scalar_one() == 2


def test_history_lists_holds_and_an_empty_record(roster: Path) -> None:
    assert history(roster, "NMG-1") == []
    assert "(nothing recorded)" in ok(roster, "history", "NMG-1")
    ok(roster, "snooze", "NMG-1", "annual_report:2025", "--until", "2099-01-01", "--note", "已电话催报")
    [hold] = history(roster, "NMG-1")
    assert (hold["type"], hold["subject"], hold["until"], hold["note"], hold["by"]) == (
        "snooze", "annual_report:2025", "2099-01-01", "已电话催报", "tester")
    unknown = monitor("history", "NOPE", config=roster)
    assert unknown.exit_code == 2 and "unknown cluster 'NOPE'" in unknown.stderr


def test_a_review_result_long_before_the_validity_ends_needs_a_reason(roster: Path) -> None:
    """First-week issue, item 5: NMG-1 is in force until 2026-10-14 (nmg-sme-draft has no application window), so a
    result before 2025-10-15 (12 months before the last day + 1) is refused, in English and Chinese, nothing stored;
    with --reason it is recorded, the reason kept and shown by history."""
    early = monitor("record", "review", "NMG-1", "--result", "pass", "--on", "2025-10-14", config=roster)
    assert early.exit_code == 2
    assert early.output.strip() == ("error: --on 2025-10-14: a review result before 2025-10-15 is implausible for the "
                                    "validity ending 2026-10-14 (a reason that explains it records it anyway)")
    zh = monitor("record", "review", "NMG-1", "--result", "fail", "--on", "2025-06-01", config=in_chinese(roster))
    assert zh.exit_code == 2 and "有效期至 2026-10-14，早于 2025-10-15 的复核结果不合常理" in zh.output
    assert history(roster, "NMG-1") == []
    [cluster] = status_json(roster, "--as-of", "2025-12-01", "--cluster", "NMG-1")["clusters"]
    assert cluster["valid_until"] == "2026-10-14"
    ok(roster, "record", "review", "NMG-1", "--result", "pass", "--on", "2025-10-15")    # the first plausible day
    ok(roster, "record", "review", "NMG-1", "--result", "applied", "--on", "2024-07-01")   # an application is not a result
    passed = ok(roster, "record", "review", "NMG-1", "--result", "pass", "--on", "2026-03-01", "--reason",
                "提前复核：省厅2026年2月通知")
    assert "recorded fact" in passed
    # the second pass belongs to the period the first began (until 2029-10-14): it is early for that one too,
    # and recorded because a reason explains it
    [entry] = [e for e in history(roster, "NMG-1") if e["on"] == "2026-03-01"]
    assert entry["reason"] == "提前复核：省厅2026年2月通知"
    assert "提前复核：省厅2026年2月通知" in ok(roster, "history", "NMG-1")


def test_an_amendment_that_moves_a_result_early_is_checked_too(roster: Path) -> None:
    """amend always gives a reason, which explains the earlier day; the facts file has none and is refused."""
    first = number(ok(roster, "record", "review", "NMG-1", "--result", "pass", "--on", "2026-09-01"))
    ok(roster, "amend", str(first), "--on", "2025-01-02", "--reason", "结果通知日期录入错误")
    [cluster] = status_json(roster, "--as-of", "2026-12-01", "--cluster", "NMG-1")["clusters"]
    assert cluster["valid_until"] == "2029-10-14"
