"""An SMTP outage: a server that accepts connections and never answers must not hold a round for minutes, leave
messages claimed, or lose a reminder; `digest --send` says nothing could be sent; when the server is back every
message goes out once."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import select

from db.models import DeliveryRow, MessageRow
from db.session import transaction
from monitor.rules.states import DeliveryState, MessageState
from tests.helpers import monitor, write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = dt.date(2025, 3, 3)


class Silent:
    """Accepts every connection on the port and never says a word (a hung server, a black-holing firewall)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.held.append(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_silent_server_ends_the_round_quickly_and_nothing_is_lost(tmp_path: Path) -> None:
    server = MailServer(tmp_path)
    silent = Silent(server.port)
    bureaus = ";".join(f"bureau{n}@example.cn" for n in range(12))
    config = (server.config(extra="concurrency = 2\nbreaker_after = 3\n")
              .replace("timeout = 5", "timeout = 1").replace("retries = 1", "retries = 2"))
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", config, None)
    load_roster(app, write_roster(tmp_path / "r.csv", f"NMG-1,集群,nmg-sme-draft,2023-10-15,,,op@x.cn,{bureaus},,"))
    clock = Clock(at(DAY))
    worker = daemon(app, clock)
    try:
        began = time.monotonic()
        counts = worker.digest_tick()
        took = time.monotonic() - began
        assert counts["sent"] == 0 and counts["retry"] == 12, counts
        assert took < 10, took                      # without the breaker: 12 messages x 3 tries x 1 s / 2 = 18 s
        with transaction(app.sessions) as session:
            states = set(session.scalars(select(MessageRow.state)))
        assert states == {MessageState.RETRY}       # none left claimed until the lease lapses
    finally:
        silent.close()
    server.start()
    try:
        clock.value += dt.timedelta(hours=3)
        for _ in range(3):                          # the breaker probes with one, then the rest follow
            worker.resend()
        received = sorted(r for mail in server.received for r in mail.recipients)
        assert received == sorted(f"bureau{n}@example.cn" for n in range(12))   # each once
        with transaction(app.sessions) as session:
            assert set(session.scalars(select(DeliveryRow.state))) == {DeliveryState.SENT}
    finally:
        server.stop()
        app.close()


def test_digest_send_exits_non_zero_when_nothing_could_be_sent(tmp_path: Path) -> None:
    server = MailServer(tmp_path)
    silent = Silent(server.port)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n[general]\nadministrators = ["admin@x.cn"]\n'
                      + server.config(extra="breaker_after = 2\n").replace("timeout = 5", "timeout = 1"),
                      encoding="utf-8")
    try:
        row = "NMG-1,集群,nmg-sme-draft,2023-10-15,,,op@x.cn,bureau@x.cn,,"
        assert monitor("import", str(write_roster(tmp_path / "r.csv", row)), config=config).exit_code == 0
        result = monitor("digest", "--send", "--as-of", "2025-03-03", config=config)
    finally:
        silent.close()
    assert result.exit_code == 1 and "没有发出任何消息" in result.stderr
