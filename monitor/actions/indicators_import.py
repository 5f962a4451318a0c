"""`monitor import-indicators`: the annual-report data sheet (one row a cluster and year, one column an indicator,
headed by its code or the form's Chinese label) or a sheet of plan targets, checked like `monitor record
indicator`, stored in one transaction or not at all (docs/rules.md, "Annual monitoring").

A value equal to the one in force changes nothing, so importing the same sheet twice is harmless; a different
one is refused naming the fact to `monitor amend`. A value more than ten times (or less than a tenth of) the
cluster's value of the year before is flagged, not refused: a unit typed as 元 instead of 亿元 is the usual cause.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.watch import touch
from monitor.actions.record import describe
from monitor.actions.sheets import Column, Sheet, read_sheet, text_of
from monitor.errors import ImportError_, InputError, Said
from monitor.rules.checks import indicator_problem, number
from monitor.rules.facts import Recorded
from monitor.rules.indicators import SHEET_KEYS, TARGET_COLUMNS, Vocabulary

#: the first year a value may be for (as for every fact: monitor.rules.checks)
FIRST_YEAR = 1990

#: the values inserted by one statement
STORED_AT_ONCE = 20_000

#: a value this many times the year before's (or less than its reciprocal) is flagged
TENFOLD = 10.0


def indicator_columns(vocabulary: Vocabulary) -> tuple[Column, ...]:
    """The data sheet's columns: the keys, then each indicator by its code, its label, or its label with the unit
    (``集群总产值（亿元）``)."""
    return SHEET_KEYS + tuple(
        (i.code, (i.code, f"{i.label}({i.unit})", f"{i.label}（{i.unit}）", i.label), False) for i in vocabulary)


class Planned(NamedTuple):
    """What one value does: ``add`` it, or nothing (``same``: the fact ``number`` in force says it already)."""
    line: int
    action: str                 # add | same
    cluster_id: str
    fact: Recorded
    number: int | None


@dataclass
class Plan:
    planned: list[Planned] = field(default_factory=list)
    problems: list[Said] = field(default_factory=list)
    flags: list[Said] = field(default_factory=list)     # values to look at again (tenfold), not refused

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)


def _number(text: str) -> float | None:
    """A cell as a number: ``1,234.5``, ``65%`` (percent as written), ``41.5`` (None: not a number)."""
    cleaned = text.replace(",", "").replace("，", "").removesuffix("%").removesuffix("％").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


def _year(value: Any) -> int | None:
    text = text_of(value)
    if text is None:
        return None
    year = text.removesuffix("年度").removesuffix("年")
    return int(year) if year.isdigit() else None


def _value(value: Any) -> float | None:
    """A cell as a number: a number as it is, text as float() reads it, else as people write it (``1,234``,
    ``65%``); None when it is none."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        text = text_of(value)
        return None if text is None else _number(text)


