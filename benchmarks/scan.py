"""Benchmark: the daemon's scan on a large roster, full and incremental.

    python benchmarks/scan.py [--clusters 100000] [--reuse DIR]

Builds the roster of benchmarks/status.py (or copies the database ``status.py --keep DIR`` built), then times,
in this process: the first full scan (every cluster, as a daemon's first tick), a second scan the same day with
nothing changed (the hourly tick), the next day's scan (the clusters whose threshold day has come), and a full
scan again on the ledger the others filled (a daemon restarted).
Targets (issue 9): the first full scan < 120 s, an hourly scan with nothing changed < 5 s at 100,000 clusters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from status import build

from db.session import transaction
from jobs.scan import scan
from monitor.app import App

DAY = dt.date(2026, 11, 23)


def timed_scan(app: App, day: dt.date, incremental: bool) -> tuple[float, int, int]:
    now = dt.datetime.combine(day, dt.time(9), dt.UTC)
    start = time.perf_counter()
    with transaction(app.sessions) as session:
        result = scan(app, session, day, now, incremental=incremental, watching=True)
    return time.perf_counter() - start, result.clusters, result.reminders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--reuse", type=Path, help="copy the bench.db that benchmarks/status.py --keep DIR built")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = {**os.environ, "MONITOR_DATABASE_URL": url}
        if args.reuse:
            shutil.copy(args.reuse / "bench.db", Path(tmp) / "bench.db")
        else:
            build(Path(tmp), url, args.clusters, random.Random(20261122), env)
        os.environ["MONITOR_DATABASE_URL"] = url
        app = App()
        full = timed_scan(app, DAY, incremental=False)      # as a daemon's first scan: every cluster, watched
        hourly = timed_scan(app, DAY, incremental=True)
        next_day = timed_scan(app, DAY + dt.timedelta(days=1), incremental=True)
        restart = timed_scan(app, DAY + dt.timedelta(days=1), incremental=False)   # a daemon restarted
        app.close()
    for name, (seconds, clusters, reminders), target in (
            ("first full scan", full, "target < 120 s"), ("hourly, unchanged", hourly, "target < 5 s"),
            ("next day", next_day, ""), ("restart, full", restart, "(the ledger holds the reminders above)")):
        print(f"{name:18} {seconds:8.2f} s   {clusters:7,} clusters evaluated, {reminders:7,} reminders  {target}")


if __name__ == "__main__":
    main()
