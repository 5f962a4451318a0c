"""Annual monitoring in the engine (docs/rules.md, "Annual monitoring"; monitor/rules/monitoring.py): the standard's
warnings in the run-up to the review and only then, plan targets at their margin, the pack language's checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.errors import PackError
from monitor.rules.engine import evaluate
from monitor.rules.facts import Cluster, Facts, IndicatorValue, PlanTarget, Review
from monitor.rules.indicators import load_vocabulary
from monitor.rules.packs import Pack, check_packs, load_packs, parse_pack
from monitor.rules.stages import next_change
from monitor.rules.standard_items import check_standards
from monitor.rules.states import Severity, StandardState
from monitor.rules.verdict import Verdict
from monitor.rules.workdays import WorkCalendar
from tests.conftest import d

PACKS = load_packs()
CALENDAR = WorkCalendar.load()
#: a cluster of miit-sme-2022 meeting 附件 一 but for its leading share at exactly 70 (高于70%: unmet)
ROWS = [(2022, "output", 100), (2023, "output", 110), (2024, "output", 125), (2025, "output", 140),
        (2025, "sme_output_share", 75), (2025, "leading_share", 70), (2025, "area", 80),
        (2025, "champions", 1), (2025, "little_giants", 0)]


def facts(regime: str = "miit-sme-2022", certified: str = "2023-07-10", rows: list | None = None,
          **kw: object) -> Facts:
    indicators = tuple(IndicatorValue(y, c, float(v)) for y, c, v in (ROWS if rows is None else rows))
    return Facts(Cluster("C-1", "集群", regime, d(certified)), indicators=indicators, **kw)  # type: ignore[arg-type]


def verdict(f: Facts, as_of: str, margin: float = 10.0, pack: Pack | None = None) -> Verdict:
    return evaluate(pack or PACKS[f.cluster.regime], f, d(as_of), CALENDAR, plan_margin=margin)


def codes(v: Verdict, prefix: str = "standard_") -> list[str]:
    return sorted(w.key for w in v.warnings if w.code.startswith(prefix))


def test_verdicts_are_listed_whenever_but_warnings_only_in_the_run_up() -> None:
    # certified 2024-01-10, valid_until 2027-01-09: the run-up opens 12 months before, on 2026-01-10
    before = verdict(facts(certified="2024-01-10"), "2026-01-09")
    assert len(before.standards) == 10 and codes(before) == []
    opened = verdict(facts(certified="2024-01-10"), "2026-01-10")
    assert "standard_unmet:leading-share:2027-01-09" in codes(opened)
    unmet = next(w for w in opened.warnings if w.key == "standard_unmet:leading-share:2027-01-09")
    assert (unmet.severity, unmet.basis) == (Severity.RISK, "附件 一；第十五条")
    assert dict(unmet.params)["figures"] == "2025 70"
    no_data = [w for w in opened.warnings if w.code == "standard_no_data"]
    assert no_data and all(w.severity is Severity.NOTICE for w in no_data)


def test_the_review_result_ends_the_run_up() -> None:
    applied = facts(reviews=(Review("applied", d("2026-05-01")),))
    assert codes(verdict(applied, "2026-06-01"))                   # applied: no result yet, still warned
    passed = facts(reviews=(Review("applied", d("2026-05-01")), Review("pass", d("2026-06-15"))))
    assert codes(verdict(passed, "2026-06-14"))
    assert codes(verdict(passed, "2026-06-15")) == []             # the new period's run-up opens 2028-07-10
    assert codes(verdict(passed, "2028-07-09")) == []
    assert codes(verdict(passed, "2028-07-10"))
    failed = facts(reviews=(Review("fail", d("2026-06-15")),))
    assert codes(verdict(failed, "2026-06-15")) == []


def test_an_expired_certification_without_result_is_still_warned() -> None:
    assert "standard_unmet:leading-share:2026-07-09" in codes(verdict(facts(), "2026-09-01"))


def test_an_application_window_opens_the_run_up(tmp_path: Path) -> None:
    data = tomllib.loads((Path("monitor/packs/miit-sme-2022.toml")).read_text(encoding="utf-8"))
    data["validity"]["application_window_months"] = 3
    windowed = parse_pack(data, "w.toml", "miit-sme-2022")
    assert codes(verdict(facts(), "2026-04-09", pack=windowed)) == []
    assert codes(verdict(facts(), "2026-04-10", pack=windowed))


def test_nmg_leading_share_at_60_is_met_where_miit_at_70_is_not() -> None:
    rows = [(2025, "leading_share", 60)]
    nmg = verdict(facts("nmg-sme-draft", rows=rows), "2026-05-01")
    assert {s.item: s.state for s in nmg.standards}["leading-share"] is StandardState.MET
    miit = verdict(facts(rows=[(2025, "leading_share", 70)]), "2026-05-01")
    assert {s.item: s.state for s in miit.standards}["leading-share"] is StandardState.UNMET


def test_a_regime_without_a_standard_has_no_verdicts() -> None:
    v = verdict(facts("ah-amc-2024"), "2026-05-01")
    assert v.standards == () and codes(v) == []


def test_the_daemon_comes_back_when_the_run_up_opens() -> None:
    v = verdict(facts(), "2025-05-01")
    assert next_change(v, d("2025-05-01"), {"renewal_review": (), "annual_report": ()}, 7, {}) <= d("2025-07-10")
    without = verdict(facts("ah-amc-2024"), "2025-05-01")
    assert next_change(without, d("2025-05-01"), {}, 7, {}) == d("2026-01-01")


def test_indicator_inconsistent_is_a_notice_citing_the_item() -> None:
    rows = [(2022, "leading_output", 100), (2025, "leading_output", 115.7625), (2025, "leading_growth_3y", 7)]
    v = verdict(facts("nmg-sme-draft", rows=rows), "2026-05-01")
    found = [w for w in v.warnings if w.code == "indicator_inconsistent"]
    assert [(w.severity, w.basis) for w in found] == [(Severity.NOTICE, "第五条（二）")]
    assert dict(found[0].params)["other_value"] == "7"


# --- plan targets ---------------------------------------------------------------------------------------------------
TARGET = (PlanTarget("output", 2023, 2026, 160),)     # 100 in 2023 to 160 in 2026: the line is 120 in 2024, 140 in 2025


@pytest.mark.parametrize(("value", "margin", "behind"), [
    (126, 10.0, False),         # 140 × 0.9 = 126: at the margin, not behind
    (125.99, 10.0, True),
    (139.99, 0.0, True),        # margin 0: any shortfall
    (140, 0.0, False),
    (110, 25.0, False),         # 140 × 0.75 = 105
])
def test_plan_target_behind_at_the_margin(value: float, margin: float, behind: bool) -> None:
    f = facts(rows=[(2023, "output", 100), (2025, "output", value)], targets=TARGET)
    found = [w for w in verdict(f, "2026-05-01", margin).warnings if w.code == "plan_target_behind"]
    assert bool(found) is behind
    if found:
        assert (found[0].severity, found[0].basis, dict(found[0].params)["expected"]) == (Severity.RISK, "第十五条", "140")


def test_plan_target_missed_once_the_target_year_is_recorded() -> None:
    f = facts(rows=[(2023, "output", 100), (2026, "output", 159.9)], targets=TARGET)
    assert codes(verdict(f, "2026-12-31"), "plan_") == []                    # 2026 is not read before 2027
    assert codes(verdict(f, "2027-01-01"), "plan_") == ["plan_target_missed:output:2026"]
    met = facts(rows=[(2023, "output", 100), (2026, "output", 160)], targets=TARGET)
    assert codes(verdict(met, "2027-01-01"), "plan_") == []


def test_a_target_below_the_base_is_behind_when_the_value_stays_above_its_line() -> None:
    down = (PlanTarget("area", 2023, 2025, 80),)          # 100 → 80: the line is 90 in 2024
    assert codes(verdict(facts(rows=[(2023, "area", 100), (2024, "area", 99.1)], targets=down), "2025-03-01"),
                 "plan_") == ["plan_target_behind:area:2025"]
    assert codes(verdict(facts(rows=[(2023, "area", 100), (2024, "area", 99)], targets=down), "2025-03-01"),
                 "plan_") == []


def test_without_the_base_years_value_there_is_no_line() -> None:
    f = facts(rows=[(2025, "output", 1)], targets=TARGET)
    assert codes(verdict(f, "2026-05-01"), "plan_") == []


# --- the pack language ----------------------------------------------------------------------------------------------
def _pack(**compare: object) -> dict:
    data = tomllib.loads(Path("monitor/packs/nmg-sme-draft.toml").read_text(encoding="utf-8"))
    data["standard"] = [{"id": "x", "label": "…", "basis": "第五条",
                         "compare": [{"indicator": "output", "word": "以上", "threshold": 1, "window": "latest",
                                      **compare}]}]
    return data


@pytest.mark.parametrize(("change", "error"), [
    ({"word": "大于"}, "standard[0].compare[0].word: '大于' is not one of"),
    ({"window": "latest", "rates": "rd_growth"}, "standard[0].compare[0].rates: only an average_growth window reads one"),
    ({"indicator": "Output"}, "standard[0].compare[0].indicator"),
    ({"window": "average_growth", "indicator": "champions+little_giants"}, "an average growth reads one indicator"),
])
def test_a_bad_item_is_refused_naming_its_key(change: dict, error: str) -> None:
    with pytest.raises(PackError) as raised:
        parse_pack(_pack(**change), "x.toml", "nmg-sme-draft")
    assert error in str(raised.value.said)


@pytest.mark.parametrize(("change", "error"), [
    ({"indicator": "turnover"}, "standard[0].compare[0].indicator: 'turnover' is not an indicator"),
    ({"window": "average_growth", "rates": "output"}, "standard[0].compare[0].rates: 'output' is not a growth indicator"),
    ({"window": "average_growth", "indicator": "rd_growth"}, "'rd_growth' is itself a yearly rate"),
])
def test_codes_are_checked_against_the_vocabulary(change: dict, error: str) -> None:
    pack = parse_pack(_pack(**change), "x.toml", "nmg-sme-draft")
    with pytest.raises(PackError) as raised:
        check_standards([pack], load_vocabulary())
    assert error in str(raised.value.said)


def test_monitor_regimes_check_names_an_unknown_indicator(tmp_path: Path) -> None:
    text = Path("monitor/packs/nmg-sme-draft.toml").read_text(encoding="utf-8")
    (tmp_path / "prov.toml").write_text(text.replace('id = "nmg-sme-draft"', 'id = "prov"')
                                        .replace('indicator = "iiot_share"', 'indicator = "iot"'), encoding="utf-8")
    problems = [str(p) for p in check_packs(tmp_path)]
    assert len(problems) == 1 and "'iot' is not an indicator" in problems[0]


def test_an_item_id_twice_is_refused() -> None:
    data = _pack()
    data["standard"].append(dict(data["standard"][0]))
    with pytest.raises(PackError, match=r"standard\[1\]\.id: 'x' is listed twice"):
        parse_pack(data, "x.toml", "nmg-sme-draft")


def test_the_bundled_standards_cite_their_articles_and_say_their_readings() -> None:
    miit, nmg = PACKS["miit-sme-2022"].standard, PACKS["nmg-sme-draft"].standard
    assert {i.basis for i in miit} == {"附件 一", "附件 二", "附件 四", "附件 五"}
    assert {i.basis for i in nmg} == {"第五条（二）", "第五条（三）", "第五条（五）", "第五条（六）"}
    ambiguous = {i.id: i.reading for i in nmg if i.reading}
    assert "（A或B）且C" in ambiguous["rd-or-patent-growth"] and "一般" in ambiguous["area"]
    check_standards(PACKS.values(), load_vocabulary())


def test_a_cluster_without_any_figure_is_not_warned_item_by_item() -> None:
    nothing = verdict(facts(rows=[]), "2026-05-01")
    assert codes(nothing) == [] and {s.state for s in nothing.standards} == {StandardState.NO_DATA}
    one = verdict(facts(rows=[(2025, "area", 80)]), "2026-05-01")
    assert len(codes(one)) == 9 and all(key.startswith("standard_no_data:") for key in codes(one))
    too_late = verdict(facts(rows=[(2026, "area", 80)]), "2026-05-01")     # 2026 is not read as of 2026
    unused = verdict(facts(rows=[(2025, "enterprises", 80)]), "2026-05-01")     # no item reads it
    assert codes(too_late) == [] and codes(unused) == []


def test_monitor_regimes_describes_each_item_as_the_pack_reads_it() -> None:
    from monitor.views.regimes import describe_pack

    zh = "\n".join(describe_pack(PACKS["nmg-sme-draft"], "zh"))
    assert "认定标准（年度监测）：9项" in zh and "有效期满前12个月起" in zh
    assert ("`leading-share`：主导产业产值占集群总产值的60%以上（第五条（二））：`leading_share` >= 60 最近一年"
            in zh)
    assert "`rd_growth` >= 5 近三年年均增速 或 `patents` >= 10 近三年年均增速（缺数值时取各年增速 `patent_growth`）" in zh
    assert "解读：原文“A，或B，C”读作（A或B）且C" in zh
    en = "\n".join(describe_pack(PACKS["miit-sme-2022"], "en"))
    assert "`leading-share`: 主导产业产值占集群总产值比例高于70% (附件 一): `leading_share` > 70 latest year" in en
    assert "standard" not in "\n".join(describe_pack(PACKS["ah-amc-2024"], "en"))