class _Checker:
    """What every row is checked against: the clusters named, their values in force, the vocabulary."""

    def __init__(self, session: Session, sheet: Sheet, path: Path, vocabulary: Vocabulary, today: dt.date,
                 regions: tuple[str, ...] | None, kind: str) -> None:
        self.sheet, self.path, self.vocabulary, self.today = sheet, path, vocabulary, today
        typed = {text.lower() for row in sheet.rows if (text := text_of(row.values.get("cluster"))) is not None}
        self.clusters = record_db.clusters(session, typed, regions)
        self.archived = record_db.archived_among(session, [c.id for c in self.clusters.values()])
        self.known: dict[tuple[object, ...], tuple[Recorded, int | None, int | None]] = {}   # fact, number, line
        for number_, cluster_id, fact in record_db.in_force_of_kind(session, kind,
                                                                    [c.id for c in self.clusters.values()]):
            self.known[(cluster_id, fact.year, fact.detail) if kind == "indicator" else (cluster_id, fact.detail)] = (
                fact, number_, None)

    def cluster(self, line: int, typed: str | None) -> str | Said:
        if typed is None:
            return Said("{field}: empty", field="cluster")
        row = self.clusters.get(typed.lower())
        if row is None:
            return Said("{field}: unknown cluster {id!r}", field="cluster", id=typed)
        if row.id in self.archived:
            return Said("{field}: {id!r} is archived", field="cluster", id=row.id)
        return row.id

    def at(self, line: int, problem: Said) -> Said:
        return self.sheet.at(self.path, line, problem)

    def plan(self, plan: Plan, line: int, cluster_id: str, key: tuple[object, ...], fact: Recorded,
             labels: dict[str, str]) -> None:
        """Check one value and plan it: added, already recorded, or refused (a problem)."""
        found = indicator_problem(fact, self.today, labels, self.vocabulary)
        if found is not None:
            plan.problems.append(self.at(line, found))
            return
        if key in self.known:
            self.again(plan, line, cluster_id, key, fact, labels)
            return
        self.known[key] = (fact, None, line)
        plan.planned.append(Planned(line, "add", cluster_id, fact, None))

    def again(self, plan: Plan, line: int, cluster_id: str, key: tuple[object, ...], fact: Recorded,
              labels: dict[str, str]) -> None:
        """A value for what is recorded already (or on a line above): the same changes nothing, another is refused
        naming the fact to amend (or the line)."""
        old, number_, old_line = self.known[key]
        if old == fact:
            plan.planned.append(Planned(line, "same", cluster_id, fact, number_))
            return
        if number_ is not None:
            plan.problems.append(self.at(line, Said(
                "{field}: fact {number} records {stored} (`monitor amend {number} {option} … --reason …` corrects it), "
                "not {value}", field=labels["value"], number=number_, stored=describe(old),
                option="--value" if fact.kind == "indicator" else "--target", value=number(fact.value or 0.0))))
            return
        plan.problems.append(self.at(line, Said("{field}: line {other} says {stored}, not {value}",
                                                field=labels["value"], other=old_line, stored=describe(old),
                                                value=number(fact.value or 0.0))))


@contextmanager
def _without_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: a million values planned are a few million tuples, none in a cycle,
    and each collection the allocations set off walks them all again (half the time of a large import)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def plan_indicators(session: Session, path: Path, vocabulary: Vocabulary, today: dt.date,
                    regions: tuple[str, ...] | None = None) -> Plan:
    with _without_gc():
        return _plan_indicators(session, path, vocabulary, today, regions)


def _plan_indicators(session: Session, path: Path, vocabulary: Vocabulary, today: dt.date,
                     regions: tuple[str, ...] | None = None) -> Plan:
    """Read and check every value of a data sheet against the stored values and the rows above it; store nothing.
    With ``regions`` (a bureau account's), a cluster of another region is unknown.

    The loop over the values is the import's hot path (1.25 million values in benchmarks/indicators_import.py):
    a value that is a plain number in its range, not yet recorded, costs a float(), a range check and two dict
    lookups; a problem is worded only when there is one."""
    sheet = read_sheet(path, indicator_columns(vocabulary))
    if not sheet.rows:
        raise InputError("{path}: the file has no rows", path=path)
    indicators = [vocabulary.by_code[name] for name in sheet.columns if name in vocabulary]
    if not indicators:
        raise InputError("{path}: line 1: no indicator column (headed by a code or the form's label, e.g. {example})",
                         path=path, example=next(iter(vocabulary)).label)
    checker = _Checker(session, sheet, path, vocabulary, today, regions, "indicator")
    plan = Plan()
    known, planned, add = checker.known, plan.planned, Planned
    for row in sheet.rows:
        line, values = row.line, row.values
        cluster_id = checker.cluster(line, text_of(values.get("cluster")))
        if isinstance(cluster_id, Said):
            plan.problems.append(checker.at(line, cluster_id))
            continue
        year = _year(values.get("year"))
        if year is None or not FIRST_YEAR <= year <= today.year:
            plan.problems.append(checker.at(line, Said("{field} {text!r} is not a year such as 2024", field="year",
                                                       text=text_of(values.get("year")) or "") if year is None else
                                            Said("{field} {year} is not a year that has begun", field="year",
                                                 year=year)))
            continue
        for indicator in indicators:
            code = indicator.code
            raw = values[code]
            if raw is None or raw == "":
                continue
            value = _value(raw)
            if value is None:
                if text_of(raw) is not None:
                    plan.problems.append(checker.at(line, Said("{field}: {text!r} is not a number", field=code,
                                                               text=text_of(raw))))
                continue
            fact = Recorded("indicator", year, None, None, code, None, None, value)
            if indicator.problem(value) is not None:
                found = indicator_problem(fact, today, {"year": "year", "detail": code, "value": code}, vocabulary)
                plan.problems.append(checker.at(line, found or Said("{field}: empty", field=code)))
                continue
            key = (cluster_id, year, code)
            if key in known:
                checker.again(plan, line, cluster_id, key, fact, {"value": code})
                continue
            known[key] = (fact, None, line)
            planned.append(add(line, "add", cluster_id, fact, None))
            if indicator.kind != "growth":          # a growth rate's ratio to last year's says nothing of units
                _flag(checker, plan, line, cluster_id, fact)
    return plan


