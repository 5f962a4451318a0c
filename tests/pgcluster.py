"""A PostgreSQL cluster of the test's own, on a port of its own, that the test stops and starts (an outage).

Made with the machine's PostgreSQL binaries (``initdb``, ``pg_ctl``): ``MONITOR_TEST_PG_BIN`` if set, else the
directory of ``pg_ctl`` on PATH, else the newest ``/usr/lib/postgresql/*/bin``. initdb refuses to run as root:
as root the cluster belongs to the ``postgres`` user (through ``runuser``, or ``su``), in a temporary directory
handed to that user. Trust authentication on 127.0.0.1 only, no fsync: it lives as long as the test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.mailserver import free_port

#: the unprivileged user a cluster is run as when the tests run as root
SERVICE_USER = "postgres"


class Unavailable(Exception):
    """A private cluster cannot be made here; the message says why."""


def binaries() -> Path:
    """The directory that holds initdb and pg_ctl."""
    candidates: list[Path] = []
    if os.environ.get("MONITOR_TEST_PG_BIN"):
        candidates.append(Path(os.environ["MONITOR_TEST_PG_BIN"]))
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                         if p.parent.name.isdigit() else 0, reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise Unavailable("no PostgreSQL binaries (initdb, pg_ctl): set MONITOR_TEST_PG_BIN, or install the server "
                      "package (Debian: postgresql)")


def _as_user() -> list[str]:
    """The prefix that runs a command as a user initdb accepts: nothing unless we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise Unavailable(f"the tests run as root, initdb refuses root, and there is no '{SERVICE_USER}' user "
                          "to run the cluster as") from None
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", SERVICE_USER, "--"]
    su = shutil.which("su")
    if su is not None:
        return [su, SERVICE_USER, "-s", "/bin/sh", "-c", '"$0" "$@"']
    raise Unavailable(f"the tests run as root and neither runuser nor su is there to run initdb as '{SERVICE_USER}'")


class Cluster:
    """``initdb`` into a temporary directory; ``start()`` and ``stop()`` as often as the test likes."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.prefix = _as_user()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="monitor-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        try:
            if self.prefix:
                user = pwd.getpwnam(SERVICE_USER)
                os.chown(self.root, user.pw_uid, user.pw_gid)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                      "--no-instructions")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.prefix, str(self.bin / tool), *args], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise Unavailable(f"{tool} {' '.join(args)} failed ({done.returncode}): "
                              f"{(done.stderr or done.stdout).strip()[-2000:]}\n{log}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every connection is ended at once, what was committed stays (a server shut down under the
        daemon); ``immediate``: as a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        with contextlib.suppress(Unavailable):
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A started cluster, removed after (Unavailable, saying why, if it cannot be made or started)."""
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
