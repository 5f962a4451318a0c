"""The daemon's steps: scan, digest round, resend, catch-up, heartbeat. Each reads and writes the ledger and
returns what it did; nothing lives in memory between steps, so tests call them directly with a clock of their
own, and jobs/scheduler.py only decides when each runs.

A step that cannot finish now asks for a one-off retry (``Daemon.later``, which the scheduler sets) rather than
waiting for the next tick, which may be an hour away:

- a round that found the round lock held (another daemon is building one, or died doing so) is tried again once
  a claim's lease and a margin have passed: by then a dead builder's claims have lapsed and its lock is gone;
- a round or a resend after which messages are still claimed (by a daemon sending them, or one that died) looks
  again when the oldest of those claims lapses, and takes over what is still claimed then;
- a round or a scan that the database broke (it went away, or restarted) is tried again after a lease and a
  margin: what the round had claimed and not recorded has lapsed by then, and is sent again.

Without a scheduler (``monitor digest --send``, the tests) nothing is retried: the next tick does it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from db import ledger
from db.daemon_marks import last_at, mark
from db.session import UNREACHABLE, reason, stepwise, transaction
from jobs.approve import Released, approve, release_approved
from jobs.compose import ConcurrentRound, Outgoing, RoundLocked, Transports, build_round
from jobs.deliver import deliver, owed
from jobs.drill import check_send, drill_folder
from jobs.people import drop_unreachable, due_now
from jobs.scan import scan
from monitor import clock
from monitor.app import App
from monitor.errors import ConfigError, Said
from monitor.overview import Selection, evaluated, holds
from monitor.views.ics import write_calendar_file
from notifications.folder import FolderSender
from notifications.sender import Sender

log = logging.getLogger("monitor.daemon")

#: how long after a claim lapses a daemon takes it over: the clocks of two hosts may differ by that much
RETRY_MARGIN = dt.timedelta(seconds=5)

#: runs ``job`` once, ``after`` from now, unless a job of that ``name`` is due sooner (jobs/scheduler.py)
Later = Callable[[dt.timedelta, str, Callable[[], object]], None]


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
    def __init__(self, app: App, owner: str | None = None, now: Callable[[], dt.datetime] = clock.now_utc,
                 sender: Sender | None = None, later: Later | None = None) -> None:
        self.app, self.owner, self._clock, self._sender = app, owner or owner_name(), now, sender
        self.later = later       # how a step that cannot finish now is retried (None: at the next tick)
        self.scanned = False     # whether this daemon has scanned every cluster once
        self.zone = ZoneInfo(app.settings.timezone)

    @property
    def sender(self) -> Sender:
        """E-mail (if smtp.host is set) and the configured channels, unless a sender was given (tests give one)."""
        if self._sender is None:
            from notifications.channels import channels_for
            from notifications.router import Router
            from notifications.smtp import SmtpSender

            settings = self.app.settings
            folder = check_send(self.app, "the daemon's send")     # refused while MONITOR_NOW is ahead
            self._sender = FolderSender(folder) if folder is not None else Router(
                SmtpSender(settings.smtp) if settings.smtp.host else None, channels_for(settings.channels))
        return self._sender

    @cached_property
    def drill(self) -> Path | None:
        """The folder a drill database's deliveries are written to (jobs/drill.py); None for a real one."""
        return drill_folder(self.app)

    def transports(self, at_round: bool = True, people: bool = True) -> Transports:
        """What a round can send now: deliveries to anything else wait, pending, until it is configured. A drill
        database writes e-mail to its folder whether or not smtp.host is set. ``people``: with the people personal
        channels write to now (a round, ``at_round``, or a tick: jobs/people.py)."""
        return Transports(self._sender is not None or self.app.settings.smtp.host is not None
                          or self.drill is not None, self.app.settings.channels,
                          self.due_people(at_round) if people else ())

    def due_people(self, at_round: bool) -> tuple[str, ...]:
        """The people (``channel:NAME:ACCOUNT``) a round or a tick writes to now: inside their window."""
        settings = self.app.settings
        if not settings.channels:
            return ()
        now = self.now()
        slot = latest_slot(now, settings.digest_times, self._is_workday(), settings.timezone)
        with transaction(self.app.sessions) as session:
            dropped = drop_unreachable(session, settings, now)
            due = due_now(session, settings, now, at_round, slot, self.app.calendar.is_workday)
        if dropped:
            log.info("%d deliveries to people no personal channel reaches any more (turned off, id removed, "
                     "account disabled) settled as suppressed", dropped)
        return due

    def personal_tick(self) -> dict[str, int]:
        """At a tick, what the last round held for people outside their window (or for their once-a-day digest),
        composed and sent now that their window is open: no digest round is recorded."""
        if not self.can_send():
            return {}
        transports = self.transports(at_round=False)
        if not transports.people:
            return {}
        now = self.now()
        try:
            with stepwise(self.app.sessions) as session:
                messages = build_round(self.app, session, self.day(now), now, self.owner,
                                       transports._replace(email=False, personal_only=True))
        except (RoundLocked, ConcurrentRound):      # another daemon is building a round: the next tick does it
            return {}
        return self._deliver(messages)

    def now(self) -> dt.datetime:
        """The injected clock, in UTC (SQLite keeps no offset)."""
        return self._clock().astimezone(dt.UTC)

    def day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()

    def _is_workday(self) -> Callable[[dt.date], bool] | None:
        return self.app.calendar.is_workday if self.app.settings.digest_working_days_only else None

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.app.settings.claim_lease_seconds)

    # --- retries, between ticks ---------------------------------------------------------------------------

    def _again(self, after: dt.timedelta, name: str, job: Callable[[], object], why: Said) -> None:
        """Ask the scheduler to run ``job`` once, ``after`` from now, and say why; nothing without a scheduler."""
        if self.later is None:
            return
        at = self.now() + after
        log.warning("%s", Said("{why}; trying again at {at}", why=why, at=at.astimezone(self.zone).isoformat()))
        self.later(after, name, job)

    def _outage(self, exc: Exception, name: str, job: Callable[[], object], what: Said) -> None:
        """A step the database broke: tried again after a lease, when what it claimed and did not record has
        lapsed (any other error is a bug: the scheduler logs it)."""
        self._again(self.lease + RETRY_MARGIN, name, job,
                    Said("{what}: the database could not be reached ({problem})", what=what, problem=reason(exc)))

    def _watch_claims(self) -> None:
        """Messages still claimed after a round or a resend (another daemon is sending them, or died while it
        was): look again when the oldest claim lapses, and take over what is still claimed then."""
        now = self.now()
        with transaction(self.app.sessions) as session:
            oldest, count = ledger.claims_held(session)
        if oldest is None:
            return
        lapses = oldest + self.lease    # (lapsed already and still claimed: it was just taken, or cannot be)
        after = (lapses - now if lapses > now else self.lease) + RETRY_MARGIN
        self._again(after, "take-over", self.take_over,
                    Said("{count} messages are claimed and not settled yet: whatever of them is still claimed when "
                         "its claim lapses is taken over", count=count))

    def round_job(self, late: bool = False) -> None:
        """A digest time's round as the scheduler runs it (and its retries): a database that went away makes it
        a retry after the lease, not an error until the next tick."""
        try:
            self.digest_tick(late=late)
        except UNREACHABLE as exc:
            self._outage(exc, "round", lambda: self.round_job(late), Said("the digest round"))

    def scan_job(self) -> None:
        """The periodic scan as the scheduler runs it; if the database broke it, what is owed is sent again
        after the lease."""
        try:
            self.scan_tick()
        except UNREACHABLE as exc:
            self._outage(exc, "take-over", self.take_over, Said("the scan"))

    def take_over(self) -> dict[str, int]:
        """Send what is owed now (retries due, lapsed claims: a dead daemon's, or what a broken round did not
        record), then watch what is still claimed."""
        if not self.can_send():
            return {}
        try:
            counts = self.resend()
        except UNREACHABLE as exc:
            self._outage(exc, "take-over", self.take_over, Said("taking over lapsed claims"))
            return {}
        self._watch_claims()
        return counts

    # --- ticks --------------------------------------------------------------------------------------------

    def scan_tick(self) -> None:
        """Record the reminders crossed so far and resend what is owed (retries, lapsed claims). The first scan
        of a daemon looks at every cluster; the next ones at those whose day has come or whose facts changed."""
        now = self.now()
        with stepwise(self.app.sessions) as session:
            scan(self.app, session, self.day(now), now, incremental=self.scanned, watching=True, durable=True)
        self.scanned = True
        self.resend()
        self.personal_tick()
        self.release_approved()
        self.write_calendar(now)

    def write_calendar(self, now: dt.datetime) -> None:
        """Refresh daemon.calendar_path, if set, for calendar clients subscribed to it."""
        path = self.app.settings.calendar_path
        if path is None:
            return
        try:
            selection = Selection(self.day(now))
            count = write_calendar_file(path, evaluated(self.app, selection), now, self.app.settings,
                                        {p.id: p.title for p in self.app.packs.values()}, holds(self.app, selection))
        except OSError as exc:
            log.error("calendar %s not written: %s", path, exc)
            return
        log.info("calendar %s written: %d events", path, count)

    def can_send(self) -> bool:
        transports = self.transports(people=False)
        return transports.email or bool(transports.channels)

    def resend(self) -> dict[str, int]:
        if not self.can_send():
            return {}
        return self._deliver(owed(self.app.sessions, self.owner, self.now(), self.app.settings.claim_lease_seconds))

    def approve(self, round_id: str | None, who: str) -> tuple[Released, dict[str, int]]:
        """Release a held round (jobs/approve.py) and send what it held, with anything else owed."""
        now = self.now()
        released = approve(self.app, round_id, who, self.day(now), now, self.owner, self.transports(people=False))
        counts = self._deliver(released.messages)
        resent = self.resend()
        return released, {key: counts.get(key, 0) + resent.get(key, 0) for key in counts}

    def release_approved(self) -> dict[str, int]:
        """Send what rounds approved in the console hold (the console decides; the daemon sends, once)."""
        if not self.can_send():
            return {}
        now = self.now()
        released = release_approved(self.app, self.day(now), now, self.owner, self.transports(people=False))
        for one in released:
            log.info("%s", Said("round {round} approved by {who}: {messages} messages released ({obsolete} "
                                "reminders obsolete, {suppressed} suppressed since)", round=one.round.id,
                                who=one.round.decided_by, messages=len(one.messages), obsolete=one.obsolete,
                                suppressed=one.suppressed))
        return self._deliver([m for one in released for m in one.messages])

    def _deliver(self, messages: list[Outgoing]) -> dict[str, int]:
        return deliver(self.app.sessions, self.sender, self.owner, messages, self.now,
                       self.app.settings.smtp.round_deadline_seconds)

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
        if not self.can_send():
            problem = Said("neither smtp.host nor a channel is set: the round was not built, and its reminders wait "
                           "until one is (monitor digest --preview DIR shows them)")
            if by_hand:
                raise ConfigError(problem)
            log.warning("digest day=%s: %s", day, problem)
            return {}
        locked = False
        try:
            with stepwise(self.app.sessions) as session:   # short transactions: a record never waits for a round
                scan(self.app, session, day, now, incremental=self.scanned and not by_hand, watching=not by_hand,
                     durable=True)
                try:
                    messages = build_round(self.app, session, day, now, self.owner, self.transports(), late)
                except RoundLocked:     # its deliveries wait, pending; the scan above is committed
                    locked, messages = True, []
        except ConcurrentRound as exc:   # what it held is still pending for the next round
            log.warning("digest day=%s: %s", day, exc)
            messages = []
        counts = self._deliver(messages)
        resent = self.resend()
        self.release_approved()
        if locked and not by_hand:
            self._again(self.lease + RETRY_MARGIN, "round", lambda: self.round_job(late),
                        Said("round day={day}: another daemon holds the round lock (it is building one, or died "
                             "doing so)", day=day))
        elif not by_hand:
            self._watch_claims()
        return {key: counts.get(key, 0) + resent.get(key, 0) for key in counts}

    def catch_up(self) -> bool:
        """Run the digest round that was missed while no daemon ran, once, marked late. True if it ran."""
        now = self.now()
        slot = latest_slot(now, self.app.settings.digest_times, self._is_workday(), self.app.settings.timezone)
        with transaction(self.app.sessions) as session:
            last = last_at(session, "round")
        if slot is None or (last is not None and last >= slot):
            return False
        log.warning("catching up the digest round of %s (last round: %s)", slot.isoformat(),
                    last.isoformat() if last else "never")
        self.round_job(late=last is not None)
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
