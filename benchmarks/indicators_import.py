"""Importing the annual-monitoring data sheet in bulk: `monitor import-indicators` of 10,000 clusters × 5 years ×
25 indicators (issue 28), 1.25 million values in one CSV file.

    python benchmarks/indicators_import.py [--clusters 10000] [--years 5] [--database-url URL]

The bundled vocabulary has 22 indicators; the benchmark adds 3 of a province's own through `general.indicators_dir`
(as a province would), so the sheet has 25 indicator columns headed by the form's Chinese labels, a row a cluster
and year. It times the import into an empty record, a second import of the same file (every value already
recorded: a no-op) and a dry run. Target: more than 50,000 values/s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from monitor.rules.indicators import load_vocabulary

PROVINCE = """# a province's own indicators (benchmarks/indicators_import.py)
[[indicator]]
code = "dairy_output"
label = "乳业产值"
unit = "亿元"
kind = "amount"

[[indicator]]
code = "export_share"
label = "出口交货值占比"
unit = "%"
kind = "share"

[[indicator]]
code = "digital_workshops"
label = "数字化车间数量"
unit = "个"
kind = "count"
"""

def series(kind: str, years: int, rng: random.Random) -> list[float]:
    """A cluster's plausible values of one indicator over the years: a level that drifts by up to 10% a year
    (so that the tenfold check flags nothing), a share that moves a few points, a growth rate as it comes."""
    if kind == "growth":
        return [round(rng.uniform(-20, 40), 1) for _ in range(years)]
    if kind == "share":
        start = rng.uniform(20, 80)
        return [round(start + rng.uniform(-2, 2) * n, 1) for n in range(years)]
    level = rng.uniform(10, 500)
    values = []
    for _ in range(years):
        values.append(round(level) if kind == "count" else round(level, 2))
        level *= rng.uniform(0.9, 1.1)
    return values


class Timed(NamedTuple):
    wall: float     # seconds, as the clock on the wall says
    cpu: float      # seconds of the command's own processor time (user + system): what another load cannot inflate


def run(cmd: list[str], env: dict[str, str]) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return Timed(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "indicators").mkdir()
        (base / "indicators" / "province.toml").write_text(PROVINCE, encoding="utf-8")
        config = base / "config.toml"
        config.write_text('[general]\nlanguage = "en"\nindicators_dir = "indicators"\n', encoding="utf-8")
        env = {**os.environ, "MONITOR_DATABASE_URL": args.database_url or f"sqlite:///{base / 'bench.db'}",
               "MONITOR_USER": "bench", "MONITOR_NOW": "2026-05-10T09:00:00+08:00"}
        with (base / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["集群编号", "集群名称", "适用办法", "认定日期"])
            writer.writerows([f"C-{i:06d}", f"集群{i}", "nmg-sme-draft", "2019-06-01"] for i in range(args.clusters))
        run([monitor, "--config", str(config), "import", str(base / "roster.csv")], env)
        vocabulary = list(load_vocabulary(base / "indicators"))
        sheet = base / "indicators.csv"
        rng = random.Random(28)
        years = range(2026 - args.years, 2026)
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["集群编号", "年度", *(i.label for i in vocabulary)])
            for c in range(args.clusters):
                columns = [series(i.kind, args.years, rng) for i in vocabulary]
                writer.writerows([f"C-{c:06d}", year, *(column[n] for column in columns)]
                                 for n, year in enumerate(years))
        values = args.clusters * args.years * len(vocabulary)
        rows = args.clusters * args.years
        command = [monitor, "--config", str(config), "import-indicators"]
        first = run([*command, str(sheet)], env)
        again = run([*command, str(sheet)], env)
        dry = run([*command, "--dry-run", str(sheet)], env)
    print(f"sheet              {rows:,} rows ({args.clusters:,} clusters × {args.years} years) × {len(vocabulary)} "
          f"indicators = {values:,} values")
    for name, timed, note in (("first import", first, "(target > 50,000 values/s)"),
                              ("same file again", again, "(every value already recorded)"),
                              ("dry run", dry, "")):
        print(f"{name:<18} {timed.wall:7.2f} s wall {values / timed.wall:10,.0f} values/s {rows / timed.wall:8,.0f} "
              f"rows/s | {timed.cpu:7.2f} s CPU {values / timed.cpu:10,.0f} values/s  {note}")
    print(f"first import: {values / first.wall / 50_000:.2f}× the target by the wall clock, "
          f"{values / first.cpu / 50_000:.2f}× by its own CPU time; again/first {again.wall / first.wall:.2f} (wall)")


if __name__ == "__main__":
    main()
