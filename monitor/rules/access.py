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


def sees(role: str, covers: tuple[str, ...], region: str | None) -> bool:
    """Whether an account of ``role`` whose regions are ``covers`` sees the clusters of ``region``: a bureau
    account its own regions' only (a cluster without a region: none of them), every other account all."""
    return role != Role.BUREAU or (region or "") in covers


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

    def sees(self, region: str | None) -> bool:
        """Whether this account sees the clusters of ``region``."""
        return sees(self.role, self.covers, region)

    @property
    def can_record(self) -> bool:
        return self.role in (Role.ADMIN, Role.BUREAU)

    @property
    def can_manage(self) -> bool:
        return self.role is Role.ADMIN
