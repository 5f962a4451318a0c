"""`monitor run`: APScheduler as a timer only (the one file that knows it). Every tick is a step of
jobs/daemon.py, which reads and writes the ledger; nothing lives in the scheduler's memory.

Jobs (static ids, re-registered at every start): ``startup`` (once: scan, resend what is owed, catch up a
missed digest round), ``scan`` every ``daemon.scan_every_minutes``, ``digest-HH:MM`` at each configured time,
``heartbeat`` every minute. One worker thread, so ticks never overlap; coalescing and a misfire grace for a
suspended machine; every missed run is logged, and a missed digest round is caught up at once. Rounds run on
one thread, heartbeats and scans on a second, so a round that is sending never silences the heartbeat (status
would say no daemon runs) nor holds back the hourly scan.

One-off retries (``round@…``, ``take-over@…``, at the time they name) are what the daemon asks for when a step
cannot finish now (jobs/daemon.py: the round lock held, claims not lapsed yet, the database gone); they run on
the rounds' thread, and one that is already due sooner makes a later one of the same kind unneeded.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
from collections.abc import Callable
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.daemon import Daemon
from monitor.app import App

log = logging.getLogger("monitor.daemon")


def run_daemon(app: App) -> None:
    """Run until SIGTERM or SIGINT; the running tick finishes first."""
    daemon = Daemon(app)
    settings = daemon.app.settings
    scheduler = BlockingScheduler(
        timezone=daemon.zone, executors={"default": ThreadPoolExecutor(1), "side": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds})

    def later(after: dt.timedelta, name: str, job: Callable[[], object]) -> None:
        """``job`` once, ``after`` from now, on the rounds' thread; not if one of that name is due by then."""
        at = dt.datetime.now(daemon.zone) + after
        if any(other.id.startswith(f"{name}@") and other.next_run_time is not None and other.next_run_time <= at
               for other in scheduler.get_jobs()):
            return
        scheduler.add_job(job, DateTrigger(run_date=at), id=f"{name}@{at.isoformat()}", replace_existing=True)

    daemon.later = later
    scheduler.add_job(daemon.startup, id="startup", replace_existing=True)
    scheduler.add_job(daemon.scan_job, IntervalTrigger(minutes=settings.scan_every_minutes), id="scan",
                      replace_existing=True, executor="side")
    for t in settings.digest_times:
        hour, minute = t.split(":")
        scheduler.add_job(daemon.round_job, CronTrigger(hour=int(hour), minute=int(minute), timezone=daemon.zone),
                          id=f"digest-{t}", replace_existing=True)
    scheduler.add_job(daemon.heartbeat, IntervalTrigger(minutes=1), id="heartbeat", replace_existing=True,
                      executor="side")

    def on_event(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("missed run of %s scheduled for %s", event.job_id, event.scheduled_run_time)
            if event.job_id.startswith("digest-"):
                scheduler.add_job(daemon.catch_up, id="catch-up", replace_existing=True)
        else:
            log.error("job %s failed: %r", event.job_id, event.exception)

    scheduler.add_listener(on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping after the running tick", signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("daemon %s starting: scans every %d min, digests at %s (%s)", daemon.owner,
             settings.scan_every_minutes, ", ".join(settings.digest_times), settings.timezone)
    scheduler.start()
    daemon.heartbeat("stopped")
    log.info("daemon %s stopped", daemon.owner)
