"""The overview ranked in forked workers gives exactly what it gives in one process, in urgency order."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import io
import json
from pathlib import Path
from typing import Any

import pytest

from monitor import overview
from monitor.app import App
from monitor.overview import Selection, evaluated, ranked
from monitor.rules.listing import Evaluated, urgency
from monitor.views.document import cluster_json, encode, write_document
from tests.helpers import monitor, write_roster


def _item(item: Evaluated) -> tuple[bytes, str]:
    return encode(cluster_json(item, "zh"), False), item.facts.cluster.id


def document(app: App, selection: Selection, workers: int) -> tuple[dict[str, Any], list[str]]:
    out = io.BytesIO()
    ranking = ranked(app, selection, _item, workers=workers)
    write_document(out, selection.as_of, ranking.payloads, {}, indent=False)
    return json.loads(out.getvalue()), ranking.summaries


@pytest.mark.parametrize("workers", [1, 3])
def test_ranked_in_workers_equals_sequential(app: App, config_file: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    regimes = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]
    rows = [f"C-{i:03d},集群{i},{regimes[i % 5]},20{18 + i % 6}-0{1 + i % 9}-1{i % 10},,,,,," for i in range(60)]
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *rows)), config=config_file).exit_code == 0
    for i in range(0, 60, 7):
        monitor("record", "report", f"C-{i:03d}", "--year", "2024", "--filed-on", "2025-03-20", config=config_file)
    selection = Selection(dt.date(2026, 11, 22))
    expected = {"as_of": "2026-11-22",
                "clusters": [cluster_json(e, "zh") for e in sorted(evaluated(app, selection), key=urgency)]}
    monkeypatch.setattr(overview, "PARALLEL_FROM", 10)
    monkeypatch.setattr(overview, "CHUNK", 7)     # several slices per worker, and a worker's last slice ends at
    found, ids = document(app, selection, workers)  # the next worker's first id, not at the roster's end
    assert found == json.loads(json.dumps(expected, ensure_ascii=False, default=str))
    assert ids == [c["id"] for c in expected["clusters"]] and len(set(ids)) == 60


def test_a_slice_of_an_id_range_stops_at_its_end(app: App, config_file: Path, tmp_path: Path) -> None:
    rows = [f"C-{i:03d},集群{i},xj-amc,2024-01-10,,,,,," for i in range(10)]
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *rows)), config=config_file).exit_code == 0
    share = [f"C-{i:03d}" for i in range(3, 6)]
    parts = list(overview.slices(app, Selection(dt.date(2026, 1, 1)), share, end="C-006"))
    assert [e.facts.cluster.id for part in parts for e in part.items] == share
    assert functools.reduce(lambda n, part: n + len(part.items), parts, 0) == 3


def test_the_indented_document_for_a_terminal_holds_the_same_as_the_compact_one(app: App, config_file: Path,
                                                                                tmp_path: Path) -> None:
    rows = [f"C-{i:03d},集群{i},nmg-sme-draft,2023-0{1 + i % 9}-10,,,,,," for i in range(5)]
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *rows)), config=config_file).exit_code == 0
    selection = Selection(dt.date(2026, 11, 22))
    documents = []
    for indent in (False, True):
        out = io.BytesIO()
        ranking = ranked(app, selection, lambda e, indent=indent: (encode(cluster_json(e, "zh"), indent, 2), None))
        write_document(out, selection.as_of, ranking.payloads, {"holds": [], "daemon": {"running": []}}, indent)
        documents.append(out.getvalue())
    compact, indented = documents
    assert compact.count(b"\n") == 1 and indented.count(b"\n") > 50
    assert json.loads(compact) == json.loads(indented) and len(json.loads(compact)["clusters"]) == 5


def test_the_collector_is_off_while_a_slice_is_read_and_evaluated_and_on_again_after(
        app: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [f"C-{i:03d},集群{i},xj-amc,2024-01-10,,,,,," for i in range(4)]
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *rows)), config=config_file).exit_code == 0
    seen: list[bool] = []
    real = overview.load_facts

    def load(*args: Any) -> Any:
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("the database went away")
        return real(*args)

    monkeypatch.setattr(overview, "load_facts", load)
    selection = Selection(dt.date(2026, 1, 1))
    assert gc.isenabled()
    assert [e.facts.cluster.id for e in evaluated(app, selection)] == [f"C-{i:03d}" for i in range(4)]
    assert seen == [False] and gc.isenabled()
    with pytest.raises(RuntimeError):           # a slice that fails leaves the collector as it found it
        list(evaluated(app, selection))
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:                                        # and one that was off stays off
        list(evaluated(app, selection))
        assert not gc.isenabled()
    finally:
        gc.enable()
