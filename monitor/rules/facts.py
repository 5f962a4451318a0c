"""What the engine reads: a cluster and the facts recorded about it, as frozen values (no session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    name: str
    regime: str
    certified_on: dt.date
    valid_until: dt.date | None = None      # as the list notice states it; else computed
    batch: str | None = None
    region: str | None = None
    operator: str | None = None
    operator_email: tuple[str, ...] = ()
    bureau_email: tuple[str, ...] = ()
    publicity_start: dt.date | None = None


class Report(NamedTuple):
    year: int
    filed_on: dt.date


class Change(NamedTuple):
    kind: str
    changed_on: dt.date
    filed_on: dt.date | None = None


class Review(NamedTuple):
    result: str             # applied | pass | fail
    on: dt.date


class AssessmentResult(NamedTuple):
    year: int
    result: str             # pass | fail
    on: dt.date


class Incident(NamedTuple):
    ground: str
    on: dt.date
    note: str | None = None
    dismissed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    cluster: Cluster
    reports: tuple[Report, ...] = ()
    changes: tuple[Change, ...] = ()
    reviews: tuple[Review, ...] = ()
    assessments: tuple[AssessmentResult, ...] = ()
    incidents: tuple[Incident, ...] = ()
    revoked_on: dt.date | None = None
