"""Recording facts as they happen. Each call checks the fact against the cluster's regime pack and what is
already stored, then stores it, in the caller's transaction. Recording the same fact twice is harmless;
a fact that contradicts a stored one is refused (ConflictError) rather than silently replacing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AssessmentRow, ChangeRow, ClusterRow, IncidentRow, ReportRow, ReviewRow, RevocationRow
from db.watch import touch
from monitor.errors import ConflictError, InputError, UnknownClusterError
from monitor.rules.packs import CHANGE_KINDS, INCIDENT_GROUNDS, Pack

REVIEW_RESULTS = ("applied", "pass", "fail")
ASSESSMENT_RESULTS = ("pass", "fail")


@dataclass(frozen=True)
class Recorder:
    session: Session
    packs: Mapping[str, Pack]
    who: str
    now: dt.datetime          # when it is recorded (UTC)
    today: dt.date            # no fact can be dated after today

    def _cluster(self, cluster_id: str) -> tuple[ClusterRow, Pack]:
        """The cluster and its pack; its facts are about to change, so the daemon's next scan evaluates it."""
        row = self.session.get(ClusterRow, cluster_id)
        if row is None:
            raise UnknownClusterError(cluster_id)
        touch(self.session, [cluster_id])
        pack = self.packs.get(row.regime)
        if pack is None:
            raise InputError(f"cluster {cluster_id!r} has regime {row.regime!r}, which no loaded pack defines")
        return row, pack

    def _stamp(self) -> dict[str, object]:
        return {"recorded_at": self.now, "recorded_by": self.who}

    def _not_future(self, day: dt.date, what: str) -> None:
        if day > self.today:
            raise InputError(f"{what} {day} is in the future (today is {self.today})")

    def _in_force_span(self, day: dt.date, what: str, cluster: ClusterRow) -> None:
        """Dated no earlier than the certification and no later than today."""
        if day < cluster.certified_on:
            raise InputError(f"{what} {day} is before the certification on {cluster.certified_on}")
        self._not_future(day, what)

    def _begun(self, year: int) -> None:
        if not 1990 <= year <= self.today.year:
            raise InputError(f"--year {year} is not a year that has begun")

    @staticmethod
    def _one_of(option: str, value: str, choices: tuple[str, ...]) -> None:
        if value not in choices:
            raise InputError(f"{option} {value!r} is not one of {', '.join(choices)}")

    @staticmethod
    def _no_rule(cluster: ClusterRow, pack: Pack, rule: str) -> InputError:
        return InputError(f"cluster {cluster.id!r} is under {pack.id}, which has no {rule} rule "
                          "(`monitor regimes` shows what each regime has)")

    def report(self, cluster_id: str, year: int, filed_on: dt.date) -> str:
        cluster, pack = self._cluster(cluster_id)
        if pack.annual_report is None:
            raise self._no_rule(cluster, pack, "annual report")
        self._begun(year)
        certified = cluster.certified_on
        first = certified.year - 1 if (certified.month, certified.day) == (1, 1) else certified.year
        if year < first:
            raise InputError(f"--year {year}: the first report {cluster_id} owes is on {first} (certified {certified})")
        if filed_on.year < year:
            raise InputError(f"a report on {year} cannot be filed on {filed_on}, before that year began")
        self._in_force_span(filed_on, "--filed-on", cluster)
        existing = self.session.scalar(select(ReportRow).filter_by(cluster_id=cluster_id, year=year))
        if existing is not None:
            if existing.filed_on == filed_on:
                return f"{cluster_id}: the report on {year} was already recorded as filed {filed_on}"
            raise ConflictError(f"{cluster_id}: the report on {year} is already recorded as filed "
                                f"{existing.filed_on}, not {filed_on}")
        self.session.add(ReportRow(cluster_id=cluster_id, year=year, filed_on=filed_on, **self._stamp()))
        return f"{cluster_id}: recorded the report on {year}, filed {filed_on}"

    def change(self, cluster_id: str, kind: str, changed_on: dt.date, filed_on: dt.date | None) -> str:
        cluster, pack = self._cluster(cluster_id)
        if pack.change_filing is None:
            raise self._no_rule(cluster, pack, "change filing")
        self._one_of("--kind", kind, CHANGE_KINDS)
        self._in_force_span(changed_on, "--changed-on", cluster)
        if filed_on is not None:
            if filed_on < changed_on:
                raise InputError(f"--filed-on {filed_on} is before the change on {changed_on}")
            self._not_future(filed_on, "--filed-on")
        existing = self.session.scalar(
            select(ChangeRow).filter_by(cluster_id=cluster_id, kind=kind, changed_on=changed_on))
        if existing is None:
            self.session.add(ChangeRow(
                cluster_id=cluster_id, kind=kind, changed_on=changed_on, filed_on=filed_on, **self._stamp(),
                filing_recorded_at=self.now if filed_on else None, filing_recorded_by=self.who if filed_on else None))
            return f"{cluster_id}: recorded the {kind} change of {changed_on}" + (
                f", filed {filed_on}" if filed_on else "")
        if filed_on is None or existing.filed_on == filed_on:
            return f"{cluster_id}: the {kind} change of {changed_on} was already recorded"
        if existing.filed_on is not None:
            raise ConflictError(f"{cluster_id}: the {kind} change of {changed_on} is already recorded as filed "
                                f"{existing.filed_on}, not {filed_on}")
        existing.filed_on, existing.filing_recorded_at, existing.filing_recorded_by = filed_on, self.now, self.who
        return f"{cluster_id}: recorded the filing of the {kind} change of {changed_on} on {filed_on}"

    def review(self, cluster_id: str, result: str, on: dt.date) -> str:
        cluster, pack = self._cluster(cluster_id)
        if pack.validity is None:
            raise self._no_rule(cluster, pack, "validity or renewal review")
        self._one_of("--result", result, REVIEW_RESULTS)
        self._in_force_span(on, "--on", cluster)
        existing = self.session.scalar(select(ReviewRow).filter_by(cluster_id=cluster_id, result=result, on_date=on))
        if existing is not None:
            return f"{cluster_id}: the review {result} of {on} was already recorded"
        other = {"pass": "fail", "fail": "pass"}.get(result)
        if other is not None and self.session.scalar(
                select(ReviewRow).filter_by(cluster_id=cluster_id, result=other, on_date=on)) is not None:
            raise ConflictError(f"{cluster_id}: the review of {on} is already recorded as {other}, not {result}")
        self.session.add(ReviewRow(cluster_id=cluster_id, result=result, on_date=on, **self._stamp()))
        return f"{cluster_id}: recorded the review {result} of {on}"

    def assessment(self, cluster_id: str, year: int, result: str, on: dt.date | None) -> str:
        cluster, pack = self._cluster(cluster_id)
        if pack.assessment is None:
            raise self._no_rule(cluster, pack, "assessment")
        self._one_of("--result", result, ASSESSMENT_RESULTS)
        self._begun(year)
        announced = on or dt.date(year + 1, 1, 1)
        if announced.year < year:
            raise InputError(f"--on {announced} is before the assessed year {year} began")
        if announced > self.today:
            raise InputError(f"the announcement date {announced} is in the future (today is {self.today}); "
                             "give --on with the day it was announced")
        existing = self.session.scalar(select(AssessmentRow).filter_by(cluster_id=cluster_id, year=year))
        if existing is not None:
            if (existing.result, existing.on_date) == (result, announced):
                return f"{cluster_id}: the {year} assessment was already recorded as {result}"
            raise ConflictError(f"{cluster_id}: the {year} assessment is already recorded as {existing.result} "
                                f"on {existing.on_date}")
        self.session.add(AssessmentRow(cluster_id=cluster_id, year=year, result=result, on_date=announced,
                                       **self._stamp()))
        return f"{cluster_id}: recorded the {year} assessment: {result} (announced {announced})"

    def incident(self, cluster_id: str, ground: str, on: dt.date, note: str | None,
                 dismissed_on: dt.date | None) -> str:
        cluster, _ = self._cluster(cluster_id)
        self._one_of("--ground", ground, INCIDENT_GROUNDS)
        self._in_force_span(on, "--on", cluster)
        if dismissed_on is not None:
            if dismissed_on < on:
                raise InputError(f"--dismissed-on {dismissed_on} is before the incident on {on}")
            self._not_future(dismissed_on, "--dismissed-on")
        existing = self.session.scalar(select(IncidentRow).filter_by(cluster_id=cluster_id, ground=ground, on_date=on))
        if existing is None:
            self.session.add(IncidentRow(
                cluster_id=cluster_id, ground=ground, on_date=on, note=note, dismissed_on=dismissed_on,
                dismissal_recorded_at=self.now if dismissed_on else None,
                dismissal_recorded_by=self.who if dismissed_on else None, **self._stamp()))
            return f"{cluster_id}: recorded the {ground} incident of {on}"
        if dismissed_on is None or existing.dismissed_on == dismissed_on:
            return f"{cluster_id}: the {ground} incident of {on} was already recorded"
        if existing.dismissed_on is not None:
            raise ConflictError(f"{cluster_id}: the {ground} incident of {on} is already recorded as dismissed "
                                f"on {existing.dismissed_on}")
        existing.dismissed_on, existing.dismissal_recorded_at = dismissed_on, self.now
        existing.dismissal_recorded_by = self.who
        return f"{cluster_id}: recorded the dismissal of the {ground} incident of {on} on {dismissed_on}"

    def revocation(self, cluster_id: str, on: dt.date, note: str | None) -> str:
        cluster, _ = self._cluster(cluster_id)
        self._in_force_span(on, "--on", cluster)
        existing = self.session.get(RevocationRow, cluster_id)
        if existing is not None:
            if existing.on_date == on:
                return f"{cluster_id}: the revocation of {on} was already recorded"
            raise ConflictError(f"{cluster_id}: a revocation is already recorded on {existing.on_date}")
        self.session.add(RevocationRow(cluster_id=cluster_id, on_date=on, note=note, **self._stamp()))
        return f"{cluster_id}: recorded the revocation of {on}"
