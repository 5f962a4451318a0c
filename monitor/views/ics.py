"""`monitor calendar`: the dated obligations as an RFC 5545 calendar (deadlines.ics) for Outlook, WPS or a phone.

One all-day event per dated obligation that `status` lists. Its UID is the cluster and the obligation's key,
so importing a newer file, or a client refreshing a subscription, updates the event instead of adding a
second one; SEQUENCE rises as an obligation moves on (pending, overdue, then done or late). Open obligations
carry one alarm per configured lead day (``reminders.lead_days``) until they fall due.

When any is overdue, one more all-day event, "逾期事项 N 项", stands on the day the feed is written: calendar
apps show no past day unasked, so an overdue item on its own due day goes unseen. Its UID is the same every
day, so a refreshed subscription moves it to the new day. The file is written a slice of clusters at a time,
so a whole roster never sits in memory.

A policy is named by its title (the id beside it in the description, and in X-MONITOR-REGIME for a program). An
obligation snoozed, or one whose warning is acknowledged, says so where the warning would be read: in the
summary (``【逾期·已暂停提醒至2026-12-20】``), and in the description with who holds it and their note; the
alarms that fall while it is snoozed are left out, as its reminders are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from monitor.config import Settings
from monitor.rules.facts import Cluster
from monitor.rules.holds import Hold
from monitor.rules.listing import Evaluated
from monitor.rules.standards import figured, tally
from monitor.rules.texts import one_line
from monitor.rules.verdict import Alert, Obligation, StandardVerdict
from monitor.views.files import write_whole
from monitor.views.words import calendar_note, digest_words, obligation_label, term, warning_message, words

#: SEQUENCE by state: an obligation only ever moves forward (pending → overdue → late, pending → done); one due
#: before the baseline is unrecorded (no alarm; overdue until the baseline was set) until a fact settles it
SEQUENCE = {"pending": 0, "overdue": 1, "unrecorded": 2, "done": 3, "late": 3}


def uid(cluster_id: str, obligation: Obligation) -> str:
    return f"{cluster_id}/{obligation.key}@monitor"


def _header(lang: str, timezone: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//monitor//industrial cluster dynamic management//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", words("ics", lang)["name"])
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    text: bytes = calendar.to_ical()
    return text.removesuffix(b"END:VCALENDAR\r\n")


def _standard_lines(standards: Sequence[StandardVerdict], lang: str) -> list[str]:
    """What the renewal review's event says of annual monitoring: the items met, then each unmet and no-data one."""
    said = words("ics", lang)
    met, total = tally(standards)
    lines = [said["standards"].format(met=met, total=total)]
    for state in ("unmet", "no_data"):
        lines += [said[f"{state}_line"].format(label=s.label, basis=s.basis) for s in standards if s.state == state]
    return lines


#: the holds in force, by (kind, cluster id, subject): an ack's subject is a warning's key, a snooze's an obligation's
Holds = Mapping[tuple[str, str, str], Hold]


def holds_by_subject(holds: Iterable[Hold]) -> dict[tuple[str, str, str], Hold]:
    return {(h.kind, h.cluster_id, h.subject): h for h in holds}


class Held(NamedTuple):
    """What holds an obligation's event quiet: its snooze, and the acknowledged warnings about it."""
    snooze: Hold | None
    acks: tuple[tuple[Alert, Hold], ...]

    def mark(self, lang: str) -> str:
        """Said in the summary after the state: "·已暂停提醒至2026-12-20", "·警示已确认至2026-12-31"."""
        said: dict[str, str] = words("ics", lang)
        if self.snooze is not None:
            return said["snoozed_mark"].format(until=self.snooze.until)
        if self.acks:
            return said["acked_mark"].format(until=max(h.until for _, h in self.acks))
        return ""

    def lines(self, lang: str) -> list[str]:
        """The description's lines: each hold with who recorded it and their note."""
        said = words("ics", lang)
        lines = []
        if self.snooze is not None:
            lines.append(one_line(said["snoozed_line"].format(until=self.snooze.until, by=self.snooze.recorded_by,
                                                              note=self.snooze.note or said["no_note"])))
        lines.extend(one_line(said["acked_line"].format(warning=warning_message(w, lang), until=h.until,
                                                        by=h.recorded_by, note=h.note or said["no_note"]))
                     for w, h in self.acks)
        return lines


def held(cluster_id: str, obligation: Obligation, warnings: Sequence[Alert], holds: Holds) -> Held:
    """The snooze of ``obligation`` and the acks of its warnings, among ``holds`` (those in force)."""
    acks = tuple((w, hold) for w in warnings if w.obligation == obligation.key
                 and (hold := holds.get(("ack", cluster_id, w.key))) is not None)
    return Held(holds.get(("snooze", cluster_id, obligation.key)), acks)


NOT_HELD = Held(None, ())


