"""A group-chat robot (WeCom, DingTalk, Feishu): a digest as markdown, and an answer read by its ``errcode``.

The robots answer HTTP 200 whether or not they took the message; the JSON answer says which: a code 0 is
taken, one of the kind's ``rate_limited`` codes means "too many messages, try later", any other code is a
refusal for good (a wrong key, a bad signature, a message too long), recorded with the service's words. An
answer without a code is treated as temporary: the service is not behaving as documented, so it is tried again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from notifications.channels.channel import Channel, said_by
from notifications.digest import environment
from notifications.sender import TransportError


class Robot(Channel):
    """What the robots share; each kind names where its answer keeps the code and the words, and which codes
    are its rate limits."""

    code_keys: ClassVar[tuple[str, ...]] = ("errcode",)     # where the answer's code is, first found wins
    reason_keys: ClassVar[tuple[str, ...]] = ("errmsg",)    # where its words are
    rate_limited: ClassVar[frozenset[int]] = frozenset()    # the codes that mean "too many messages"

    @staticmethod
    def markdown(values: Mapping[str, Any]) -> str:
        """The digest as the robots' markdown (templates/digest.md): groups, linked clusters, the footer."""
        return environment().get_template("digest.md").render(values).strip()

    def raise_for_body(self, answer: httpx.Response) -> None:
        try:
            found = answer.json()
            code = int(next(found[key] for key in self.code_keys if key in found))
        except (ValueError, TypeError, AttributeError, KeyError, StopIteration):
            raise TransportError(f"channel {self.name}: an answer without an errcode: {said_by(answer)}") from None
        if code == 0:
            return
        reason = next((found[key] for key in self.reason_keys if found.get(key)), "")
        raise TransportError(f"channel {self.name}: errcode {code} {reason}".rstrip(),
                             permanent=code not in self.rate_limited)
