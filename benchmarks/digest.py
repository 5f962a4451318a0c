"""Benchmark: digests rendered and delivered, and the daemon's peak memory on a large roster.

    python benchmarks/digest.py [--recipients 1000] [--clusters 100000] [--skip-memory]

1. ``--recipients`` digests (each with a dozen items) are rendered and delivered to a local aiosmtpd with
   STARTTLS and AUTH (as a department's server is configured), first as
   monitor sends them (``smtp.concurrency`` connections, each reused for ``smtp.batch_size`` messages), then one
   by one with a new connection each. Prints messages per second and the ratio (target: at least 5x).
2. ``monitor run`` is started on a ``--clusters`` roster with ten years of facts (benchmarks/status.py builds it)
   and stopped once its startup (scan, then the first digest round built and delivered to the local server)
   is done; prints its peak resident memory (VmHWM; target: under 200 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from multiprocessing import Event, Process, Value
from pathlib import Path

import aiosmtplib
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from status import facts_for, write_roster

from db.session import ensure_schema, make_engine
from monitor.config import SmtpSettings
from notifications.digest import Digest, Item, Letterhead, build_message
from notifications.sender import Ready
from notifications.smtp import SmtpSender, tls_context

DAY = dt.date(2027, 3, 1)


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def digests(count: int) -> list[Ready]:
    now = dt.datetime.now(dt.UTC)
    messages = []
    for n in range(count):
        digest = Digest()
        for i, group in enumerate(["revocation", "overdue", "week", "month"] * 3):
            digest.add(Item(group, f"C-{n:04d}-{i}", f"合成集群{n}-{i}", f"{2025 - i}年度报告逾期未报",
                            DAY - dt.timedelta(days=3 * i), -3 * i, "第十二条", "risk", False))
        message = build_message(Letterhead("monitor@example.gov.cn"), f"user{n}@example.cn", digest, DAY, "zh", now)
        messages.append(Ready(str(message["Message-ID"]), f"user{n}@example.cn", message.as_bytes()))
    return messages


def _accept(server: object, session: object, envelope: object, mechanism: str, auth_data: object) -> AuthResult:
    return AuthResult(success=True)


def serve(port: int, cert_dir: str, ready: Event, stop: Event, count: Value) -> None:  # type: ignore[valid-type]
    """The SMTP server, in a process of its own as a real one would be: STARTTLS (a trustme CA) and AUTH."""
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(Path(cert_dir) / "ca.pem"))
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=_accept, auth_required=True)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    count.value = sink.count  # type: ignore[attr-defined]


class Server:
    """The SMTP server process: started at once; ``close()`` stops it and returns how many messages it took."""

    def __init__(self, cert_dir: Path) -> None:
        self.port = free_port()
        self.ca_file = cert_dir / "ca.pem"
        ready, self._stop, self._count = Event(), Event(), Value("i", 0)
        self._process = Process(target=serve, args=(self.port, str(cert_dir), ready, self._stop, self._count))
        self._process.start()
        ready.wait()

    def close(self) -> int:
        self._stop.set()
        self._process.join()
        return int(self._count.value)  # type: ignore[attr-defined]


def delivery(recipients: int, tmp: Path) -> None:
    server = Server(tmp)
    port, ca_file = server.port, server.ca_file
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, security="starttls", sender="monitor@example.gov.cn",
                                username="monitor", ca_file=str(ca_file))
        start = time.perf_counter()
        messages = digests(recipients)
        render_s = time.perf_counter() - start
        os.environ.setdefault("MONITOR_SMTP_PASSWORD", "x")
        start = time.perf_counter()
        outcomes = [outcome for _, outcome in SmtpSender(settings).send(messages)]   # as jobs/deliver.py hands
        batched_s = time.perf_counter() - start                                       # them over
        assert sum(o.state == "sent" for o in outcomes) == recipients, outcomes[:3]

        async def one_by_one() -> None:
            for message in messages:
                await aiosmtplib.send(message.raw, sender=settings.sender, recipients=[message.recipient],
                                      hostname="127.0.0.1", port=port, start_tls=True, tls_context=client,
                                      username="monitor", password="x")

        client = tls_context(settings)
        start = time.perf_counter()
        asyncio.run(one_by_one())
        single_s = time.perf_counter() - start
    finally:
        received = server.close()
    assert received == 2 * recipients, received
    print(f"digests rendered   {recipients:,} in {render_s:6.2f} s  ({recipients / render_s:8.0f} /s)")
    print(f"sent by monitor    {recipients:,} in {batched_s:6.2f} s  ({recipients / batched_s:8.0f} msg/s; "
          f"{settings.concurrency} connections, {settings.batch_size} messages each)")
    print(f"one by one         {recipients:,} in {single_s:6.2f} s  ({recipients / single_s:8.0f} msg/s; "
          "a new connection each)")
    print(f"ratio              {single_s / batched_s:6.2f} x  (target >= 5)")


def memory(clusters: int) -> None:
    rng = random.Random(20261122)
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        url = f"sqlite:///{base / 'bench.db'}"
        env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_NOW": f"{DAY}T09:00+08:00"}
        roster = base / "roster.csv"
        rows = write_roster(roster, clusters, rng)
        subprocess.run([monitor, "import", str(roster)], env=env, check=True, stdout=subprocess.DEVNULL)
        engine = make_engine(url)
        ensure_schema(engine)
        with engine.begin() as conn:
            for model, batch in facts_for(rows, rng).items():
                for i in range(0, len(batch), 20_000):
                    conn.execute(insert(model), batch[i:i + 20_000])
        engine.dispose()
        server = Server(base)
        config = base / "config.toml"
        config.write_text('[general]\nadministrators = ["admin@example.gov.cn"]\n'
                          f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nusername = "monitor"\n'
                          f'ca_file = "{server.ca_file}"\n', encoding="utf-8")
        log = base / "daemon.log"
        start = time.perf_counter()
        with log.open("wb") as out:
            daemon = subprocess.Popen([monitor, "--config", str(config), "run"], env={**env, "MONITOR_SMTP_PASSWORD": "x"},
                                      stdout=out, stderr=out)
        while b"startup done" not in log.read_bytes():
            if daemon.poll() is not None:
                raise SystemExit(log.read_text()[-2000:])
            time.sleep(0.2)
        startup_s = time.perf_counter() - start
        peak_mb = _peak_kb(daemon.pid) / 1024
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
        server.close()
        built = [line for line in log.read_text().splitlines() if "round day=" in line]
    print(f"daemon, {clusters:,} clusters: startup (scan + round) {startup_s:6.1f} s; "
          f"peak memory {peak_mb:6.0f} MB (target < 200 MB)")
    print(f"  {built[-1] if built else 'no round logged'}")


def _peak_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        delivery(args.recipients, Path(tmp))
    if not args.skip_memory:
        memory(args.clusters)


if __name__ == "__main__":
    main()
