"""`monitor regimes`: what each loaded pack says, rule by rule, with its articles, in the configured language
(the sentences are words.toml's ``[regimes]``)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.rules.dates import month_day
from monitor.rules.monitoring import RUN_UP_MONTHS
from monitor.rules.packs import Pack
from monitor.views.words import term, words


def _month_day(text: str) -> dict[str, int]:
    """A yearly due day ("04-30") as the templates' ``month`` and ``day``."""
    month, day = month_day(text)
    return {"month": month, "day": day}


def describe_pack(pack: Pack, lang: str) -> list[str]:
    w = words("regimes", lang)
    named = pack.title if pack.title.endswith(f"（{pack.document}）") else f"{pack.title}（{pack.document}）"
    lines = [f"{pack.id}  {named}  [{pack.source}]"]
    if pack.replaces:
        lines.append(w["replaces"].format(id=pack.id))
    v = pack.validity
    if v is None:
        lines.append(w["validity_none"])
    else:
        lines.append(w["validity"].format(
            years=v.years, basis=v.basis, extension=v.extension_years, extension_basis=v.extension_basis,
            completes=w["by_application" if v.review_by_application else "by_result"]))
        lines.append(w["review"].format(failed_basis=v.review_failed_basis, expired_basis=v.expired_basis,
                                        failed_severity=term(v.review_failed_severity, lang),
                                        severity=term(v.expired_unapplied_severity, lang)))
        if v.application_window_months:
            lines.append(w["application_window"].format(months=v.application_window_months,
                                                        basis=v.review_basis or v.basis))
    r = pack.annual_report
    lines.append(w["report_none"] if r is None else w["report"].format(
        **_month_day(r.due), reporter=r.reporter_label or term(r.reporter, lang),
        basis=r.basis, severity=term(r.overdue_severity, lang), overdue_basis=r.overdue_basis))
    if r is not None and r.consecutive_failures:
        lines.append(w["report_consecutive"].format(count=r.consecutive_failures, basis=r.overdue_basis))
    c = pack.change_filing
    if c is None:
        lines.append(w["change_none"])
    else:
        window = w["window"].format(months=c.window_months) if c.window_months else w["no_window"]
        lines.append(w["change"].format(window=window, basis=c.basis, severity=term(c.overdue_severity, lang),
                                        overdue_basis=c.overdue_basis))
    a = pack.assessment
    lines.append(w["assessment_none"] if a is None else
                 w["assessment"].format(count=a.consecutive_failures, basis=a.basis))
    grounds = w["list"].join(f"{term(g, lang)} {b}" for g, b in pack.incidents.revocation_grounds.items())
    lines.append(w["incidents"].format(grounds=grounds or w["none"], basis=pack.incidents.notice_basis))
    e = pack.evaluation
    if e is not None:
        due = w["evaluation_after"].format(months=e.due_after_months) if e.due_after_months else w["evaluation_at_end"]
        lines.append(w["evaluation"].format(years=e.every_years, due=due, basis=e.basis,
                                            severity=term(e.overdue_severity, lang),
                                            overdue_basis=e.overdue_basis or e.basis,
                                            failed=term(e.failed_severity, lang), failed_basis=e.failed_basis or e.basis))
    rect = pack.rectification
    if rect is not None:
        lines.append(w["rectification"].format(
            after=w["list"].join(term(kind, lang) for kind in rect.after), basis=rect.basis,
            months=rect.months, by_kind="".join(w["months_for"].format(kind=term(kind, lang), months=months)
                                                for kind, months in rect.months_by_kind.items()),
            lapse=term(rect.lapse_severity, lang), lapse_basis=rect.lapse_basis,
            repeat=term(rect.repeat_severity, lang), repeat_basis=rect.repeat_basis))
    p = pack.publicity
    if p is not None:
        lines.append(w["publicity"].format(days=p.working_days, basis=p.basis))
    bar = pack.revocation
    if bar is not None:
        bars = [w["bar_years"].format(years=bar.reapply_after_years) if bar.reapply_after_years else w["bar_unlisted"]]
        bars += [w["bar_ground"].format(ground=term(g, lang), years=years) if years else
                 w["bar_ground_none"].format(ground=term(g, lang)) for g, years in bar.grounds.items()]
        lines.append(w["bar"].format(bars=w["list"].join(bars), basis=bar.basis))
    lines += _standard(pack, lang)
    for batch in pack.batches:
        terms = []
        if batch.valid_until:
            terms.append(w["batch_valid_until"].format(day=batch.valid_until))
        if batch.validity_years:
            terms.append(w["batch_years"].format(years=batch.validity_years))
        if batch.report_due:
            terms.append(w["batch_report_due"].format(**_month_day(batch.report_due)))
        lines.append(w["batch"].format(id=batch.id, notice=batch.notice, terms=w["list"].join(terms)))
    return lines


