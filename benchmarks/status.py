"""Benchmark: `monitor status` over a synthetic roster with ten years of facts.

    python benchmarks/status.py [--clusters 100000] [--database-url URL] [--no-indicators]

Prints: roster import time (the real `monitor import`), fact loading, the time and peak memory of
`monitor status --format json` and of the status table for every cluster, two floors (a raw ``sqlite3``
``SELECT *`` of every table in one process, the floor no evaluation can beat, and the same read through
SQLAlchemy's driver connection), the ratios, and the cold-start time of `monitor status` for 1,000 clusters.
Targets (issue 9): JSON <= 1.5x the raw floor, table <= 2x, peak RSS < 300 MB for both, 1,000-cluster cold
start < 0.3 s. ``--reuse DIR`` measures a database an earlier ``--keep DIR`` built, without building it again.

Annual monitoring (issue 28): each cluster of a regime with a standard (miit-sme-2022, nmg-sme-draft: two in five)
also has the figures its annual reports carry, every indicator a standard item reads for each of 2021 to 2025
and a plan target, so that status evaluates every item of its standard (and warns in the run-up to the review).
``--no-indicators`` leaves them out, for the figures measured before.
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

from db.models import FactRow
from db.session import ensure_schema, make_engine
from monitor.rules.dates import extended

REGIMES = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]
KINDS = ["leading_industry", "spatial_scope", "operator"]
#: what a report carries, per year: every indicator the bundled standards read, and a value around its threshold
FIGURES = {"output": 60.0, "sme_output_share": 72.0, "leading_share": 71.0, "area": 90.0, "leading_output": 40.0,
           "leading_growth_3y": 8.0, "champions": 1.0, "little_giants": 1.0, "specialised_smes": 6.0, "high_tech": 5.0,
           "rd_growth": 11.0, "patents": 900.0, "patent_growth": 14.0, "patents_per_10k": 15.0, "iiot_share": 15.0}
STANDARD_REGIMES = ("miit-sme-2022", "nmg-sme-draft")
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


def fact(cid: str, kind: str, **fields: object) -> dict[str, object]:
    """One fact version, as `monitor record` stores it."""
    values: dict[str, object] = {"cluster_id": cid, "kind": kind, "year": None, "on_date": None, "filed_on": None,
                                 "detail": None, "note": None, "dismissed_on": None, "replaces": None,
                                 "retracts": False, "reason": None, "value": None, "base_year": None, **STAMP}
    values.update(fields)
    return values


def figures(cid: str, rng: random.Random) -> list[dict[str, object]]:
    """Five years of a cluster's annual figures (whole where the indicator counts), and one plan target."""
    rows = []
    for year in range(2021, 2026):
        for code, typical in FIGURES.items():
            value = typical * (1 + 0.08 * (year - 2021)) * rng.uniform(0.85, 1.15)
            value = float(round(value)) if code in ("champions", "little_giants", "specialised_smes", "high_tech",
                                                    "patents") else round(value, 2)
            rows.append(fact(cid, "indicator", year=year, detail=code, value=min(value, 100.0) if "share" in code
                             else value))
    rows.append(fact(cid, "target", year=2026, base_year=2023, detail="output", value=90.0))
    return rows


def facts_for(clusters: list[tuple[str, str, dt.date]], rng: random.Random,
              indicators: bool = True) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for cid, regime, certified in clusters:
        if indicators and regime in STANDARD_REGIMES:
            rows += figures(cid, rng)
        for year in range(certified.year, 2026):       # ten years of reports (and assessments)
            filed = dt.date(year + 1, 3, 1) + dt.timedelta(days=rng.randrange(0, 70))
            rows.append(fact(cid, "report", year=year, filed_on=filed))
            if regime == "ah-amc-2024":
                rows.append(fact(cid, "assessment", year=year, on_date=dt.date(year + 1, 1, 1),
                                 detail=rng.choice(["pass", "pass", "fail"])))
        for n in range(rng.randrange(3, 7)):
            changed = certified + dt.timedelta(days=200 * (n + 1) + rng.randrange(0, 100))
            filed = changed + dt.timedelta(days=rng.randrange(5, 45)) if rng.random() < 0.9 else None
            rows.append(fact(cid, "change", detail=KINDS[n % 3], on_date=changed, filed_on=filed))
        valid = certified
        for _ in range(3):
            valid = extended(valid, 3)
            rows.append(fact(cid, "review", detail="applied", on_date=valid - dt.timedelta(60)))
            rows.append(fact(cid, "review", detail="pass", on_date=valid - dt.timedelta(10)))
        if rng.random() < 0.1:
            rows.append(fact(cid, "incident", detail="violation", on_date=dt.date(2025, 5, 1)))
        if rng.random() < 0.01:
            rows.append(fact(cid, "revocation", on_date=dt.date(2025, 6, 1)))
    return rows


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


