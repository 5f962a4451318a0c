"""Labels that cannot mislead (issue 27, item 4): a ground for revocation is never shortened to a revocation,
counts say what they count, days are 逾期N天 / 剩余N天, regions are in pinyin order, and the daemon's figures a
bureau account sees are its own regions'."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
