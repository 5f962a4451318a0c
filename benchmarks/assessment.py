"""The assessment report (`monitor report --monitoring`) for 10,000 clusters: the view alone, on clusters evaluated in
this process (five years of two indicators each, a standard item each, in 20 regions), as .html and .xlsx; prints
the wall time (and the CPU time, which the machine's other load inflates less) and the peak resident memory of
each against the targets (< 10 s, < 500 MB).

    python benchmarks/assessment.py [--clusters 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.rules.indicators import load_vocabulary
from monitor.views.assessment_files import write_assessment
from tests.assessment_fixtures import AS_OF, YEAR, evaluated_clusters


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    args = parser.parse_args()
    items = evaluated_clusters(args.clusters)
    regions = [f"地区{n:02d}" for n in range(20)]
    items = [i._replace(facts=i.facts.__class__(**{**{f: getattr(i.facts, f) for f in i.facts.__slots__},
                                                  "cluster": i.facts.cluster.__class__(**{
                                                      **{f: getattr(i.facts.cluster, f)
                                                         for f in i.facts.cluster.__slots__},
                                                      "region": regions[n % 20]})}))
             for n, i in enumerate(items)]
    vocabulary = load_vocabulary()
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as directory:
        for suffix in ("html", "xlsx"):
            path = Path(directory) / f"assessment.{suffix}"
            start, used = time.perf_counter(), time.process_time()
            page = write_assessment(path, items, YEAR, vocabulary, AS_OF, now, "zh", "Asia/Shanghai")
            took, cpu = time.perf_counter() - start, time.process_time() - used
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"assessment .{suffix:<5} {len(page.subjects):>7,} clusters {took:7.2f} s (CPU {cpu:5.2f} s)  "
                  f"{peak:6.0f} MB peak  "
                  f"{path.stat().st_size / 1e6:5.1f} MB  ratio {took / 10:4.2f}x of the 10 s target, "
                  f"{peak / 500:4.2f}x of 500 MB")


if __name__ == "__main__":
    main()
