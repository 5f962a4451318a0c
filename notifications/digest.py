"""One recipient's digest: the items grouped as RULES.md says, rendered by Jinja2 as text and HTML in one e-mail.

Nothing from the roster reaches a header: the subject holds only a count and a date, and the recipient is an
address checked at import. In the HTML part every value is escaped (autoescape).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.facts import Cluster
from monitor.rules.verdict import Alert, Obligation, Verdict
from monitor.views.words import calendar_note, digest_words, obligation_label, term, warning_message

#: RULES.md: "revocation warnings first, then overdue, due within 7 days, due within 30 days"; then the
#: 60-day lead reminders and the warnings that are neither
GROUPS = ("revocation", "overdue", "week", "month", "later", "other")

#: items listed per group; the rest are counted (an administrator's digest covers the whole roster)
MAX_PER_GROUP = 50


@dataclass(frozen=True, slots=True)
class Item:
    group: str
    cluster_id: str
    cluster_name: str
    what: str
    due: dt.date | None
    days_left: int | None
    basis: str
    severity: str | None
    late: bool
    note: str | None = None


def obligation_item(cluster: Cluster, obligation: Obligation, verdict: Verdict, late: bool, lang: str) -> Item:
    """An open obligation, carrying the warning about it (an overdue report under a revocation rule, say)."""
    warning = next((w for w in verdict.warnings if w.obligation == obligation.key), None)
    days = obligation.days_left if obligation.days_left is not None else 1 << 30
    if warning is not None and warning.severity == "revocation":
        group = "revocation"
    elif obligation.state == "overdue":
        group = "overdue"
    else:
        group = "week" if days <= 7 else "month" if days <= 30 else "later"
    what = obligation_label(obligation, lang) if warning is None else warning_message(warning, lang)
    basis = warning.basis if warning is not None else obligation.basis
    return Item(group, cluster.id, cluster.name, what, obligation.due, obligation.days_left, basis,
                warning.severity if warning is not None else None, late, calendar_note(obligation, lang))


def warning_item(cluster: Cluster, warning: Alert, late: bool, lang: str) -> Item:
    group = "revocation" if warning.severity == "revocation" else "other"
    return Item(group, cluster.id, cluster.name, warning_message(warning, lang), warning.due, None, warning.basis,
                warning.severity, late, calendar_note(warning, lang))


def _order(item: Item) -> tuple[int, int, str, str]:
    days = item.days_left if item.days_left is not None else -(1 << 30)
    return GROUPS.index(item.group), days, item.cluster_id, item.what


class Digest:
    """One recipient's items. Keeps at most what it will show (MAX_PER_GROUP a group, the most urgent) and counts
    the rest, so an administrator's digest over a whole roster stays small in memory."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.hidden: dict[str, int] = dict.fromkeys(GROUPS, 0)
        self.late = False

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.late = self.late or item.late
        if len(self.items) > 4 * MAX_PER_GROUP * len(GROUPS):
            self._compact()

    def _compact(self) -> None:
        kept: list[Item] = []
        for item in sorted(self.items, key=_order):
            if sum(1 for k in kept if k.group == item.group) < MAX_PER_GROUP:
                kept.append(item)
            else:
                self.hidden[item.group] += 1
        self.items = kept

    def __len__(self) -> int:
        return len(self.items) + sum(self.hidden.values())


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("notifications", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(digest: Digest, day: dt.date, lang: str) -> tuple[str, str, str]:
    """The subject, the text part and the HTML part."""
    ordered = sorted(digest.items, key=_order)
    words = digest_words(lang)
    groups = []
    for group in GROUPS:
        members = [item for item in ordered if item.group == group]
        more = len(members) - MAX_PER_GROUP + digest.hidden[group]
        if members:
            groups.append({"name": group, "title": words[group], "items": members[:MAX_PER_GROUP], "more": more})
    context = {"day": day.isoformat(), "words": words, "groups": groups, "late": digest.late,
               "severity": lambda s: term(s, lang) if s else "",
               "days": lambda i: _days(i, words), "detail": lambda i: _detail(i, words, lang)}
    subject = words["subject_late" if digest.late else "subject"].format(count=len(digest), day=day.isoformat())
    env = _environment()
    return subject, env.get_template("digest.txt").render(context), env.get_template("digest.html").render(context)


def _detail(item: Item, words: dict[str, str], lang: str) -> str:
    """The text part's second line: due day, days left, article, severity, late."""
    parts = []
    if item.due is not None:
        parts.append(f"{words['due']} {item.due}")
    if item.days_left is not None:
        parts.append(_days(item, words) if item.days_left < 0 else f"{words['days_left']} {item.days_left}")
    parts.append(f"{words['basis']} {item.basis}")
    if item.severity:
        parts.append(term(item.severity, lang))
    if item.late:
        parts.append(words["late"])
    return " · ".join(parts)


def _days(item: Item, words: dict[str, str]) -> str:
    if item.days_left is None:
        return ""
    if item.days_left < 0:
        return words["overdue_by"].format(days=-item.days_left)
    return str(item.days_left)


def build_message(sender: str, recipient: str, digest: Digest, day: dt.date, lang: str,
                  now: dt.datetime) -> EmailMessage:
    """The whole e-mail, with a fresh Message-ID (kept with the message in the ledger for any resend)."""
    subject, text, html = render(digest, day, lang)
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=day.strftime("%Y%m%d"), domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
