"""The assessment report's charts: static SVG drawn by matplotlib (its SVG backend, no pyplot, no script), made fit
to inline in a page under a CSP that allows no inline style and in a printed PDF:

- text stays text (``svg.fonttype = "none"``) in a CJK font family, so the Chinese is searchable and extracts as
  written; labels are at least LABEL_PX pixels at the size the chart is drawn, which is never scaled up and fits
  a 390 px phone without being scaled down;
- every ``style="…"`` attribute becomes SVG presentation attributes (``fill="…"``) and the ``<style>`` element
  goes (a CSP's ``style-src`` blocks both, not presentation attributes); no metadata, no XML declaration;
- every data point is a ``<use>`` carrying ``data-year``/``data-value`` (or ``data-cluster``) and a ``<title>``
  a reader's pointer shows and a test reads back; each chart's ids are salted with its key so that many charts
  on one page never share an id.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Sequence
from html import escape
from typing import Any, NamedTuple, cast

import matplotlib

matplotlib.use("svg")

from matplotlib.figure import Figure

#: the fonts the charts' text is set in: Noto Sans CJK SC first (Debian's fonts-noto-cjk, which the PDF uses too)
FONTS = ["Noto Sans CJK SC", "DejaVu Sans"]
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)   # a missing font falls back, said once
LABEL_PX = 11
WIDTH_IN, HEIGHT_IN = 4.6, 2.3        # 331 x 166 px at SVG's 72 units an inch: fits 390 px with the page's margins
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
THRESHOLD = "#b00020"

#: matplotlib's settings are one global: the console draws in several threads, one chart at a time
_LOCK = threading.Lock()
_RC: dict[str, Any] = {"svg.fonttype": "none", "font.family": FONTS, "font.size": LABEL_PX, "axes.titlesize": LABEL_PX,
       "axes.labelsize": LABEL_PX, "xtick.labelsize": LABEL_PX, "ytick.labelsize": LABEL_PX,
       "legend.fontsize": LABEL_PX, "axes.spines.top": False, "axes.spines.right": False, "svg.image_inline": True}


class Point(NamedTuple):
    x: float
    y: float
    attrs: dict[str, str]        # data-* attributes of the point
    title: str                   # what a pointer over it shows


class Series(NamedTuple):
    label: str
    points: list[Point]


class Threshold(NamedTuple):
    value: float
    label: str


def _draw(key: str, series: Sequence[Series], thresholds: Sequence[Threshold | None], xticks: Sequence[float],
          xlabels: Sequence[str], unit: str, lines: bool) -> str:
    """``thresholds``: one a series (its colour), or one for all when there is a single series."""
    with _LOCK, matplotlib.rc_context(cast(Any, {**_RC, "svg.hashsalt": key})):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        axes = figure.add_subplot()
        for n, one in enumerate(series):
            colour = COLOURS[n % len(COLOURS)]
            axes.plot([p.x for p in one.points], [p.y for p in one.points], marker="o", markersize=5,
                      linestyle="-" if lines else "none", color=colour, gid=f"{key}-s{n}", label=one.label)
        for n, rule in enumerate(thresholds):
            if rule is not None:
                colour = THRESHOLD if sum(r is not None for r in thresholds) == 1 else COLOURS[n % len(COLOURS)]
                axes.axhline(rule.value, color=colour, linewidth=1.2, linestyle="--", gid=f"{key}-threshold{n}")
                axes.annotate(rule.label, xy=(1.0, rule.value), xycoords=("axes fraction", "data"), ha="right",
                              va="bottom", color=colour, fontsize=LABEL_PX)
        axes.set_xticks(list(xticks), list(xlabels))
        if len(xticks) == 1:
            axes.set_xlim(xticks[0] - 1, xticks[0] + 1)
        axes.set_ylabel(unit)
        axes.margins(y=0.15)
        if len(series) > 1:
            axes.legend(loc="upper left", frameon=False)
        figure.tight_layout(pad=0.4)
        out = io.StringIO()
        figure.savefig(out, format="svg")
    return _inline(out.getvalue(), key, series)


def series_chart(key: str, title: str, series: Series, unit: str, threshold: Threshold | None = None) -> str:
    """A series' values over the years (a line and its points), and the threshold as a dashed line."""
    years = sorted({p.x for p in series.points})
    svg = _draw(key, [series], [threshold], years, [str(int(y)) for y in years], unit, lines=True)
    return _titled(svg, title)


