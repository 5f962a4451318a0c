"""Pack language v3 end to end (docs/rules.md, "Evaluation cycles" and "Rectification"): the two new kinds of fact
recorded from the command line and a facts file, refused where the regime has no such rule, and what they give shown
in status, the calendar, the history and `monitor regimes`, in both languages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.errors import PackError
from monitor.rules.engine import evaluate
from monitor.rules.facts import Cluster, EvaluationResult, Facts
from monitor.rules.packs import parse_pack
from monitor.rules.workdays import WorkCalendar
from monitor.views.packref import WORKED
from tests.helpers import monitor, own_config, status_json, write_roster

NOW = "2026-06-01T09:00:00+08:00"


def obligations(config: Path, cluster_id: str = "PR-1") -> dict[str, dict[str, object]]:
    cluster = next(c for c in status_json(config)["clusters"] if c["id"] == cluster_id)
    return {o["key"]: o for o in cluster["obligations"]}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MONITOR_NOW", NOW)
    monkeypatch.setattr("monitor.clock._offsets", [])       # the clock reads MONITOR_NOW once a process
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "prov-rect.toml").write_text(WORKED, encoding="utf-8")
    roster = write_roster(tmp_path / "roster.csv", "PR-1,某市特色产业集群,prov-rect,2024-03-20,某市,,,,,",
                          "NMG-1,另一集群,nmg-sme-draft,2024-03-20,呼和浩特市,,,,,")
    return own_config(tmp_path, text=f'[general]\npacks_dir = "{packs}"\n', roster=roster)


def test_an_evaluation_and_a_rectification_recorded_settle_their_obligations(config: Path) -> None:
    assert monitor("record", "evaluation", "PR-1", "--result", "fail", "--on", "2026-05-10", config=config).exit_code == 0
    cluster = next(c for c in status_json(config)["clusters"] if c["id"] == "PR-1")
    by_key = {o["key"]: o for o in cluster["obligations"]}
    assert by_key["evaluation:2026-03-19"]["state"] == "done"
    assert by_key["rectification:evaluation:2026-05-10"] == {
        **by_key["rectification:evaluation:2026-05-10"], "due": "2026-11-10", "state": "pending", "basis": "第十五条"}
    assert "评估未通过（2026-05-10）" in [w["message"] for w in cluster["warnings"]]
    result = monitor("record", "rectification", "PR-1", "--on", "2026-05-20", "--note", "验收通过", config=config)
    assert result.exit_code == 0 and "2026-05-20完成的整改" in result.output
    by_key = obligations(config)
    assert by_key["rectification:evaluation:2026-05-10"]["state"] == "done"
    history = monitor("history", "PR-1", config=config)
    assert "事实1：周期评估（evaluation）结果未通过，日期2026-05-10，现行" in history.output
    assert "整改（rectification）日期2026-05-20，备注验收通过，现行" in history.output


def test_a_regime_without_the_rule_refuses_the_fact(config: Path) -> None:
    for args in (["evaluation", "NMG-1", "--result", "pass", "--on", "2026-05-10"],
                 ["rectification", "NMG-1", "--on", "2026-05-10"]):
        result = monitor("record", *args, config=config)
        assert result.exit_code != 0
        assert "nmg-sme-draft" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "评估" not in monitor("history", "NMG-1", config=config).output


def test_a_bad_result_or_a_day_before_certification_is_refused_naming_it(config: Path) -> None:
    result = monitor("record", "evaluation", "PR-1", "--result", "applied", "--on", "2026-05-10", config=config)
    assert result.exit_code != 0 and "applied" in result.output + result.stderr
    result = monitor("record", "rectification", "PR-1", "--on", "2024-01-01", config=config)
    assert result.exit_code != 0 and "2024-01-01" in result.stderr


def test_a_facts_file_records_them_in_chinese_words(config: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.csv"
    facts.write_text("cluster,fact,result,on,note\nPR-1,评估,未通过,2026-05-10,\nPR-1,整改,,2026-05-20,验收\n",
                     encoding="utf-8")
    result = monitor("import-facts", str(facts), config=config)
    assert result.exit_code == 0, result.output + result.stderr
    by_key = obligations(config)
    assert by_key["rectification:evaluation:2026-05-10"]["done_on"] == "2026-05-20"


def test_the_calendar_and_regimes_name_them(config: Path) -> None:
    calendar = monitor("calendar", config=config)
    assert calendar.exit_code == 0 and "周期评估" in calendar.output
    regimes = monitor("regimes", config=config)
    assert "周期评估：每2年一次，周期届满后3个月内完成（第十四条）" in regimes.output
    assert "限期整改：评估、复核未通过后6个月内整改（复核3个月）（第十五条）" in regimes.output
    assert "复核申请期：有效期满前3个月内（第十条）" in regimes.output
    assert "连续2年未按时报送年度报告：撤销（第二十条（二））" in regimes.output
    assert "复核未通过：风险（第二十条（一））" in regimes.output


def test_rectification_after_a_kind_the_pack_lacks_is_refused() -> None:
    text = WORKED.replace('after = ["evaluation", "review"]', 'after = ["assessment"]').replace(
        'months_by_kind = { review = 3 }', '')
    with pytest.raises(PackError, match=r"rectification\.after: 'assessment' but the pack has no \[assessment\]"):
        import tomllib
        parse_pack(tomllib.loads(text), "prov-rect.toml", "prov-rect")


@pytest.mark.parametrize(("results", "settled"), [
    # (evaluation results, the cycle each settles: FIFO, the earliest begun by its day)
    ((("pass", "2026-05-10"),), {"evaluation:2026-03-19": "2026-05-10"}),
    ((("pass", "2026-07-01"), ("pass", "2027-01-01")), {"evaluation:2026-03-19": "2026-07-01"}),
])
def test_a_result_settles_the_earliest_open_cycle(results: tuple[tuple[str, str], ...],
                                                  settled: dict[str, str]) -> None:
    import tomllib
    pack = parse_pack(tomllib.loads(WORKED), "prov-rect.toml", "prov-rect")
    facts = Facts(Cluster("PR-1", "集群", "prov-rect", dt.date(2024, 3, 20)),
                  evaluations=tuple(EvaluationResult(r, dt.date.fromisoformat(on)) for r, on in results))
    verdict = evaluate(pack, facts, dt.date(2027, 2, 1), WorkCalendar.load())
    done = {o.key: str(o.done_on) for o in verdict.obligations if o.kind == "evaluation"}
    assert done == settled


def test_the_adoption_table_names_every_rule_the_worked_pack_adopts() -> None:
    import tomllib

    from monitor.views.regimes import adoption_row
    pack = parse_pack(tomllib.loads(WORKED), "prov-rect.toml", "prov-rect")
    row = adoption_row(pack)
    assert row[1:9] == ["3 years (第十条), window 3 months", "by Apr 1 (第十二条), 2 missed in a row revoke",
                        "3 months (第十三条)", "—", "every 2 years (第十四条)",
                        "6 months after a failed evaluation or review (第十五条)", "3 years (第二十一条)",
                        "7 working days (第九条)"]
