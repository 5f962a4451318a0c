"""A digest as a group chat's message: the JSON body each service takes, within the size the service allows.

WeCom's group robot takes markdown of at most 4,096 bytes; DingTalk's robot markdown with a title; Feishu's
bot an interactive card whose markdown element holds the text (the whole body at most 20 KB); a plain webhook
gets the digest itself as JSON. When the whole digest does not fit, fewer items are listed per group and the
rest are counted, with a link to the web console when ``web.base_url`` is set: a chat message is a summary,
the console and the e-mail hold the detail.

The body is stored in the ledger as it is built here; only the signature (a timestamp, for DingTalk and Feishu)
is added when it is posted (notifications/channels.py). Each message carries its reference, so a repeat after
a crash is recognisable as the same message.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from monitor.config import ChannelSettings
from notifications.digest import MAX_PER_GROUP, Digest, Letterhead, context, environment


def channel_post(channel: ChannelSettings, digest: Digest, day: dt.date, lang: str, letterhead: Letterhead,
                 reference: str) -> bytes:
    """The body to POST to ``channel``: the most items per group (at most MAX_PER_GROUP) that fit its limit."""
    def body(shown: int) -> tuple[bytes, int]:
        return _body(channel, context(digest, day, lang, letterhead, shown, reference), len(digest), reference)

    best, size = body(MAX_PER_GROUP)
    if size <= channel.size_limit:
        return best
    low, high = 0, MAX_PER_GROUP
    best, _ = body(0)
    while low < high - 1:          # the most items that fit: the size grows with the count
        middle = (low + high) // 2
        candidate, size = body(middle)
        if size <= channel.size_limit:
            low, best = middle, candidate
        else:
            high = middle
    return best


def _body(channel: ChannelSettings, values: dict[str, Any], count: int, reference: str) -> tuple[bytes, int]:
    """The body, made from the digest's rendering ``values``, and its size as the service counts it (WeCom: the
    markdown content; others: the body)."""
    if channel.type == "webhook":
        body = _json(_webhook(values, count, reference))
        return body, len(body)
    text = environment().get_template("digest.md").render(values).strip()
    title: str = values["subject"]
    payload: dict[str, Any]
    if channel.type == "wecom":
        return _json({"msgtype": "markdown", "markdown": {"content": text}}), len(text.encode())
    if channel.type == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    else:
        payload = {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": title}},
            "elements": [{"tag": "markdown", "content": text}]}}
    body = _json(payload)
    return body, len(body)


def _webhook(values: dict[str, Any], count: int, reference: str) -> dict[str, Any]:
    return {
        "reference": reference, "day": values["day"], "subject": values["subject"], "late": values["late"],
        "count": count, "department": values["department"] or None,
        "groups": [{
            "name": group["name"], "title": group["title"], "count": group["count"], "not_listed": group["more"],
            "items": [{
                "cluster_id": item.cluster_id, "cluster_name": item.cluster_name, "what": item.what,
                "due": item.due.isoformat() if item.due else None, "days_left": item.days_left,
                "basis": item.basis, "severity": item.severity, "late": item.late, "note": item.note,
                "url": values["link"](item.cluster_id)} for item in group["items"]]}
            for group in values["groups"]],
    }


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
