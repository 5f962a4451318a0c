"""Importing facts in bulk: `monitor import-facts` of one CSV file of 100,000 annual reports (issue 11).

    python benchmarks/facts_import.py [--facts 100000] [--database-url URL]

Builds a roster of one cluster per 5 facts (reports for 2020-2024, Chinese headers as people type them), then
times the import of the whole file into an empty record, a second import of the same file (every row already
recorded: a no-op), and a dry run. Target: more than 20,000 rows/s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = {**os.environ, "MONITOR_DATABASE_URL": args.database_url or f"sqlite:///{base / 'bench.db'}",
               "MONITOR_USER": "bench"}
        clusters = args.facts // 5
        with (base / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["集群编号", "集群名称", "适用办法", "认定日期"])
            writer.writerows([f"C-{i:06d}", f"集群{i}", "nmg-sme-draft", "2019-06-01"] for i in range(clusters))
        run([monitor, "import", str(base / "roster.csv")], env)
        facts = base / "facts.csv"
        with facts.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["集群编号", "事项", "年度", "报送日期"])
            writer.writerows([f"c-{i // 5:06d}", "年度报告", 2020 + i % 5, f"{2021 + i % 5}-03-0{1 + i % 9}"]
                             for i in range(args.facts))
        first = run([monitor, "import-facts", str(facts)], env)
        again = run([monitor, "import-facts", str(facts)], env)
        dry = run([monitor, "import-facts", "--dry-run", str(facts)], env)
    print(f"facts              {args.facts:,} rows ({clusters:,} clusters)")
    print(f"first import       {first:8.2f} s   {args.facts / first:10,.0f} rows/s   (target > 20,000 rows/s)")
    print(f"same file again    {again:8.2f} s   {args.facts / again:10,.0f} rows/s   (every row already recorded)")
    print(f"dry run            {dry:8.2f} s   {args.facts / dry:10,.0f} rows/s")


if __name__ == "__main__":
    main()
