"""The parallel JSON status gives exactly the document the single-process one gives."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitor import parallel
from monitor.app import App
from monitor.status import cluster_json, sort_by_urgency
from tests.helpers import monitor, write_roster


def test_parallel_document_equals_sequential(app: App, config_file: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    regimes = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]
    rows = [f"C-{i:03d},集群{i},{regimes[i % 5]},20{18 + i % 6}-0{1 + i % 9}-1{i % 10},,,,,," for i in range(60)]
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *rows)), config=config_file).exit_code == 0
    for i in range(0, 60, 7):
        monitor("record", "report", f"C-{i:03d}", "--year", "2024", "--filed-on", "2025-03-20", config=config_file)
    as_of = dt.date(2026, 11, 22)
    expected = {"as_of": "2026-11-22",
                "clusters": [cluster_json(f, v, as_of, "zh") for f, v in sort_by_urgency(app.evaluate_all(as_of))]}
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    document = parallel.status_document(app, as_of, "zh", workers=3)
    assert json.loads(document) == json.loads(json.dumps(expected, ensure_ascii=False))
    assert len(json.loads(document)["clusters"]) == 60
    assert parallel.status_document(app, as_of, "zh", workers=1) == document
