"""Every word monitor shows, in Chinese or English, from one catalogue (``monitor/views/words.toml``)."""

from __future__ import annotations

import datetime as dt
import re
import string
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.errors import Key, Said, Saying
from monitor.rules.texts import one_line
from monitor.rules.verdict import Alert, Obligation
from monitor.rules.workdays import Coverage
from monitor.views.parsed import read_toml

LANGUAGES = ("zh", "en")


@cache
def _catalog() -> dict[str, Any]:
    catalogue = resources.files("monitor.views").joinpath("words.toml")
    if isinstance(catalogue, Path):
        return read_toml(catalogue)
    return tomllib.loads(catalogue.read_text(encoding="utf-8"))


def term(word: str, lang: str) -> str:
    """A change kind, ground, state or severity in the language; unknown words stay as they are."""
    terms: dict[str, str] = _catalog()["terms"][lang]
    return terms.get(word, word)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def warning_message(warning: Alert, lang: str) -> str:
    params = {key: _text(value) for key, value in warning.params}
    for key in ("change_kind", "ground", "failed", "used", "other"):
        if key in params:
            params[key] = term(params[key], lang)
    for key in ("years", "missing"):
        if key in params and lang == "en":       # the rules list years as Chinese lists them
            params[key] = params[key].replace("、", ", ")
    if "figures" in params:                     # "2022 100；2025 133.1；growth 10"
        params["figures"] = params["figures"].replace("growth", term("growth", lang))
        if lang == "en":
            params["figures"] = params["figures"].replace("；", "; ")
    if "review" in params:
        params["review_text"] = _catalog()["review"][params["review"]][lang]
    if "note" in params:        # an incident's note, as stored (one from before notes were checked: escaped)
        params["note"] = one_line(params["note"])
        params["note_text"] = f"（{params['note']}）" if params["note"] and lang == "zh" else (
            f" ({params['note']})" if params["note"] else "")
    template: str = _catalog()["warning"][warning.code][lang]
    return template.format(**params)


def calendar_note(item: Obligation | Alert, lang: str) -> str | None:
    """Said next to a due day that rests on a calendar other than the official one."""
    if item.calendar is None or item.due is None:
        return None
    template: str = _catalog()["calendar"][item.calendar][lang]
    return template.format(year=item.due.year)


def obligation_label(obligation: Obligation, lang: str) -> str:
    """What an obligation is called: "2024年度报告", "renewal review (valid until 2026-07-09)"."""
    template: str = _catalog()["obligation"][obligation.kind][lang]
    return template.format(year=obligation.year, due=_text(obligation.due),
                           change_kind=term(obligation.change_kind or "", lang),
                           changed_on=_text(obligation.changed_on))


def words(section: str, lang: str) -> dict[str, Any]:
    """One view's words in the language: ``digest``, ``table``, ``report``, ``ics``."""
    found: dict[str, Any] = _catalog()[section][lang]
    return found


def cited(title: str | None, basis: str | None) -> str:
    """An article with its policy: 《促进中小企业特色产业集群发展暂行办法》第十七条（三）."""
    return f"《{title}》{basis or ''}" if title else (basis or "")


def digest_words(lang: str) -> dict[str, str]:
    """The digest's headings and sentences in the language."""
    return words("digest", lang)


def coverage_note(coverage: Coverage, year: int, lang: str) -> str | None:
    """The calendar note for a day computed without the official calendar (None when it was official)."""
    if coverage is Coverage.OFFICIAL:
        return None
    template: str = _catalog()["calendar"][coverage.value][lang]
    return template.format(year=year)


#: templates the catalogue has no Chinese for (said in English instead); the tests fail on any
MISSING: set[str] = set()


class _Speaker(string.Formatter):
    """Formats a template's values in the language: a Said value is said too, ``{kind:term}`` is a term."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Said):
            return say(value, self.lang)
        if isinstance(value, Key) and self.lang != "en":
            word = key_word(value)
            return f"{word}（{value}）" if word else str(value)
        if format_spec == "term":
            return term(str(value), self.lang)
        return str(super().format_field(value, format_spec))


def key_word(key: Key) -> str | None:
    """The Chinese word for a file's key (words.toml ``[keys]``): ``channels[0].name`` is a channel's name, an
    entry named by its name (``web.identity.sso.issuer``) has its key's word, and a key under a table of free keys
    (``reminders.lead_days.annual_report``) is that table's."""
    found: dict[str, str] = _catalog()["keys"].get(key.vocabulary, {})
    parts = re.sub(r"\[\d+\]", "", key).split(".")
    for named in range(1, len(parts) - 1):     # web.identity.sso.issuer: web.identity.issuer
        if ".".join(parts[:named] + parts[named + 1:]) in found:
            return found[".".join(parts[:named] + parts[named + 1:])]
    while parts:
        if ".".join(parts) in found:
            return found[".".join(parts)]
        parts.pop()
    return None


def say(message: Said | Saying | str, lang: str) -> str:
    """A message in the language: a Said (or an error carrying one) by its template in ``[said]``; a plain
    string as it is. A template the catalogue lacks is said in English."""
    if isinstance(message, Saying):
        message = message.said
    if isinstance(message, str):
        return message
    translated: str | None = _catalog()["said"].get(message.template)
    if translated is None:      # noted in English too, so that tests run in either language find it
        MISSING.add(message.template)
    template = translated if translated is not None and lang != "en" else message.template
    params = dict(message.params)
    if lang != "en" and isinstance(params.get("field"), str):   # a column or form field: its word, the key beside
        word = _catalog()["console"][lang]["fields"].get(params["field"])
        params["field"] = f"{word}（{params['field']}）" if word else params["field"]
    return _Speaker(lang).format(template, **params)
