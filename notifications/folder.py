"""A drill database's Sender: every message is written to the drill's folder and never leaves it.

``monitor drill DIR`` marks its copy of the database with that folder (jobs/drill.py); a daemon, ``monitor digest
--send`` or the console on that copy are given this sender instead of the SMTP server and the chat robots. Each
message is one file, ``NNNN-RECIPIENT.eml`` (an e-mail, as it would be sent) or ``.json`` (a chat post's body),
and is reported sent, so the drill's ledger moves as the real one would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from monitor.rules.routes import is_channel
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Outcomes, Ready


class FolderSender:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def halted(self) -> bool:
        return False

    def _next_number(self) -> int:
        return 1 + max((int(p.name[:4]) for p in self.folder.glob("[0-9][0-9][0-9][0-9]-*")), default=0)

    def send(self, messages: Sequence[Ready]) -> Outcomes:
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in messages:
            kind = "json" if is_channel(message.recipient) else "eml"
            name = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipient)
            path = self.folder / f"{self._next_number():04d}-{name}.{kind}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(message.raw)
            yield message, Outcome(MessageState.SENT)
