"""The assessment report's figures (docs/rules.md, "Annual monitoring"; issue 28, item 5), computed with pandas from
plain values: the clusters as ``Subject``s (no session, no verdict objects beyond the contract's tuples).

- ``pivot``: one row a (cluster, indicator), one column a year, the value reported;
- ``growth``: each (cluster, indicator)'s change on the year before, in percent (where both years are reported and
  the earlier one is above zero);
- ``ranks``: each cluster's rank within its regime on each main indicator in the report's year, highest first
  (equal values share the better rank: 1, 2, 2, 4);
- ``regions``: per region, the clusters, those that reported for the year, total and median output, the total's
  growth over the clusters that reported both years, and the standard's counts (all met, any unmet, at risk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from monitor.rules.facts import IndicatorValue
from monitor.rules.states import StandardState
from monitor.rules.verdict import StandardVerdict

#: the indicators every cluster is ranked on and the summary table shows, beside those its standard reads: the
#: scale of the cluster (集群总产值), its leading industry and its innovation, as the declaration form leads with them
MAIN_INDICATORS = ("output", "leading_output", "leading_share", "sme_output_share", "rd_intensity",
                   "patents_per_10k")
#: the years a cluster's table shows: the report's year and the four before it, where anything is recorded
YEARS_SHOWN = 5


class Subject(NamedTuple):
    """One cluster as the assessment reads it."""
    id: str
    name: str
    region: str                     # "" when the roster has none
    regime: str
    state: str                      # in_force | expired | revoked
    values: tuple[IndicatorValue, ...]
    standards: tuple[StandardVerdict, ...]
    next_review: dt.date | None     # the open renewal review's due day, else the validity's end
    concerns: tuple[str, ...] = ()  # the monitoring warnings' messages (plan targets, inconsistencies), in words


def at_risk(subject: Subject) -> bool:
    """At risk at its next review: an item of its standard unmet or without data, or a plan target behind."""
    return subject.state != "revoked" and (
        any(s.state is not StandardState.MET for s in subject.standards) or bool(subject.concerns))


def long_frame(subjects: Iterable[Subject]) -> pd.DataFrame:
    """Every value: columns cluster, year, code, value (one row per value reported)."""
    rows = [(s.id, v.year, v.code, float(v.value)) for s in subjects for v in s.values]
    return pd.DataFrame(rows, columns=["cluster", "year", "code", "value"]).astype(
        {"cluster": "string", "year": "int64", "code": "string", "value": "float64"})


def years_of(values: pd.DataFrame, year: int) -> list[int]:
    """The years shown: those up to the report's year with any value, the last YEARS_SHOWN of them (the report's
    year always among them)."""
    found = sorted({int(y) for y in values["year"].unique() if y <= year} | {year})
    return found[-YEARS_SHOWN:]


def pivot(values: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Index (cluster, code), one column a year of ``years``; NaN where nothing is reported."""
    if values.empty:
        index = pd.MultiIndex.from_arrays([[], []], names=["cluster", "code"])
        return pd.DataFrame(index=index, columns=list(years), dtype="float64")
    table = values.pivot_table(index=["cluster", "code"], columns="year", values="value", aggfunc="last")
    return table.reindex(columns=list(years))


def growth(table: pd.DataFrame, year: int) -> pd.Series:
    """Percent change of ``year`` on the year before, per (cluster, code); NaN where it cannot be computed."""
    if year not in table.columns or year - 1 not in table.columns:
        return pd.Series(float("nan"), index=table.index, dtype="float64")
    before, now = table[year - 1], table[year]
    return ((now / before.where(before > 0)) - 1.0) * 100.0


def ranks(table: pd.DataFrame, year: int, regimes: pd.Series, codes: Sequence[str]) -> pd.DataFrame:
    """Index cluster, one column a code: the rank within the cluster's regime in ``year`` (1 = highest value), and
    the number of clusters of the regime ranked on it (column ``CODE_of``)."""
    if year not in table.columns:
        return pd.DataFrame(index=regimes.index)
    wide = table[year].unstack("code").reindex(index=regimes.index, columns=list(codes))
    wide["regime"] = regimes
    grouped = wide.groupby("regime")
    out = pd.DataFrame(index=regimes.index)
    for code in codes:
        out[code] = grouped[code].rank(method="min", ascending=False)
        out[f"{code}_of"] = grouped[code].transform("count")
    return out


