"""`monitor report --monitoring [--year Y] FILE.html|.pdf|.xlsx` and the console's /monitoring page: the annual
assessment report (集群发展评估报告; miit-sme-2022 第十六条) of the evaluated clusters, for one year.

Its figures are computed by ``monitor.views.assessment_data`` (pandas), its charts drawn by
``monitor.views.charts`` (matplotlib, static SVG inlined: no script anywhere, so it works under the console's CSP
and in the PDF). The page: the regions' summary and each region's distribution of the main indicator against its
standard's threshold; the clusters at risk at their next review and why; one row a cluster (the report year's
output, its growth, its rank within its regime, its standard); then, for the DETAILED clusters most in need
(at risk first, nearest review first, then by id), each one's indicators over the years with growth and ranks,
its standard item by item, and its series chart. The workbook holds every cluster's figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.indicators import Vocabulary
from monitor.rules.listing import Evaluated
from monitor.rules.states import StandardState
from monitor.rules.verdict import Measured
from monitor.views import charts
from monitor.views.assessment_data import MAIN_INDICATORS, Figures, Subject, at_risk, figures
from monitor.views.times import person_time
from monitor.views.words import term, warning_message, words

#: the clusters whose details (indicators over the years, standard item by item, series chart) the page shows;
#: each chart takes matplotlib about 70 ms, so a province's 10,000 clusters are listed in the tables and the
#: workbook, and detailed by region (the console's page) or by --cluster
DETAILED = 40
#: the warnings of annual monitoring a cluster's "why" quotes beside its standard's items
CONCERNS = ("plan_target_behind", "plan_target_missed", "indicator_inconsistent")
#: the indicator a region's distribution shows when no standard item of its clusters names a single indicator
DISTRIBUTED = "output"


def number(value: float | None, digits: int = 2) -> str:
    """A figure as the tables print it: thousands separated, at most ``digits`` decimals, "—" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def subject_of(item: Evaluated, lang: str) -> Subject:
    facts, verdict = item
    review = next((o.due for o in verdict.obligations if o.kind == "renewal_review" and o.is_open), None)
    concerns = []
    for w in verdict.warnings:
        if w.code in CONCERNS:
            try:
                concerns.append(warning_message(w, lang))
            except KeyError:        # a code the catalogue has no words for yet is said by its code
                concerns.append(w.code)
    return Subject(facts.cluster.id, facts.cluster.name, facts.cluster.region or "", facts.cluster.regime,
                   str(verdict.state), facts.indicators, verdict.standards, review or verdict.valid_until,
                   tuple(concerns))


def _comparison(m: Measured) -> str:
    return {">=": "≥", ">": ">", "<=": "≤"}.get(m.comparison, m.comparison)


def measured_text(m: Measured, vocabulary: Vocabulary, lang: str) -> str:
    """One alternative as read: 集群总产值 ≥ 40 亿元 (2023 41.2, 2024 45; 缺 2025)."""
    said = words("assessment", lang)
    codes = m.indicator.split("+")
    label = "+".join(vocabulary.by_code[c].label if c in vocabulary else c for c in codes)
    unit = vocabulary.by_code[codes[0]].unit if codes[0] in vocabulary else ""
    used = ", ".join(f"{said.get('window_' + k, k) if not k.isdigit() else k} {number(v)}" for k, v in m.values)
    missing = f"{said['missing']} {'、'.join(str(y) for y in m.missing)}" if m.missing else ""
    extra = "; ".join(part for part in (used, missing) if part)
    return f"{label} {_comparison(m)} {number(m.threshold)} {unit}" + (f" ({extra})" if extra else "")


class Line(NamedTuple):
    """One indicator of a cluster's table."""
    code: str
    label: str
    unit: str
    values: list[tuple[int, float | None]]
    growth: float | None
    rank: tuple[int, int] | None


@dataclass
class Page:
    """What the template shows."""
    year: int
    subjects: list[Subject]
    data: Figures
    detailed: list[Subject]
    risky: list[Subject]


def _need(subject: Subject) -> tuple[bool, dt.date, str]:
    return not at_risk(subject), subject.next_review or dt.date.max, subject.id


def assemble(items: Iterable[Evaluated], year: int, lang: str) -> Page:
    subjects = sorted((subject_of(item, lang) for item in items), key=lambda s: s.id)
    data = figures(subjects, year)
    by_need = sorted(subjects, key=_need)
    return Page(year, subjects, data, by_need[:DETAILED], [s for s in by_need if at_risk(s)])


def _rule(subjects: Sequence[Subject], code: str, lang: str) -> charts.Threshold | None:
    """The threshold of the first standard alternative of these clusters comparing ``code`` alone, year by year or
    latest (clusters of one regime share their standard)."""
    said = words("assessment", lang)
    for s in subjects:
        for item in s.standards:
            for m in item.alternatives:
                if m.indicator == code and m.window in ("each_year", "latest"):
                    return charts.Threshold(m.threshold, f"{said['threshold']} {_comparison(m)} {number(m.threshold)}")
    return None


