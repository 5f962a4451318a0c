"""Labels that cannot mislead (issue 27, item 4): a ground for revocation is never shortened to a revocation,
counts say what they count, days are 逾期N天 / 剩余N天, regions are in pinyin order, and the daemon's figures a
bureau account sees are its own regions'."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import ClusterRow, DeliveryRow, ReminderRow
from db.queries import daemon_summary
from db.session import transaction
from monitor.rules.collation import pinyin_key
from monitor.views.words import term, words
from notifications.digest import _days, _detail
from tests.helpers import monitor, own_config, write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = dt.date(2025, 3, 3)        # a Monday: the 2024 reports fall due on 03-10
ROWS = ("NMG-1,赤峰集群,nmg-sme-draft,2023-10-15,赤峰市,op,op@example.cn,chifeng@example.cn,,",
        "NMG-2,包头集群,nmg-sme-draft,2023-10-15,包头市,op2,op2@example.cn,baotou@example.cn,,",
        "NMG-3,包头二号集群,nmg-sme-draft,2023-10-15,包头市,op3,op3@example.cn,baotou@example.cn,,")


def test_regions_sort_by_pinyin_not_by_code_point() -> None:
    names = ["呼和浩特市", "包头市", "鄂尔多斯市", "乌海市", "赤峰市", "阿拉善盟", "巴彦淖尔市", "兴安盟"]
    assert sorted(names) != sorted(names, key=pinyin_key)             # code point order is not pinyin order
    assert sorted(names, key=pinyin_key) == ["阿拉善盟", "巴彦淖尔市", "包头市", "赤峰市", "鄂尔多斯市",
                                             "呼和浩特市", "乌海市", "兴安盟"]


def gb18030(name: str) -> bytes:
    """The key monitor sorted by before pypinyin: GB 18030 puts a common character at one reading, rare ones last."""
    return name.encode("gb18030")


@pytest.mark.parametrize(("before", "after"), [
    ("重庆市", "大连市"),      # 重庆 chóng (chong < da); GB 18030 files 重 under zhòng: after 郑州
    ("重庆市", "郑州市"),
    ("包头市", "蚌埠市"),      # 蚌埠 bèng (bao < beng); GB 18030: bàng, before 包头
    ("陇南市", "六安市"),      # 六安 lù (long < lu); GB 18030: liù, before 陇南
    ("银川市", "乐清市"),      # 乐清 yuè (yin < yue); GB 18030: lè, among the l's
    ("盐城市", "铅山县"),      # 铅山 yán (yan cheng < yan shan); GB 18030: qiān, before 盐城
    ("南宁市", "番禺区"),      # 番禺 pān (nan < pan); GB 18030: fān, before 南宁
    ("亳州市", "沧州市"),      # 亳 bó, a GB 2312 level-two character: GB 18030 puts it after every common one
    ("东营市", "单县"),        # 单县 shàn (dong < shan): GB 18030 and pypinyin both say dān (PLACES reads it)
])
def test_polyphonic_place_names_sort_by_their_reading(before: str, after: str) -> None:
    assert pinyin_key(before) < pinyin_key(after)
    assert gb18030(before) > gb18030(after)               # the order the old key gave was wrong


def test_regions_sort_by_pinyin_not_by_code_point_nor_gb18030() -> None:
    names = ["重庆市", "长治市", "厦门市", "蚌埠市", "六安市", "包头市", "长沙市", "郑州市", "赤峰市", "乐山市"]
    assert sorted(names, key=pinyin_key) == ["包头市", "蚌埠市", "长沙市", "长治市", "赤峰市", "重庆市", "乐山市",
                                             "六安市", "厦门市", "郑州市"]
    assert sorted(names, key=gb18030) != sorted(names, key=pinyin_key)
    # 长治 is cháng zhì (pypinyin's phrase dictionary says zhǎng): PLACES reads it, so it stays among the c's
    assert pinyin_key("长治市")[0] == ("chang", "zhi", "shi") and pinyin_key("长子县")[0][0] == "zhang"
    # the same syllables: the tones part them, then the name itself
    assert pinyin_key("滑县")[0] == pinyin_key("华县")[0] == ("hua", "xian")
    assert pinyin_key("滑县") < pinyin_key("华县")                # huá before huà
    assert sorted(["", "Region B", "包头市"], key=pinyin_key) == ["", "Region B", "包头市"]


def test_a_ground_for_revocation_is_never_called_a_revocation() -> None:
    assert term("revocation", "zh") == "撤销情形"
    assert term("revoked", "zh") == "已撤销"                          # the cluster's state stays what it is
    summary = words("table", "zh")["summary"]
    assert "撤销情形{revocation}项" in summary and "已撤销{revoked}个" in summary


class _Item:
    def __init__(self, days_left: int | None) -> None:
        self.days_left, self.due, self.basis, self.severity, self.late = days_left, DAY, "第十条", None, False


def test_days_are_overdue_or_left_never_negative() -> None:
    for lang, overdue, left in (("zh", "逾期49天", "剩余7天"), ("en", "49 days overdue", "7 days left")):
        said = words("digest", lang)
        assert _days(_Item(-49), said) == overdue                      # type: ignore[arg-type]
        assert _days(_Item(7), said) == left                           # type: ignore[arg-type]
        assert "-" not in _detail(_Item(-49), said, lang).replace(str(DAY), "")   # type: ignore[arg-type]


def test_a_bureau_sees_the_daemons_figures_of_its_own_regions(tmp_path: Path) -> None:
    server = MailServer(tmp_path).start()
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", server.config(), None)
    try:
        load_roster(app, write_roster(tmp_path / "r.csv", *ROWS))
        clock = Clock(at(DAY))
        daemon(app, clock).digest_tick()
        with transaction(app.sessions) as session:
            regions = dict(session.execute(select(ClusterRow.id, ClusterRow.region)).all())
            states = session.execute(select(DeliveryRow.state, ReminderRow.cluster_id)
                                     .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)).all()
        assert {regions[c] for _, c in states} == {"赤峰市", "包头市"}    # both regions have reminders
        now = clock().astimezone(dt.UTC)
        with app.reader.connect() as reads:
            everyone = daemon_summary(reads, now, "Asia/Shanghai")
            baotou = daemon_summary(reads, now, "Asia/Shanghai", ("包头市",))
            nowhere = daemon_summary(reads, now, "Asia/Shanghai", ())
        for key in ("sent", "failed", "waiting"):
            assert everyone[key] >= baotou[key]
        theirs = [s for s, c in states if regions[c] == "包头市"]
        assert sum(baotou[k] for k in ("sent", "failed", "waiting")) == len(theirs) > 0
        assert sum(everyone[k] for k in ("sent", "failed", "waiting")) == len(states) > len(theirs)
        assert sum(nowhere[k] for k in ("sent", "failed", "waiting", "messages_waiting")) == 0
    finally:
        app.close()
        server.stop()


def test_the_report_shows_an_acknowledged_warning_as_acknowledged(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    page = tmp_path / "report.html"
    before = monitor("report", str(page), "--as-of", "2026-11-22", config=config)
    assert before.exit_code == 0, before.output
    assert "已确认至" not in page.read_text(encoding="utf-8")
    acked = monitor("ack", "NMG-SME-2024-002", "annual_report_overdue:2025", "--until", "2026-12-31", "--note", "已约谈",
                    config=config)
    assert acked.exit_code == 0, acked.output
    after = monitor("report", str(page), "--as-of", "2026-11-22", config=config)
    assert after.exit_code == 0, after.output
    html = page.read_text(encoding="utf-8")
    row = html[html.index('data-cluster="NMG-SME-2024-002"'):]
    row = row[:row.index("</tr>")]
    assert row.count('class="acked"') == 1 and "已确认至2026-12-31" in row
