"""Who may see and do what, from an account's role and regions. Pure: the query layer (db.queries.Scope.regions,
db.fact_queries.cluster) applies ``Account.regions``; the doors ask ``can_record`` and ``can_manage``.

- ``admin``: sees and does everything, the accounts included.
- ``bureau``: sees and records only the clusters of its regions (the roster's ``region``).
- ``viewer``: reads everything, records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    BUREAU = "bureau"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    role: Role
    covers: tuple[str, ...] = ()    # a bureau account's regions

    @property
    def regions(self) -> tuple[str, ...] | None:
        """The regions whose clusters this account sees; None: all of them."""
        return self.covers if self.role is Role.BUREAU else None

    @property
    def can_record(self) -> bool:
        return self.role in (Role.ADMIN, Role.BUREAU)

    @property
    def can_manage(self) -> bool:
        return self.role is Role.ADMIN
