"""One recipient's digest: the items grouped as docs/rules.md says, rendered by Jinja2 as text and HTML in one e-mail
(and, by notifications/posts.py, as a group chat's message).

Nothing from the roster reaches a header: the subject holds only a count and a date, and the recipient is an
address checked at import. In the HTML part every value is escaped (autoescape). The HTML is one table for all
groups (one width), with due days and day counts that never wrap; each cluster links to its console page when
``web.base_url`` is set, and the footer tells a bureau or an operator what to do and whom to ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.facts import Cluster
from monitor.rules.verdict import Alert, Obligation, Verdict
from monitor.views.words import calendar_note, cited, digest_words, obligation_label, term, warning_message

if TYPE_CHECKING:
    from monitor.config import Settings

#: docs/rules.md: "grounds for revocation first, then overdue, due within 7 days, due within 30 days"; then the
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


@dataclass(frozen=True, slots=True)
class Letterhead:
    """Who sends digests and what their footer says, from config.toml."""
    sender: str
    sender_name: str = ""
    reply_to: str = ""
    base_url: str = ""          # the web console; empty: no links
    contact: str = ""
    department: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Letterhead:
        smtp = settings.smtp
        return cls(smtp.sender, smtp.sender_name, smtp.reply_to, settings.base_url, settings.digest_contact,
                   settings.department)

    def link(self, cluster_id: str) -> str | None:
        """The cluster's page in the console, if the console's address is known."""
        return f"{self.base_url}/clusters/{quote(cluster_id, safe='')}" if self.base_url else None


def obligation_item(cluster: Cluster, obligation: Obligation, verdict: Verdict, late: bool, lang: str,
                    policy: str | None = None) -> Item:
    """An open obligation, carrying the warning about it (an overdue report under a revocation rule, say). The
    article is cited with its ``policy``'s title."""
    warning = next((w for w in verdict.warnings if w.obligation == obligation.key), None)
    days = obligation.days_left if obligation.days_left is not None else 1 << 30
    if warning is not None and warning.severity == "revocation":
        group = "revocation"
    elif obligation.state == "overdue":
        group = "overdue"
    else:
        group = "week" if days <= 7 else "month" if days <= 30 else "later"
    what = obligation_label(obligation, lang) if warning is None else warning_message(warning, lang)
    basis = cited(policy, warning.basis if warning is not None else obligation.basis)
    return Item(group, cluster.id, cluster.name, what, obligation.due, obligation.days_left, basis,
                warning.severity if warning is not None else None, late, calendar_note(obligation, lang))


