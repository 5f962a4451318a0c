"""`monitor import-facts`: many facts from one file (each spring's reports), checked like `monitor record`, stored
in one transaction or not at all.

Each row is one fact. A row that repeats a fact in force (or an earlier row) changes nothing, so importing the
same file twice is harmless; a row that adds what a stored fact lacks (a filing) fills it in as a new version; a
row that contradicts one is refused, naming the fact to `monitor amend`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.models import FactRow
from db.watch import touch
from monitor.actions.record import cluster_of, describe, text_value
from monitor.actions.sheets import SheetRow, blank, read_sheet, text_of
from monitor.errors import BadValue, ImportError_, InputError, Said, said_of
from monitor.rules.checks import A_KIND, OPTIONS, problem, with_default_day
from monitor.rules.dates import parse_date
from monitor.rules.facts import NAMES, Recorded, Review, Version, current, identity, merged
from monitor.rules.near import ID_CUTOFF, nearest
from monitor.rules.packs import Pack
from monitor.rules.plausible import early_review
from monitor.rules.texts import one_line
from monitor.rules.vocabulary import (
    BACKFILL_COLUMNS,
    BACKFILL_TO_FILL,
    COLUMN_VOCABULARY,
    DATE_COLUMNS,
    FACT_COLUMNS,
    canonical,
    choices,
)


class Planned(NamedTuple):
    """What one row does: ``add`` a fact, ``fill`` in a stored one (``replaces``), ``join`` a row above (adding to
    the version that row stores), or nothing (``same``)."""
    line: int
    action: str                 # add | fill | join | same
    cluster_id: str
    fact: Recorded
    replaces: int | None        # the stored fact a fill-in replaces, or the one a repeat matches
    joins: int | None = None    # the line above whose version this row adds to


@dataclass
class Plan:
    planned: list[Planned] = field(default_factory=list)
    problems: list[Said] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)     # the lines of a back-fill sheet left blank, skipped
    ignored: Said | None = None     # the line saying which columns of the file were not read, when any were
    source: object = None           # how messages name the file (and its sheet, when the workbook has several)

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)


def _cell(name: str, value: Any) -> Any:
    """A cell as the field's type; ValueError names what is wrong."""
    text = text_of(value)
    if text is None:
        return None
    if name in ("value", "target"):                 # an indicator value's, a plan target's (the console's forms)
        try:
            return float(text)
        except ValueError:
            raise BadValue("{field}: {text!r} is not a number", field=name, text=text) from None
    if name in ("year", "base_year", "target_year"):
        year = text.removesuffix("年").removesuffix("年度")
        if not year.isdigit():
            raise BadValue("{field} {text!r} is not a year such as 2024", field=name, text=text)
        return int(year)
    if name in DATE_COLUMNS:
        if isinstance(value, dt.datetime):
            return value.date()
        try:
            return parse_date(text)
        except ValueError as exc:
            raise BadValue("{field}: {problem}", field=name, problem=said_of(exc)) from None
    if name in COLUMN_VOCABULARY:
        found = canonical(COLUMN_VOCABULARY[name], text)
        if found is None:
            raise BadValue("{field} {text!r} is not one of {choices}", field=name, text=text,
                           choices=choices(COLUMN_VOCABULARY[name]))
        return found
    return text


def fact_of(row: Mapping[str, Any]) -> tuple[str, Recorded]:
    """A fact given as a facts file's row gives it (the columns of FACT_COLUMNS: ``cluster``, ``fact``, ``year``
    …), as the web console's forms and the API give it too: the cluster id as typed, and the fact. ValueError
    (or InputError) names the column and the value."""
    cluster = text_of(row.get("cluster"))
    if cluster is None:
        raise BadValue("{field}: empty", field="cluster")
    kind_text = text_of(row.get("fact"))
    kind = canonical("fact", kind_text or "")
    if kind is None:
        raise BadValue("{field} {text!r} is not one of {choices}", field="fact", text=kind_text or "",
                       choices=choices("fact"))
    values = _fields(kind, {column: raw for column, raw in row.items() if column not in ("cluster", "fact")})
    if "note" in values:
        values["note"] = text_value("note", values["note"])
    return cluster, Recorded(kind, **values)


