"""The escalation chains of config.toml checked against the database and the packs (docs/rules.md, "Escalation"):
an ``account:NAME`` no account has, or a regime no pack defines, is refused before the daemon starts or a round
is sent, in one line naming the key."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from db import reminder_queries
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.rules.escalation import ACCOUNT
from monitor.rules.near import nearest


def check_escalation(session: Session, settings: Settings, regimes: Collection[str]) -> None:
    """Refuse a step's ``account:NAME`` that names no account, and a chain's regime no loaded pack defines."""
    if not settings.escalation:
        return
    names = sorted(p.name for p in reminder_queries.people(session))
    for number, chain in enumerate(settings.escalation):
        for regime in chain.regimes:
            if regime not in regimes:
                near = nearest(regime, regimes)
                raise ConfigError("{source}: escalation[{number}].regimes: no regime {regime!r}; did you mean "
                                  "{suggestion}?" if near else
                                  "{source}: escalation[{number}].regimes: no regime {regime!r} (regimes: {known})",
                                  source=settings.source, number=number, regime=regime, suggestion=near,
                                  known=", ".join(sorted(regimes)))
        for index, step in enumerate(chain.steps):
            name = step.to.removeprefix(ACCOUNT)
            if step.to.startswith(ACCOUNT) and name not in names:
                near = nearest(name, names)
                raise ConfigError("{source}: escalation[{number}].steps[{index}].to: no account {name!r}; did you "
                                  "mean {suggestion}?" if near else
                                  "{source}: escalation[{number}].steps[{index}].to: no account {name!r} "
                                  "(accounts: {known})", source=settings.source, number=number, index=index,
                                  name=name, suggestion=near, known=", ".join(names) or "-")
