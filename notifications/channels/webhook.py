"""A webhook: the digest as JSON, POSTed to a system of the department's own.

The body is the digest itself (``reference``, ``day``, ``subject``, ``late``, ``count``, ``department`` and
``groups`` of ``items``), at most 1 MiB, 60 a minute. Every post has an ``Idempotency-Key`` header (the
message's id), so a receiver can drop a repeat; with a signing secret, ``X-Monitor-Signature: sha256=HEX``, the
HMAC-SHA256 of the exact body. Any 2xx is taken; a 4xx (a bad signature, say) is a refusal for good.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from notifications.channels.channel import Channel, Request, compact
from notifications.sender import Ready


def webhook_signature(secret: str, body: bytes) -> str:
    """The ``X-Monitor-Signature`` header: the hex HMAC-SHA256 of the body keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(Channel):
    kind = "webhook"
    max_bytes = 1 << 20
    per_minute = 60

    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        body = compact({
            "reference": reference, "day": values["day"], "subject": values["subject"], "late": values["late"],
            "count": count, "department": values["department"] or None,
            "groups": [{
                "name": group["name"], "title": group["title"], "count": group["count"],
                "not_listed": group["more"],
                "items": [{
                    "cluster_id": item.cluster_id, "cluster_name": item.cluster_name, "what": item.what,
                    "due": item.due.isoformat() if item.due else None, "days_left": item.days_left,
                    "basis": item.basis, "severity": item.severity, "late": item.late, "note": item.note,
                    "url": values["link"](item.cluster_id)} for item in group["items"]]}
                for group in values["groups"]],
        })
        return body, len(body)

    def sign(self, request: Request, message: Ready, secret: str | None) -> Request:
        headers = {**request.headers, "Idempotency-Key": message.id}
        if secret:
            headers["X-Monitor-Signature"] = webhook_signature(secret, request.body)
        return request._replace(headers=headers)
