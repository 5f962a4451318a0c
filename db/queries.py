"""Reading the roster and its facts for the engine, as frozen values. No rules here: monitor/rules decides."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from db.read import Reads
from monitor.rules.collation import pinyin_key
from monitor.rules.facts import (
    AssessmentResult,
    Change,
    Cluster,
    EvaluationResult,
    Facts,
    Incident,
    IndicatorValue,
    PlanTarget,
    Report,
    Review,
)
from monitor.rules.holds import Hold
from monitor.rules.states import DeliveryState, MessageState

#: a daemon whose heartbeat is older than this is reported as not running
HEARTBEAT_STALE = dt.timedelta(minutes=5)


def split_emails(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


IdRange = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which clusters a read covers, and which record: as it stands, or as it stood at ``known_at``."""
    cluster_ids: tuple[str, ...] | None = None
    regime: str | None = None
    region: str | None = None
    known_at: dt.datetime | None = None     # the record as it was at this moment (UTC): later versions unseen
    archived: bool = False                  # archived clusters too
    regions: tuple[str, ...] | None = None  # who reads may see only these regions' clusters (None: all)


def _in(params: dict[str, object], prefix: str, values: Sequence[str]) -> str:
    """``(:p0, :p1, …)`` for an IN list, its values added to ``params``."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    params.update(zip(names, values, strict=True))
    return "(" + ", ".join(":" + n for n in names) + ")" if names else "(NULL)"


def moment(conn: Reads, value: dt.datetime) -> Any:
    """A moment as the driver compares it with stored ones (SQLite keeps UTC as text, without its offset)."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dates_as_text else utc


def _scope(conn: Reads, scope: Scope, id_range: IdRange, column: str) -> tuple[str, dict[str, object]]:
    """The WHERE clause (on ``column``, the cluster id) and its parameters selecting clusters."""
    where, params = "", dict[str, object]()
    if scope.cluster_ids is not None:
        where += f" AND @id IN {_in(params, 'c', scope.cluster_ids)}"
    if scope.regions is not None:   # the one place an account's regions limit what it reads
        where += f" AND @id IN (SELECT id FROM cluster WHERE region IN {_in(params, 'r', scope.regions)})"
    if scope.regime is not None:
        where += " AND @id IN (SELECT id FROM cluster WHERE regime = :regime)"
        params["regime"] = scope.regime
    if scope.region is not None:
        where += " AND @id IN (SELECT id FROM cluster WHERE region = :region)"
        params["region"] = scope.region
    if scope.known_at is not None:
        params["known_at"] = moment(conn, scope.known_at)
    if not scope.archived:
        where += f" AND @id NOT IN ({_archived(scope.known_at is not None)})"
    low, high = id_range  # a slice of the roster: low <= id < high
    if low is not None:
        where += " AND @id >= :low"
        params["low"] = low
    if high is not None:
        where += " AND @id < :high"
        params["high"] = high
    return where.replace("@id", column), params


def _archived(known: bool) -> str:
    """The ids of the archived clusters: those whose newest archive row (by ``:known_at``) archives them."""
    by = " AND {t}.recorded_at <= :known_at" if known else ""
    return ("SELECT a.cluster_id FROM archive a WHERE a.archived" + by.format(t="a")
            + " AND NOT EXISTS (SELECT 1 FROM archive b WHERE b.cluster_id = a.cluster_id AND b.id > a.id"
            + by.format(t="b") + ")")


#: the versions of facts in force: not a retraction, not replaced (by ``:known_at``, when known-at)
IN_FORCE = ("NOT f.retracts AND NOT EXISTS (SELECT 1 FROM fact g WHERE g.replaces = f.id{by})")


def in_force(known: bool) -> str:
    return (IN_FORCE.format(by=" AND g.recorded_at <= :known_at")
            + " AND f.recorded_at <= :known_at") if known else IN_FORCE.format(by="")


