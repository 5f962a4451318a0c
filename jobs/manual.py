"""`monitor digest`: one round by hand, previewed (nothing stored) or sent (recorded as the daemon would)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import NamedTuple

from db import ledger, round_log
from db.round_log import Round
from db.session import transaction
from jobs.approve import Released, refuse
from jobs.compose import Transports, build_round
from jobs.daemon import Daemon
from jobs.scan import scan
from monitor import clock
from monitor.app import App, who
from monitor.errors import InputError
from monitor.rules.routes import is_channel


def preview_round(app: App, day: dt.date, directory: Path) -> list[Path]:
    """Write the messages a round on ``day`` would send into a new or empty ``directory``: each e-mail as an .eml
    file, each channel's message as the .json body it would be posted with (before its signature). The scan and
    the round run in a transaction that is rolled back, so the ledger is exactly as it was."""
    fresh_directory(directory)
    now = clock.now_utc()
    with app.sessions() as session:
        session.begin()
        scan(app, session, day, now)
        messages = [(m.recipient, ledger.message_bytes(session, m.id)) for m in build_round(
            app, session, day, now, "preview", Transports.every(app.settings), durable=False)]
        session.rollback()
    paths = []
    for number, (recipient, raw) in enumerate(messages, 1):
        kind = "json" if is_channel(recipient) else "eml"
        path = directory / f"{number:04d}-{re.sub(r'[^A-Za-z0-9@._-]', '_', recipient)}.{kind}"
        # a new file, never through a link: O_EXCL refuses what exists, O_NOFOLLOW a link in its place
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        paths.append(path)
    return paths


def fresh_directory(directory: Path) -> None:
    """Where a preview goes: a new directory, or an empty one; never a link (the files would land elsewhere)."""
    if directory.is_symlink():
        raise InputError("--preview {directory}: is a symbolic link; give a directory of its own", directory=directory)
    if directory.exists():
        if not directory.is_dir():
            raise InputError("--preview {directory}: is a file, not a directory", directory=directory)
        if any(directory.iterdir()):
            raise InputError("--preview {directory}: is not empty (an earlier preview's files would mix with this "
                             "one's); give a new or an empty directory", directory=directory)
        return
    try:
        directory.mkdir(parents=True)
    except OSError as exc:
        raise InputError("--preview {directory}: cannot create it: {reason}", directory=directory,
                         reason=exc.strerror) from None


class Held(NamedTuple):
    """A held round, as `monitor digest --send` reports it."""
    id: str
    deliveries: int
    kinds: str          # "operator 21 (21 recipients), bureau 4 (4 recipients)"
    grown: str


def send_round(app: App, day: dt.date) -> tuple[dict[str, int], Held | None]:
    """Scan, build and send the round for ``day`` now, and resend anything owed; and the round held, if any."""
    app.settings.check_channels()
    counts = Daemon(app).digest_tick(day=day)
    with transaction(app.sessions) as session:
        waiting = round_log.open_held(session)
        kinds = {} if waiting is None else round_log.held_by_kind(session, waiting.id)
    if waiting is None or not kinds:
        return counts, None
    return counts, Held(waiting.id, sum(d for _, d in kinds.values()),
                        ", ".join(f"{kind} {d} ({r} recipients)" for kind, (r, d) in kinds.items()),
                        waiting.grown or "")


def approve_round(app: App, round_id: str | None) -> tuple[Released, dict[str, int]]:
    """Release a held round and send what it held (`monitor digest --approve`)."""
    app.settings.check_channels()
    return Daemon(app).approve(round_id, who())


def refuse_round(app: App, round_id: str | None, reason: str) -> Round:
    """Refuse a held round (`monitor digest --refuse --reason …`)."""
    return refuse(app, round_id, who(), reason, clock.now_utc())
