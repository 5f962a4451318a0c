"""`monitor digest`: one round by hand, previewed (nothing stored) or sent (recorded as the daemon would)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from db.models import MessageRow
from jobs.compose import build_round
from jobs.daemon import Daemon
from jobs.scan import scan
from monitor import clock
from monitor.app import App


def preview_round(app: App, day: dt.date, directory: Path) -> list[Path]:
    """Write the messages a round on ``day`` would send as .eml files. The scan and the round run in a
    transaction that is rolled back, so the ledger is exactly as it was."""
    now = clock.now_utc()
    with app.sessions() as session:
        session.begin()
        scan(app, session, day, now)
        messages = [(m.recipient, session.execute(select(MessageRow.raw).where(MessageRow.id == m.id)).scalar_one())
                    for m in build_round(app, session, day, now, "preview")]
        session.rollback()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (recipient, raw) in enumerate(messages, 1):
        path = directory / f"{number:04d}-{re.sub(r'[^A-Za-z0-9@._-]', '_', recipient)}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def send_round(app: App, day: dt.date) -> dict[str, int]:
    """Scan, build and send the round for ``day`` now, and resend anything owed."""
    return Daemon(app).digest_tick(day=day)