def warning_item(cluster: Cluster, warning: Alert, late: bool, lang: str, policy: str | None = None) -> Item:
    group = "revocation" if warning.severity == "revocation" else "other"
    return Item(group, cluster.id, cluster.name, warning_message(warning, lang), warning.due, None,
                cited(policy, warning.basis),
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


#: what a chat's markdown would read as markup in a name or a text from the roster, and its plain stand-in
_MARKUP = str.maketrans({"[": "［", "]": "］", "*": "＊", "_": "＿", "`": "｀", "<": "＜", ">": "＞", "#": "＃",
                         "\\": "＼", "~": "～", "|": "｜"})


def markdown_text(value: object) -> str:
    """A value shown as itself in a chat's markdown: markup characters become their full-width forms."""
    return str(value).translate(_MARKUP)


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("notifications", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = markdown_text
    return env


#: who reads a digest: ``staff`` (an administrator or a bureau, who have console accounts) or ``operator`` (a
#: cluster's operating body: no account, so no console links, and plain words on what to do and by when)
READERS = ("staff", "operator")


def reader_words(lang: str, reader: str = "staff") -> dict[str, str]:
    """The digest's words for this reader: an operator's headings and greeting say what to do, in plain words."""
    words = digest_words(lang)
    if reader != "operator":
        return words
    return {**words, **{key.removeprefix("operator_"): value for key, value in words.items()
                        if key.startswith("operator_")}}


def groups(digest: Digest, lang: str, shown: int = MAX_PER_GROUP, reader: str = "staff") -> list[dict[str, Any]]:
    """The digest's groups in docs/rules.md's order: name, title, items (at most ``shown``, most urgent first), more
    (how many are counted, not shown) and count (all of them)."""
    ordered = sorted(digest.items, key=_order)
    words = reader_words(lang, reader)
    found = []
    for group in GROUPS:
        members = [item for item in ordered if item.group == group]
        if members:
            found.append({"name": group, "title": words[group], "items": members[:shown],
                          "more": len(members) - min(shown, len(members)) + digest.hidden[group],
                          "count": len(members) + digest.hidden[group]})
    return found


def subject(digest: Digest, day: dt.date, lang: str) -> str:
    words = digest_words(lang)
    return words["subject_late" if digest.late else "subject"].format(count=len(digest), day=day.isoformat())


def context(digest: Digest, day: dt.date, lang: str, letterhead: Letterhead, shown: int = MAX_PER_GROUP,
            reference: str = "", reader: str = "staff") -> dict[str, Any]:
    """What every rendering of a digest (text, HTML, a chat's markdown) is made from. An operator's (``reader``)
    links nowhere: operators have no console account."""
    words = reader_words(lang, reader)
    if reader == "operator":
        letterhead = replace(letterhead, base_url="")
    footer = [words["footer"]]
    if letterhead.contact:
        footer.append(words["footer_contact"].format(contact=letterhead.contact))
    if letterhead.base_url:
        footer.append(words["footer_console"].format(url=letterhead.base_url))
    footer.append(words["footer_auto"].format(sender=letterhead.department or letterhead.sender_name
                                              or letterhead.sender))
    if reference:
        footer.append(f"{words['reference']} {reference}")

    def more(count: int) -> str:
        if letterhead.base_url:
            return words["more_console"].format(count=count, url=letterhead.base_url)
        return words["more"].format(count=count)

    return {"lang": "zh-CN" if lang == "zh" else "en", "colon": "：" if lang == "zh" else ": ",
            "day": day.isoformat(), "words": words, "groups": groups(digest, lang, shown, reader), "late": digest.late,
            "subject": subject(digest, day, lang), "footer": footer, "more": more,
            "link": letterhead.link, "department": letterhead.department,
            "severity": lambda s: term(s, lang) if s else "",
            "days": lambda i: _days(i, words), "detail": lambda i: _detail(i, words, lang)}


def render(digest: Digest, day: dt.date, lang: str, letterhead: Letterhead,
           reader: str = "staff") -> tuple[str, str, str]:
    """The subject, the text part and the HTML part."""
    values = context(digest, day, lang, letterhead, reader=reader)
    env = environment()
    return (values["subject"], env.get_template("digest.txt").render(values),
            env.get_template("digest.html").render(values))


def _detail(item: Item, words: dict[str, str], lang: str) -> str:
    """The text part's second line: due day, days left, article, severity, late."""
    parts = []
    if item.due is not None:
        parts.append(f"{words['due']} {item.due}")
    if item.days_left is not None:
        parts.append(_days(item, words))
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
    return words["left_by"].format(days=item.days_left)


def build_message(letterhead: Letterhead, recipient: str, digest: Digest, day: dt.date, lang: str,
                  now: dt.datetime, reader: str = "staff") -> EmailMessage:
    """The whole e-mail, with a fresh Message-ID (kept with the message in the ledger for any resend)."""
    title, text, html = render(digest, day, lang, letterhead, reader)
    sender = letterhead.sender
    message = EmailMessage(policy=SMTP)
    message["Subject"] = title
    local, _, domain = sender.rpartition("@")
    message["From"] = Address(letterhead.sender_name, local, domain) if letterhead.sender_name else sender
    message["To"] = recipient
    if letterhead.reply_to:
        message["Reply-To"] = letterhead.reply_to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=day.strftime("%Y%m%d"), domain=domain or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
