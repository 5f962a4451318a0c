"""Drills (docs/rules.md, "Drills"): a send is refused while the clock is ahead of the real time, except on a
drill database, a copy made by ``monitor drill DIR`` whose deliveries are written to its folder and never leave it.

A drill database is marked in its own ``daemon_state`` (name ``drill``, detail: its folder), so whatever config or
environment it is used with, every send from it (the daemon, ``monitor digest --send``, the console's approval)
goes to the folder (notifications/folder.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db.copy import copy_to_sqlite
from db.daemon_marks import detail, mark
from db.session import transaction
from monitor import clock
from monitor.app import App
from monitor.errors import ConfigError, InputError

#: the daemon_state row that marks a drill database
DRILL = "drill"


def drill_folder(app: App) -> Path | None:
    """The folder this database's deliveries are written to, if it is a drill database."""
    with transaction(app.sessions) as session:
        found = detail(session, DRILL)
    return None if found is None else Path(found)


def check_send(app: App, what: str) -> Path | None:
    """Refuse a send while the clock is ahead of the real time, unless this is a drill database; the drill's
    folder (its deliveries go there) or None (they go to the real recipients)."""
    folder = drill_folder(app)
    if folder is not None:
        return folder
    ahead = clock.ahead()
    if ahead is not None:
        raise ConfigError("{what}: refused: MONITOR_NOW puts the clock {hours:.1f} hours ahead of the real time, and "
                          "this database would send to real recipients; a drill runs on a copy that cannot "
                          "(monitor drill DIR), or without MONITOR_NOW", what=what,
                          hours=ahead.total_seconds() / 3600)
    return None


def make_drill(app: App, directory: Path, now: dt.datetime) -> Path:
    """Copy the database into ``directory``/monitor.db (SQLite, whatever the original is), marked as a drill
    database whose deliveries go to ``directory``/outbox. The database file."""
    if directory.is_symlink() or (directory.exists() and (not directory.is_dir() or any(directory.iterdir()))):
        raise InputError("{directory}: give a new or an empty directory for the drill", directory=directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory.resolve() / "monitor.db"
    outbox = str(directory.resolve() / "outbox")
    copy_to_sqlite(app.engine, target, lambda session: mark(session, DRILL, now, None, outbox))
    return target
