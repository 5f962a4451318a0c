"""Two sessions on one database, stepped by hand: the ledger's moves tested the way two daemons make them.

Each session runs on a thread of its own, so that a step that has to wait for the other session's lock (a row
lock on PostgreSQL, the one write lock on SQLite) waits there while the test goes on. ``race`` runs the first
session's step and leaves it uncommitted, starts the second's, waits until it is waiting for that lock (or done),
then ends the first (commit, or a rollback: its daemon died) and lets the second finish and commit.

Where both steps write the same row, the second cannot commit first on either database: its statement waits
for the first's lock, and then sees what the first committed. "Both orders" is therefore which of the two goes
first. The outcome does not depend on the timing: on PostgreSQL the wait is seen in pg_stat_activity; SQLite
shows none, so there the test waits a moment, and a second step that starts only after the first committed
sees the same committed row.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.session import session_factory

Step = Callable[[Session], Any]
#: seconds a step may take, its wait for the other's lock included
TIMEOUT = 20.0


class Side:
    """One session, used only on a thread of its own."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.session = session_factory(engine)()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"session-{name}")

    def start(self, step: Step) -> Future[Any]:
        return self._thread.submit(step, self.session)

    def do(self, step: Step) -> Any:
        return self.start(step).result(TIMEOUT)

    def close(self) -> None:
        try:
            self.do(lambda session: session.close())
        finally:
            self._thread.shutdown()


def wait_until_waiting(engine: Engine, step: Future[Any]) -> None:
    """Until ``step`` is done or waits for a lock. PostgreSQL shows the wait; SQLite does not (a moment there)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.2)
        return
    deadline = time.monotonic() + TIMEOUT
    with engine.connect() as conn:
        while not step.done() and time.monotonic() < deadline:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)


def each(step: Callable[[Session, str], Any]) -> dict[str, Step]:
    """The same step for two sessions, A and B, each acting as itself (its name is its owner's)."""
    return {name: functools.partial(_acting_as, step, name) for name in "AB"}


def _acting_as(step: Callable[[Session, str], Any], name: str, session: Session) -> Any:
    return step(session, name)


def race(engine: Engine, steps: Mapping[str, Step], first: str,
         first_ends: Literal["commit", "rollback"] = "commit") -> dict[str, Any]:
    """Two sessions' steps, ``first``'s first: it is left uncommitted while the other's runs (waiting for its
    lock if it must); then ``first`` commits (or rolls back), and the other finishes and commits. What each
    step returned, by name."""
    assert len(steps) == 2 and first in steps
    second = next(name for name in steps if name != first)
    sides = {name: Side(engine, name) for name in steps}
    try:
        got = {first: sides[first].do(steps[first])}
        pending = sides[second].start(steps[second])
        wait_until_waiting(engine, pending)
        sides[first].do(lambda session: session.commit() if first_ends == "commit" else session.rollback())
        got[second] = pending.result(TIMEOUT)
        sides[second].do(lambda session: session.commit())
    finally:
        for side in sides.values():
            side.close()
    return got
