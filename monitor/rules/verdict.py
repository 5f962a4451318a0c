"""What the engine returns: a cluster's state, its obligations and its warnings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from monitor.rules.states import OPEN, ClusterState, ObligationState, Severity


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


@dataclass(frozen=True, slots=True)
class Verdict:
    cluster_id: str
    state: ClusterState
    valid_until: dt.date | None
    obligations: tuple[Obligation, ...]
    warnings: tuple[Alert, ...]
    publicity: Publicity | None = None
    reapply_barred_until: dt.date | None = None     # revoked and barred from applying again through this day

    @property
    def top_severity(self) -> int:
        """The rank of the most severe warning (Severity.rank), 0 when there is none."""
        return max((w.severity.rank for w in self.warnings), default=0)
