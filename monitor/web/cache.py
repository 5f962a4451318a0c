"""Evaluations kept between requests: a pure function of the record and the day, so an answer computed once is
right for as long as the record is unchanged (db.queries.record_stamp). Keyed by what was asked and that stamp;
the few most recent kept; concurrent requests for the same key wait for one computation."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

from db.queries import record_stamp
from monitor.app import App


class Evaluations:
    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Future[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, app: App, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``'s value for ``key`` as the record stands now, computed at most once per record stamp."""
        with app.reader.connect() as conn:
            full = (key, record_stamp(conn))
        with self._lock:
            future = self._entries.get(full)
            mine = future is None
            if future is None:
                future = self._entries[full] = Future()
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(full)
        if mine:
            try:
                future.set_result(make())
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, raised by result() below
                future.set_exception(exc)
                with self._lock:
                    self._entries.pop(full, None)
        return future.result()


#: the one cache of a console process (its worker threads share it)
EVALUATIONS = Evaluations()
