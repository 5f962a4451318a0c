"""What the engine reads: a cluster and the facts recorded about it, as frozen values (no session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple


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


class EvaluationResult(NamedTuple):
    result: str             # pass | fail
    on: dt.date


class Incident(NamedTuple):
    ground: str
    on: dt.date
    note: str | None = None
    dismissed_on: dt.date | None = None


class IndicatorValue(NamedTuple):
    """One reported figure (docs/rules.md, "Annual monitoring"): a cluster's value of one indicator (a code of the
    vocabulary, monitor/rules/indicators.py) for one calendar year. Percentages are percent (65 = 65%)."""
    year: int
    code: str
    value: float


class PlanTarget(NamedTuple):
    """A target of the cluster's three-year development plan (三年发展规划目标): ``code`` should reach ``target`` in
    ``target_year``, on a straight line from its recorded value of ``base_year``."""
    code: str
    base_year: int
    target_year: int
    target: float


@dataclass(frozen=True, slots=True)
class Facts:
    cluster: Cluster
    reports: tuple[Report, ...] = ()
    changes: tuple[Change, ...] = ()
    reviews: tuple[Review, ...] = ()
    assessments: tuple[AssessmentResult, ...] = ()
    incidents: tuple[Incident, ...] = ()
    revoked_on: dt.date | None = None
    revocation_ground: str | None = None    # what it was revoked for (packs.REVOCATION_GROUNDS), when recorded
    evaluations: tuple[EvaluationResult, ...] = ()
    rectifications: tuple[dt.date, ...] = ()     # the days rectifications (整改) were completed
    indicators: tuple[IndicatorValue, ...] = ()  # annual monitoring: the values reported, one per (year, code)
    targets: tuple[PlanTarget, ...] = ()         # annual monitoring: the plan's targets, one per code


# --- facts as recorded: versions, corrections, and what each kind holds ------------------------------------------

#: the kinds of fact, as ``monitor record`` names them
FACT_KINDS = ("report", "change", "review", "assessment", "incident", "revocation", "evaluation", "rectification")

#: the kinds of annual monitoring (docs/rules.md, "Annual monitoring"): a reported indicator value and a plan target.
#: Versioned like the facts above (amend, retract, history, --known-at), but recorded from their own sheet
#: (`monitor import-indicators`) and form, not from a facts file
INDICATOR_KINDS = ("indicator", "target")


class Recorded(NamedTuple):
    """What one fact says, whatever its kind; ``FIELDS`` names the fields each kind uses."""
    kind: str
    year: int | None = None
    on: dt.date | None = None           # a change: the day it happened; otherwise the day of the fact
    filed_on: dt.date | None = None     # a report's or a change's filing
    detail: str | None = None           # a change's kind, a review's or an assessment's result, an incident's or a
                                        # revocation's ground
    note: str | None = None
    dismissed_on: dt.date | None = None
    value: float | None = None          # an indicator's value, a target's target
    base_year: int | None = None        # a target's base year (its ``year`` is the target year)


FIELDS: dict[str, tuple[str, ...]] = {
    "report": ("year", "filed_on"),
    "change": ("detail", "on", "filed_on"),
    "review": ("detail", "on"),
    "assessment": ("year", "detail", "on"),
    "incident": ("detail", "on", "note", "dismissed_on"),
    "revocation": ("on", "detail", "note"),
    "evaluation": ("detail", "on"),
    "rectification": ("on", "note"),
    "indicator": ("year", "detail", "value"),
    "target": ("detail", "base_year", "year", "value"),
}


#: what a kind calls its fields where people read or type them (history, facts files): ``detail`` and ``on``
#: by their meaning
NAMES: dict[str, dict[str, str]] = {
    kind: {field: {("change", "detail"): "change_kind", ("change", "on"): "changed_on",
                   ("review", "detail"): "result", ("assessment", "detail"): "result", ("evaluation", "detail"): "result",
                   ("incident", "detail"): "ground", ("revocation", "detail"): "ground",
                   ("indicator", "detail"): "indicator", ("target", "detail"): "indicator",
                   ("target", "year"): "target_year", ("target", "value"): "target"}.get((kind, field), field)
            for field in fields}
    for kind, fields in FIELDS.items()
}


class Version(NamedTuple):
    """One stored version of a fact: the fact number, what it says, and what it corrects."""
    number: int
    cluster_id: str
    fact: Recorded
    replaces: int | None
    retracts: bool
    reason: str | None
    recorded_at: dt.datetime
    recorded_by: str


def identity(fact: Recorded) -> tuple[object, ...]:
    """What makes two records the same fact: a cluster has one report a year, one assessment a year, one
    revocation; a change by its kind and day; an incident by its ground and day; a review result by its day
    (an application and a result may share a day); an indicator by its year and code, a plan target by its
    code."""
    if fact.kind == "indicator":
        return fact.kind, fact.year, fact.detail
    if fact.kind == "target":
        return fact.kind, fact.detail
    if fact.kind in ("report", "assessment"):
        return fact.kind, fact.year
    if fact.kind in ("change", "incident"):
        return fact.kind, fact.detail, fact.on
    if fact.kind in ("evaluation", "rectification"):
        return fact.kind, fact.on
    if fact.kind == "review":
        return fact.kind, fact.detail == "applied", fact.on
    return (fact.kind,)


def merged(stored: Recorded, new: Recorded) -> Recorded | None:
    """``stored`` with what ``new`` adds (a filing, a dismissal, a note), or ``None`` when they disagree on a
    value both give. Equal to ``stored`` when ``new`` adds nothing."""
    values: list[Any] = []
    for mine, theirs in zip(stored, new, strict=True):
        if mine is not None and theirs is not None and mine != theirs:
            return None
        values.append(mine if mine is not None else theirs)
    return Recorded(*values)


def current(versions: list[Version]) -> list[Version]:
    """The versions in force: neither replaced by a later version nor a retraction, in number order."""
    replaced = {v.replaces for v in versions if v.replaces is not None}
    return [v for v in versions if not v.retracts and v.number not in replaced]