def _flag(checker: _Checker, plan: Plan, line: int, cluster_id: str, fact: Recorded) -> None:
    """A value more than tenfold away from the cluster's value of the year before (stored, or on a line above)."""
    assert fact.year is not None and fact.value is not None
    before = checker.known.get((cluster_id, fact.year - 1, fact.detail))
    if before is None or not before[0].value or not fact.value:
        return
    ratio = fact.value / before[0].value
    if ratio > TENFOLD or ratio < 1 / TENFOLD:
        plan.flags.append(checker.at(line, Said(
            "{field}: {value} for {year} is {ratio} times {before} for {before_year}: check the unit",
            field=fact.detail, value=number(fact.value), year=fact.year, ratio=f"{ratio:.3g}",
            before=number(before[0].value), before_year=fact.year - 1)))


def plan_targets(session: Session, path: Path, vocabulary: Vocabulary, today: dt.date,
                 regions: tuple[str, ...] | None = None) -> Plan:
    """Read and check a sheet of plan targets (one row a cluster and indicator); store nothing."""
    sheet = read_sheet(path, TARGET_COLUMNS)
    if not sheet.rows:
        raise InputError("{path}: the file has no rows", path=path)
    checker = _Checker(session, sheet, path, vocabulary, today, regions, "target")
    plan = Plan()
    for row in sheet.rows:
        cluster_id = checker.cluster(row.line, text_of(row.values.get("cluster")))
        if isinstance(cluster_id, Said):
            plan.problems.append(checker.at(row.line, cluster_id))
            continue
        typed = text_of(row.values.get("indicator")) or ""
        indicator = vocabulary.find(typed)
        if indicator is None:
            plan.problems.append(checker.at(row.line, Said(
                "{field} {value!r} is not an indicator (`monitor indicators` lists them)", field="indicator",
                value=typed)))
            continue
        years = {name: _year(row.values.get(name)) for name in ("base_year", "target_year")}
        bad = next((name for name, year in years.items() if year is None), None)
        if bad is not None:
            plan.problems.append(checker.at(row.line, Said("{field} {text!r} is not a year such as 2024", field=bad,
                                                           text=text_of(row.values.get(bad)) or "")))
            continue
        target = _value(row.values.get("target"))
        if target is None:
            plan.problems.append(checker.at(row.line, Said("{field}: {text!r} is not a number", field="target",
                                                           text=text_of(row.values.get("target")) or "")))
            continue
        fact = Recorded("target", detail=indicator.code, base_year=years["base_year"], year=years["target_year"],
                        value=target)
        checker.plan(plan, row.line, cluster_id, (cluster_id, indicator.code), fact,
                     {"detail": "indicator", "base_year": "base_year", "year": "target_year", "value": "target"})
    return plan


def store(session: Session, plan: Plan, source: str, who: str, now: dt.datetime) -> int:
    """Append the plan's new values, in the caller's transaction; refuse the whole file if any value is bad.
    The number of facts stored."""
    if plan.problems:
        raise ImportError_(source, plan.problems)
    added = [p for p in plan.planned if p.action == "add"]
    with _without_gc():
        for i in range(0, len(added), STORED_AT_ONCE):
            record_db.append_values(session, [(p.cluster_id, p.fact) for p in added[i:i + STORED_AT_ONCE]], now,
                                    who)
    if added:
        touch(session, {p.cluster_id for p in added})
    return len(added)