def load_facts(conn: Reads, scope: Scope = Scope(), id_range: IdRange = (None, None)) -> list[Facts]:
    """Every cluster in scope (or those with ids in ``id_range``) with its facts in force, two queries.

    Rows are read through the driver and dates converted here with the C ``date.fromisoformat``: on
    SQLite, SQLAlchemy's per-row date processing was most of the time of a status run over 100,000 clusters.
    Facts are built with ``tuple.__new__`` (their NamedTuple ``__new__`` is a Python call: 2 million of them).
    """
    as_date = _date_converter(conn)
    where, params = _scope(conn, scope, id_range, "id")
    clusters = [
        Cluster(cid, name, regime_, as_date(certified), as_date(valid) if valid else None, batch, region, operator,
                split_emails(op_email), split_emails(bureau_email), as_date(publicity) if publicity else None,
                tuple(json.loads(extra).items()) if extra else ())
        for cid, name, regime_, certified, valid, batch, region, operator, op_email, bureau_email, publicity, extra
        in conn.all("SELECT id, name, regime, certified_on, valid_until, batch, region, operator, operator_email, "
                    f"bureau_email, publicity_start, extra FROM cluster WHERE 1=1{where}", params)
    ]
    if not clusters:
        return []
    clusters.sort(key=lambda c: c.id)
    new = tuple.__new__
    kinds: dict[str, tuple[list[Any], ...]] = {}     # a cluster's reports, changes, reviews, assessments, incidents
    revoked: dict[str, tuple[dt.date, str | None]] = {}     # a cluster's revocation: its day and its ground
    where, params = _scope(conn, scope, id_range, "f.cluster_id")
    rows = conn.all("SELECT f.cluster_id, f.kind, f.year, f.on_date, f.filed_on, f.detail, f.note, f.dismissed_on, "
                    f"f.value, f.base_year FROM fact f WHERE {in_force(scope.known_at is not None)}"
                    f"{where} ORDER BY f.cluster_id, f.id", params)
    last = None
    lists: tuple[list[Any], ...] = ()
    for cid, kind, year, on_text, filed_on, detail, note, dismissed, value, base_year in rows:
        if cid != last:             # the rows come a cluster at a time
            last, lists = cid, ([], [], [], [], [], [], [], [], [])
            kinds[cid] = lists
        if kind == "report":
            lists[0].append(new(Report, (year, as_date(filed_on))))
            continue
        if kind == "indicator":     # annual monitoring: no day, a value
            lists[7].append(new(IndicatorValue, (year, detail, float(value))))
            continue
        if kind == "target":
            lists[8].append(new(PlanTarget, (detail, base_year, year, float(value))))
            continue
        on = as_date(on_text)         # every kind but a report has its day
        if kind == "change":
            lists[1].append(new(Change, (detail, on, as_date(filed_on) if filed_on else None)))
        elif kind == "review":
            lists[2].append(new(Review, (detail, on)))
        elif kind == "assessment":
            lists[3].append(new(AssessmentResult, (year, detail, on)))
        elif kind == "incident":
            lists[4].append(Incident(detail, on, note, as_date(dismissed) if dismissed else None))
        elif kind == "revocation" and (cid not in revoked or on < revoked[cid][0]):
            revoked[cid] = (on, detail)
        elif kind == "evaluation":
            lists[5].append(new(EvaluationResult, (detail, on)))
        elif kind == "rectification":
            lists[6].append(on)
    out = []
    none: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [], [])
    for c in clusters:
        (reports, changes, reviews, assessments, incidents, evaluations, rectifications, indicators,
         targets) = kinds.get(c.id, none)
        revoked_on, ground = revoked.get(c.id, (None, None))
        out.append(Facts(c, tuple(reports), tuple(changes), tuple(reviews), tuple(assessments), tuple(incidents),
                         revoked_on, ground, tuple(evaluations), tuple(rectifications),
                         tuple(sorted(indicators)), tuple(targets)))
    return out


