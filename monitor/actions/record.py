"""Recording facts, and correcting them on the record. Each call checks the fact against the cluster's regime
pack (monitor/rules/checks.py) and the facts in force, then appends a version, in the caller's transaction.

- ``record``: a new fact gets the next number. The same fact again is harmless; one that adds what was
  missing (a filing, a dismissal, a note) is a new version replacing the old; one that contradicts a fact in
  force is refused (ConflictError) and names the fact to amend.
- ``amend``: a new version of a fact in force, with some fields changed and a reason.
- ``retract``: a version that withdraws a fact in force, with a reason.

Nothing is updated or deleted: the old version stays, with who recorded it and when, and the new one says who,
when and why. A correction may reopen an obligation, so the cluster is rescanned and its reminders that were
settled as obsolete are owed again (db.fact_queries.revive).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.models import ClusterRow
from db.watch import touch
from monitor.errors import ArchivedClusterError, ConflictError, InputError, Said, UnknownClusterError
from monitor.rules.checks import OPTIONS, number, problem, with_default_day
from monitor.rules.facts import (
    FIELDS,
    INDICATOR_KINDS,
    Cluster,
    Recorded,
    Review,
    Version,
    current,
    identity,
    merged,
)
from monitor.rules.indicators import Vocabulary, load_vocabulary
from monitor.rules.moments import person_time
from monitor.rules.near import ID_CUTOFF, nearest
from monitor.rules.packs import Pack
from monitor.rules.plausible import early_review
from monitor.rules.texts import one_line, unsafe_in

#: the longest reason or note a correction may carry
LONGEST_TEXT = 2000


#: how a fact is described in messages, by kind (and whether its filing or dismissal day is known)
DESCRIBED = {
    "report": "the report on {year}, filed {filed_on}",
    "change": "the {detail} change of {on}",
    "change+filed": "the {detail} change of {on}, filed {filed_on}",
    "review": "the review {detail} of {on}",
    "assessment": "the {year} assessment: {detail} (announced {on})",
    "incident": "the {detail} incident of {on}",
    "incident+dismissed": "the {detail} incident of {on}, dismissed {dismissed_on}",
    "revocation": "the revocation of {on}",
    "evaluation": "the evaluation {detail} of {on}",
    "rectification": "the rectification of {on}",
    "revocation+ground": "the revocation of {on} ({detail})",
    "indicator": "{detail} of {year}: {value}",
    "target": "the plan target {detail}: {value} in {year} (base year {base_year})",
}


def describe(fact: Recorded) -> Said:
    """A fact in a few words, for messages: ``the report on 2024, filed 2025-03-12``."""
    key = fact.kind + ("+filed" if fact.kind == "change" and fact.filed_on else "") + (
        "+dismissed" if fact.kind == "incident" and fact.dismissed_on else "") + (
        "+ground" if fact.kind == "revocation" and fact.detail else "")
    values = fact._asdict()
    if fact.kind in INDICATOR_KINDS and fact.detail is not None:      # the form's label and the unit
        found = bundled_vocabulary().by_code.get(fact.detail)
        if found is not None:
            values["detail"] = found.label
            values["value"] = f"{number(fact.value or 0.0)} {found.unit}" if found.unit != "%" else (
                f"{number(fact.value or 0.0)}%")
    if fact.value is not None and not isinstance(values["value"], str):
        values["value"] = number(fact.value)
    return Said(DESCRIBED[key], **values)


@functools.cache
def bundled_vocabulary() -> Vocabulary:
    """The bundled indicators, for a caller that gives none (a province's own come through App.vocabulary)."""
    return load_vocabulary()


def with_code(fact: Recorded, vocabulary: Vocabulary) -> Recorded:
    """An indicator value or a plan target naming its indicator by the form's label as by its code: the code."""
    if fact.kind in INDICATOR_KINDS and fact.detail is not None:
        found = vocabulary.find(fact.detail)
        if found is not None:
            return fact._replace(detail=found.code)
    return fact


def text_value(option: str, value: str | None, required: bool = False) -> str | None:
    """A reason or a note: stripped, one paragraph of printable text (no line break, tab or other control
    character: monitor.rules.texts), not too long."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InputError("{option} is required: say why the record is corrected", option=option)
        return None
    if len(text) > LONGEST_TEXT:
        raise InputError("{option} is {length} characters long (at most {most})", option=option, length=len(text),
                         most=LONGEST_TEXT)
    if unsafe_in(text):
        raise InputError("{field}: {value!r} holds a control character (a line break or a tab): remove it",
                         field=option, value=one_line(text)[:60])
    return text


def cluster_of(row: ClusterRow) -> Cluster:
    """The roster's row as the rules take a cluster (what the validity chain needs of it)."""
    return Cluster(row.id, row.name, row.regime, row.certified_on, row.valid_until, row.batch, row.region)


class Outcome(NamedTuple):
    """What a recording did: a sentence for the user, and the version it stored (None: nothing new)."""
    message: Said
    number: int | None
    cluster_id: str

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Recorder:
    session: Session
    packs: Mapping[str, Pack]
    who: str
    now: dt.datetime          # when it is recorded (UTC)
    today: dt.date            # no fact can be dated after today
    regions: tuple[str, ...] | None = None   # who records may touch only these regions' clusters (None: all)
    vocabulary: Vocabulary | None = None     # the indicators of annual monitoring (App.vocabulary; None: bundled)

    @property
    def indicators(self) -> Vocabulary:
        return self.vocabulary if self.vocabulary is not None else bundled_vocabulary()
    timezone: str = "Asia/Shanghai"          # the configured zone, for the times its messages give

    def _cluster(self, cluster_id: str) -> tuple[ClusterRow, Pack]:
        """The cluster (its id matched without regard to case, its row locked until the transaction ends, so two
        writers of one cluster take turns) and its pack."""
        row = record_db.cluster(self.session, cluster_id, lock=True, regions=self.regions)
        if row is None:
            raise UnknownClusterError(cluster_id, nearest(cluster_id, record_db.cluster_ids(self.session, self.regions),
                                                          ID_CUTOFF))
        if record_db.archived(self.session, row.id) is not None:
            raise ArchivedClusterError(row.id)
        pack = self.packs.get(row.regime)
        if pack is None:
            raise InputError("cluster {id!r} has regime {regime!r}, which no loaded pack defines", id=row.id,
                             regime=row.regime)
        return row, pack

    def _check(self, cluster: ClusterRow, pack: Pack, fact: Recorded, reason: str | None = None,
               number: int | None = None) -> None:
        """Refuse a fact that cannot be true (checks.problem), and a review result dated before it can be
        (plausible.early_review) unless ``reason`` explains it; ``number``: the fact an amendment replaces."""
        found = problem(fact, cluster.id, cluster.certified_on, pack, self.today, vocabulary=self.indicators)
        if found is None and fact.kind == "review":
            reviews = [Review(v.fact.detail or "", v.fact.on) for v in self._in_force(cluster.id)
                       if v.fact.kind == "review" and v.number != number and v.fact.on is not None]
            found = early_review(fact, cluster_of(cluster), reviews, pack, OPTIONS["review"]["on"], reason)
        if found is not None:
            raise InputError(found)

    def _append(self, cluster_id: str, fact: Recorded, replaces: int | None = None, retracts: bool = False,
                reason: str | None = None) -> int:
        """Store a version; the cluster is evaluated again by the next scan, and a correction revives reminders."""
        stamp = {"recorded_at": self.now, "recorded_by": self.who}
        [number] = record_db.append(self.session, [record_db.row_values(cluster_id, fact, stamp, replaces, retracts,
                                                                        reason)])
        touch(self.session, [cluster_id])
        if replaces is not None:
            record_db.revive(self.session, [cluster_id])
        return number

    def _in_force(self, cluster_id: str) -> list[Version]:
        return current(record_db.versions(self.session, [cluster_id]))

    def record(self, cluster_id: str, fact: Recorded, reason: str | None = None) -> Outcome:
        """Record ``fact`` (an assessment without ``on`` is announced January 1 of the next year). ``reason``
        explains a fact that looks implausible (a review result long before the validity ends): it is stored with
        the fact, and history shows it."""
        why = text_value("--reason", reason)
        cluster, pack = self._cluster(cluster_id)
        given = with_code(fact._replace(note=text_value("--note", fact.note)), self.indicators)
        fact = with_default_day(given)
        if fact.on != given.on and fact.on is not None and fact.on > self.today:
            raise InputError("the announcement date {on} is in the future (today is {today}); give --on with the day "
                             "it was announced", on=fact.on, today=self.today)
        self._check(cluster, pack, fact, why)
        key = identity(fact)
        stored = next((v for v in self._in_force(cluster.id) if identity(v.fact) == key), None)
        if stored is None:
            number = self._append(cluster.id, fact, reason=why)
            return Outcome(Said("{id}: recorded fact {number}: {fact}", id=cluster.id, number=number,
                                fact=describe(fact)), number, cluster.id)
        both = merged(stored.fact, fact)
        if both is None:
            raise ConflictError("{id}: fact {number} records {stored}, not {fact}: to correct it, "
                                "`monitor amend {number} … --reason …`", id=cluster.id, number=stored.number,
                                stored=describe(stored.fact), fact=describe(fact))
        if both == stored.fact:
            return Outcome(Said("{id}: {fact} was already recorded (fact {number})", id=cluster.id,
                                fact=describe(stored.fact), number=stored.number), None, cluster.id)
        added = ", ".join(name for name in FIELDS[fact.kind] if getattr(stored.fact, name) != getattr(both, name))
        number = self._append(cluster.id, both, replaces=stored.number, reason=f"filled in: {added}")
        return Outcome(Said("{id}: recorded fact {number}: {fact} (fills in fact {stored})", id=cluster.id,
                            number=number, fact=describe(both), stored=stored.number), number, cluster.id)

    def _in_force_version(self, number: int) -> Version:
        found = record_db.version(self.session, number)
        if found is None or (self.regions is not None
                             and record_db.cluster(self.session, found[0].cluster_id, regions=self.regions) is None):
            raise InputError("there is no fact {number}: `monitor history CLUSTER` lists a cluster's facts",
                             number=number)
        old, later = found
        if old.retracts:
            raise InputError("fact {number} is the retraction of fact {replaces}, not a fact to correct", number=number,
                             replaces=old.replaces)
        if later is not None:
            template = ("fact {number} was retracted by fact {later} ({who}, {when}): record it anew"
                        if later.retracts else
                        "fact {number} was superseded by fact {later} ({who}, {when}): correct fact {later}")
            raise ConflictError(template, number=number, later=later.number, who=later.recorded_by,
                                when=person_time(later.recorded_at, self.timezone))
        return old

    def amend(self, number: int, options: Mapping[str, Any], reason: str | None) -> Outcome:
        """A new version of fact ``number`` with the values given (by option name, ``--filed-on``; None: not
        given). Which options a fact takes depends on its kind (checks.OPTIONS)."""
        why = text_value("--reason", reason, required=True)
        old = self._in_force_version(number)
        field = {option: name for name, option in OPTIONS[old.fact.kind].items()}
        takes = ", ".join(field)
        given = {option: value for option, value in options.items() if value is not None}
        for option in given:
            if option not in field:
                raise InputError("{option} does not apply to a {kind} (fact {number} is {fact}); it takes {takes}",
                                 option=option, kind=old.fact.kind, number=number, fact=describe(old.fact),
                                 takes=takes)
        if not given:
            raise InputError("give what to change: fact {number} is a {kind}, which takes {takes}", number=number,
                             kind=old.fact.kind, takes=takes)
        if "--note" in given:
            given["--note"] = text_value("--note", given["--note"])
        new = with_code(old.fact._replace(**{field[option]: value for option, value in given.items()}),
                        self.indicators)
        if new == old.fact:
            raise InputError("fact {number} already says that: {fact}", number=number, fact=describe(old.fact))
        cluster, pack = self._cluster(old.cluster_id)
        self._check(cluster, pack, new, why, number)
        key = identity(new)
        clash = next((v for v in self._in_force(cluster.id) if v.number != number and identity(v.fact) == key), None)
        if clash is not None:
            raise ConflictError("{id}: fact {number} already records {fact}: amend or retract that one instead",
                                id=cluster.id, number=clash.number, fact=describe(clash.fact))
        new_number = self._append(cluster.id, new, replaces=number, reason=why)
        return Outcome(Said("{id}: fact {number} amends fact {old}: {fact} (was: {was})", id=cluster.id,
                            number=new_number, old=number, fact=describe(new), was=describe(old.fact)),
                       new_number, cluster.id)

    def retract(self, number: int, reason: str | None) -> Outcome:
        """Withdraw fact ``number``: it no longer counts, and stays on the record as retracted."""
        why = text_value("--reason", reason, required=True)
        old = self._in_force_version(number)
        cluster, _ = self._cluster(old.cluster_id)
        new_number = self._append(cluster.id, old.fact, replaces=number, retracts=True, reason=why)
        return Outcome(Said("{id}: fact {number} retracts fact {old} ({fact})", id=cluster.id, number=new_number,
                            old=number, fact=describe(old.fact)), new_number, cluster.id)

    # --- one method a kind, as `monitor record <kind>` takes its options ----------------------------------------

    def report(self, cluster_id: str, year: int, filed_on: dt.date) -> Outcome:
        return self.record(cluster_id, Recorded("report", year=year, filed_on=filed_on))

    def change(self, cluster_id: str, kind: str, changed_on: dt.date, filed_on: dt.date | None) -> Outcome:
        return self.record(cluster_id, Recorded("change", on=changed_on, filed_on=filed_on, detail=kind))

    def review(self, cluster_id: str, result: str, on: dt.date, reason: str | None = None) -> Outcome:
        return self.record(cluster_id, Recorded("review", on=on, detail=result), reason)

    def assessment(self, cluster_id: str, year: int, result: str, on: dt.date | None) -> Outcome:
        return self.record(cluster_id, Recorded("assessment", year=year, on=on, detail=result))

    def incident(self, cluster_id: str, ground: str, on: dt.date, note: str | None,
                 dismissed_on: dt.date | None) -> Outcome:
        return self.record(cluster_id, Recorded("incident", on=on, detail=ground, note=note, dismissed_on=dismissed_on))

    def revocation(self, cluster_id: str, on: dt.date, note: str | None, ground: str | None = None) -> Outcome:
        return self.record(cluster_id, Recorded("revocation", on=on, detail=ground, note=note))

    def indicator(self, cluster_id: str, year: int, indicator: str, value: float) -> Outcome:
        return self.record(cluster_id, Recorded("indicator", year=year, detail=indicator, value=value))

    def target(self, cluster_id: str, indicator: str, base_year: int, target_year: int, target: float) -> Outcome:
        return self.record(cluster_id, Recorded("target", detail=indicator, base_year=base_year, year=target_year,
                                                value=target))