def options_of(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A correction given by column (the console's amend form): the values by command-line option, as
    Recorder.amend takes them. Blank fields are not given; ValueError names a column the kind has not."""
    return {OPTIONS[kind][name]: value for name, value in _fields(kind, row).items()}


def _fields(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A kind's values given by column, by field name; blank cells are not given. BadValue names a column the kind
    has not, and a cell that is not of its column's type."""
    field_of = {column: name for name, column in NAMES[kind].items()}
    values: dict[str, Any] = {}
    for column, raw in row.items():
        value = _cell(column, raw)
        if value is None:
            continue
        if column not in field_of:
            raise BadValue("{field}: {kind} has no {field} (it takes {takes})", field=column, kind=Said(A_KIND[kind]),
                           takes=", ".join(field_of))
        values[field_of[column]] = value
    return values


def _left_blank(values: Mapping[str, Any]) -> bool:
    """A back-fill sheet's row (monitor template --backfill) whose cells to fill are all still blank."""
    kind = canonical("fact", text_of(values.get("fact")) or "")
    fill = BACKFILL_TO_FILL.get(kind or "")
    return fill is not None and all(blank(values.get(column)) for column in fill)


def plan_import(session: Session, path: Path, packs: Mapping[str, Pack], today: dt.date,
                regions: tuple[str, ...] | None = None, sheet_name: str | None = None, strict: bool = False) -> Plan:
    """Read and check every row against the stored facts and the rows above it; store nothing. With ``regions``
    (a bureau account's), a cluster of another region is unknown. Title rows above the header are skipped; the
    file's other columns are not read (said which), or refused with ``strict``, or when one is a near miss of a
    facts column (a column typed wrong would lose what it holds)."""
    # a back-fill sheet (monitor template --backfill) has two reference columns more: skipped
    sheet = read_sheet(path, FACT_COLUMNS, skipped={title for titles in BACKFILL_COLUMNS.values() for title in titles},
                       sheet=sheet_name, strict=strict)
    if sheet.near:
        header, guess = next(iter(sheet.near.items()))
        raise InputError("{source}: line {line}: unknown column {header!r}; did you mean {suggestion}?",
                         source=sheet.where(path), line=sheet.header_line, header=header, suggestion=guess)
    rows = sheet.rows
    if not rows:
        raise InputError("{path}: the file has no rows", path=sheet.where(path))
    plan = Plan(source=sheet.where(path))
    if sheet.kept:
        plan.ignored = Said("{source}: ignored {count} column(s) a facts file does not have: {columns}",
                            source=sheet.where(path), count=len(sheet.kept), columns=", ".join(sheet.kept))
    every: list[str] | None = None     # the ids in scope, read for the first unknown one
    parsed: list[tuple[SheetRow, str, Recorded]] = []
    for row in rows:
        if sheet.skipped and _left_blank(row.values):
            plan.blank.append(row.line)
            continue
        try:
            parsed.append((row, *fact_of(row.values)))
        except (ValueError, InputError) as exc:
            plan.problems.append(sheet.at(path, row.line, said_of(exc)))
    clusters = record_db.clusters(session, {typed.lower() for _, typed, _ in parsed}, regions)
    archived = record_db.archived_among(session, [c.id for c in clusters.values()])
    known: dict[tuple[str, tuple[object, ...]], Version | Planned] = {}
    reviews: dict[str, list[Review]] = {}   # each cluster's reviews, stored and in the rows above
    for version in current(record_db.versions(session, [c.id for c in clusters.values()])):
        known[(version.cluster_id, identity(version.fact))] = version
        if version.fact.kind == "review" and version.fact.on is not None:
            reviews.setdefault(version.cluster_id, []).append(Review(version.fact.detail or "", version.fact.on))
    for row, typed, fact in parsed:
        cluster = clusters.get(typed.lower())
        if cluster is None:
            every = record_db.cluster_ids(session, regions) if every is None else every
            near = nearest(typed, every, ID_CUTOFF)
            plan.problems.append(sheet.at(path, row.line, Said(
                "{field}: unknown cluster {id!r}; did you mean {suggestion}?" if near else
                "{field}: unknown cluster {id!r}", field="cluster", id=typed, suggestion=near)))
            continue
        if cluster.id in archived:
            plan.problems.append(sheet.at(path, row.line, Said("{field}: {id!r} is archived", field="cluster",
                                                               id=cluster.id)))
            continue
        pack = packs.get(cluster.regime)
        if pack is None:
            plan.problems.append(sheet.at(path, row.line, Said(
                "cluster {id!r} has regime {regime!r}, which no loaded pack defines", id=cluster.id,
                regime=cluster.regime)))
            continue
        fact = with_default_day(fact)
        found = problem(fact, cluster.id, cluster.certified_on, pack, today, NAMES[fact.kind]) or early_review(
            fact, cluster_of(cluster), reviews.get(cluster.id, []), pack, NAMES[fact.kind].get("on", "on"), None)
        if found is not None:
            plan.problems.append(sheet.at(path, row.line, found))
            continue
        key = (cluster.id, identity(fact))
        stored = known.get(key)
        if fact.kind == "review" and fact.on is not None and stored is None:
            reviews.setdefault(cluster.id, []).append(Review(fact.detail or "", fact.on))
        if stored is None:
            known[key] = planned = Planned(row.line, "add", cluster.id, fact, None)
            plan.planned.append(planned)
            continue
        both = merged(stored.fact, fact)
        if both is None:
            plan.problems.append(sheet.at(path, row.line, _contradiction(stored, fact)))
            continue
        if both == stored.fact:
            number = stored.number if isinstance(stored, Version) else stored.replaces
            plan.planned.append(Planned(row.line, "same", cluster.id, fact, number))
            continue
        if isinstance(stored, Version):
            known[key] = planned = Planned(row.line, "fill", cluster.id, both, stored.number)
            plan.planned.append(planned)
        else:                                                   # a row above added or filled it: one version
            known[key] = planned = stored._replace(fact=both)
            plan.planned[plan.planned.index(stored)] = planned
            plan.planned.append(Planned(row.line, "join", cluster.id, fact, stored.replaces, stored.line))
    return plan


def _contradiction(stored: Version | Planned, fact: Recorded) -> Said:
    if isinstance(stored, Version):
        return Said("fact {number} records {stored} (`monitor amend {number} … --reason …` corrects it), not {fact}",
                    number=stored.number, stored=describe(stored.fact), fact=describe(fact))
    return Said("line {line} says {stored}, not {fact}", line=stored.line, stored=describe(stored.fact),
                fact=describe(fact))


def store(session: Session, plan: Plan, source: str, who: str, now: dt.datetime) -> None:
    """Append the plan's new versions, in the caller's transaction; refuse the whole file if any row is bad."""
    if plan.problems:
        raise ImportError_(plan.source if isinstance(plan.source, Said) else source, plan.problems)
    stamp = {"recorded_at": now, "recorded_by": who}
    rows = [record_db.row_values(p.cluster_id, p.fact, stamp, replaces=p.replaces,
                                 reason=f"filled in from {one_line(Path(source).name)}, line {p.line}" if p.replaces else None)
            for p in plan.planned if p.action in ("add", "fill")]
    if rows:
        session.connection().execute(insert(FactRow), rows)
        touch(session, {row["cluster_id"] for row in rows})
