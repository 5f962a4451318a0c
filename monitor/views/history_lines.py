"""`monitor history`: a cluster's record, oldest first, as lines for people or one JSON document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.rules.checks import number
from monitor.rules.escalation import parse_stage
from monitor.rules.facts import Cluster
from monitor.rules.history import Entry
from monitor.rules.states import DeliveryState
from monitor.rules.texts import one_line
from monitor.views.times import person_time


def _value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _shown(value: object) -> object:
    """A value in a history line: an indicator value or a target as people write it (46, 41.5), else _value's."""
    return number(value) if isinstance(value, float) else _value(value)


def history_json(cluster: Cluster, entries: Sequence[Entry], known_at: dt.datetime | None) -> dict[str, Any]:
    """``{"cluster": …, "known_at": …, "entries": [{"at", "type", "by", …what it says}]}``."""
    return {
        "cluster": {"id": cluster.id, "name": cluster.name, "regime": cluster.regime},
        "known_at": _value(known_at),
        "entries": [{"at": _value(e.at), "type": e.type, "by": e.by, **{k: _value(v) for k, v in e.fields.items()}}
                    for e in entries],
    }


def said(entry: Entry, zone: str | dt.tzinfo, lang: str = "en") -> str:
    """What an entry says, in one line (history's lines, the console's timeline), its times in ``zone``: whatever
    a stored text holds (one stored before free texts were checked), its control characters are printed as
    escapes. In Chinese, a sentence with each key beside its word: 事实10：年度报告（report）年度2025，已被事实12更正
    （原因：…）."""
    return one_line(_said_zh(entry, zone) if lang == "zh" else _said(entry, zone))


def collapsed(entries: Sequence[Entry]) -> list[Entry]:
    """The reminders of each subject as one entry (``type`` "reminders", at the latest of them: its ``count``,
    ``last`` and the ``deliveries`` themselves), so that dozens of deliveries do not bury the facts. Each
    escalation step stays an entry of its own (``type`` "escalation": its step, days, whom, and its deliveries)."""
    by_subject: dict[object, list[Entry]] = {}
    steps: dict[tuple[object, str], list[Entry]] = {}
    for e in entries:
        if e.type == "reminder" and parse_stage(str(e.fields["stage"])) is not None:
            steps.setdefault((e.fields["subject"], str(e.fields["stage"])), []).append(e)
        elif e.type == "reminder":
            by_subject.setdefault(e.fields["subject"], []).append(e)
    kept = [e for e in entries if e.type != "reminder"]
    for subject, deliveries in by_subject.items():
        last = deliveries[-1]
        kept.append(Entry(last.at, "reminders", None, {"subject": subject, "count": len(deliveries),
                                                        "last": last.at, "deliveries": deliveries}))
    for (subject, stage), deliveries in steps.items():
        step = parse_stage(stage)
        assert step is not None
        kept.append(Entry(deliveries[0].at, "escalation", None, {
            "subject": subject, "stage": stage, "step": step.number, "after_days": step.after_days, "to": step.kind,
            "day": deliveries[0].fields["day"], "state": _step_state(deliveries), "deliveries": deliveries,
            "recipients": [d.fields["recipient"] for d in deliveries]}))
    return sorted(kept, key=lambda e: e.at)


def _step_state(deliveries: Sequence[Entry]) -> str:
    """An escalation step's outcome, from its deliveries': sent when one was, else pending while one waits, else
    the first one's (suppressed by an ack, obsolete, failed)."""
    states = [str(d.fields["state"]) for d in deliveries]
    for state in (DeliveryState.SENT, DeliveryState.PENDING, DeliveryState.QUEUED, DeliveryState.HELD):
        if state in states:
            return state
    return states[0]


def _word(key: str, lang: str) -> str:
    """A key as a word with the key beside it: 年度报告2023（annual_report:2023）."""
    from monitor.views.words import words

    kind, _, rest = key.partition(":")
    word = words("subject", "zh").get(kind) if lang == "zh" else None
    return f"{word}{rest}（{key}）" if word else key


