"""Who is mailed (docs/rules.md, "Who is mailed"): the roles enabled in config.toml, the accounts whose profile
asks for the digest, and whether a round's recipient set grew since the last round sent. Pure: the roster's
addresses, the accounts and the config are plain values.

The administrators (``general.administrators``) are always mailed. A bureau or an operator is mailed only when
``[digest] roles`` names its role, and, when ``[digest] regions`` names regions for that role, only about the
clusters of those regions. An account (a console user) is mailed when it is enabled, has an e-mail address and its
profile ticks the digest (``Subscriber``), about the clusters it sees (monitor/rules/access.py: an admin or a
viewer all of them, a bureau account its regions'). The profile governs only the mail that comes because of the
account: an address that is also an administrator's or a roster address is mailed for that reason whatever the
profile says. A recipient set is the (role, region) pairs the config, the roster and the accounts make mailable
(an account's role is ``account NAME <ADDRESS>``), and how many addresses; it grew when a pair appears that the
last round sent did not have, or when it has at least ``grown_share`` more addresses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from monitor.rules.access import Account

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


class Subscriber(NamedTuple):
    """An enabled account with an e-mail address whose profile asks for the digest, and what it sees."""
    account: Account
    address: str        # lower-cased

    def covers(self, region: str | None) -> bool:
        """Whether this account sees (and is mailed about) a cluster of ``region``."""
        return self.account.sees(region)

    @property
    def role(self) -> str:
        """Its part of a recipient set: the account and its address (a new address is a new recipient)."""
        return f"account {self.account.name} <{self.address}>"


def subscriber(account: Account, email: str, disabled: bool, wants_digest: bool) -> Subscriber | None:
    """The account as a digest's recipient; None when it is disabled, has no address or does not want it."""
    address = email.strip().lower()
    if disabled or not address or not wants_digest:
        return None
    return Subscriber(account, address)


@dataclass(frozen=True, slots=True)
class Mailable:
    """Who may be mailed about a cluster now: the administrators, the cluster's own roster addresses (the scan chose
    among them by role when it recorded the reminder), and the subscribers that see the cluster."""
    administrators: frozenset[str]
    subscribers: tuple[Subscriber, ...] = ()

    @classmethod
    def of(cls, administrators: Iterable[str], subscribers: Iterable[Subscriber] = ()) -> Mailable:
        return cls(frozenset(a.strip().lower() for a in administrators if a.strip()), tuple(subscribers))

    def accounts(self, region: str | None) -> list[str]:
        """The subscribers' addresses mailed about a cluster of ``region``, each once, in a stable order."""
        return list(dict.fromkeys(s.address for s in self.subscribers if s.covers(region)))

    def keeps(self, recipient: str, region: str | None, roster: Iterable[str]) -> bool:
        """Whether a reminder recorded for ``recipient`` (an e-mail address) about a cluster of ``region`` whose
        roster addresses are ``roster`` is still to be sent: False when it was there because of an account that is
        disabled now, has another address, no longer wants the digest or no longer sees the region."""
        address = recipient.strip().lower()
        return (address in self.administrators or address in {a.strip().lower() for a in roster}
                or address in self.accounts(region))

    def staff(self) -> frozenset[str]:
        """The addresses of people with a console account or an administrator's duty (linked to the console)."""
        return self.administrators | {s.address for s in self.subscribers}


def audience(clusters: Iterable[Addresses], choice: Choice, administrators: Sequence[str],
             subscribers: Iterable[Subscriber] = ()) -> Audience:
    """The recipient set the roster, the config and the accounts make: every address of an enabled role (in its
    regions) and every subscriber (``account NAME <ADDRESS>``, with each region it sees, ``*``: all), the
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
    for one in subscribers:
        regions = one.account.regions
        if one.address in admins or regions == ():      # always mailed, or a bureau account that sees nothing
            continue
        pairs.update((one.role, region) for region in (("*",) if regions is None else regions))
        found.add(one.address)
    return Audience(frozenset(pairs), len(found))
