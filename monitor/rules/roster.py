"""The roster's columns: what `monitor import` reads and `monitor export` writes (docs/interface.md, "The roster")."""

from __future__ import annotations

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
#: (column name, Chinese header) of the columns `monitor export` computes after the roster's own; import skips them
COMPUTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("state", "状态"),
    ("valid_until_computed", "有效期截止（计算）"),
    ("next_due", "下一截止日"),
    ("next_item", "下一事项"),
    ("top_severity", "最高警示"),
    ("warnings", "警示数"),
)
