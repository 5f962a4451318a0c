"""`monitor digest`: one round by hand, previewed (nothing stored) or sent (recorded as the daemon would)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from db import ledger
from jobs.compose import Transports, build_round
from jobs.daemon import Daemon
from jobs.scan import scan
from monitor import clock
from monitor.app import App
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


def send_round(app: App, day: dt.date) -> dict[str, int]:
    """Scan, build and send the round for ``day`` now, and resend anything owed."""
    app.settings.check_channels()
    return Daemon(app).digest_tick(day=day)
