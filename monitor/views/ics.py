"""`monitor calendar`: the dated obligations as an RFC 5545 calendar (deadlines.ics) for Outlook, WPS or a phone.

One all-day event per dated obligation that `status` lists. Its UID is the cluster and the obligation's key,
so importing a newer file, or a client refreshing a subscription, updates the event instead of adding a
second one; SEQUENCE rises as an obligation moves on (pending, overdue, then done or late). Open obligations
carry one alarm per configured lead day (``reminders.lead_days``) until they fall due. The file is written a slice of clusters
at a time, so a whole roster never sits in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from icalendar import Alarm, Calendar, Event

from monitor.config import Settings
from monitor.rules.facts import Cluster
from monitor.rules.listing import Evaluated
from monitor.rules.verdict import Obligation
from monitor.views.files import write_whole
from monitor.views.words import calendar_note, digest_words, obligation_label, term, words

#: SEQUENCE by state: an obligation only ever moves forward (pending → overdue → late, pending → done)
SEQUENCE = {"pending": 0, "overdue": 1, "done": 2, "late": 2}


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


def event(cluster: Cluster, obligation: Obligation, now: dt.datetime, lead_days: Sequence[int], lang: str) -> Event:
    """The all-day event of one dated obligation."""
    assert obligation.due is not None
    words = digest_words(lang)
    label = obligation_label(obligation, lang)
    state = term(obligation.state, lang)
    lines = [f"{words['cluster']}: {cluster.id} {cluster.name}", f"{words['item']}: {label}",
             f"{words['due']}: {obligation.due.isoformat()}", f"{words['state']}: {state}",
             f"{words['basis']}: {obligation.basis}"]
    if obligation.opens is not None:
        lines.append(f"{words['opens']}: {obligation.opens.isoformat()}")
    note = calendar_note(obligation, lang)
    if note:
        lines.append(note)
    item = Event()
    item.add("uid", uid(cluster.id, obligation))
    item.add("dtstamp", now)
    item.add("sequence", SEQUENCE[obligation.state])
    item.add("summary", f"【{state}】{label} · {cluster.name}" if lang == "zh" else f"[{state}] {label} · {cluster.name}")
    item.add("dtstart", obligation.due)
    item.add("dtend", obligation.due + dt.timedelta(days=1))
    item.add("transp", "TRANSPARENT")
    item.add("description", "\n".join(lines))
    item.add("categories", [cluster.regime, term(obligation.kind, lang)])
    if obligation.state == "pending":   # an overdue one is past its alarms
        for days in lead_days:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{label} · {cluster.name}")
            alarm.add("trigger", dt.timedelta(days=-days))
            item.add_component(alarm)
    return item


def events(items: Iterable[Evaluated], now: dt.datetime, settings: Settings) -> Iterator[Event]:
    """An event for each dated obligation the overview lists."""
    for facts, verdict in items:
        for obligation in verdict.obligations:
            if obligation.due is not None:
                yield event(facts.cluster, obligation, now, settings.lead_days_for(obligation.kind),
                            settings.language)


def write_calendar(out: BinaryIO, items: Iterable[Evaluated], now: dt.datetime, settings: Settings) -> int:
    """Write the calendar to ``out``; the number of events."""
    out.write(_header(settings.language, settings.timezone))
    count = 0
    for item in events(items, now, settings):
        out.write(item.to_ical())
        count += 1
    out.write(b"END:VCALENDAR\r\n")
    return count


def write_calendar_file(path: Path, items: Iterable[Evaluated], now: dt.datetime, settings: Settings) -> int:
    """Replace ``path`` whole (a subscriber never reads half a file); the number of events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_whole(path, lambda out: write_calendar(out, items, now, settings))
