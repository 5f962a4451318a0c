"""Benchmark: `monitor status` over a synthetic roster with ten years of facts.

    python benchmarks/status.py [--clusters 100000] [--database-url URL]

Prints: roster import time (the real `monitor import`), fact loading, the time of `monitor status --format
json` for every cluster, the time of a bare read of the same rows from the same database (the I/O floor),
their ratio, and the cold-start time of `monitor status` for a 1,000-cluster roster.
Targets (issue 2): ratio <= 3, whole evaluation < 10 s, 1,000-cluster cold start < 1 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from db.models import (
    AssessmentRow,
    ChangeRow,
    IncidentRow,
    ReportRow,
    ReviewRow,
    RevocationRow,
)
from db.session import ensure_schema, make_engine
from monitor.rules.dates import add_years

REGIMES = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]
KINDS = ["leading_industry", "spatial_scope", "operator"]
STAMP = {"recorded_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "recorded_by": "bench"}


def write_roster(path: Path, count: int, rng: random.Random) -> list[tuple[str, str, dt.date]]:
    clusters = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "regime", "certified_on", "region", "operator_email", "bureau_email"])
        for i in range(count):
            regime = REGIMES[i % len(REGIMES)]
            certified = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 2))
            cid = f"C-{i:06d}"
            clusters.append((cid, regime, certified))
            writer.writerow([cid, f"合成集群{i}", regime, certified.isoformat(), "包头市", f"op{i}@example.cn",
                             "bureau@example.gov.cn"])
    return clusters


def facts_for(clusters: list[tuple[str, str, dt.date]], rng: random.Random) -> dict[type, list[dict[str, object]]]:
    rows: dict[type, list[dict[str, object]]] = {m: [] for m in (ReportRow, ChangeRow, ReviewRow, AssessmentRow,
                                                                 IncidentRow, RevocationRow)}
    for cid, regime, certified in clusters:
        for year in range(certified.year, 2026):       # ten years of reports (and assessments)
            filed = dt.date(year + 1, 3, 1) + dt.timedelta(days=rng.randrange(0, 70))
            rows[ReportRow].append({"cluster_id": cid, "year": year, "filed_on": filed, **STAMP})
            if regime == "ah-amc-2024":
                rows[AssessmentRow].append({"cluster_id": cid, "year": year, "on_date": dt.date(year + 1, 1, 1),
                                            "result": rng.choice(["pass", "pass", "fail"]), **STAMP})
        for n in range(rng.randrange(3, 7)):
            changed = certified + dt.timedelta(days=200 * (n + 1) + rng.randrange(0, 100))
            filed = changed + dt.timedelta(days=rng.randrange(5, 45)) if rng.random() < 0.9 else None
            rows[ChangeRow].append({"cluster_id": cid, "kind": KINDS[n % 3], "changed_on": changed,
                                    "filed_on": filed, **STAMP})
        valid = certified
        for _ in range(3):
            valid = add_years(valid, 3)
            rows[ReviewRow].append({"cluster_id": cid, "result": "applied", "on_date": valid - dt.timedelta(60),
                                    **STAMP})
            rows[ReviewRow].append({"cluster_id": cid, "result": "pass", "on_date": valid - dt.timedelta(10),
                                    **STAMP})
        if rng.random() < 0.1:
            rows[IncidentRow].append({"cluster_id": cid, "ground": "violation", "on_date": dt.date(2025, 5, 1),
                                      "note": None, **STAMP})
        if rng.random() < 0.01:
            rows[RevocationRow].append({"cluster_id": cid, "on_date": dt.date(2025, 6, 1), "note": None, **STAMP})
    return rows


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bare_read(url: str) -> tuple[float, int]:
    """The I/O floor: the same rows, fetched through the driver from the same database, nothing done to them."""
    engine = make_engine(url)
    start = time.perf_counter()
    total = 0
    with engine.connect() as conn:
        for table in ("cluster", "report", "change", "review", "assessment", "incident", "revocation"):
            total += len(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
    engine.dispose()
    return time.perf_counter() - start, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", type=Path, help="build the databases in this directory and keep them")
    args = parser.parse_args()
    rng = random.Random(20261122)
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{base / 'bench.db'}"
        env = {**os.environ, "MONITOR_DATABASE_URL": url}
        roster = base / "roster.csv"
        clusters = write_roster(roster, args.clusters, rng)
        import_s = run([monitor, "import", str(roster)], env)
        rows = facts_for(clusters, rng)
        engine = make_engine(url)
        ensure_schema(engine)
        start = time.perf_counter()
        with engine.begin() as conn:
            for model, batch in rows.items():
                for i in range(0, len(batch), 20_000):
                    conn.execute(insert(model), batch[i:i + 20_000])
        facts_s = time.perf_counter() - start
        engine.dispose()
        fact_rows = sum(len(b) for b in rows.values())
        status_s = run([monitor, "status", "--format", "json", "--as-of", "2026-11-22"], env)
        floor_s, read_rows = bare_read(url)

        small = base / "small.csv"
        write_roster(small, 1000, rng)
        small_url = f"sqlite:///{base / 'small.db'}"
        small_env = {**env, "MONITOR_DATABASE_URL": small_url}
        run([monitor, "import", str(small)], small_env)
        cold = min(run([monitor, "status", "--as-of", "2026-11-22"], small_env) for _ in range(3))

    print(f"database           {url.split(':')[0]}")
    print(f"clusters           {args.clusters:,}")
    print(f"fact rows          {fact_rows:,}  (rows read by status: {read_rows:,})")
    print(f"import roster      {import_s:8.2f} s   (monitor import, {args.clusters:,} rows)")
    print(f"insert facts       {facts_s:8.2f} s")
    print(f"status --json      {status_s:8.2f} s   (target < 10 s)")
    print(f"bare read          {floor_s:8.2f} s   (the I/O floor)")
    print(f"ratio              {status_s / floor_s:8.2f}     (target <= 3)")
    print(f"status, 1,000      {cold:8.2f} s   (cold start, best of 3; target < 1 s)")


if __name__ == "__main__":
    main()