def event(cluster: Cluster, obligation: Obligation, now: dt.datetime, lead_days: Sequence[int], lang: str,
          standards: Sequence[StandardVerdict] = (), policy: str | None = None, hold: Held = NOT_HELD) -> Event:
    """The all-day event of one dated obligation (an open renewal review's lists the standard's unmet items).
    ``policy``: the regime's name (its pack's title); ``hold``: what holds it quiet."""
    assert obligation.due is not None
    digest = digest_words(lang)
    said = words("ics", lang)
    label = obligation_label(obligation, lang)
    state = term(obligation.state, lang)
    named = f"《{policy}》（{cluster.regime}）" if policy and lang == "zh" else (
        f"{policy} ({cluster.regime})" if policy else cluster.regime)
    lines = [f"{digest['cluster']}: {cluster.id} {cluster.name}", f"{said['policy']}: {named}",
             f"{digest['item']}: {label}", f"{digest['due']}: {obligation.due.isoformat()}",
             f"{digest['state']}: {state}", f"{digest['basis']}: {obligation.basis}", *hold.lines(lang)]
    if obligation.opens is not None:
        lines.append(f"{digest['opens']}: {obligation.opens.isoformat()}")
    note = calendar_note(obligation, lang)
    if note:
        lines.append(note)
    if obligation.kind == "renewal_review" and obligation.is_open and figured(standards):
        lines += _standard_lines(standards, lang)
    item = Event()
    item.add("uid", uid(cluster.id, obligation))
    item.add("dtstamp", now)
    item.add("sequence", SEQUENCE[obligation.state])
    mark = f"{state}{hold.mark(lang)}"
    item.add("summary", f"【{mark}】{label} · {cluster.name}" if lang == "zh" else f"[{mark}] {label} · {cluster.name}")
    item.add("dtstart", obligation.due)
    item.add("dtend", obligation.due + dt.timedelta(days=1))
    item.add("transp", "TRANSPARENT")
    item.add("description", "\n".join(lines))
    item.add("categories", [policy or cluster.regime, term(obligation.kind, lang)])
    item.add("x-monitor-regime", cluster.regime)
    if obligation.state == "pending":   # an overdue one is past its alarms
        for days in lead_days:
            if hold.snooze is not None and obligation.due - dt.timedelta(days=days) <= hold.snooze.until:
                continue                # its reminders are quiet until then: so is the calendar
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{label} · {cluster.name}")
            alarm.add("trigger", dt.timedelta(days=-days))
            item.add_component(alarm)
    return item


#: overdue items listed in the summary event's description; the rest are counted
OVERDUE_LISTED = 50


class Overdue:
    """The overdue obligations seen while the feed is written, for the day's summary event."""

    def __init__(self, lang: str) -> None:
        self.lang, self.count, self.lines = lang, 0, list[str]()

    def add(self, cluster: Cluster, obligation: Obligation, hold: Held = NOT_HELD) -> None:
        self.count += 1
        if len(self.lines) < OVERDUE_LISTED:
            mark = hold.mark(self.lang)
            self.lines.append(words("ics", self.lang)["overdue_line"].format(
                id=cluster.id, name=cluster.name, label=obligation_label(obligation, self.lang), due=obligation.due,
                days=-(obligation.days_left or 0)) + (words("ics", self.lang)["held"].format(mark=mark.strip(" ·"))
                                                     if mark else ""))

    def event(self, today: dt.date, now: dt.datetime) -> Event:
        said = words("ics", self.lang)
        lines = self.lines + ([said["overdue_more"].format(n=self.count - len(self.lines))]
                              if self.count > len(self.lines) else [])
        item = Event()
        item.add("uid", "overdue-today@monitor")
        item.add("dtstamp", now)
        item.add("sequence", today.toordinal() - dt.date(2024, 1, 1).toordinal())   # rises as the day moves on
        item.add("summary", said["overdue"].format(n=self.count))
        item.add("dtstart", today)
        item.add("dtend", today + dt.timedelta(days=1))
        item.add("transp", "TRANSPARENT")
        item.add("description", "\n".join(lines))
        return item


def events(items: Iterable[Evaluated], now: dt.datetime, settings: Settings, overdue: Overdue | None = None,
           policies: Mapping[str, str] | None = None, holds: Holds | None = None) -> Iterator[Event]:
    """An event for each dated obligation the overview lists (the overdue ones also counted in ``overdue``);
    ``policies``: each regime's name by id; ``holds``: the acks and snoozes in force (holds_by_subject)."""
    for facts, verdict in items:
        cluster = facts.cluster
        for obligation in verdict.obligations:
            if obligation.due is not None:
                hold = held(cluster.id, obligation, verdict.warnings, holds or {})
                if overdue is not None and obligation.state == "overdue":
                    overdue.add(cluster, obligation, hold)
                yield event(cluster, obligation, now, settings.lead_days_for(obligation.kind),
                            settings.language, verdict.standards, (policies or {}).get(cluster.regime), hold)


def write_calendar(out: BinaryIO, items: Iterable[Evaluated], now: dt.datetime, settings: Settings,
                   day: dt.date | None = None, policies: Mapping[str, str] | None = None,
                   holds: Iterable[Hold] = ()) -> int:
    """Write the calendar, evaluated as of ``day`` (default: today), to ``out``; the number of events. ``policies``:
    each regime's name (by id); ``holds``: the acks and snoozes in force that day."""
    out.write(_header(settings.language, settings.timezone))
    overdue = Overdue(settings.language)
    count = 0
    for item in events(items, now, settings, overdue, policies, holds_by_subject(holds)):
        out.write(item.to_ical())
        count += 1
    if overdue.count:
        out.write(overdue.event(day or now.astimezone(ZoneInfo(settings.timezone)).date(), now).to_ical())
        count += 1
    out.write(b"END:VCALENDAR\r\n")
    return count


def write_calendar_file(path: Path, items: Iterable[Evaluated], now: dt.datetime, settings: Settings,
                        policies: Mapping[str, str] | None = None, holds: Iterable[Hold] = ()) -> int:
    """Replace ``path`` whole (a subscriber never reads half a file); the number of events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_whole(path, lambda out: write_calendar(out, items, now, settings, None, policies, holds))
