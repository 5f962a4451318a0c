"""Every error monitor raises on purpose.

    MonitorError                 base: the CLI prints its message on one line and exits with status 2
    ├── ConfigError              config.toml is wrong (names the file and the key)
    ├── PackError                a regime pack is wrong (names the file and the key)
    ├── InputError               a command-line value or a recorded fact is wrong
    │   ├── UnknownClusterError  no cluster has that id
    │   ├── ArchivedClusterError the cluster is archived (and the command was not asked to include those)
    │   └── ConflictError        the fact contradicts one already recorded
    └── ImportError_             a roster file has bad rows (all of them are listed)

Anything else is a bug and keeps its traceback. Conditions the program handles itself are not here: a round
that another daemon raced (jobs.compose.ConcurrentRound) is rolled back and retried at the next tick, and a
message the server refuses is recorded as failed in the ledger.
"""

from __future__ import annotations

import re


class MonitorError(Exception):
    """Base of the errors that are the user's to fix."""


class ConfigError(MonitorError):
    pass


class PackError(MonitorError):
    pass


class InputError(MonitorError):
    pass


class UnknownClusterError(InputError):
    def __init__(self, cluster_id: str) -> None:
        super().__init__(f"unknown cluster {cluster_id!r}: `monitor status` lists the known ones")
        self.cluster_id = cluster_id


class ArchivedClusterError(InputError):
    def __init__(self, cluster_id: str) -> None:
        super().__init__(f"cluster {cluster_id!r} is archived: add --include-archived, or "
                         f"`monitor roster unarchive {cluster_id} --reason …`")
        self.cluster_id = cluster_id


class ConflictError(InputError):
    pass


class ImportError_(MonitorError):
    """A file had bad rows; ``problems`` holds one line per problem, each naming its row ("…: line 7: …")."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        rows = len({found[1] for p in problems if (found := re.search(r": line (\d+): ", p))}) or len(problems)
        extra = f" ({len(problems)} problems)" if len(problems) != rows else ""
        super().__init__(f"{source}: {rows} bad row{'s' if rows != 1 else ''}{extra}, nothing imported")
