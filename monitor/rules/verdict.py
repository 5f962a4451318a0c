"""What the engine returns: a cluster's state, its obligations and its warnings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from monitor.rules.states import OPEN, ClusterState, ObligationState, Severity, StandardState


class Obligation(NamedTuple):
    kind: str                       # annual_report | renewal_review | change_filing
    key: str                        # stable identity within the cluster, e.g. "annual_report:2024"
    due: dt.date | None
    state: ObligationState
    basis: str
    done_on: dt.date | None = None
    days_left: int | None = None
    year: int | None = None
    change_kind: str | None = None
    changed_on: dt.date | None = None
    calendar: str | None = None     # set when the due day relied on a calendar that is not official
    opens: dt.date | None = None    # renewal review with an application window: the window's first day

    @property
    def is_open(self) -> bool:
        return self.state in OPEN


class Alert(NamedTuple):
    """A warning of docs/rules.md (named apart from Python's builtin ``Warning``)."""
    code: str
    severity: Severity
    basis: str
    key: str                        # stable identity within the cluster, e.g. "annual_report_overdue:2024"
    params: tuple[tuple[str, object], ...] = ()
    calendar: str | None = None     # set when a due day it quotes relied on a calendar that is not official
    due: dt.date | None = None      # the due day it quotes, if any
    obligation: str | None = None   # the key of the obligation it is about, if any


class Publicity(NamedTuple):
    start: dt.date
    end: dt.date                    # the last working day of the period (公示5个工作日)
    basis: str
    calendar: str | None = None


class Measured(NamedTuple):
    """One comparison of a standard item: an indicator, or a sum of indicators, against its threshold."""
    indicator: str                  # a code, or codes joined by "+" for a sum ("champions+little_giants")
    comparison: str                 # ">=" | ">" | "<="
    threshold: float
    window: str                     # each_year | average_growth | latest
    state: StandardState
    values: tuple[tuple[str, float], ...] = ()     # what was compared: ("2023", 41.2) a year, or ("growth", 10.4)
    missing: tuple[int, ...] = ()                   # the years with no value (state no_data)
    growth: str | None = None                       # how an average growth was obtained: "computed" | "reported"


class StandardVerdict(NamedTuple):
    """One item of a regime's standard (a pack's [[standard]]) for one cluster: met when any of its alternatives
    (或) is met; else no_data when any is no_data; else unmet."""
    item: str                       # the item's id in the pack
    label: str                      # the text's own words
    basis: str                      # the article
    state: StandardState
    alternatives: tuple[Measured, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    cluster_id: str
    state: ClusterState
    valid_until: dt.date | None
    obligations: tuple[Obligation, ...]
    warnings: tuple[Alert, ...]
    publicity: Publicity | None = None
    reapply_barred_until: dt.date | None = None     # revoked and barred from applying again through this day
    standards: tuple[StandardVerdict, ...] = ()     # annual monitoring: each item of the regime's standard

    @property
    def top_severity(self) -> int:
        """The rank of the most severe warning (Severity.rank), 0 when there is none."""
        return max((w.severity.rank for w in self.warnings), default=0)