def _said_zh(entry: Entry, zone: str | dt.tzinfo) -> str:
    from monitor.views.words import term, words

    f = entry.fields
    labels: dict[str, str] = words("console", "zh")["fields"]
    reason = f"（原因：{f['reason']}）" if f.get("reason") else ""
    if entry.type == "fact":
        if f["state"] == "retraction":
            return f"事实{f['number']}：撤回事实{f['replaces']}{reason}"
        values = "，".join(f"{labels.get(name, name)}{_zh_value(f[name])}" for name in f
                          if name not in ("number", "kind", "state", "replaces", "by_fact", "reason")
                          and f[name] is not None)
        kind = words("console", "zh")["facts_kind"].get(str(f["kind"])) or term(str(f["kind"]), "zh")
        head = f"事实{f['number']}：{kind}（{f['kind']}）{values}"
        head += f"，更正事实{f['replaces']}" if f["replaces"] is not None else ""
        head += {"current": "，现行", "superseded": f"，已被事实{f['by_fact']}更正",
                 "retracted": f"，已被事实{f['by_fact']}撤回"}.get(str(f["state"]), "")
        return head + reason
    if entry.type == "archive":
        return f"{'移出名册（归档）' if f['archived'] else '恢复到名册'}（原因：{f['reason']}）"
    if entry.type in ("ack", "snooze"):
        what = "确认警示" if entry.type == "ack" else "暂缓提醒"
        return f"{what}{_word(str(f['subject']), 'zh')}至{_value(f['until'])}（{f['note']}）"
    if entry.type == "reminders":
        return f"{_word(str(f['subject']), 'zh')}：已提醒{f['count']}次，最近{str(_value(f['last']))[:10]}"
    if entry.type == "escalation":
        done = ESCALATED_ZH.get(str(f["state"]), DELIVERY_ZH.get(str(f["state"]), str(f["state"])))
        whom = ESCALATION_TO_ZH.get(str(f["to"]), str(f["to"]))
        days = f"（{f['after_days']}天未确认）" if f["after_days"] else ""
        return (f"{_word(str(f['subject']), 'zh')}：升级第{f['step']}步{days}：{done}{whom}"
                f"（{'、'.join(_listed(f['recipients']))}）")
    state = DELIVERY_ZH.get(str(f["state"]), str(f["state"]))
    sent_at = f["sent_at"]
    sent = f"，{person_time(sent_at, zone)}" if isinstance(sent_at, dt.datetime) else ""
    late = "（补发）" if f["late"] else ""
    message = f"，消息编号{_bracketed(f['message_id'])}" if f["message_id"] else ""
    step = parse_stage(str(f["stage"]))
    stage = f"升级第{step.number}步" if step is not None else term(str(f["stage"]), "zh")
    return (f"提醒{_word(str(f['subject']), 'zh')}（{stage}（{f['stage']}），{_value(f['day'])}到点{late}）"
            f"发给{f['recipient']}：{state}{sent}{message}")


#: an escalation step's outcome and whom it reached, in a Chinese history line: 升级第2步（7天未确认）：已通知管理员
ESCALATED_ZH: dict[str, str] = {DeliveryState.SENT: "已通知", DeliveryState.PENDING: "待通知",
                                DeliveryState.QUEUED: "待通知", DeliveryState.HELD: "待管理员批准后通知",
                                DeliveryState.SUPPRESSED: "已确认，未通知", DeliveryState.OBSOLETE: "事项已办结，未通知",
                                DeliveryState.FAILED: "通知失败："}
ESCALATION_TO_ZH = {"bureau": "盟市工信局", "administrators": "管理员", "account": "指定人员"}