def _standard(pack: Pack, lang: str) -> list[str]:
    """The standard's items (annual monitoring): each comparison as the pack reads the text's word, and its reading."""
    if not pack.standard:
        return []
    w, v = words("regimes", lang), pack.validity
    months = (v.application_window_months or RUN_UP_MONTHS) if v is not None else None
    run_up = w["run_up_months"].format(months=months) if months else w["run_up_none"]
    lines = [w["standard"].format(count=len(pack.standard), run_up=run_up,
                                  review_basis=(v.review_basis or v.basis) if v is not None else w["none"])]
    for item in pack.standard:
        compare = w["standard_or"].join(
            f"`{c.indicator}` {c.comparison} {c.threshold:g} {w['window_' + c.window]}"
            + (w["standard_rates"].format(code=c.rates) if c.rates and c.rates != c.indicator else "")
            + (w["standard_reported"].format(code=c.reported) if c.reported else "") for c in item.compare)
        lines.append(w["standard_item"].format(id=item.id, label=item.label, basis=item.basis, compare=compare))
        if item.reading:
            lines.append(w["standard_reading"].format(reading=item.reading))
    return lines


def describe(packs: Iterable[Pack], lang: str) -> str:
    return "\n\n".join("\n".join(describe_pack(p, lang)) for p in packs)


def _month_name(text: str) -> str:
    month, day = month_day(text)
    return f"{('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')[month - 1]} {day}"


def _months(count: int) -> str:
    return f"{count} month" + ("s" if count > 1 else "")


def adoption_row(pack: Pack) -> list[str]:
    """What a pack adopts, rule by rule, each with its article: a row of the README's table ("—": not adopted)."""
    v, r, c, a = pack.validity, pack.annual_report, pack.change_filing, pack.assessment
    e, rect, bar, p = pack.evaluation, pack.rectification, pack.revocation, pack.publicity
    review = f", window {_months(v.application_window_months)}" if v and v.application_window_months else ""
    return [
        f"`{pack.id}`",
        f"{v.years} years ({v.basis}){review}" if v else "—",
        (f"by {_month_name(r.due)} ({r.basis})"
         + (f", {r.consecutive_failures} missed in a row revoke" if r.consecutive_failures else "")) if r else "—",
        (f"{_months(c.window_months)} ({c.basis})" if c.window_months else f"no window ({c.basis})") if c else "—",
        f"{a.consecutive_failures} failures in a row revoke ({a.basis})" if a else "—",
        f"every {e.every_years} years ({e.basis})" if e else "—",
        f"{_months(rect.months)} after a failed {' or '.join(rect.after)} ({rect.basis})" if rect else "—",
        f"{bar.reapply_after_years or 'by ground'} years ({bar.basis})" if bar else "—",
        f"{p.working_days} working days ({p.basis})" if p else "—",
        ", ".join(b.id for b in pack.batches) or "—",
    ]


def adoption_table(packs: Iterable[Pack]) -> str:
    """The README's table of what each bundled pack adopts (tests/test_readme.py keeps the README's copy current)."""
    head = ["regime", "validity", "annual report", "change filing", "assessment", "evaluation", "rectification",
            "bar after revocation", "publicity", "batches"]
    rows = [head, ["---"] * len(head), *(adoption_row(pack) for pack in packs)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"
