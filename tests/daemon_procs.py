"""Running `monitor run` as real processes with MONITOR_NOW, waiting for a day's work, and checking the mail."""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.chatservers import Post
from tests.mailserver import Received
from tests.reminder_helpers import ITEM, round_day_of

MONITOR = [sys.executable, "-m", "monitor"]


def start(config: Path, database_url: str, now: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONITOR_DATABASE_URL": database_url, "MONITOR_NOW": now}
    with log.open("ab") as out:
        return subprocess.Popen([*MONITOR, "--config", str(config), "run"], env=env, stdout=out, stderr=out)


def settled(engine: Engine, day: str) -> bool:
    """The day's round is built and nothing is left to send."""
    with engine.connect() as conn:
        round_day = conn.execute(text("SELECT day FROM daemon_state WHERE name = 'round'")).scalar()
        waiting = conn.execute(text("SELECT count(*) FROM delivery WHERE state IN ('pending', 'queued')")).scalar()
        sending = conn.execute(text("SELECT count(*) FROM message WHERE state IN ('claimed', 'retry')")).scalar()
    return str(round_day) == day and waiting == 0 and sending == 0


def wait_settled(engine: Engine, day: str, logs: list[Path], timeout: float = 90.0) -> None:
    """Until the day is settled and every daemon whose log is given has finished its startup."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if all(b"startup done" in log.read_bytes() for log in logs) and settled(engine, day):
                return
        except Exception:  # noqa: BLE001, S110 - the schema may not exist yet while the first daemon starts
            pass
        time.sleep(0.1)
    raise AssertionError(f"the daemon did not settle day {day} within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, and the exit status of the clean stop."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def by_message_id(received: list[Received]) -> tuple[dict[str, bytes], int]:
    """Each distinct Message-ID with its bytes, and how many receptions repeated one (asserted byte-identical)."""
    unique: dict[str, bytes] = {}
    repeats = 0
    for mail in received:
        message_id = str(mail.message["Message-ID"])
        if message_id in unique:
            assert unique[message_id] == mail.raw, f"{message_id} was received twice with different content"
            repeats += 1
        unique[message_id] = mail.raw
    return unique, repeats


def item_counter(received: list[Received]) -> collections.Counter[tuple[str, str, str, str]]:
    """(recipient, round day, cluster, item) over distinct messages: each reminder should count once."""
    counter: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
    seen: set[str] = set()
    for mail in received:
        message_id = str(mail.message["Message-ID"])
        if message_id in seen:
            continue
        seen.add(message_id)
        for cluster, what in ITEM.findall(mail.text):
            counter[(mail.recipients[0], round_day_of(mail), cluster, what)] += 1
    return counter


CHAT_ITEM = re.compile(r"^- \*\*(\S+)\*\* .*?: (.*)$", re.MULTILINE)
CHAT_DAY = re.compile(r"\((\d{4}-\d{2}-\d{2})[,)]")
CHAT_REFERENCE = re.compile(r"^Ref\. (\S+)$", re.MULTILINE)


def chat_counter(posts: list[Post]) -> tuple[collections.Counter[tuple[str, str, str]], int]:
    """(round day, cluster, item) over distinct chat messages (by the reference each carries), and how many posts
    repeated a message (asserted byte-identical): each reminder should count once."""
    counter: collections.Counter[tuple[str, str, str]] = collections.Counter()
    seen: dict[str, bytes] = {}
    repeats = 0
    for post in posts:
        reference = CHAT_REFERENCE.search(post.text)
        day = CHAT_DAY.search(post.text)
        assert reference is not None and day is not None, post.text
        if reference[1] in seen:
            assert seen[reference[1]] == post.raw, f"{reference[1]} was posted twice with different content"
            repeats += 1
            continue
        seen[reference[1]] = post.raw
        for cluster, what in CHAT_ITEM.findall(post.text):
            counter[(day[1], cluster, what)] += 1
    return counter, repeats