def distributions(page: Page, vocabulary: Vocabulary, lang: str,
                  policies: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One chart a region: its clusters' value of the distributed indicator in the year, a colour a regime, each
    regime against its own standard's threshold (a series labelled with its policy's name, ``policies``)."""
    said = words("assessment", lang)
    code = DISTRIBUTED
    indicator = vocabulary.by_code.get(code)
    regions: dict[str, dict[str, list[Subject]]] = {}
    for s in page.subjects:
        regions.setdefault(s.region, {}).setdefault(s.regime, []).append(s)
    found = []
    for n, (region, regimes) in enumerate(sorted(regions.items())):
        groups = []
        for regime, subjects in sorted(regimes.items()):
            points = [charts.Point(0, value, {"data-cluster": s.id, "data-value": repr(value)},
                                   f"{s.name} ({s.id}): {number(value)}")
                      for s in subjects if (value := page.data.value(s.id, code, page.year)) is not None]
            if points:
                groups.append((charts.Series((policies or {}).get(regime, regime), points),
                               _rule(subjects, code, lang)))
        if not groups:
            continue
        values = {rule.value for _, rule in groups if rule is not None}
        if len(values) > 1:     # a line a regime, each labelled with its regime
            groups = [(one, rule._replace(label=f"{one.label} {rule.label}") if rule else None) for one, rule in groups]
        elif values:            # one threshold for all: drawn once
            shared = next(rule for _, rule in groups if rule is not None)
            groups = [(one, shared if n == 0 else None) for n, (one, _) in enumerate(groups)]
        name = region or said["no_region"]
        title = f"{name} · {indicator.label if indicator else code} · {page.year}"
        found.append({"region": name, "svg": charts.distribution_chart(
            f"d{n}", title, groups, indicator.unit if indicator else "")})
    return found


def cluster_detail(subject: Subject, n: int, page: Page, vocabulary: Vocabulary, lang: str) -> dict[str, Any]:
    """A cluster's block: its indicators over the years (with growth and ranks), its standard, its chart."""
    said = words("assessment", lang)
    data = page.data
    rows = []
    for code in data.codes_of(subject.id):
        indicator = vocabulary.by_code.get(code)
        rank = data.rank_of(subject.id, code)
        rows.append(Line(code, indicator.label if indicator else code, indicator.unit if indicator else "",
                         [(y, data.value(subject.id, code, y)) for y in data.years],
                         data.growth_of(subject.id, code), rank))
    chart = None
    main = [r for r in rows if r.code == DISTRIBUTED] or rows[:1]
    if main:
        row = main[0]
        points = [charts.Point(y, v, {"data-year": str(y), "data-value": repr(v)}, f"{y}: {number(v)}")
                  for y, v in row.values if v is not None]
        if points:
            chart = charts.series_chart(f"c{n}", f"{subject.name} · {row.label}", charts.Series(row.label, points),
                                        row.unit, _rule([subject], row.code, lang))
    standards = [{"item": s.item, "label": s.label, "basis": s.basis, "state": str(s.state),
                  "state_label": said[f"state_{s.state}"],
                  "alternatives": [measured_text(m, vocabulary, lang) for m in s.alternatives]}
                 for s in subject.standards]
    return {"subject": subject, "rows": rows, "chart": chart, "standards": standards}


def why(subject: Subject, vocabulary: Vocabulary, lang: str) -> list[str]:
    said = words("assessment", lang)
    reasons = [f"{said['state_' + str(s.state)]}：{s.label}（{s.basis}）" if lang == "zh" else
               f"{said['state_' + str(s.state)]}: {s.label} ({s.basis})"
               for s in sorted(subject.standards, key=lambda s: s.state is StandardState.NO_DATA)
               if s.state is not StandardState.MET]
    return reasons + list(subject.concerns)


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("monitor.views", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html",)), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["number"] = number
    return env


def render(page: Page, vocabulary: Vocabulary, as_of: dt.date, now: dt.datetime, lang: str, timezone: str,
           department: str = "", policies: Mapping[str, str] | None = None, link: str | None = None) -> str:
    """The page (HTML). ``link``: the console's address of a region's page ("/monitoring?region="), or none."""
    said = words("assessment", lang)
    data = page.data
    summary = []
    for region, row in data.regions.iterrows():
        summary.append({"region": str(region), "name": str(region) or said["no_region"],
                        **{str(k): (None if math.isnan(v) else v if str(k).startswith("output") else int(v))
                           for k, v in row.items()}})
    clusters = []
    for s in page.subjects:
        counts = {state: sum(1 for v in s.standards if v.state is state) for state in StandardState}
        clusters.append({"subject": s, "output": data.value(s.id, "output", page.year),
                         "growth": data.growth_of(s.id, "output"), "rank": data.rank_of(s.id, "output"),
                         "met": counts[StandardState.MET], "unmet": counts[StandardState.UNMET],
                         "no_data": counts[StandardState.NO_DATA], "at_risk": at_risk(s),
                         "state_label": term(s.state, lang)})
    details = [cluster_detail(s, n, page, vocabulary, lang) for n, s in enumerate(page.detailed)]
    return _environment().get_template("assessment.html").render(
        lang=lang, words=said, page=page, as_of=as_of, department=department, summary=summary, clusters=clusters,
        risky=[{"subject": s, "why": why(s, vocabulary, lang)} for s in page.risky],
        distributions=distributions(page, vocabulary, lang, policies), details=details, policies=policies or {},
        more=len(page.subjects) - len(page.detailed), link=link,
        main=[vocabulary.by_code[c] for c in MAIN_INDICATORS if c in vocabulary],
        generated=person_time(now, timezone))
