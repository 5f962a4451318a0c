"""Clusters worked by hand from the two texts (miit-sme-2022 附件, nmg-sme-draft 第五条; see docs/rules.md,
"Annual monitoring"), values at the thresholds included: a data sheet fed through `monitor import-indicators`, then
`monitor status --format json` as of 2026-05-10 (近三年 2023–2025; a growth from 2022 to 2025), each cluster's
"standards" compared whole with what is written here.

Each cluster is a base (every item met) with a few values changed; what each item must say is written out in
full below (the static part of each item, its indicator, comparison, threshold, window and article, in ITEMS,
written from the texts, not read from the packs). Growths worked by hand: 100 → 140.4928 is 1.12³, 12%;
100 → 133.1 and 1000 → 1331 are 1.1³, exactly 10% (高于10%: not met; 不低于10%: met); 8000 → 12167 is
(23/20)³, exactly 15% (不低于: met); 8000 → 12166 is 14.9968%; 1000 → 1330 is 9.9724%; 50 → 57.88125 is 1.05³, 5%; rates 14, 15, 16 give (1.14·1.15·1.16)^(1/3) − 1 = 14.9971%.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from monitor.app import App
from tests.helpers import monitor, status_json, write_roster

#: item → (indicator, comparison, threshold, window, article), as the texts state them
ITEMS: dict[str, dict[str, tuple[str, str, float, str, str]]] = {
    "miit-sme-2022": {
        "area": ("area", "<=", 100, "latest", "附件 一"),                     # 一般不超过100平方公里
        "output": ("output", ">=", 40, "each_year", "附件 一"),               # 近三年产值均在40亿元以上
        "sme-output-share": ("sme_output_share", ">=", 70, "latest", "附件 一"),   # 70%以上
        "leading-share": ("leading_share", ">", 70, "latest", "附件 一"),     # 高于70%
        "output-growth": ("output", ">", 10, "average_growth", "附件 一"),    # 产值年均增速高于10%
        "enterprises": ("champions+little_giants", ">=", 1, "latest", "附件 二"),
        "rd-growth": ("rd_growth", ">", 10, "average_growth", "附件 四"),
        "patent-growth": ("patents", ">=", 15, "average_growth", "附件 四"),
        "patents-per-10k": ("patents_per_10k", ">=", 15, "latest", "附件 四"),
        "iiot": ("iiot_share", ">=", 15, "latest", "附件 五"),
    },
    "nmg-sme-draft": {
        "area": ("area", "<=", 200, "latest", "第五条（二）"),
        "output": ("output", ">=", 15, "each_year", "第五条（二）"),
        "sme-output-share": ("sme_output_share", ">=", 60, "latest", "第五条（二）"),
        "leading-share": ("leading_share", ">=", 60, "latest", "第五条（二）"),     # 60%以上: 60 is met
        "leading-growth": ("leading_output", ">=", 5, "average_growth", "第五条（二）"),
        "enterprises": ("champions+little_giants", ">=", 1, "latest", "第五条（三）"),
        "rd-or-patent-growth": ("rd_growth", ">=", 5, "average_growth", "第五条（五）"),
        "patents-per-10k": ("patents_per_10k", ">=", 5, "latest", "第五条（五）"),
        "iiot": ("iiot_share", ">=", 8, "latest", "第五条（六）"),
    },
}
#: the second alternatives (或)
SECOND = {("miit-sme-2022", "enterprises"): ("specialised_smes+high_tech", ">=", 10, "latest"),
          ("nmg-sme-draft", "enterprises"): ("specialised_smes+high_tech", ">=", 2, "latest"),
          ("nmg-sme-draft", "rd-or-patent-growth"): ("patents", ">=", 10, "average_growth")}

# --- the data: a base for each regime, every item met --------------------------------------------------------------
MIIT_BASE: dict[str, dict[int, float]] = {
    "output": {2022: 100, 2023: 110, 2024: 121, 2025: 140.4928},
    "sme_output_share": {2025: 75}, "leading_share": {2025: 72}, "area": {2025: 80},
    "champions": {2025: 1}, "little_giants": {2025: 0}, "specialised_smes": {2025: 5}, "high_tech": {2025: 3},
    "rd_growth": {2023: 11, 2024: 11, 2025: 11},
    "patents": {2022: 8000, 2025: 12167},
    "patents_per_10k": {2025: 20}, "iiot_share": {2025: 18},
}
NMG_BASE: dict[str, dict[int, float]] = {
    "output": {2023: 20, 2024: 22, 2025: 25},
    "sme_output_share": {2025: 65}, "leading_share": {2025: 60}, "area": {2025: 150},
    "leading_output": {2022: 50, 2025: 57.88125},
    "champions": {2025: 0}, "little_giants": {2025: 0}, "specialised_smes": {2025: 1}, "high_tech": {2025: 1},
    "rd_growth": {2023: 5, 2024: 5, 2025: 5},
    "patents": {2022: 1000, 2025: 1331},
    "patents_per_10k": {2025: 5}, "iiot_share": {2025: 8},
}


def m(state: str, values: dict[str, float], missing: list[int] | None = None, growth: str | None = None
      ) -> dict[str, Any]:
    """What one comparison says (its static part is added from ITEMS)."""
    found: dict[str, Any] = {"state": state, "values": values}
    if missing:
        found["missing"] = missing
    if growth:
        found["growth"] = growth
    return found


MIIT_EXPECTED: dict[str, Any] = {
    "area": m("met", {"2025": 80}),
    "output": m("met", {"2023": 110, "2024": 121, "2025": 140.4928}),
    "sme-output-share": m("met", {"2025": 75}),
    "leading-share": m("met", {"2025": 72}),
    "output-growth": m("met", {"2022": 100, "2025": 140.4928, "growth": 12}, growth="computed"),
    "enterprises": [m("met", {"champions 2025": 1, "little_giants 2025": 0, "2025": 1}),
                    m("unmet", {"specialised_smes 2025": 5, "high_tech 2025": 3, "2025": 8})],
    "rd-growth": m("met", {"2023": 11, "2024": 11, "2025": 11, "growth": 11}, growth="computed"),
    "patent-growth": m("met", {"2022": 8000, "2025": 12167, "growth": 15}, growth="computed"),
    "patents-per-10k": m("met", {"2025": 20}),
    "iiot": m("met", {"2025": 18}),
}
NMG_EXPECTED: dict[str, Any] = {
    "area": m("met", {"2025": 150}),
    "output": m("met", {"2023": 20, "2024": 22, "2025": 25}),
    "sme-output-share": m("met", {"2025": 65}),
    "leading-share": m("met", {"2025": 60}),
    "leading-growth": m("met", {"2022": 50, "2025": 57.88125, "growth": 5}, growth="computed"),
    "enterprises": [m("unmet", {"champions 2025": 0, "little_giants 2025": 0, "2025": 0}),
                    m("met", {"specialised_smes 2025": 1, "high_tech 2025": 1, "2025": 2})],
    "rd-or-patent-growth": [m("met", {"2023": 5, "2024": 5, "2025": 5, "growth": 5}, growth="computed"),
                            m("met", {"2022": 1000, "2025": 1331, "growth": 10}, growth="computed")],
    "patents-per-10k": m("met", {"2025": 5}),
    "iiot": m("met", {"2025": 8}),
}

#: cluster → (regime, values changed from the base (None: not recorded), items' verdicts changed from the base's)
CASES: dict[str, tuple[str, dict[tuple[str, int], float | None], dict[str, Any]]] = {
    "M01": ("miit-sme-2022", {}, {}),
    "M02": ("miit-sme-2022", {("output", 2024): 39.99},                     # one year just under 40
            {"output": m("unmet", {"2023": 110, "2024": 39.99, "2025": 140.4928})}),
    "M03": ("miit-sme-2022", {("output", 2023): 40},                        # 40 itself: 以上 includes it
            {"output": m("met", {"2023": 40, "2024": 121, "2025": 140.4928})}),
    "M04": ("miit-sme-2022", {("output", 2025): 133.1},                     # exactly 10%: 高于 does not include it
            {"output": m("met", {"2023": 110, "2024": 121, "2025": 133.1}),
             "output-growth": m("unmet", {"2022": 100, "2025": 133.1, "growth": 10}, growth="computed")}),
    "M05": ("miit-sme-2022", {("leading_share", 2025): 70},                 # 高于70%: 70 is not
            {"leading-share": m("unmet", {"2025": 70})}),
    "M06": ("miit-sme-2022", {("sme_output_share", 2025): 70},              # 70%以上: 70 is
            {"sme-output-share": m("met", {"2025": 70})}),
    "M07": ("miit-sme-2022", {("sme_output_share", 2025): 69.9},
            {"sme-output-share": m("unmet", {"2025": 69.9})}),
    "M08": ("miit-sme-2022", {("area", 2025): 100}, {"area": m("met", {"2025": 100})}),        # 不超过100
    "M09": ("miit-sme-2022", {("area", 2025): 100.5}, {"area": m("unmet", {"2025": 100.5})}),
    "M10": ("miit-sme-2022", {("champions", 2025): 0, ("specialised_smes", 2025): 6, ("high_tech", 2025): 4},
            {"enterprises": [m("unmet", {"champions 2025": 0, "little_giants 2025": 0, "2025": 0}),
                             m("met", {"specialised_smes 2025": 6, "high_tech 2025": 4, "2025": 10})]}),
    "M11": ("miit-sme-2022", {("champions", 2025): 0, ("specialised_smes", 2025): 6, ("high_tech", 2025): 3},
            {"enterprises": [m("unmet", {"champions 2025": 0, "little_giants 2025": 0, "2025": 0}),
                             m("unmet", {"specialised_smes 2025": 6, "high_tech 2025": 3, "2025": 9})]}),
    "M12": ("miit-sme-2022", {("output", 2024): None},                      # a year missing: no data, named
            {"output": m("no_data", {"2023": 110, "2025": 140.4928}, [2024])}),
    "M13": ("miit-sme-2022", {("output", 2022): None},                      # the year before the window missing
            {"output-growth": m("no_data", {}, [2022])}),
    "M14": ("miit-sme-2022", {("patents", 2022): None, ("patents", 2025): None, ("patent_growth", 2023): 14,
                              ("patent_growth", 2024): 15, ("patent_growth", 2025): 16},
            {"patent-growth": m("unmet", {"patent_growth 2023": 14, "patent_growth 2024": 15, "patent_growth 2025": 16,
                                          "growth": 14.9971}, growth="computed")}),
    "M15": ("miit-sme-2022", {("iiot_share", 2025): 15}, {"iiot": m("met", {"2025": 15})}),
    "M16": ("miit-sme-2022", {("iiot_share", 2025): 14.99}, {"iiot": m("unmet", {"2025": 14.99})}),
    "M17": ("miit-sme-2022", {("rd_growth", 2024): None},                   # a rate missing
            {"rd-growth": m("no_data", {}, [2024])}),
    "M18": ("miit-sme-2022", {("patents_per_10k", 2025): None, ("patents_per_10k", 2023): 16},   # latest: 2023
            {"patents-per-10k": m("met", {"2023": 16})}),
    "M19": ("miit-sme-2022", {("patents", 2025): 12166},
            {"patent-growth": m("unmet", {"2022": 8000, "2025": 12166, "growth": 14.9968}, growth="computed")}),
    "M20": ("miit-sme-2022", {("rd_growth", 2023): 10, ("rd_growth", 2024): 10, ("rd_growth", 2025): 10},
            {"rd-growth": m("unmet", {"2023": 10, "2024": 10, "2025": 10, "growth": 10}, growth="computed")}),
    "N01": ("nmg-sme-draft", {}, {}),
    "N02": ("nmg-sme-draft", {("leading_share", 2025): 59.99}, {"leading-share": m("unmet", {"2025": 59.99})}),
    "N03": ("nmg-sme-draft", {("leading_output", 2022): None, ("leading_growth_3y", 2025): 5},   # reported
            {"leading-growth": m("met", {"leading_growth_3y 2025": 5, "growth": 5}, growth="reported")}),
    "N04": ("nmg-sme-draft", {("leading_growth_3y", 2025): 7}, {}),         # computed 5 used; 7 inconsistent
    "N05": ("nmg-sme-draft", {("rd_growth", 2023): 4, ("rd_growth", 2024): 4, ("rd_growth", 2025): 4},
            {"rd-or-patent-growth": [m("unmet", {"2023": 4, "2024": 4, "2025": 4, "growth": 4}, growth="computed"),
                                     m("met", {"2022": 1000, "2025": 1331, "growth": 10}, growth="computed")]}),
    "N06": ("nmg-sme-draft", {("rd_growth", 2023): 4, ("rd_growth", 2024): 4, ("rd_growth", 2025): 4,
                              ("patents", 2025): 1330},
            {"rd-or-patent-growth": [m("unmet", {"2023": 4, "2024": 4, "2025": 4, "growth": 4}, growth="computed"),
                                     m("unmet", {"2022": 1000, "2025": 1330, "growth": 9.9724}, growth="computed")]}),
    "N07": ("nmg-sme-draft", {("patents_per_10k", 2025): 4.99}, {"patents-per-10k": m("unmet", {"2025": 4.99})}),
    "N08": ("nmg-sme-draft", {("high_tech", 2025): 0},
            {"enterprises": [m("unmet", {"champions 2025": 0, "little_giants 2025": 0, "2025": 0}),
                             m("unmet", {"specialised_smes 2025": 1, "high_tech 2025": 0, "2025": 1})]}),
    "N09": ("nmg-sme-draft", {("output", 2025): 15, ("area", 2025): 200},  # both at the number, both met
            {"output": m("met", {"2023": 20, "2024": 22, "2025": 15}), "area": m("met", {"2025": 200})}),
    "N10": ("nmg-sme-draft", {("iiot_share", 2025): 7.9, ("sme_output_share", 2025): 60},
            {"iiot": m("unmet", {"2025": 7.9}), "sme-output-share": m("met", {"2025": 60})}),
    "N11": ("nmg-sme-draft", {("little_giants", 2025): 1},
            {"enterprises": [m("met", {"champions 2025": 0, "little_giants 2025": 1, "2025": 1}),
                             m("met", {"specialised_smes 2025": 1, "high_tech 2025": 1, "2025": 2})]}),
    "N12": ("nmg-sme-draft", {("output", 2023): 14.99, ("area", 2025): 200.01},
            {"output": m("unmet", {"2023": 14.99, "2024": 22, "2025": 25}), "area": m("unmet", {"2025": 200.01})}),
}


def values_of(regime: str, changes: dict[tuple[str, int], float | None]) -> dict[str, dict[int, float]]:
    data = copy.deepcopy(MIIT_BASE if regime == "miit-sme-2022" else NMG_BASE)
    for (code, year), value in changes.items():
        if value is None:
            data[code].pop(year, None)
        else:
            data.setdefault(code, {})[year] = value
    return data


def _static(regime: str, ident: str, second: bool = False) -> dict[str, Any]:
    indicator, comparison, threshold, window = (SECOND[regime, ident] if second else ITEMS[regime][ident][:4])
    return {"indicator": indicator, "comparison": comparison, "threshold": threshold, "window": window}


def expected(regime: str, changed: dict[str, Any], labels: dict[str, str]) -> list[dict[str, Any]]:
    """The "standards" of a cluster, in full."""
    items = []
    for ident, (_, _, _, _, basis) in ITEMS[regime].items():
        said = {**(MIIT_EXPECTED if regime == "miit-sme-2022" else NMG_EXPECTED), **changed}[ident]
        if isinstance(said, list):        # alternatives: the first met decides, else the first with no data, else the first
            alternatives = [{**_static(regime, ident, n == 1), **a} for n, a in enumerate(said)]
            states = [a["state"] for a in alternatives]
            state = "met" if "met" in states else "no_data" if "no_data" in states else "unmet"
            deciding = alternatives[states.index(state)]
            items.append({"item": ident, "label": labels[ident], **deciding, "state": state, "basis": basis,
                          "alternatives": alternatives})
        else:
            items.append({"item": ident, "label": labels[ident], **_static(regime, ident), **said, "basis": basis})
    return items


@pytest.fixture
def imported(app: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MONITOR_NOW", "2026-05-10T09:00:00+08:00")
    monkeypatch.setattr("monitor.clock._offsets", [])
    rows = [f"{cid},集群{cid},{regime},2023-07-10,包头市,,,,," for cid, (regime, _, _) in CASES.items()]
    assert monitor("import", str(write_roster(tmp_path / "roster.csv", *rows)), config=config_file).exit_code == 0
    codes = sorted({code for regime, changes, _ in CASES.values() for code in values_of(regime, changes)})
    lines = ["cluster,year," + ",".join(codes)]
    for cid, (regime, changes, _) in CASES.items():
        data = values_of(regime, changes)
        for year in (2022, 2023, 2024, 2025):
            cells = [repr(data[c][year]) if year in data.get(c, {}) else "" for c in codes]
            if any(cells):
                lines.append(f"{cid},{year}," + ",".join(cells))
    sheet = tmp_path / "indicators.csv"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = monitor("import-indicators", str(sheet), config=config_file)
    assert result.exit_code == 0, result.output
    return config_file


def test_the_worked_clusters_through_the_sheet_and_status(imported: Path, app: App) -> None:
    assert len(CASES) >= 20
    document = status_json(imported, "--as-of", "2026-05-10")
    clusters = {c["id"]: c for c in document["clusters"]}
    labels = {regime: {item.id: item.label for item in app.packs[regime].standard} for regime in ITEMS}
    for cid, (regime, _, changed) in CASES.items():
        assert clusters[cid]["standards"] == expected(regime, changed, labels[regime]), cid


def test_the_warnings_of_the_worked_clusters(imported: Path) -> None:
    # valid_until 2026-07-09: the run-up opened 2025-07-10; as of 2026-05-10 unmet items are risks, citing both articles
    clusters = {c["id"]: c for c in status_json(imported, "--as-of", "2026-05-10")["clusters"]}

    def codes(cid: str) -> list[tuple[str, str, str]]:
        return sorted((w["code"], w["key"], w["basis"]) for w in clusters[cid]["warnings"]
                      if w["code"].startswith(("standard_", "indicator_")))

    assert codes("M01") == [] and codes("N01") == []
    assert codes("M05") == [("standard_unmet", "standard_unmet:leading-share:2026-07-09", "附件 一；第十五条")]
    assert codes("M12") == [("standard_no_data", "standard_no_data:output:2026-07-09", "附件 一；第十五条")]
    assert codes("N04") == [("indicator_inconsistent", "indicator_inconsistent:leading-growth:leading_output:2025",
                             "第五条（二）")]
    assert codes("N06") == [("standard_unmet", "standard_unmet:rd-or-patent-growth:2026-07-09", "第五条（五）；第十一条")]
    before = {c["id"]: c for c in status_json(imported, "--as-of", "2025-07-09")["clusters"]}
    assert not [w for w in before["M05"]["warnings"] if w["code"].startswith("standard_")]


def test_the_table_counts_the_items_met(imported: Path) -> None:
    result = monitor("status", "--as-of", "2026-05-10", "--wide", config=imported)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line[:1] in "MN" and line[1:3].isdigit()}
    assert " 10/10 " in lines["M01"] and " 9/10 " in lines["M05"] and " 9/10 " in lines["M04"] and " 9/10 " in lines["M11"]
    assert " 9/9 " in lines["N01"] and " 7/9 " in lines["N12"] and " 8/9 " in lines["N06"]
    assert "Standard" in result.stdout.splitlines()[1]


def test_the_review_event_of_the_calendar_lists_the_unmet_items(imported: Path) -> None:
    from icalendar import Calendar

    result = monitor("calendar", "--as-of", "2026-05-10", "--cluster", "M05", config=imported)
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout_bytes)
    said = {str(e["uid"]): str(e["description"]) for e in calendar.walk("VEVENT")}
    review = said["M05/renewal_review:2026-07-09@monitor"]
    assert "standard (annual monitoring): 9 of 10 items met" in review
    assert "not met: 主导产业产值占集群总产值比例高于70% (附件 一)" in review
    assert not [text for uid, text in said.items() if "renewal_review" not in uid and "annual monitoring" in text]


def test_the_digest_of_the_run_up_says_the_unmet_items(imported: Path, tmp_path: Path) -> None:
    import email
    import email.policy

    def admin_text(as_of: str) -> str:
        out = tmp_path / as_of
        result = monitor("digest", "--as-of", as_of, "--preview", str(out), config=imported)
        assert result.exit_code == 0, result.output
        admin = next(p for p in sorted(out.iterdir()) if "admin@" in p.name)
        mail = email.message_from_bytes(admin.read_bytes(), policy=email.policy.default)
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    said = "annual monitoring: “主导产业产值占集群总产值比例高于70%” is not met (2025 70); the renewal review may fail"
    assert said in admin_text("2026-05-10")
    early = admin_text("2025-07-09")      # the day before the run-up: reports overdue, no standard yet
    assert "overdue" in early and "annual monitoring" not in early
