"""Reading the roster and its facts for the engine, as frozen values. No rules here: monitor/rules decides."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from db.read import Reads
from monitor.rules.facts import AssessmentResult, Change, Cluster, Facts, Incident, Report, Review
from monitor.rules.holds import Hold
from monitor.rules.states import DeliveryState, MessageState

#: a daemon whose heartbeat is older than this is reported as not running
HEARTBEAT_STALE = dt.timedelta(minutes=5)


def split_emails(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


IdRange = tuple[str | None, str | None]


def _scope(cluster_ids: Sequence[str] | None, regime: str | None, region: str | None,
           id_range: IdRange) -> tuple[str, dict[str, object]]:
    """The WHERE clause (on ``cluster_id``) and its parameters selecting clusters."""
    where, params = "", dict[str, object]()
    if cluster_ids is not None:
        names = [f"c{i}" for i in range(len(cluster_ids))]
        where += f" AND cluster_id IN ({', '.join(':' + n for n in names)})"
        params.update(zip(names, cluster_ids, strict=True))
    if regime is not None:
        where += " AND cluster_id IN (SELECT id FROM cluster WHERE regime = :regime)"
        params["regime"] = regime
    if region is not None:
        where += " AND cluster_id IN (SELECT id FROM cluster WHERE region = :region)"
        params["region"] = region
    low, high = id_range  # a slice of the roster: low <= id < high
    if low is not None:
        where += " AND cluster_id >= :low"
        params["low"] = low
    if high is not None:
        where += " AND cluster_id < :high"
        params["high"] = high
    return where, params


def load_facts(conn: Reads, cluster_ids: Sequence[str] | None = None, regime: str | None = None,
               id_range: IdRange = (None, None), region: str | None = None) -> list[Facts]:
    """Every cluster (or the ones asked for, or those with ids in ``id_range``) with its facts, a query a table.

    Rows are read through the driver and dates converted here with the C ``date.fromisoformat``: on
    SQLite, SQLAlchemy's per-row date processing was most of the time of a status run over 100,000 clusters.
    Facts are built with ``tuple.__new__`` (their NamedTuple ``__new__`` is a Python call: 2 million of them).
    """
    as_date = _date_converter(conn)
    where, params = _scope(cluster_ids, regime, region, id_range)

    def rows(table: str, columns: str) -> Sequence[Any]:
        key = "id" if table == "cluster" else "cluster_id"
        return conn.all(f"SELECT {columns} FROM {table} WHERE 1=1{where.replace('cluster_id', key)}", params)

    clusters = [
        Cluster(cid, name, regime_, as_date(certified), as_date(valid) if valid else None, batch, region, operator,
                split_emails(op_email), split_emails(bureau_email), as_date(publicity) if publicity else None)
        for cid, name, regime_, certified, valid, batch, region, operator, op_email, bureau_email, publicity
        in rows("cluster", "id, name, regime, certified_on, valid_until, batch, region, operator, operator_email, "
                           "bureau_email, publicity_start")
    ]
    if not clusters:
        return []
    clusters.sort(key=lambda c: c.id)
    new = tuple.__new__
    reports: dict[str, list[Report]] = defaultdict(list)
    for cid, year, filed_on in rows("report", "cluster_id, year, filed_on"):
        reports[cid].append(new(Report, (year, as_date(filed_on))))
    changes: dict[str, list[Change]] = defaultdict(list)
    for cid, kind, changed_on, filed_on in rows("change", "cluster_id, kind, changed_on, filed_on"):
        changes[cid].append(new(Change, (kind, as_date(changed_on), as_date(filed_on) if filed_on else None)))
    reviews: dict[str, list[Review]] = defaultdict(list)
    for cid, result, on in rows("review", "cluster_id, result, on_date"):
        reviews[cid].append(new(Review, (result, as_date(on))))
    assessments: dict[str, list[AssessmentResult]] = defaultdict(list)
    for cid, year, result, on in rows("assessment", "cluster_id, year, result, on_date"):
        assessments[cid].append(new(AssessmentResult, (year, result, as_date(on))))
    incidents: dict[str, list[Incident]] = defaultdict(list)
    for cid, ground, on, note, dismissed in rows("incident", "cluster_id, ground, on_date, note, dismissed_on"):
        incidents[cid].append(Incident(ground, as_date(on), note, as_date(dismissed) if dismissed else None))
    revoked = {cid: as_date(on) for cid, on in rows("revocation", "cluster_id, on_date")}
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


def cluster_ids_sorted(conn: Reads, regime: str | None = None, region: str | None = None) -> list[str]:
    """The ids of the clusters of a regime and a region (or of all), in order."""
    where, params = _scope(None, regime, region, (None, None))
    return [row[0] for row in conn.all(f"SELECT id FROM cluster WHERE 1=1{where.replace('cluster_id', 'id')} "
                                       "ORDER BY id", params)]


#: clusters loaded at a time by the passes over a whole roster (scan, calendar, export, report): bounds memory
CHUNK = 1000


def id_ranges(ids: Sequence[str], chunk: int = CHUNK, end: str | None = None) -> list[IdRange]:
    """Sorted ids cut into ranges of at most ``chunk``: (low inclusive, high exclusive), the last one ending at
    ``end`` (the first id after these, None for the end of the roster)."""
    lows = list(ids[::chunk])
    return list(zip(lows, [*lows[1:], end], strict=True)) if lows else []


def existing_ids(conn: Reads, cluster_ids: Sequence[str]) -> set[str]:
    """Which of ``cluster_ids`` are known clusters."""
    where, params = _scope(cluster_ids, None, None, (None, None))
    return {row[0] for row in conn.all(f"SELECT id FROM cluster WHERE 1=1{where.replace('cluster_id', 'id')}", params)}


def _identity(value: Any) -> dt.date:
    return value  # type: ignore[no-any-return]


def _date_converter(conn: Reads) -> Callable[[Any], dt.date]:
    """SQLite hands dates back as ISO strings; PostgreSQL's driver as dates already."""
    return dt.date.fromisoformat if conn.dates_as_text else _identity


