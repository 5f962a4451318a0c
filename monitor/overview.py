"""The one overview pipeline: which clusters (a Selection), read from db/, evaluated by the rules, listed and
ordered once. Status (table and JSON), calendar, export, report, digests and the scan all consume it.

Two shapes:

- ``slices(app, selection)`` / ``evaluated(…)``: roster order, a slice of CHUNK clusters at a time; memory
  stays bounded on any roster. For the passes that do not need an order (calendar, export, report, scan).
- ``ranked(app, selection, render)``: most urgent first. Each cluster is rendered (a JSON object, a table
  row) as soon as it is evaluated and its rendering spilled to a temporary file, so only the sort keys stay in
  memory; the renderings are then read back in order. Above PARALLEL_FROM clusters the roster is cut into
  one id range per core and each range is evaluated and rendered in a forked worker: parallelism is a detail
  of this module, invisible to its callers.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, NamedTuple, TypeVar

from db.queries import (
    CHUNK,
    IdRange,
    Scope,
    active_holds,
    cluster_ids_sorted,
    daemon_summary,
    extra_headers,
    id_ranges,
    load_facts,
    stored_ids,
    unloaded_regime,
)
from monitor.app import App
from monitor.errors import ArchivedClusterError, PackError, Saying, UnknownClusterError
from monitor.rules.access import Account
from monitor.rules.engine import evaluate, failed_verdict
from monitor.rules.holds import Hold
from monitor.rules.listing import Evaluated, Urgency, shown, urgency
from monitor.rules.near import ID_CUTOFF, nearest

log = logging.getLogger("monitor.overview")

#: from this many clusters on, ranked() evaluates in one forked process per core
PARALLEL_FROM = 20_000

P = TypeVar("P")
M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Selection:
    """Which clusters, evaluated as of which day. Built once per command (``Selection.of``), checked there."""
    as_of: dt.date
    cluster_ids: tuple[str, ...] | None = None
    regime: str | None = None
    region: str | None = None
    known_at: dt.datetime | None = None     # the record as it stood then (UTC): bitemporal with as_of
    archived: bool = False                  # archived clusters too
    regions: tuple[str, ...] | None = None  # the reader's regions (monitor.rules.access): None, all

    @classmethod
    def of(cls, app: App, as_of: dt.date | None = None, cluster_ids: Sequence[str] = (), regime: str | None = None,
           region: str | None = None, known_at: dt.datetime | None = None, archived: bool = False,
           regions: tuple[str, ...] | None = None) -> Selection:
        """As of today unless given; an unknown regime or cluster is an error here, not empty output later, and so
        are packs that fail to load and a cluster of a regime no loaded pack defines (PackError: nothing is
        evaluated with a broken pack config). Cluster ids are matched without regard to case; an archived one
        needs ``archived``; one outside ``regions`` is unknown."""
        packs = app.packs
        if regime is not None:
            app.pack(regime)
        ids: tuple[str, ...] | None = None
        with app.reader.connect() as conn:
            if cluster_ids:
                stored = stored_ids(conn, cluster_ids, regions)
                missing = [typed for typed in cluster_ids if typed not in stored]
                if missing:
                    every = cluster_ids_sorted(conn, Scope(archived=True, regions=regions))
                    raise UnknownClusterError(missing[0], nearest(missing[0], every, ID_CUTOFF))
                ids = tuple(dict.fromkeys(stored[typed] for typed in cluster_ids))
                if not archived:
                    hidden = set(ids) - set(cluster_ids_sorted(conn, Scope(cluster_ids=ids, known_at=known_at)))
                    if hidden:
                        raise ArchivedClusterError(min(hidden))
            selection = cls(as_of or app.today(), ids, regime, region, known_at, archived, regions)
            stray = unloaded_regime(conn, selection.scope, sorted(packs))
        if stray is not None:
            raise PackError("cluster {id!r} has regime {regime!r}, which no loaded pack defines", id=stray[0],
                            regime=stray[1])
        return selection

    @classmethod
    def for_account(cls, app: App, account: Account, as_of: dt.date | None = None, cluster_ids: Sequence[str] = (),
                    regime: str | None = None, region: str | None = None) -> Selection:
        """What ``account`` may see: the one way the console and the API build a Selection, so no page can
        forget the account's regions (tests/test_web_contract.py holds monitor/web to it)."""
        return cls.of(app, as_of, cluster_ids, regime, region, regions=account.regions)

    @property
    def scope(self) -> Scope:
        return Scope(self.cluster_ids, self.regime, self.region, self.known_at, self.archived, self.regions)


