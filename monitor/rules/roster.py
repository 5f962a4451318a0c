"""The roster's columns: what `monitor import` reads and `monitor export` writes (docs/interface.md, "The roster");
and how a new row is matched with a revoked cluster barred from applying again (monitor/rules/bars.py)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from monitor.rules.facts import Cluster

#: (column name, Chinese header, required)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("id", "集群编号", True),
    ("name", "集群名称", True),
    ("regime", "适用办法", True),
    ("certified_on", "认定日期", True),
    ("region", "盟市/地州市", False),
    ("operator", "运营管理机构", False),
    ("operator_email", "运营机构邮箱", False),
    ("bureau_email", "工信局邮箱", False),
    ("batch", "认定批次", False),
    ("valid_until", "有效期至", False),
    ("publicity_start", "公示开始日期", False),
)
#: the other headers a department's own workbook names a column by (its list notice's, its template's)
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称",),
    "certified_on": ("认定时间",),
    "region": ("盟市", "地州市", "所在盟市", "所属盟市", "所在地区", "地区"),
    "operator": ("运营机构",),
    "batch": ("批次",),
}
#: the longest text a kept column's cell may hold (a 备注 of a few paragraphs)
LONGEST_EXTRA = 2000
#: (column name, Chinese header) of the columns `monitor export` computes after the roster's own; import skips them
COMPUTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("state", "状态"),
    ("valid_until_computed", "有效期截止（计算）"),
    ("next_due", "下一截止日"),
    ("next_item", "下一事项"),
    ("top_severity", "最高警示"),
    ("warnings", "警示数"),
)


def name_key(text: str | None) -> str:
    """A name or a region as compared for a namesake: NFKC (full-width letters and digits as half-width), every
    space removed."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def by_name(barred: Iterable[tuple[Cluster, dt.date]]) -> dict[str, list[tuple[Cluster, dt.date]]]:
    """Revoked clusters still barred (each with the bar's last day), by ``name_key`` of their names."""
    found: dict[str, list[tuple[Cluster, dt.date]]] = {}
    for cluster, until in barred:
        found.setdefault(name_key(cluster.name), []).append((cluster, until))
    return found


def namesakes(name: str | None, region: str | None,
              barred: Mapping[str, Sequence[tuple[Cluster, dt.date]]]) -> list[tuple[Cluster, dt.date]]:
    """The barred clusters (``by_name``) a new row's name names, in the row's region when both have one."""
    place = name_key(region)
    return [(cluster, until) for cluster, until in barred.get(name_key(name), ())
            if not place or name_key(cluster.region) in ("", place)]


#: the longest text each roster column may hold, the same on SQLite and PostgreSQL (an id and a batch: 64, their
#: columns' VARCHAR; a region: 128, as an account's regions are stored, so that any region can be given to one)
LONGEST: dict[str, int] = {"id": 64, "name": 200, "region": 128, "operator": 200, "operator_email": 2000,
                           "bureau_email": 2000, "batch": 64}
