"""`monitor report report.html`: one self-contained page to look at (no network needed to open it).

The counts by state and severity, a chart of the obligations falling due in the next twelve months by regime
(inline SVG, drawn here; it includes those that only become known within the window, such as next year's
annual reports), and the table of warnings, each citing its article. The roster is read a
slice at a time; the table lists the MAX_WARNINGS most severe warnings and counts the rest.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.engine import evaluate
from monitor.rules.listing import Evaluated
from monitor.rules.packs import Pack
from monitor.rules.states import Severity
from monitor.rules.workdays import WorkCalendar
from monitor.views.files import write_whole
from monitor.views.words import term, warning_message, words

MONTHS = 12
MAX_WARNINGS = 2000
#: regime colours, in the order of the regimes' ids (colour-blind safe, Okabe–Ito)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CHART = {"width": 960, "height": 280, "left": 48, "bottom": 36, "top": 16}

@dataclass
class Tally:
    """What the page shows, gathered one slice of the roster at a time."""
    as_of: dt.date
    months: list[dt.date]
    clusters: int = 0
    states: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    obligations: Counter[str] = field(default_factory=Counter)
    timeline: dict[str, list[int]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    hidden: int = 0

    def month_of(self, day: dt.date) -> int | None:
        index = (day.year - self.as_of.year) * 12 + day.month - self.as_of.month
        return index if 0 <= index < MONTHS and day >= self.as_of else None

    def keep_most_severe(self) -> None:
        if len(self.warnings) > 2 * MAX_WARNINGS:
            self.warnings.sort(key=_warning_order)
            self.hidden += len(self.warnings) - MAX_WARNINGS
            del self.warnings[MAX_WARNINGS:]


def _warning_order(row: dict[str, Any]) -> tuple[int, str, str]:
    return -Severity(row["severity"]).rank, row["cluster_id"], row["key"]


def tally(items: Iterable[Evaluated], as_of: dt.date, lang: str, packs: Mapping[str, Pack],
          calendar: WorkCalendar) -> Tally:
    start = as_of.replace(day=1)
    result = Tally(as_of, [start + relativedelta(months=n) for n in range(MONTHS)])
    horizon = start + relativedelta(months=MONTHS) - dt.timedelta(days=1)
    for facts, verdict in items:
        cluster = facts.cluster
        result.clusters += 1
        result.states[verdict.state] += 1
        for o in verdict.obligations:
            if o.is_open:
                result.obligations[o.state] += 1
        # the chart also counts what becomes known within the window (next year's annual reports from
        # January 1): the same facts evaluated at the window's end, minus what was done by as_of
        if verdict.state != "revoked":
            for o in evaluate(packs[cluster.regime], facts, horizon, calendar).obligations:
                month = result.month_of(o.due) if o.due is not None else None
                if month is not None and not (o.done_on is not None and o.done_on <= as_of):
                    result.timeline.setdefault(cluster.regime, [0] * MONTHS)[month] += 1
        for w in verdict.warnings:
            result.severities[w.severity] += 1
            result.warnings.append({
                "cluster_id": cluster.id, "cluster_name": cluster.name, "regime": cluster.regime,
                "severity": w.severity, "severity_label": term(w.severity, lang), "key": w.key,
                "message": warning_message(w, lang), "due": w.due, "basis": w.basis})
        result.keep_most_severe()
    result.warnings.sort(key=_warning_order)
    result.hidden += max(0, len(result.warnings) - MAX_WARNINGS)
    del result.warnings[MAX_WARNINGS:]
    return result


def chart(result: Tally, lang: str) -> dict[str, Any]:
    """Stacked bars in SVG coordinates: one bar a month, one segment a regime."""
    width, height, left, bottom, top = (CHART[k] for k in ("width", "height", "left", "bottom", "top"))
    totals = [sum(counts[n] for counts in result.timeline.values()) for n in range(MONTHS)]
    peak = max([*totals, 1])
    step = _nice_step(peak)
    scale_top = step * -(-peak // step)
    plot = height - bottom - top
    slot = (width - left) / MONTHS
    regimes = sorted(result.timeline)
    colours = {regime: PALETTE[i % len(PALETTE)] for i, regime in enumerate(regimes)}
    bars = []
    for n, month in enumerate(result.months):
        y = float(height - bottom)
        segments = []
        for regime in regimes:
            count = result.timeline[regime][n]
            if count:
                size = plot * count / scale_top
                y -= size
                segments.append({"regime": regime, "count": count, "y": round(y, 2), "height": round(size, 2),
                                 "colour": colours[regime]})
        bars.append({"month": month.strftime("%Y-%m"), "label": f"{month.month}月" if lang == "zh" else
                     month.strftime("%b %y"), "x": round(left + n * slot + slot * 0.15, 2),
                     "width": round(slot * 0.7, 2), "total": totals[n], "segments": segments})
    ticks = [{"value": v, "y": round(height - bottom - plot * v / scale_top, 2)}
             for v in range(0, scale_top + 1, step)]
    return {**CHART, "bars": bars, "ticks": ticks, "legend": [{"regime": r, "colour": colours[r]} for r in regimes]}


def _nice_step(peak: int) -> int:
    """A round gridline step giving at most five lines."""
    step = 1
    while peak / step > 5:
        for factor in (2, 5, 10):
            if peak / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("monitor.views", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",)), trim_blocks=True,
                       lstrip_blocks=True)


def write_report(path: Path, items: Iterable[Evaluated], as_of: dt.date, now: dt.datetime, lang: str, timezone: str,
                 packs: Mapping[str, Pack], calendar: WorkCalendar) -> Tally:
    result = tally(items, as_of, lang, packs, calendar)
    said = words("report", lang)
    page = _environment().get_template("report.html").render(
        lang=lang, words=said, result=result, chart=chart(result, lang),
        generated=now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M"),
        states=[(s, term(s, lang), result.states[s]) for s in ("in_force", "expired", "revoked")],
        severities=[(s, term(s, lang), result.severities[s]) for s in ("revocation", "risk", "notice")],
        obligations=[(s, term(s, lang), result.obligations[s]) for s in ("overdue", "pending")],
        documents={p.id: f"{p.title}（{p.document}）" for p in packs.values()},
        more=said["more"].format(count=result.hidden))
    write_whole(path, lambda out: out.write(page.encode("utf-8")))
    return result
