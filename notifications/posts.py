"""A digest as a group chat's message: the body its channel's kind builds, within the size the service allows.

Each kind builds its own body (notifications/channels/<kind>.py: WeCom's markdown, DingTalk's markdown with a
title, Feishu's interactive card, a webhook's JSON) and says how its service measures it. When the whole digest
does not fit, fewer items are listed per group and the rest are counted, with a link to the web console when
``web.base_url`` is set: a chat message is a summary, the console and the e-mail hold the detail.

The body is stored in the ledger as it is built here; only the signature (a timestamp, for DingTalk and Feishu)
is added when it is posted (``Channel.sign``). Each message carries its reference, so a repeat after a crash is
recognisable as the same message.
"""

from __future__ import annotations

import datetime as dt

from monitor.config import ChannelSettings
from notifications.channels import channel_for
from notifications.digest import MAX_PER_GROUP, Digest, Letterhead, context


def channel_post(channel: ChannelSettings, digest: Digest, day: dt.date, lang: str, letterhead: Letterhead,
                 reference: str, to: str = "") -> bytes:
    """The body to POST to ``channel``: the most items per group (at most MAX_PER_GROUP) that fit its limit.
    ``to``: the person a personal channel writes to (their id on its service)."""
    kind = channel_for(channel)

    def body(shown: int) -> tuple[bytes, int]:
        return kind.body(context(digest, day, lang, letterhead, shown, reference), len(digest), reference, to)

    best, size = body(MAX_PER_GROUP)
    if size <= kind.size_limit:
        return best
    low, high = 0, MAX_PER_GROUP
    best, _ = body(0)
    while low < high - 1:          # the most items that fit: the size grows with the count
        middle = (low + high) // 2
        candidate, size = body(middle)
        if size <= kind.size_limit:
            low, best = middle, candidate
        else:
            high = middle
    return best


def test_post(channel: ChannelSettings, day: dt.date, lang: str, letterhead: Letterhead, reference: str,
              subject: str, text: str, to: str = "") -> bytes:
    """A test message's body for ``channel``, built by its kind as a digest is (the subject and a line of text,
    no items, the reference in the footer), so that it tests what a digest will meet: the address, the
    signature, the service's answer."""
    kind = channel_for(channel)
    values = context(Digest(), day, lang, letterhead, 0, reference)
    values = {**values, "subject": subject, "words": {**values["words"], "greeting": text.replace("{", "{{")
                                                      .replace("}", "}}")},
              "footer": [f"{values['words']['reference']} {reference}"]}
    body, _ = kind.body(values, 0, reference, to)
    return body