@dataclass
class Figures:
    """All the report's figures, computed once."""
    year: int
    years: list[int]
    table: pd.DataFrame         # pivot()
    change: pd.Series           # growth() in the report's year
    rank: pd.DataFrame          # ranks() on MAIN_INDICATORS
    regions: pd.DataFrame       # region_summary()

    def __post_init__(self) -> None:
        """The figures as dictionaries, read once out of the frames (a scalar lookup in a frame is slow)."""
        stacked: Any = self.table.stack().dropna() if not self.table.empty else pd.Series(dtype="float64")
        self._values: dict[tuple[str, str, int], float] = {
            (str(key[0]), str(key[1]), int(key[2])): float(v) for key, v in stacked.to_dict().items()}
        self._codes: dict[str, list[str]] = {}
        for cluster, code in dict.fromkeys((c, k) for c, k, _ in self._values):
            self._codes.setdefault(cluster, []).append(code)
        change: Any = self.change.dropna().to_dict()
        self._growth = {(str(key[0]), str(key[1])): float(v) for key, v in change.items()}
        self._ranks: dict[tuple[str, str], tuple[int, int]] = {}
        for code in MAIN_INDICATORS:
            if code in self.rank.columns:
                both = self.rank[[code, f"{code}_of"]].dropna()
                for cluster, place, of in zip(both.index, both[code], both[f"{code}_of"], strict=True):
                    self._ranks[(str(cluster), code)] = (int(place), int(of))

    def value(self, cluster: str, code: str, year: int) -> float | None:
        return self._values.get((cluster, code, year))

    def growth_of(self, cluster: str, code: str) -> float | None:
        return self._growth.get((cluster, code))

    def rank_of(self, cluster: str, code: str) -> tuple[int, int] | None:
        return self._ranks.get((cluster, code))

    def codes_of(self, cluster: str) -> list[str]:
        """The codes the cluster has any value of, in the table's order."""
        return self._codes.get(cluster, [])


def region_summary(subjects: Sequence[Subject], table: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row a region (by name, "" for none), the columns docs/interface.md lists."""
    frame = pd.DataFrame({
        "cluster": [s.id for s in subjects], "region": [s.region for s in subjects],
        "met": [bool(s.standards) and all(v.state is StandardState.MET for v in s.standards) for s in subjects],
        "unmet": [any(v.state is StandardState.UNMET for v in s.standards) for s in subjects],
        "at_risk": [at_risk(s) for s in subjects]}).set_index("cluster")
    output = pd.Series(float("nan"), index=frame.index, dtype="float64")
    before = output.copy()
    if not table.empty and "output" in table.index.get_level_values("code"):
        series = table.xs("output", level="code")
        if year in series.columns:
            output = series[year].reindex(frame.index)
        if year - 1 in series.columns:
            before = series[year - 1].reindex(frame.index)
    reported = set(table.index.get_level_values("cluster")[table[year].notna()]) if year in table.columns else set()
    frame["reported"] = [c in reported for c in frame.index]
    frame["output"] = output
    both = output.notna() & before.notna()
    frame["output_both"] = output.where(both)
    frame["before_both"] = before.where(both)
    grouped = frame.groupby("region", sort=True)
    summary = pd.DataFrame({
        "clusters": grouped.size(),
        "reported": grouped["reported"].sum(),
        "output_total": grouped["output"].sum(min_count=1),
        "output_median": grouped["output"].median(),
        "met": grouped["met"].sum(),
        "unmet": grouped["unmet"].sum(),
        "at_risk": grouped["at_risk"].sum(),
    })
    now, then = grouped["output_both"].sum(min_count=1), grouped["before_both"].sum(min_count=1)
    summary["output_growth"] = (now / then.where(then > 0) - 1.0) * 100.0
    return summary


def figures(subjects: Sequence[Subject], year: int) -> Figures:
    values = long_frame(subjects)
    years = years_of(values, year)
    table = pivot(values, years)
    regimes = pd.Series({s.id: s.regime for s in subjects}, dtype="object")
    return Figures(year, years, table, growth(table, year), ranks(table, year, regimes, MAIN_INDICATORS),
                   region_summary(subjects, table, year))