def distribution_chart(key: str, title: str, groups: Sequence[tuple[Series, Threshold | None]], unit: str) -> str:
    """A region's clusters, one point each, all in ascending order of value along the x axis; one series (a colour)
    a group (a regime), each against its own threshold line."""
    ordered = sorted(((p.y, n, i) for n, (one, _) in enumerate(groups) for i, p in enumerate(one.points)))
    place = {(n, i): float(x + 1) for x, (_, n, i) in enumerate(ordered)}
    placed = [Series(one.label, sorted((Point(place[(n, i)], p.y, p.attrs, p.title) for i, p in enumerate(one.points)),
                                       key=lambda p: p.x)) for n, (one, _) in enumerate(groups)]
    ticks = [float(n) for n in range(1, len(ordered) + 1)] if len(ordered) <= 10 else []
    svg = _draw(key, placed, [rule for _, rule in groups], ticks, [str(int(t)) for t in ticks], unit, lines=False)
    return _titled(svg, title)


def _titled(svg: str, title: str) -> str:
    return svg.replace(">", f'><title>{escape(title)}</title>', 1)


# --- what matplotlib writes, made fit to inline ---------------------------------------------------------------

_PRESENTATION = {"fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-linejoin",
                 "stroke-linecap", "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity",
                 "font-size", "font-family", "font-weight", "font-style", "text-anchor", "clip-path"}


def _attributes(style: str) -> str:
    """``fill: #fff; stroke: none`` as ``fill="#fff" stroke="none"`` (what SVG allows as attributes)."""
    found = []
    for part in style.split(";"):
        name, _, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if name == "font":          # "font: 11px 'Noto Sans CJK SC'"
            size, _, family = value.partition(" ")
            found += [("font-size", size), ("font-family", family)]
        elif name in _PRESENTATION:
            found.append((name, value))
        elif name:
            raise ValueError(f"a chart's style {name!r} has no SVG attribute")
    return " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in found)


def _inline(svg: str, key: str, series: Sequence[Series]) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'<style type="text/css">.*?</style>\s*', "", svg, flags=re.DOTALL)
    svg = re.sub(r'style="([^"]*)"', lambda m: _attributes(m.group(1)), svg)
    svg = re.sub(r'\s(width|height)="([\d.]+)pt"', lambda m: f' {m.group(1)}="{round(float(m.group(2)))}"', svg,
                 count=2)
    svg = svg.replace("<svg ", f'<svg class="chart" data-chart="{escape(key)}" stroke-linejoin="round" '
                      'stroke-linecap="butt" role="img" ', 1)
    for n, one in enumerate(series):
        svg = _mark_points(svg, f"{key}-s{n}", one)
    return svg.strip()


def _mark_points(svg: str, gid: str, series: Series) -> str:
    """The series' group gets its label; its n-th ``<use>`` (one a marker, in the order drawn) its point's data."""
    start = svg.index(f'<g id="{gid}">')
    head = f'<g id="{gid}" class="series" data-label="{escape(series.label, quote=True)}">'
    body_start = start + len(f'<g id="{gid}">')
    uses = list(re.finditer(r"<use [^>]*?/>", svg[body_start:]))[:len(series.points)]
    if len(uses) != len(series.points):
        raise ValueError(f"chart {gid}: {len(uses)} markers drawn for {len(series.points)} points")
    pieces, at = [svg[:start], head], body_start
    for match, point in zip(uses, series.points, strict=True):
        pieces.append(svg[at:body_start + match.start()])
        data = " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in point.attrs.items())
        pieces.append(match.group(0)[:-2] + f' class="point" {data}><title>{escape(point.title)}</title></use>')
        at = body_start + match.end()
    pieces.append(svg[at:])
    return "".join(pieces)
