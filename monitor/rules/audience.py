"""Who is mailed (docs/rules.md, "Who is mailed"): the roles enabled in config.toml, and whether a round's
recipient set grew since the last round sent. Pure: the roster's addresses and the config are plain values.

The administrators (``general.administrators``) are always mailed. A bureau or an operator is mailed only when
``[digest] roles`` names its role, and, when ``[digest] regions`` names regions for that role, only about the
clusters of those regions. A recipient set is the (role, region) pairs the config and the roster make mailable,
and how many addresses; it grew when a pair appears that the last round sent did not have, or when it has at
least ``grown_share`` more addresses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

#: the roles whose addresses a cluster carries, and the role that needs none (general.administrators)
CLUSTER_ROLES = ("bureau", "operator")
ADMINISTRATOR = "administrator"


class Choice(NamedTuple):
    """Who config.toml says is mailed besides the administrators."""
    roles: tuple[str, ...]
    regions: Mapping[str, tuple[str, ...]]

    def mails(self, role: str, region: str | None) -> bool:
        """Whether ``role`` is mailed about a cluster of ``region``."""
        if role not in self.roles:
            return False
        limited = self.regions.get(role)
        return not limited or (region or "") in limited


def addressed_roles(roles: Sequence[str], region: str | None, choice: Choice) -> tuple[str, ...]:
    """Of the roles a reminder notifies, those mailed about a cluster of ``region``."""
    return tuple(role for role in roles if role in CLUSTER_ROLES and choice.mails(role, region))


class Addresses(NamedTuple):
    """A cluster's region and its roles' addresses (``;``-separated, as the roster stores them)."""
    region: str | None
    bureau: str | None
    operator: str | None


def split(addresses: str | None) -> list[str]:
    return [a.strip().lower() for a in (addresses or "").split(";") if a.strip()]


@dataclass(frozen=True, slots=True)
class Audience:
    """A recipient set: the (role, region) pairs mailed, and how many addresses besides the administrators."""
    pairs: frozenset[tuple[str, str]]
    addresses: int

    def to_json(self) -> str:
        return json.dumps({"pairs": sorted(self.pairs), "addresses": self.addresses}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text)
        return cls(frozenset((role, region) for role, region in data["pairs"]), int(data["addresses"]))

    def grown_from(self, before: Audience | None, share: float) -> str | None:
        """Why this set grew since ``before`` (the last round sent; none: only the administrators were), or None.
        One line, in English; words.toml has no part in it as it is stored (the console shows its parts)."""
        before = before or Audience(frozenset(), 0)
        new = sorted(self.pairs - before.pairs)
        if new:
            return "newly mailed: " + ", ".join(f"{role} {region or '-'}" for role, region in new)
        if self.addresses > before.addresses and self.addresses >= before.addresses * (1 + share):
            return f"addresses: {before.addresses} -> {self.addresses}"
        return None


def audience(clusters: Iterable[Addresses], choice: Choice, administrators: Sequence[str]) -> Audience:
    """The recipient set the roster and config make: every address of an enabled role (in its regions), the
    administrators' own addresses left out (they are always mailed)."""
    admins = {a.strip().lower() for a in administrators}
    pairs: set[tuple[str, str]] = set()
    found: set[str] = set()
    for cluster in clusters:
        for role, given in (("bureau", cluster.bureau), ("operator", cluster.operator)):
            addresses = [a for a in split(given) if a not in admins]
            if addresses and choice.mails(role, cluster.region):
                pairs.add((role, cluster.region or ""))
                found.update(addresses)
    return Audience(frozenset(pairs), len(found))