def regions_of(conn: Reads, scope: Scope = Scope()) -> list[str]:
    """The regions of the clusters in scope, by pinyin ("" for clusters without one, first)."""
    where, params = _scope(conn, scope, (None, None), "id")
    return sorted({row[0] or "" for row in conn.all(f"SELECT DISTINCT region FROM cluster WHERE 1=1{where}", params)},
                  key=pinyin_key)


def unloaded_regime(conn: Reads, scope: Scope, loaded: Sequence[str]) -> tuple[str, str] | None:
    """The first cluster in scope (by id) whose regime is not among ``loaded``, and that regime; None when none."""
    where, params = _scope(conn, scope, (None, None), "id")
    found = conn.all(f"SELECT id, regime FROM cluster WHERE regime NOT IN {_in(params, 'p', loaded)}{where} "
                     "ORDER BY id LIMIT 1", params)
    return (found[0][0], found[0][1]) if found else None


def cluster_ids_sorted(conn: Reads, scope: Scope = Scope()) -> list[str]:
    """The ids of the clusters in scope, in order."""
    where, params = _scope(conn, scope, (None, None), "id")
    return [row[0] for row in conn.all(f"SELECT id FROM cluster WHERE 1=1{where} "
                                       "ORDER BY id", params)]


#: clusters loaded at a time by the passes over a whole roster (scan, calendar, export, report): bounds memory
CHUNK = 1000


def id_ranges(ids: Sequence[str], chunk: int = CHUNK, end: str | None = None) -> list[IdRange]:
    """Sorted ids cut into ranges of at most ``chunk``: (low inclusive, high exclusive), the last one ending at
    ``end`` (the first id after these, None for the end of the roster)."""
    lows = list(ids[::chunk])
    return list(zip(lows, [*lows[1:], end], strict=True)) if lows else []


def extra_headers(conn: Reads, regions: Sequence[str] | None = None) -> list[str]:
    """The headers of the clusters' kept columns (``cluster.extra``, migration 0011), each once, in the order first
    met (by cluster id); with ``regions``, of those regions' clusters only."""
    params: dict[str, object] = {}
    query = "SELECT extra FROM cluster WHERE extra IS NOT NULL"
    if regions is not None:
        query += f" AND region IN {_in(params, 'r', regions)}"
    headers: dict[str, None] = {}
    for (extra,) in conn.all(query + " ORDER BY id", params):
        headers.update(dict.fromkeys(json.loads(extra)))
    return list(headers)


def stored_ids(conn: Reads, typed: Sequence[str], regions: Sequence[str] | None = None) -> dict[str, str]:
    """The stored id of each of ``typed`` that names a known cluster, matched without regard to (ASCII) case;
    with ``regions``, only the clusters of those regions are known."""
    wanted = {t.lower(): t for t in typed}
    found: dict[str, str] = {}
    keys = list(wanted)
    for i in range(0, len(keys), 500):
        params: dict[str, object] = {}
        query = f"SELECT id FROM cluster WHERE lower(id) IN {_in(params, 'c', keys[i:i + 500])}"
        if regions is not None:
            query += f" AND region IN {_in(params, 'r', regions)}"
        for (stored,) in conn.all(query, params):
            found[wanted[stored.lower()]] = stored
    return found


def _identity(value: Any) -> dt.date:
    return value  # type: ignore[no-any-return]


def _date_converter(conn: Reads) -> Callable[[Any], dt.date]:
    """SQLite hands dates back as ISO strings; PostgreSQL's driver as dates already."""
    return dt.date.fromisoformat if conn.dates_as_text else _identity


# --- the ledger as status shows it --------------------------------------------------------------------------------

def _moment(conn: Reads, value: Any) -> dt.datetime:
    """A stored date-time, aware (SQLite keeps UTC as text without its offset)."""
    return aware(dt.datetime.fromisoformat(value) if conn.dates_as_text else value)


