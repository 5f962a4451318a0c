"""Benchmark: the web console and the API (`monitor serve`) over a synthetic roster with ten years of facts.

    python benchmarks/web.py [--clusters 10000] [--regions 20] [--clients 50] [--seconds 10] [--database-url URL]

Prints: the overview page's time for every cluster (an admin; wall time on loopback, so server time plus a
little), and `GET /api/v1/status?region=…` (one region: clusters / regions of them) under --clients concurrent
clients for --seconds: throughput, p50/p95/p99 latency; and the server's peak memory. Targets (the console
issue): overview < 1 s for 10,000 clusters; p95 < 200 ms for a 500-cluster region.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from status import REGIMES, facts_for

from db.models import FactRow
from db.session import ensure_schema, make_engine
from tests.web_helpers import NOW, PASSWORD, free_port, login


def build(base: Path, url: str, count: int, regions: int, env: dict[str, str]) -> None:
    import datetime as dt

    rng = random.Random(7)
    monitor = str(Path(sys.executable).with_name("monitor"))
    roster = base / "roster.csv"
    clusters = []
    with roster.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "regime", "certified_on", "region"])
        for i in range(count):
            regime = REGIMES[i % len(REGIMES)]
            certified = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 2))
            clusters.append((f"C-{i:06d}", regime, certified))
            writer.writerow([f"C-{i:06d}", f"合成集群{i}", regime, certified.isoformat(), f"R-{i % regions:02d}"])
    subprocess.run([monitor, "import", str(roster)], env=env, check=True, stdout=subprocess.DEVNULL)
    engine = make_engine(url)
    ensure_schema(engine)
    rows = facts_for(clusters, rng)
    with engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(FactRow), rows[i:i + 20_000])
    engine.dispose()
    for name, role, extra in (("admin", "admin", []), ("bureau", "bureau", ["--region", "R-00"])):
        subprocess.run([monitor, "user", "add", name, "--role", role, *extra], env=env, check=True,
                       input=f"{PASSWORD}\n".encode(), stdout=subprocess.DEVNULL)


def token(env: dict[str, str]) -> str:
    monitor = str(Path(sys.executable).with_name("monitor"))
    out = subprocess.run([monitor, "user", "token", "bureau"], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(base: str, secret: str, clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as http:
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = http.get("/api/v1/status", params={"region": "R-00"})
                mine.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1, help="monitor serve --workers")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-web-bench-") as directory:
        base_dir = Path(directory)
        url = args.database_url or f"sqlite:///{base_dir / 'monitor.db'}"
        env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_NOW": NOW}
        start = time.perf_counter()
        build(base_dir, url, args.clusters, args.regions, env)
        print(f"built {args.clusters} clusters in {args.regions} regions in {time.perf_counter() - start:.1f} s")
        secret = token(env)
        port = free_port()
        log = (base_dir / "serve.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--port", str(port),
                                   "--workers", str(args.workers)], env=env,
                                  stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/login", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            with httpx.Client(base_url=base, timeout=120) as http:
                assert login(http, "admin", PASSWORD).status_code == 303
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    page = http.get("/")
                    times.append(time.perf_counter() - start)
                    assert page.status_code == 200 and f"（{args.clusters}个集群）" in page.text
            cold, warm = times[0], statistics.median(times[1:])
            print(f"overview page, {args.clusters} clusters: first (evaluating every cluster) {cold:.3f} s, then "
                  f"(the record unchanged) {warm:.3f} s; target < 1 s: {cold:.2f}x and {warm:.2f}x of it")
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as http:
                http.get("/api/v1/status", params={"region": "R-00"})
                start = time.perf_counter()
                for _ in range(50):
                    http.get("/api/v1/status", params={"region": "R-00"})
                print(f"GET /api/v1/status?region=… one client: {(time.perf_counter() - start) / 50 * 1000:.1f} ms "
                      "a request")
            region = args.clusters // args.regions
            latencies = sorted(load(base, secret, args.clients, args.seconds))
            q = statistics.quantiles(latencies, n=100)
            print(f"GET /api/v1/status?region=… ({region} clusters), {args.clients} clients, {args.seconds:.0f} s: "
                  f"{len(latencies) / args.seconds:.1f} requests/s; p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
                  f"p99 {q[98] * 1000:.0f} ms (target p95 < 200 ms: {q[94] / 0.2:.2f}x of it)")
            print(f"server peak memory: {peak_mb(server.pid):.0f} MB" + (
                "" if args.workers == 1 else f" (the supervisor; {args.workers} workers beside it)"))
        finally:
            server.terminate()
            server.wait()
            log.close()


if __name__ == "__main__":
    main()
