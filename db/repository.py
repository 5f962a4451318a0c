"""Reading facts for the engine and writing recorded facts. No rules here: monitor/ decides what is valid."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from db.models import (
    AssessmentRow,
    ChangeRow,
    ClusterRow,
    IncidentRow,
    ReportRow,
    ReviewRow,
    RevocationRow,
)
from monitor.facts import AssessmentResult, Change, Cluster, Facts, Incident, Report, Review


def split_emails(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def cluster_from_row(row: Any) -> Cluster:
    return Cluster(
        id=row.id, name=row.name, regime=row.regime, certified_on=row.certified_on, valid_until=row.valid_until,
        batch=row.batch, region=row.region, operator=row.operator,
        operator_email=split_emails(row.operator_email), bureau_email=split_emails(row.bureau_email),
        publicity_start=row.publicity_start,
    )


def load_facts(conn: Connection, cluster_ids: Sequence[str] | None = None,
               regime: str | None = None) -> list[Facts]:
    """Every cluster (or the ones asked for) with all its facts, in as few queries as there are tables."""
    cluster_table = ClusterRow.__table__
    query = select(cluster_table).order_by(cluster_table.c.id)
    if cluster_ids is not None:
        query = query.where(cluster_table.c.id.in_(cluster_ids))
    if regime is not None:
        query = query.where(cluster_table.c.regime == regime)
    clusters = [cluster_from_row(row) for row in conn.execute(query).all()]
    if not clusters:
        return []
    restrict = cluster_ids is not None or regime is not None
    wanted = [c.id for c in clusters]

    def rows(model: Any, *columns: str) -> Iterable[Any]:
        table = model.__table__
        q = select(table.c.cluster_id, *(table.c[name] for name in columns))
        if restrict:
            q = q.where(table.c.cluster_id.in_(wanted))
        return conn.execute(q).all()  # fetched in bulk: row-by-row iteration costs a third more

    reports: dict[str, list[Report]] = defaultdict(list)
    for cid, year, filed_on in rows(ReportRow, "year", "filed_on"):
        reports[cid].append(Report(year, filed_on))
    changes: dict[str, list[Change]] = defaultdict(list)
    for cid, kind, changed_on, filed_on in rows(ChangeRow, "kind", "changed_on", "filed_on"):
        changes[cid].append(Change(kind, changed_on, filed_on))
    reviews: dict[str, list[Review]] = defaultdict(list)
    for cid, result, on in rows(ReviewRow, "result", "on_date"):
        reviews[cid].append(Review(result, on))
    assessments: dict[str, list[AssessmentResult]] = defaultdict(list)
    for cid, year, result, on in rows(AssessmentRow, "year", "result", "on_date"):
        assessments[cid].append(AssessmentResult(year, result, on))
    incidents: dict[str, list[Incident]] = defaultdict(list)
    for cid, ground, on, note, dismissed in rows(IncidentRow, "ground", "on_date", "note", "dismissed_on"):
        incidents[cid].append(Incident(ground, on, note, dismissed))
    revoked: dict[str, dt.date] = {row[0]: row[1] for row in rows(RevocationRow, "on_date")}
    empty: tuple[()] = ()
    return [
        Facts(
            cluster=c,
            reports=tuple(reports.get(c.id, empty)),
            changes=tuple(changes.get(c.id, empty)),
            reviews=tuple(reviews.get(c.id, empty)),
            assessments=tuple(assessments.get(c.id, empty)),
            incidents=tuple(incidents.get(c.id, empty)),
            revoked_on=revoked.get(c.id),
        )
        for c in clusters
    ]
