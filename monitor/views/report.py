"""`monitor report report.html` (or `.pdf`): one self-contained page to look at (no network needed to open it).

The department's name and the day; the counts by state and by severity (labelled so that 撤销情形, a ground for
revocation, is never read as 已撤销); totals by region; a chart of the obligations falling due in the next
twelve months by policy (inline SVG, drawn here; it includes those that only become known within the window,
such as next year's annual reports); and one row per cluster with warnings, most severe first, each warning
with its article and its date. The roster is read a slice at a time; the table lists the MAX_ROWS most severe
clusters and counts the rest. Below 640 px (a page forwarded to a phone) each row becomes a block.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.collation import pinyin_key
from monitor.rules.engine import evaluate
from monitor.rules.listing import Evaluated
from monitor.rules.packs import Pack
from monitor.rules.states import Severity
from monitor.rules.verdict import Alert, Verdict
from monitor.rules.workdays import WorkCalendar
from monitor.views.files import write_whole
from monitor.views.times import person_time
from monitor.views.words import term, warning_message, words

MONTHS = 12
MAX_ROWS = 2000
#: regime colours, in the order of the regimes' ids (colour-blind safe, Okabe–Ito)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CHART = {"width": 960, "height": 280, "left": 64, "bottom": 44, "top": 28}

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
    rows: list[dict[str, Any]] = field(default_factory=list)
    regions: dict[str, Counter[str]] = field(default_factory=dict)
    hidden: int = 0

    def month_of(self, day: dt.date) -> int | None:
        index = (day.year - self.as_of.year) * 12 + day.month - self.as_of.month
        return index if 0 <= index < MONTHS and day >= self.as_of else None

    def keep_most_severe(self) -> None:
        if len(self.rows) > 2 * MAX_ROWS:
            self.rows.sort(key=_row_order)
            self.hidden += len(self.rows) - MAX_ROWS
            del self.rows[MAX_ROWS:]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Every listed warning, most severe first (the rows' warnings, flattened)."""
        return [w for row in self.rows for w in row["warnings"]]


def _row_order(row: dict[str, Any]) -> tuple[int, int, str]:
    return -Severity(row["top"]).rank, -len(row["warnings"]), row["cluster_id"]


def _warning_day(warning: Alert, verdict: Verdict) -> dt.date | None:
    """The day a warning is about: the day it quotes, else its obligation's due day, else a day it names."""
    if warning.due is not None:
        return warning.due
    obligation = next((o for o in verdict.obligations if o.key == warning.obligation), None)
    if obligation is not None and obligation.due is not None:
        return obligation.due
    return next((v for _, v in warning.params if isinstance(v, dt.date)), verdict.valid_until)


def tally(items: Iterable[Evaluated], as_of: dt.date, lang: str, packs: Mapping[str, Pack],
          calendar: WorkCalendar, monitoring_from: dt.date | None = None,
          acked: Mapping[str, Mapping[str, dt.date]] | None = None,
          snoozed: Mapping[str, Mapping[str, dt.date]] | None = None) -> Tally:
    """The page's counts, chart and warnings; ``acked`` (by cluster, warning key: the day an acknowledgement runs
    through) marks a warning acknowledged, as the console marks it: it is still counted and listed; ``snoozed``
    (by cluster, obligation key) marks a warning about a snoozed obligation the same way."""
    start = as_of.replace(day=1)
    result = Tally(as_of, [start + relativedelta(months=n) for n in range(MONTHS)])
    horizon = start + relativedelta(months=MONTHS) - dt.timedelta(days=1)
    said = words("report", lang)
    for facts, verdict in items:
        cluster = facts.cluster
        result.clusters += 1
        result.states[verdict.state] += 1
        region = result.regions.setdefault(cluster.region or "", Counter())
        region["clusters"] += 1
        region[verdict.state] += 1
        for o in verdict.obligations:
            if o.is_open:
                result.obligations[o.state] += 1
        # the chart also counts what becomes known within the window (next year's annual reports from
        # January 1): the same facts evaluated at the window's end, minus what was done by as_of
        if verdict.state != "revoked":
            for o in evaluate(packs[cluster.regime], facts, horizon, calendar, monitoring_from).obligations:
                month = result.month_of(o.due) if o.due is not None else None
                if month is not None and o.state != "unrecorded" and not (o.done_on is not None
                                                                         and o.done_on <= as_of):
                    result.timeline.setdefault(cluster.regime, [0] * MONTHS)[month] += 1
        for w in verdict.warnings:
            result.severities[w.severity] += 1
            region[w.severity] += 1
        if verdict.warnings:
            pack = packs.get(cluster.regime)
            result.rows.append({
                "cluster_id": cluster.id, "cluster_name": cluster.name, "region": cluster.region or "",
                "regime": cluster.regime, "policy": pack.title if pack else cluster.regime,
                "state": verdict.state, "state_label": term(verdict.state, lang), "valid_until": verdict.valid_until,
                "top": verdict.warnings[0].severity,
                "warnings": [{"cluster_id": cluster.id, "severity": w.severity, "key": w.key,
                              "severity_label": said[f"severity_{w.severity}"], "message": warning_message(w, lang),
                              "day": _warning_day(w, verdict), "basis": w.basis,
                              "acked_until": (acked or {}).get(cluster.id, {}).get(w.key),
                              "snoozed_until": (snoozed or {}).get(cluster.id, {}).get(w.obligation or "")}
                             for w in verdict.warnings]})
        result.keep_most_severe()
    result.rows.sort(key=_row_order)
    result.hidden += max(0, len(result.rows) - MAX_ROWS)
    del result.rows[MAX_ROWS:]
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


def region_rows(result: Tally, lang: str) -> list[dict[str, Any]]:
    """One row a region (by pinyin; clusters without one last), and the total."""
    said = words("report", lang)
    named = sorted((name for name in result.regions if name), key=pinyin_key)
    rows = [{"name": name, **result.regions[name]} for name in named]
    if "" in result.regions:
        rows.append({"name": said["no_region"], **result.regions[""]})
    total: Counter[str] = Counter()
    for counts in result.regions.values():
        total.update(counts)
    return [*rows, {"name": said["total"], "total": True, **total}]


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
                 packs: Mapping[str, Pack], calendar: WorkCalendar, department: str = "",
                 monitoring_from: dt.date | None = None,
                 acked: Mapping[str, Mapping[str, dt.date]] | None = None,
                 snoozed: Mapping[str, Mapping[str, dt.date]] | None = None) -> Tally:
    """The page, written whole to ``path``; a ``.pdf`` path gets the page printed by headless Chromium."""
    result = tally(items, as_of, lang, packs, calendar, monitoring_from, acked, snoozed)
    said = words("report", lang)
    page = _environment().get_template("report.html").render(
        lang=lang, words=said, result=result, chart=chart(result, lang), department=department,
        generated=person_time(now, timezone),
        states=[(s, term(s, lang), result.states[s]) for s in ("in_force", "expired", "revoked")],
        severities=[(s, said[f"severity_{s}"], result.severities[s]) for s in ("revocation", "risk", "notice")],
        obligations=[(s, term(s, lang), result.obligations[s]) for s in ("overdue", "pending")],
        regions=region_rows(result, lang),
        policies={p.id: p.title for p in packs.values()},
        documents={p.id: f"{p.title}（{p.document}）" for p in packs.values()},
        more=said["more"].format(count=result.hidden))
    if path.suffix.lower() == ".pdf":
        from monitor.views.pdf import print_pdf

        print_pdf(page, path)
    else:
        write_whole(path, lambda out: out.write(page.encode("utf-8")))
    return result