# --- the ledger as status shows it --------------------------------------------------------------------------------

def _moment(conn: Reads, value: Any) -> dt.datetime:
    """A stored date-time, aware (SQLite keeps UTC as text without its offset)."""
    return aware(dt.datetime.fromisoformat(value) if conn.dates_as_text else value)


def active_holds(conn: Reads, day: dt.date) -> list[Hold]:
    """Acks and snoozes in force on ``day``, the newest per subject."""
    as_date = _date_converter(conn)
    found: dict[tuple[str, str, str], Hold] = {}
    for kind in ("ack", "snooze"):
        rows = conn.all(f"SELECT cluster_id, subject, until, note, recorded_by, recorded_at FROM {kind} "
                        "WHERE until >= :day ORDER BY recorded_at", {"day": day.isoformat()})
        for cid, subject, until, note, by, at in rows:
            found[(kind, cid, subject)] = Hold(kind, cid, subject, as_date(until), note, by, _moment(conn, at))
    return sorted(found.values(), key=lambda h: (h.cluster_id, h.subject))


def running_daemons(conn: Reads, now: dt.datetime) -> list[str]:
    """The daemons whose last heartbeat says running and is at most HEARTBEAT_STALE old."""
    beats = conn.all("SELECT name, at, detail FROM daemon_state WHERE name LIKE 'daemon:%'")
    return sorted(name.removeprefix("daemon:") for name, at, detail in beats
                  if detail == "running" and dt.timedelta(0) <= now - _moment(conn, at) <= HEARTBEAT_STALE)


def daemon_summary(conn: Reads, now: dt.datetime, timezone: str) -> dict[str, Any]:
    """When the daemon last scanned and sent, whether one is running, and what waits to be sent."""
    zone = ZoneInfo(timezone)
    marks = {name: _moment(conn, at).astimezone(zone).isoformat(timespec="seconds")
             for name, at in conn.all("SELECT name, at FROM daemon_state WHERE name IN ('scan', 'round')")}
    deliveries = dict(conn.all("SELECT state, COUNT(*) FROM delivery GROUP BY state"))
    messages = dict(conn.all("SELECT state, COUNT(*) FROM message GROUP BY state"))
    return {
        "last_scan": marks.get("scan"),
        "last_round": marks.get("round"),
        "running": running_daemons(conn, now),
        "waiting": deliveries.get(DeliveryState.PENDING, 0) + deliveries.get(DeliveryState.QUEUED, 0),
        "messages_waiting": messages.get(MessageState.CLAIMED, 0) + messages.get(MessageState.RETRY, 0),
        "failed": deliveries.get(DeliveryState.FAILED, 0),
        "sent": deliveries.get(DeliveryState.SENT, 0),
    }


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC date-times; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
