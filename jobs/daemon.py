"""`monitor run`: APScheduler as a timer only. Every tick reads and writes the ledger; nothing lives in memory.

Jobs (static ids, re-registered at every start): ``startup`` (once: scan, resend what is owed, catch up a
missed digest round), ``scan`` every ``daemon.scan_every_minutes``, ``digest-HH:MM`` at each configured time,
``heartbeat`` every minute. One worker thread, so ticks never overlap; coalescing and a misfire grace for a
suspended machine; every missed run is logged, and a missed digest round is caught up at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from db.models import DaemonRow
from db.session import transaction
from jobs.rounds import build_round, deliver, owed
from jobs.scan import mark, scan
from monitor import clock
from monitor.app import App
from monitor.errors import ConfigError
from monitor.ics import write_calendar_file
from monitor.ledger import aware

log = logging.getLogger("monitor.daemon")


def owner_name() -> str:
    """This process, as named in claims and heartbeats."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def latest_slot(now: dt.datetime, times: tuple[str, ...], is_workday: Callable[[dt.date], bool] | None,
                timezone: str) -> dt.datetime | None:
    """The newest scheduled digest time at or before ``now`` (within the last two weeks)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for back in range(15):
        day = local.date() - dt.timedelta(days=back)
        if is_workday is not None and not is_workday(day):
            continue
        slots = [dt.datetime.combine(day, dt.time.fromisoformat(t), zone) for t in times]
        past = [slot for slot in slots if slot <= local]
        if past:
            return max(past)
    return None


class Daemon:
    def __init__(self, app: App, owner: str | None = None, now: Callable[[], dt.datetime] = clock.now_utc) -> None:
        self.app, self.owner, self._clock = app, owner or owner_name(), now
        self.zone = ZoneInfo(app.settings.timezone)

    def now(self) -> dt.datetime:
        """The injected clock, in UTC (SQLite keeps no offset)."""
        return self._clock().astimezone(dt.UTC)

    def day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()

    def _is_workday(self) -> Callable[[dt.date], bool] | None:
        return self.app.calendar.is_workday if self.app.settings.digest_working_days_only else None

    # --- ticks --------------------------------------------------------------------------------------------

    def scan_tick(self) -> None:
        """Record the reminders crossed so far and resend what is owed (retries, lapsed claims)."""
        now = self.now()
        with transaction(self.app.sessions) as session:
            scan(self.app, session, self.day(now), now)
        self.resend()
        self.write_calendar(now)

    def write_calendar(self, now: dt.datetime) -> None:
        """Refresh daemon.calendar_path, if set, for calendar clients subscribed to it."""
        path = self.app.settings.calendar_path
        if path is None:
            return
        try:
            count = write_calendar_file(self.app, path, self.day(now), now)
        except OSError as exc:
            log.error("calendar %s not written: %s", path, exc)
            return
        log.info("calendar %s written: %d events", path, count)

    def resend(self) -> dict[str, int]:
        settings = self.app.settings
        if settings.smtp.host is None:
            return {}
        messages = owed(self.app.sessions, self.owner, self.now(), settings.claim_lease_seconds)
        return deliver(self.app, self.owner, messages, self.now)

    def digest_tick(self, late: bool = False, day: dt.date | None = None) -> dict[str, int]:
        """A digest round: scan, build one message per recipient, send them (and anything else owed). With a
        ``day`` (``monitor digest --send --as-of D``) the round is for that day, working day or not."""
        now = self.now()
        by_hand = day is not None
        is_workday = None if by_hand else self._is_workday()
        day = day or self.day(now)
        if is_workday is not None and not is_workday(day):
            log.info("digest day=%s skipped: not a working day", day)
            return {}
        if self.app.settings.smtp.host is None:
            problem = ("smtp.host is not set: the round was not built, and its reminders wait until it is "
                       "(monitor digest --preview DIR shows them)")
            if by_hand:
                raise ConfigError(problem)
            log.warning("digest day=%s: %s", day, problem)
            return {}
        with transaction(self.app.sessions) as session:
            scan(self.app, session, day, now)
            messages = build_round(self.app, session, day, now, self.owner, late)
        counts = deliver(self.app, self.owner, messages, self.now)
        resent = self.resend()
        return {key: counts.get(key, 0) + resent.get(key, 0) for key in counts}

    def catch_up(self) -> bool:
        """Run the digest round that was missed while no daemon ran, once, marked late. True if it ran."""
        now = self.now()
        slot = latest_slot(now, self.app.settings.digest_times, self._is_workday(), self.app.settings.timezone)
        with transaction(self.app.sessions) as session:
            last = session.execute(select(DaemonRow.at).where(DaemonRow.name == "round")).scalar()
        if slot is None or (last is not None and aware(last) >= slot):
            return False
        log.warning("catching up the digest round of %s (last round: %s)", slot.isoformat(),
                    last.isoformat() if last else "never")
        self.digest_tick(late=last is not None)
        return True

    def heartbeat(self, detail: str = "running") -> None:
        now = self.now()
        with transaction(self.app.sessions) as session:
            mark(session, f"daemon:{self.owner}", now, self.day(now), detail)

    def startup(self) -> None:
        self.heartbeat()
        self.scan_tick()
        self.catch_up()
        log.info("daemon %s startup done", self.owner)

    # --- the scheduler ------------------------------------------------------------------------------------

    def run(self) -> None:
        settings = self.app.settings
        scheduler = BlockingScheduler(
            timezone=self.zone, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds})
        scheduler.add_job(self.startup, id="startup", replace_existing=True)
        scheduler.add_job(self.scan_tick, IntervalTrigger(minutes=settings.scan_every_minutes), id="scan",
                          replace_existing=True)
        for t in settings.digest_times:
            hour, minute = t.split(":")
            scheduler.add_job(self.digest_tick, CronTrigger(hour=int(hour), minute=int(minute), timezone=self.zone),
                              id=f"digest-{t}", replace_existing=True)
        scheduler.add_job(self.heartbeat, IntervalTrigger(minutes=1), id="heartbeat", replace_existing=True)

        def on_event(event: JobExecutionEvent) -> None:
            if event.code == EVENT_JOB_MISSED:
                log.warning("missed run of %s scheduled for %s", event.job_id, event.scheduled_run_time)
                if event.job_id.startswith("digest-"):
                    scheduler.add_job(self.catch_up, id="catch-up", replace_existing=True)
            else:
                log.error("job %s failed: %r", event.job_id, event.exception)

        scheduler.add_listener(on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: stopping after the running tick", signal.Signals(signum).name)
            scheduler.shutdown(wait=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("daemon %s starting: scans every %d min, digests at %s (%s)", self.owner,
                 settings.scan_every_minutes, ", ".join(settings.digest_times), settings.timezone)
        scheduler.start()
        self.heartbeat("stopped")
        log.info("daemon %s stopped", self.owner)
