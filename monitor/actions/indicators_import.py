"""`monitor import-indicators`: the annual-report data sheet (one row a cluster and year, one column an indicator,
headed by its code or the form's Chinese label) or a sheet of plan targets, checked like `monitor record
indicator`, stored in one transaction or not at all (docs/rules.md, "Annual monitoring").

A value equal to the one in force changes nothing, so importing the same sheet twice is harmless; a different
one is refused naming the fact to `monitor amend`. A value more than ten times (or less than a tenth of) the
cluster's value of the year before is flagged, not refused: a unit typed as 元 instead of 亿元 is the usual cause.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.models import FactRow
from db.watch import touch
from monitor.actions.record import describe
from monitor.actions.sheets import Column, Sheet, read_sheet, text_of
from monitor.errors import ImportError_, InputError, Said
from monitor.rules.checks import indicator_problem, number
from monitor.rules.facts import Recorded
from monitor.rules.indicators import SHEET_KEYS, TARGET_COLUMNS, Vocabulary

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
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
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
        stored = self.known.get(key)
        if stored is None:
            self.known[key] = (fact, None, line)
            plan.planned.append(Planned(line, "add", cluster_id, fact, None))
            return
        old, number_, old_line = stored
        if old.value == fact.value and old == fact:
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


def plan_indicators(session: Session, path: Path, vocabulary: Vocabulary, today: dt.date,
                    regions: tuple[str, ...] | None = None) -> Plan:
    """Read and check every value of a data sheet against the stored values and the rows above it; store nothing.
    With ``regions`` (a bureau account's), a cluster of another region is unknown."""
    sheet = read_sheet(path, indicator_columns(vocabulary))
    codes = [name for name in sheet.columns if name in vocabulary]
    if not sheet.rows:
        raise InputError("{path}: the file has no rows", path=path)
    if not codes:
        raise InputError("{path}: line 1: no indicator column (headed by a code or the form's label, e.g. {example})",
                         path=path, example=next(iter(vocabulary)).label)
    checker = _Checker(session, sheet, path, vocabulary, today, regions, "indicator")
    plan = Plan()
    for row in sheet.rows:
        cluster_id = checker.cluster(row.line, text_of(row.values.get("cluster")))
        if isinstance(cluster_id, Said):
            plan.problems.append(checker.at(row.line, cluster_id))
            continue
        year = _year(row.values.get("year"))
        if year is None:
            plan.problems.append(checker.at(row.line, Said("{field} {text!r} is not a year such as 2024", field="year",
                                                           text=text_of(row.values.get("year")) or "")))
            continue
        for code in codes:
            raw = row.values.get(code)
            if text_of(raw) is None:
                continue
            value = _value(raw)
            if value is None:
                plan.problems.append(checker.at(row.line, Said("{field}: {text!r} is not a number", field=code,
                                                               text=text_of(raw))))
                continue
            fact = Recorded("indicator", year=year, detail=code, value=value)
            before = len(plan.planned)
            checker.plan(plan, row.line, cluster_id, (cluster_id, year, code), fact,
                         {"year": "year", "detail": code, "value": code})
            if len(plan.planned) > before and plan.planned[-1].action == "add":
                _flag(checker, plan, row.line, cluster_id, fact)
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
    stamp = {"recorded_at": now, "recorded_by": who}
    rows = [record_db.row_values(p.cluster_id, p.fact, stamp) for p in plan.planned if p.action == "add"]
    for i in range(0, len(rows), 50_000):
        session.connection().execute(insert(FactRow), rows[i:i + 50_000])
    if rows:
        touch(session, {row["cluster_id"] for row in rows})
    return len(rows)
