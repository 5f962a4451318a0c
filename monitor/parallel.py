"""`monitor status --format json` over a large roster, split across the machine's cores.

Evaluation is a pure function of one cluster's facts, so the roster is cut into id ranges; each worker
process loads its range, evaluates it and serialises its clusters' JSON, and the parent merges them in
order of urgency. Below PARALLEL_FROM clusters, on one core, or for some clusters only (``--cluster``,
``--regime``) it all runs in this process.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from db.repository import cluster_ids_sorted
from monitor.app import App
from monitor.status import cluster_json, urgency

PARALLEL_FROM = 20_000

_worker_app: App | None = None


def _init(app: App) -> None:
    global _worker_app
    app.engine.dispose(close=False)  # a forked child must not share the parent's connections
    _worker_app = app


def _worker_slice(id_range: tuple[str | None, str | None], as_of: dt.date, lang: str) -> list[tuple[Any, str]]:
    assert _worker_app is not None
    return _slice(_worker_app, as_of, lang, id_range=id_range)


def _slice(app: App, as_of: dt.date, lang: str, cluster_ids: Sequence[str] | None = None, regime: str | None = None,
           id_range: tuple[str | None, str | None] = (None, None)) -> list[tuple[Any, str]]:
    """Some of the roster: each cluster's urgency and its JSON."""
    return [(urgency(item), json.dumps(cluster_json(*item, as_of, lang), ensure_ascii=False))
            for item in app.evaluate_all(as_of, cluster_ids, regime, id_range)]


def status_document(app: App, as_of: dt.date, lang: str, cluster_ids: Sequence[str] | None = None,
                    regime: str | None = None, workers: int | None = None,
                    extra: dict[str, Any] | None = None) -> str:
    """The JSON document of `monitor status --format json`, compact, most urgent cluster first."""
    workers = workers or min(os.cpu_count() or 1, 8)
    ids: list[str] = []
    if cluster_ids is None and regime is None and workers > 1:
        with app.engine.connect() as conn:
            ids = cluster_ids_sorted(conn)
    if len(ids) < PARALLEL_FROM:
        parts = _slice(app, as_of, lang, cluster_ids, regime)
    else:
        bounds = [ids[len(ids) * i // workers] for i in range(1, workers)]
        ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
        app.packs, app.calendar  # noqa: B018 - loaded once here, inherited by the forked workers
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(app,)) as pool:
            parts = [item for chunk in pool.map(_worker_slice, ranges, [as_of] * workers, [lang] * workers)
                     for item in chunk]
    parts.sort(key=lambda part: part[0])
    clusters = ", ".join(text for _, text in parts)
    tail = "".join(f", {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in (extra or {}).items())
    return f'{{"as_of": "{as_of.isoformat()}", "clusters": [{clusters}]{tail}}}'
