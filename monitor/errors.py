"""Every error monitor raises on purpose.

    MonitorError                 base: the CLI prints its message on one line and exits with status 2
    ├── ConfigError              config.toml is wrong (names the file and the key)
    ├── PackError                a regime pack is wrong (names the file and the key)
    ├── InputError               a command-line value or a recorded fact is wrong
    │   ├── UnknownClusterError  no cluster has that id
    │   ├── ArchivedClusterError the cluster is archived (and the command was not asked to include those)
    │   └── ConflictError        the fact contradicts one already recorded
    └── ImportError_             a roster file has bad rows (all of them are listed)

Every message is a ``Said``: an English template and its values, kept apart until it is shown, so the command
line and the console can say it in the configured language (``monitor.views.words.say`` looks the template up
in words.toml's ``[said]`` table; ``str()`` gives the English). tests/test_language.py fails on a template
without its Chinese, and on a message built with an f-string.

Anything else is a bug and keeps its traceback. Conditions the program handles itself are not here: a round
that another daemon raced (jobs.compose.ConcurrentRound) is rolled back and retried at the next tick, and a
message the server refuses is recorded as failed in the ledger.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from typing import Any, Self


class Said:
    """A sentence to say: an English ``str.format`` template and its values. A value may be a Said itself."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params: Mapping[str, Any] = params

    def __str__(self) -> str:
        return self.template.format(**{k: str(v) if isinstance(v, Said) else v for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"Said({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Said) and (self.template, dict(self.params)) == (other.template, dict(other.params))

    def __hash__(self) -> int:
        return hash(self.template)

    def with_params(self, **params: Any) -> Said:
        return Said(self.template, **{**self.params, **params})


class Key(str):
    """A dotted key of a file (``smtp.port``, ``channels[0].name``): said in English as it is, in Chinese as its
    word with the key beside it (``SMTP 端口（smtp.port）``), from words.toml's ``[keys.<vocabulary>]``."""

    vocabulary: str

    def __new__(cls, text: str, vocabulary: str) -> Self:
        made = super().__new__(cls, text)
        made.vocabulary = vocabulary
        return made


#: what the system says of a file it cannot open, by errno: said in the user's language (the rest as it says it)
_OS_REASONS = {errno.ENOENT: "no such file", errno.EACCES: "permission denied", errno.EISDIR: "it is a directory",
               errno.ENOTDIR: "a folder on its path is a file", errno.EPERM: "permission denied"}


def os_reason(exc: OSError) -> Said:
    """Why a file could not be read, as a Said: "no such file" (没有这个文件), or the system's own words."""
    known = _OS_REASONS.get(exc.errno or 0)
    return Said(known) if known else Said("{problem}", problem=exc.strerror or str(exc))


def said(message: str | Said, /, **params: Any) -> Said:
    """A Said from a template and values, or the Said given."""
    return message if isinstance(message, Said) else Said(message, **params)


class Saying:
    """An exception whose message is a Said: ``raise InputError("{day} is in the future", day=day)``."""

    said: Said

    def _say(self, message: str | Said, params: Mapping[str, Any]) -> str:
        self.said = said(message, **params)
        return str(self.said)


def said_of(exc: BaseException) -> Said:
    """What an exception says: its Said, or its text as it is."""
    return exc.said if isinstance(exc, Saying) else Said("{problem}", problem=str(exc))


class MonitorError(Saying, Exception):
    """Base of the errors that are the user's to fix."""

    def __init__(self, message: str | Said = "", /, **params: Any) -> None:
        super().__init__(self._say(message, params))


class BadValue(Saying, ValueError):
    """A typed value that is wrong (a date, a year, a word): a ValueError that says why in either language."""

    def __init__(self, message: str | Said, /, **params: Any) -> None:
        super().__init__(self._say(message, params))


class ConfigError(MonitorError):
    pass


class PackError(MonitorError):
    pass


class InputError(MonitorError):
    pass


class UnknownClusterError(InputError):
    """No cluster has the id; ``suggestion``: the nearest one that does (monitor.rules.near), when one is close."""

    def __init__(self, cluster_id: str, suggestion: str | None = None) -> None:
        super().__init__("unknown cluster {cluster!r}; did you mean {suggestion}?" if suggestion else
                         "unknown cluster {cluster!r}: `monitor status` lists the known ones", cluster=cluster_id,
                         suggestion=suggestion)
        self.cluster_id = cluster_id


class ArchivedClusterError(InputError):
    def __init__(self, cluster_id: str) -> None:
        super().__init__("cluster {cluster!r} is archived: add --include-archived, or "
                         "`monitor roster unarchive {cluster} --reason …`", cluster=cluster_id)
        self.cluster_id = cluster_id


class ConflictError(InputError):
    pass


#: what a refused file says, by (one bad row?, one problem a row?)
_BAD_ROWS = {(True, True): "{source}: {rows} bad row, nothing imported",
             (False, True): "{source}: {rows} bad rows, nothing imported",
             (True, False): "{source}: {rows} bad row ({count} problems), nothing imported",
             (False, False): "{source}: {rows} bad rows ({count} problems), nothing imported"}


class ImportError_(MonitorError):
    """A file had bad rows; ``problems`` holds one line per problem, each naming its row ("…: line 7: …")."""

    def __init__(self, source: object, problems: list[Said]) -> None:
        self.source = source
        self.problems = problems
        rows = len({found[1] for p in problems if (found := re.search(r": line (\d+): ", str(p)))}) or len(problems)
        super().__init__(_BAD_ROWS[rows == 1, rows == len(problems)], source=source, rows=rows, count=len(problems))
