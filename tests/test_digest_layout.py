"""The digest as people read it: the HTML part in Chromium at 600 px (a mail client's reading pane) and 1,000 px,
the headers (sender name, Reply-To), and the plain-text part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver

from notifications.digest import Digest, Item, Letterhead, build_message
from tests.conftest import d

DAY = d("2026-10-08")
LETTERHEAD = Letterhead("monitor@nmg.gov.cn", "产业集群动态管理", "zxqyc@nmg.gov.cn", "https://jq.nmg.gov.cn/",
                        "中小企业处 0471-6945000", "内蒙古自治区工业和信息化厅")
POLICY = "《内蒙古自治区中小企业特色产业集群培育认定管理暂行办法（征求意见稿）》"


def _digest() -> Digest:
    digest = Digest()
    long_name = "鄂尔多斯市准格尔旗大路工业园区现代煤化工及新材料中小企业特色产业集群"
    for n, (group, days) in enumerate([("revocation", -307), ("overdue", -12), ("week", 3), ("month", 21),
                                       ("later", 58), ("other", None)] * 3):
        due = DAY + dt.timedelta(days=days) if days is not None else None
        digest.add(Item(group, f"NMG-2024-{n:03d}", long_name if n % 2 else f"集群{n}",
                        "2025年度报告逾期未报（应于2026-03-10前报送），请尽快补报并说明原因", due, days,
                        f"{POLICY}第十五条（三）", "revocation" if group == "revocation" else None, n == 4))
    return digest


def _letterhead(letterhead: Letterhead = LETTERHEAD) -> Letterhead:
    return Letterhead(letterhead.sender, letterhead.sender_name, letterhead.reply_to,
                      letterhead.base_url.rstrip("/"), letterhead.contact, letterhead.department)


def test_headers_name_the_sender_and_the_reply_to() -> None:
    message = build_message(_letterhead(), "a@example.cn", _digest(), DAY, "zh", dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
    sender = message["From"]
    assert sender.addresses[0].display_name == "产业集群动态管理"
    assert sender.addresses[0].addr_spec == "monitor@nmg.gov.cn"
    assert str(message["Reply-To"]) == "zxqyc@nmg.gov.cn"
    assert b"=?utf-8?" in message.as_bytes().split(b"\r\n\r\n")[0]      # the name is encoded, never raw bytes
    bare = build_message(Letterhead("monitor@nmg.gov.cn"), "a@example.cn", _digest(), DAY, "zh",
                         dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
    assert str(bare["From"]) == "monitor@nmg.gov.cn" and bare["Reply-To"] is None


def test_the_text_part_cites_links_and_tells_what_to_do() -> None:
    message = build_message(_letterhead(), "a@example.cn", _digest(), DAY, "zh", dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{POLICY}第十五条（三）" in text
    assert "https://jq.nmg.gov.cn/clusters/NMG-2024-000" in text
    assert "联系方式：中小企业处 0471-6945000" in text and "在线查看与填报：https://jq.nmg.gov.cn" in text
    assert "monitor ack" not in text and "monitor snooze" not in text
    assert text.splitlines()[0] == "内蒙古自治区工业和信息化厅"


def _html(tmp_path: Path) -> Path:
    message = build_message(_letterhead(), "a@example.cn", _digest(), DAY, "zh", dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
    path = tmp_path / "digest.html"
    path.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")  # type: ignore[union-attr]
    return path


LAYOUT = """
const cells = [...document.querySelectorAll('td.due, td.days')].filter(c => c.textContent.trim());
const lines = (cell) => {   // the line boxes the cell's text was laid out in
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
};
return {
  tables: [...document.querySelectorAll('table')].map(t => Math.round(t.getBoundingClientRect().width)),
  rowWidths: [...new Set([...document.querySelectorAll('tr')].map(r => Math.round(r.getBoundingClientRect().width)))],
  wrapped: cells.filter(c => lines(c) > 1).map(c => c.textContent.trim()),
  nameLines: Math.max(...[...document.querySelectorAll('td small')].map(lines)),
  cells: cells.length,
  scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  links: [...document.querySelectorAll('a')].map(a => a.href),
};
"""


@pytest.mark.parametrize("width", [600, 1000])
def test_in_chromium_dates_never_wrap_and_every_group_shares_one_table(
        browser: webdriver.Chrome, tmp_path: Path, width: int) -> None:
    browser.set_window_size(width, 900)
    browser.get(_html(tmp_path).as_uri())
    layout: dict[str, Any] = browser.execute_script(LAYOUT)
    assert len(layout["tables"]) == 1 and len(layout["rowWidths"]) == 1, layout   # one width for all groups
    assert layout["cells"] == 30 and layout["wrapped"] == [], layout              # 18 due days, 12 day counts
    assert layout["scroll"] <= 0, layout                                          # no sideways scrolling
    assert "https://jq.nmg.gov.cn/clusters/NMG-2024-001" in layout["links"]
