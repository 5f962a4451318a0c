"""The regions an account or a channel is given, checked against the roster's (issue 26): one that no cluster has
would see nothing, and is most often a near miss (包头 for 包头市)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from db import fact_queries
from monitor.errors import InputError
from monitor.rules.near import nearest

#: the most regions a refusal lists
SHOWN = 30


def check_regions(session: Session, regions: Sequence[str], where: object) -> None:
    """Refuse a region no cluster of the roster has (an account or a channel of it would see nothing), naming the
    nearest one (包头 for 包头市: the suffix missing). An empty roster cannot say: then every region is taken."""
    known = fact_queries.regions(session)
    if not known:
        return
    for region in regions:
        if region not in known:
            near = nearest(region, known)
            raise InputError(
                "{where} {region!r}: no cluster is in that region; did you mean {suggestion}?" if near else
                "{where} {region!r}: no cluster is in that region (regions: {regions})", where=where, region=region,
                suggestion=near, regions=", ".join(known[:SHOWN]) + (", …" if len(known) > SHOWN else ""))
