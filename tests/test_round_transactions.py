"""A digest round (and its scan) in short transactions: on SQLite, another process's write gets in between its
slices and between its recipients, instead of failing with "database is locked" behind the whole round."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import MessageRow, RoundItemRow
from db.session import transaction
from jobs import compose, scan
from monitor.app import App
from tests.conftest import d
from tests.helpers import write_roster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app
from tests.test_guards import FakeSender

DAY = d("2027-01-11")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    found = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}",
                     '[general]\nadministrators = ["admin@example.gov.cn"]\n', None)
    load_roster(found, write_roster(tmp_path / "r.csv", *(
        f"C{n:03d},Cluster {n},nmg-sme-draft,2024-03-15,,,op{n}@example.cn,bureau{n}@example.gov.cn,,"
        for n in range(6))))
    yield found
    found.close()


def _writer(path: Path, writes: list[str]) -> Callable[[], None]:
    """A write by another process, as `monitor record` would make it, that waits at most 0.5 s for the lock."""
    def write() -> None:
        conn = sqlite3.connect(path, timeout=0.5)
        try:
            conn.execute("UPDATE cluster SET operator = 'updated elsewhere' WHERE id = 'C000'")
            conn.commit()
            writes.append("ok")
        except sqlite3.OperationalError as exc:
            writes.append(str(exc))
        finally:
            conn.close()
    return write


def _between(target: Any, name: str, write: Callable[[], None], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``write`` before the second and later calls of ``target.name``: between two of the round's steps."""
    original = getattr(target, name)
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] > 1:
            write()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapped)


@pytest.mark.parametrize("step", ["scan slices", "round slices", "recipients"])
def test_a_write_gets_in_between_a_rounds_steps(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                step: str) -> None:
    writes: list[str] = []
    write = _writer(tmp_path / "m.db", writes)
    if step == "scan slices":
        monkeypatch.setattr("monitor.overview.CHUNK", 2)
        _between(scan, "_ledger_summary", write, monkeypatch)
    elif step == "round slices":
        monkeypatch.setattr(compose, "IDS_PER_QUERY", 2)
        _between(compose, "evaluated", write, monkeypatch)
    else:
        _between(compose, "build_message", write, monkeypatch)
    run = daemon(app, Clock(at(DAY)))
    run._sender = FakeSender()
    sent = run.digest_tick(day=DAY)["sent"]
    assert writes and set(writes) == {"ok"}, writes          # never "database is locked"
    assert sent == 7                                          # six bureaus and the administrator, all the same
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(MessageRow)) == 7
        assert session.scalar(select(func.count()).select_from(RoundItemRow)) == 0


def test_the_scratch_rows_of_a_dead_round_are_swept(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import insert

    clock = Clock(at(DAY, 7, 0))
    with transaction(app.sessions) as session:
        session.execute(insert(RoundItemRow).values(round_id=compose.round_name(clock.value, "dead:1"),
                                                    recipient="x@example.cn", delivery_id=999999))
    clock.value = at(DAY)          # 90 minutes later: past the lease (900 s)
    run = daemon(app, clock)
    run._sender = FakeSender()
    assert run.digest_tick(day=DAY)["sent"] == 7             # the dead round's row is neither sent nor kept
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(RoundItemRow)) == 0