def active_holds(conn: Reads, day: dt.date, scope: Scope = Scope()) -> list[Hold]:
    """Acks and snoozes in force on ``day``, the newest per subject, of the clusters in scope."""
    as_date = _date_converter(conn)
    found: dict[tuple[str, str, str], Hold] = {}
    where, params = _scope(conn, scope, (None, None), "cluster_id")
    for kind in ("ack", "snooze"):
        rows = conn.all(f"SELECT cluster_id, subject, until, note, recorded_by, recorded_at FROM {kind} "
                        f"WHERE until >= :day{where} ORDER BY recorded_at", {"day": day.isoformat(), **params})
        for cid, subject, until, note, by, at in rows:
            found[(kind, cid, subject)] = Hold(kind, cid, subject, as_date(until), note, by, _moment(conn, at))
    return sorted(found.values(), key=lambda h: (h.cluster_id, h.subject))


def running_daemons(conn: Reads, now: dt.datetime) -> list[str]:
    """The daemons whose last heartbeat says running and is at most HEARTBEAT_STALE old."""
    beats = conn.all("SELECT name, at, detail FROM daemon_state WHERE name LIKE 'daemon:%'")
    return sorted(name.removeprefix("daemon:") for name, at, detail in beats
                  if detail == "running" and dt.timedelta(0) <= now - _moment(conn, at) <= HEARTBEAT_STALE)


def daemon_summary(conn: Reads, now: dt.datetime, timezone: str,
                   regions: tuple[str, ...] | None = None) -> dict[str, Any]:
    """When the daemon last scanned and sent, whether one is running, and what waits to be sent. With ``regions``
    (a bureau account's), the reminders and messages counted are those of these regions' clusters only: a message
    counts when one of its reminders is theirs."""
    zone = ZoneInfo(timezone)
    marks = {name: _moment(conn, at).astimezone(zone).isoformat(timespec="seconds")
             for name, at in conn.all("SELECT name, at FROM daemon_state WHERE name IN ('scan', 'round')")}
    params: dict[str, object] = {}
    theirs = ("" if regions is None else
              " WHERE delivery.reminder_id IN (SELECT reminder.id FROM reminder JOIN cluster ON cluster.id = "
              f"reminder.cluster_id WHERE cluster.region IN {_in(params, 'r', regions)})")
    deliveries = dict(conn.all(f"SELECT state, COUNT(*) FROM delivery{theirs} GROUP BY state", params))
    messages = dict(conn.all("SELECT state, COUNT(*) FROM message" + (
        "" if regions is None else f" WHERE id IN (SELECT message_id FROM delivery{theirs})") + " GROUP BY state",
        params))
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


def record_stamp(conn: Reads) -> tuple[Any, ...]:
    """What changes whenever anything an evaluation reads changes: the newest fact and archive rows (both tables
    are append-only), the roster's size and newest recording (an import stamps every row it adds or updates), and
    the baseline stored by `monitor import --from` (its day and when it was set).
    Equal stamps: the same record, so the same evaluation for the same day."""
    return tuple(conn.all("SELECT (SELECT MAX(id) FROM fact), (SELECT MAX(id) FROM archive), "
                          "(SELECT COUNT(*) FROM cluster), (SELECT MAX(recorded_at) FROM cluster), "
                          "(SELECT MAX(value) FROM setting), (SELECT MAX(set_at) FROM setting)")[0])


#: the setting ``monitor import --from D`` stores (db.setting_queries.store_baseline)
MONITORING_FROM = "monitoring_from"


def stored_baseline(conn: Reads) -> dt.date | None:
    """The baseline ``monitor import --from`` stored, None when none was (read through the driver: `monitor status`
    imports nothing of SQLAlchemy)."""
    rows = conn.all("SELECT value FROM setting WHERE name = :name", {"name": MONITORING_FROM})
    return dt.date.fromisoformat(rows[0][0]) if rows else None