#: runs a command and prints its wall time and the peak RSS (KiB) of the largest process it started
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds, and the peak resident memory in MB of the command (its largest process, workers included)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def raw_read(path: Path) -> float:
    """The floor no evaluation can beat: sqlite3's SELECT * of every table, in one process, nothing done, and
    Python's cyclic garbage collector off (as the overview has it while it reads: on, it walks the 2 million
    rows over and over, and the floor would be 10% slower)."""
    import gc
    import sqlite3

    gc.disable()
    start = time.perf_counter()
    conn = sqlite3.connect(path)
    for table in ("cluster", "fact"):
        conn.execute(f"SELECT * FROM {table}").fetchall()
    conn.close()
    elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed


def bare_read(url: str) -> tuple[float, int]:
    """The I/O floor: the same rows, fetched through the driver from the same database, nothing done to them."""
    engine = make_engine(url)
    start = time.perf_counter()
    total = 0
    with engine.connect() as conn:
        for table in ("cluster", "fact"):
            total += len(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
    engine.dispose()
    return time.perf_counter() - start, total


def build(base: Path, url: str, count: int, rng: random.Random, env: dict[str, str],
          indicators: bool = True) -> tuple[float, float, int]:
    monitor = str(Path(sys.executable).with_name("monitor"))
    roster = base / "roster.csv"
    clusters = write_roster(roster, count, rng)
    import_s = run([monitor, "import", str(roster)], env)
    rows = facts_for(clusters, rng, indicators)
    engine = make_engine(url)
    ensure_schema(engine)
    start = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(FactRow), rows[i:i + 20_000])
    facts_s = time.perf_counter() - start
    engine.dispose()
    return import_s, facts_s, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", type=Path, help="build the databases in this directory and keep them")
    parser.add_argument("--reuse", type=Path, help="measure the databases --keep built in this directory")
    parser.add_argument("--no-indicators", action="store_true", help="no annual figures (as before issue 28)")
    args = parser.parse_args()
    rng = random.Random(20261122)
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = args.reuse or args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{base / 'bench.db'}"
        env = {**os.environ, "MONITOR_DATABASE_URL": url}
        import_s = facts_s = float("nan")
        if args.reuse is None:
            import_s, facts_s, _ = build(base, url, args.clusters, rng, env, not args.no_indicators)
        as_of = ["--as-of", "2026-11-22"]
        json_s, json_mb = measured([monitor, "status", "--format", "json", *as_of], env)
        table_s, table_mb = measured([monitor, "status", *as_of], env)
        floor_s, read_rows = bare_read(url)
        raw_s = raw_read(base / "bench.db") if url.startswith("sqlite") else float("nan")

        small_url = f"sqlite:///{base / 'small.db'}"
        small_env = {**env, "MONITOR_DATABASE_URL": small_url}
        if args.reuse is None:
            small = base / "small.csv"
            write_roster(small, 1000, rng)
            run([monitor, "import", str(small)], small_env)
        # the start of monitor as installed, its bytecode cached (pip compiles it on install; Python writes it on the
        # first run): with PYTHONDONTWRITEBYTECODE set, as it may be in a session over an editable install, every
        # start would compile monitor's own 300 KB of source again (0.1 s), which a deployed monitor never does
        cached = {name: value for name, value in small_env.items() if name != "PYTHONDONTWRITEBYTECODE"}
        run([monitor, "status", *as_of], cached)
        cold = min(run([monitor, "status", *as_of], cached) for _ in range(5))

    print(f"database           {url.split(':')[0]}")
    print(f"rows read          {read_rows:,}  (every table)")
    print(f"import roster      {import_s:8.2f} s   (monitor import, {args.clusters:,} rows)")
    print(f"insert facts       {facts_s:8.2f} s")
    print(f"raw sqlite3 read   {raw_s:8.2f} s   (the floor: SELECT * of every table, one process, no gc)")
    print(f"SQLAlchemy read    {floor_s:8.2f} s   (the same through the driver connection)")
    print(f"status --json      {json_s:8.2f} s   {json_mb:6.0f} MB peak   ratio {json_s / raw_s:5.2f}x the raw "
          "floor (target <= 1.5x, < 300 MB)")
    print(f"status table       {table_s:8.2f} s   {table_mb:6.0f} MB peak   ratio {table_s / raw_s:5.2f}x the raw "
          "floor (target <= 2x, < 300 MB)")
    print(f"status, 1,000      {cold:8.2f} s   (cold start, bytecode cached, best of 5; target < 0.3 s)")


if __name__ == "__main__":
    main()