#: a reminder delivery's state in a Chinese history line: every DeliveryState (tests/test_zh_everywhere.py)
DELIVERY_ZH: dict[str, str] = {
    DeliveryState.PENDING: "待发送", DeliveryState.QUEUED: "已排队", DeliveryState.SENT: "已发送",
    DeliveryState.FAILED: "发送失败", DeliveryState.SUPPRESSED: "已确认或暂缓，未发送",
    DeliveryState.OBSOLETE: "事项已办结，未发送", DeliveryState.HELD: "待管理员批准后发送"}


def _listed(value: object) -> list[str]:
    """A list field's items as text."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _bracketed(message_id: object) -> str:
    """A Message-ID in its angle brackets, once (it is stored with them)."""
    text = str(message_id)
    return text if text.startswith("<") else f"<{text}>"


def _zh_value(value: object) -> str:
    from monitor.views.words import term

    shown = _shown(value)
    return term(shown, "zh") if isinstance(shown, str) and not shown[:1].isdigit() else str(shown)


def _said(entry: Entry, zone: str | dt.tzinfo) -> str:
    f = entry.fields
    if entry.type == "fact":
        values = " ".join(f"{name}={_shown(f[name])}" for name in f
                          if name not in ("number", "kind", "state", "replaces", "by_fact", "reason")
                          and f[name] is not None)
        if f["state"] == "retraction":
            head = f"fact {f['number']} retracts fact {f['replaces']}"
        else:
            head = f"fact {f['number']} {f['kind']} {values}" + (
                f" (amends fact {f['replaces']})" if f["replaces"] is not None else "")
            head += f" [{f['state']}" + (f" by fact {f['by_fact']}]" if f["by_fact"] is not None else "]")
        return head + (f": {f['reason']}" if f["reason"] else "")
    if entry.type == "archive":
        return f"{'archived' if f['archived'] else 'back on the roster'}: {f['reason']}"
    if entry.type in ("ack", "snooze"):
        return f"{entry.type} {f['subject']} until {_value(f['until'])}: {f['note']}"
    if entry.type == "reminders":
        return f"reminders {f['subject']}: {f['count']} deliveries, the latest {str(_value(f['last']))[:10]}"
    if entry.type == "escalation":
        days = f"{f['after_days']} days unacknowledged, " if f["after_days"] else ""
        return (f"escalation {f['subject']} step {f['step']} ({days}due {_value(f['day'])}) to {f['to']}: "
                f"{f['state']} ({', '.join(_listed(f['recipients']))})")
    sent_at = f["sent_at"]
    sent = f" {person_time(sent_at, zone)}" if isinstance(sent_at, dt.datetime) else ""
    late = " late" if f["late"] else ""
    message = f" {_bracketed(f['message_id'])}" if f["message_id"] else ""
    return (f"reminder {f['subject']} {f['stage']} (crossed {_value(f['day'])}{late}) to {f['recipient']}: "
            f"{f['state']}{sent}{message}")


def history_lines(cluster: Cluster, entries: Sequence[Entry], known_at: dt.datetime | None, timezone: str,
                  lang: str = "en", policy: str | None = None) -> list[str]:
    """One line an entry: when (in ``timezone``, the configured zone, with its offset: what ``--known-at``
    takes back), who, what. ``policy``: the regime's title, said instead of its id in Chinese."""
    zh = lang == "zh"
    regime = f"《{policy}》" if policy and zh else cluster.regime
    head = one_line(f"{cluster.id} {cluster.name} ({regime})") + (
        (f"，截至{person_time(known_at, timezone)}的记录" if zh else
         f", as the record stood at {person_time(known_at, timezone)}") if known_at else "")
    lines = [head]
    daemon = "守护进程" if zh else "daemon"
    lines.extend(f"{person_time(e.at, timezone)}  {one_line(e.by or daemon):<12} {said(e, timezone, lang)}"
                 for e in entries)
    if not entries:
        lines.append("（无记录）" if zh else "(nothing recorded)")
    return lines