def kept_columns(app: App, selection: Selection) -> list[str]:
    """The headers of the kept columns of the selection's readable clusters, as `monitor export` writes them."""
    with app.reader.connect() as reads:
        return extra_headers(reads, selection.regions)


def holds(app: App, selection: Selection) -> list[Hold]:
    """The acks and snoozes in force on the selection's day, of its clusters."""
    with app.reader.connect() as reads:
        return active_holds(reads, selection.as_of, selection.scope)


def daemon(app: App, regions: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What the daemon did last and has waiting (of ``regions``' clusters only, for a bureau account)."""
    from monitor import clock

    with app.reader.connect() as reads:
        return daemon_summary(reads, clock.now_utc(), app.settings.timezone, regions)


def ledger(app: App, selection: Selection) -> tuple[list[Hold], dict[str, Any]]:
    """Both, as status shows them under its clusters."""
    return holds(app, selection), daemon(app)


class Slice(NamedTuple):
    id_range: IdRange
    items: list[Evaluated]


def _ids(app: App, selection: Selection) -> list[str]:
    if selection.cluster_ids is not None:
        return sorted(selection.cluster_ids)
    with app.reader.connect() as conn:
        return cluster_ids_sorted(conn, selection.scope)


@contextmanager
def _uncollected() -> Iterator[None]:
    """Python's cyclic garbage collector off: reading and evaluating a slice makes hundreds of thousands of small
    tuples and no reference cycles, and the collector, run every 700 of them over everything young, was a third
    of the time of reading the facts. On again after, for whatever it would have found."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _evaluate(app: App, selection: Selection, id_range: IdRange) -> list[Evaluated]:
    """The slice's clusters evaluated. The packs and the calendar are loaded first: a pack that fails to load, or a
    cluster whose regime no loaded pack defines, refuses the whole overview (PackError, one line, exit status 2),
    never an overview of clusters shown in force with nothing owed. Only an error in the rules themselves (a bug)
    is one cluster's: logged with its traceback and shown as its ``evaluation_failed`` warning."""
    packs, calendar, as_of = app.packs, app.calendar, selection.as_of
    margin = app.settings.plan_target_margin
    found = []
    with _uncollected():
        with app.reader.connect() as conn:
            all_facts = load_facts(conn, selection.scope, id_range)
            baseline = app.monitoring_from(conn)
        for facts in all_facts:
            pack = packs.get(facts.cluster.regime)
            if pack is None:
                raise PackError("cluster {id!r} has regime {regime!r}, which no loaded pack defines",
                                id=facts.cluster.id, regime=facts.cluster.regime)
            try:
                verdict = evaluate(pack, facts, as_of, calendar, baseline, margin)
            except Exception as exc:
                log.exception("cluster %s could not be evaluated as of %s", facts.cluster.id, as_of)
                verdict = failed_verdict(facts.cluster.id, str(exc) if isinstance(exc, Saying) else
                                         f"{type(exc).__name__}: {exc}")   # a bug keeps its class's name
            found.append(shown(facts, verdict, as_of))
    return found


def slices(app: App, selection: Selection, ids: Sequence[str] | None = None, end: str | None = None) -> Iterator[Slice]:
    """The selection evaluated CHUNK clusters at a time, in id order. ``ids`` (sorted) and ``end`` (the first id
    after them): a share of the selection, as a worker takes it."""
    for id_range in id_ranges(_ids(app, selection) if ids is None else ids, CHUNK, end):
        yield Slice(id_range, _evaluate(app, selection, id_range))


def evaluated(app: App, selection: Selection) -> Iterator[Evaluated]:
    """The selection evaluated, one cluster at a time, in id order."""
    for part in slices(app, selection):
        yield from part.items


# --- most urgent first ------------------------------------------------------------------------------------------

class Ranking(NamedTuple, Generic[P, M]):
    summaries: list[M]          # most urgent first, all of them (they are small)
    payloads: Iterator[P]       # in the same order, read back one at a time


_Entry = tuple[Urgency, Any, int, int]     # sort key, summary, where the payload is in its spill file, its size


def _spill(app: App, selection: Selection, render: Callable[[Evaluated], tuple[Any, Any]],
           ids: Sequence[str], end: str | None, out: IO[bytes]) -> list[_Entry]:
    entries: list[_Entry] = []
    with _uncollected():            # the entries kept (one a cluster) would be walked by every collection
        for part in slices(app, selection, ids, end):
            for item in part.items:
                payload, summary = render(item)
                data = pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
                entries.append((urgency(item), summary, out.tell(), len(data)))
                out.write(data)
    out.flush()
    return entries


_worker: tuple[App, Selection, Callable[[Evaluated], tuple[Any, Any]]] | None = None


def _init(app: App, selection: Selection, render: Callable[[Evaluated], tuple[Any, Any]]) -> None:
    global _worker
    if "engine" in app.__dict__:
        app.engine.dispose(close=False)  # a forked child must not share the parent's connections
    _worker = (app, selection, render)


def _work(ids: Sequence[str], end: str | None, path: Path) -> list[_Entry]:
    assert _worker is not None
    with path.open("wb") as out:
        return _spill(*_worker, ids, end, out)


def ranked(app: App, selection: Selection, render: Callable[[Evaluated], tuple[P, M]],
           workers: int | None = None) -> Ranking[P, M]:
    """The selection rendered, most urgent first (monitor.rules.listing.urgency). ``render`` makes of one cluster
    a payload, streamed back in order, and a small summary, all of which are kept (column widths, counts)."""
    ids = _ids(app, selection)
    workers = min(workers or os.cpu_count() or 1, 8)
    directory = tempfile.TemporaryDirectory(prefix="monitor-overview-")
    paths = [Path(directory.name) / f"part{n}" for n in range(workers)]
    try:
        if workers == 1 or len(ids) < PARALLEL_FROM:
            paths = paths[:1]
            with paths[0].open("wb") as out:
                parts = [_spill(app, selection, render, ids, None, out)]
        else:
            cuts = [len(ids) * n // workers for n in range(workers + 1)]
            shares = [ids[cuts[n]:cuts[n + 1]] for n in range(workers)]
            ends = [ids[cut] for cut in cuts[1:-1]] + [None]
            # imported only here: most overviews are evaluated in this process, and starts quicker without them
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            app.packs, app.calendar, app.reader  # noqa: B018 - loaded once here, inherited by the forked workers
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init,
                                     initargs=(app, selection, render)) as pool:
                parts = list(pool.map(_work, shares, ends, paths))
    except BaseException:
        directory.cleanup()
        raise
    order = sorted(((entry, n) for n, entries in enumerate(parts) for entry in entries), key=lambda e: e[0][0])
    del parts

    def payloads() -> Iterator[P]:
        files = [path.open("rb") for path in paths]
        try:
            for (_key, _summary, offset, size), n in order:
                yield pickle.loads(os.pread(files[n].fileno(), size, offset))
        finally:
            for file in files:
                file.close()
            directory.cleanup()

    return Ranking([entry[1] for entry, _ in order], payloads())


class HoldTargets(NamedTuple):
    """What a bulk ack or snooze holds: (cluster id, key) pairs, and the codes the selection has (for a refusal)."""
    targets: list[tuple[str, str]]
    clusters: int
    codes: list[str]


def hold_targets(app: App, selection: Selection, kind: str, code: str) -> HoldTargets:
    """Each warning with ``code`` (ack) or open obligation of kind ``code`` (snooze) of the selected clusters, as
    of the selection's day; revoked clusters have nothing to hold."""
    from monitor.rules.holds import codes_of, matching

    targets: list[tuple[str, str]] = []
    clusters = 0
    verdicts = []
    for item in evaluated(app, selection):
        if item.verdict.state == "revoked":
            continue
        verdicts.append(item.verdict)
        keys = matching(item.verdict, kind, code)
        targets.extend((item.facts.cluster.id, key) for key in keys)
        clusters += bool(keys)
    return HoldTargets(targets, clusters, codes_of(verdicts, kind))
