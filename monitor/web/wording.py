"""What the console says: the messages of monitor.views.words, except where a message names a command of the
CLI. In the console such a message names the page or form that does the same, so that nobody is sent to a
shell: ``CONSOLE`` holds, for each template that names a command (or an option of one, where a console form
says the same), the console's own template (same values); the CLI says the original.

Every page of monitor/web says its messages through ``say`` here, never monitor.views.words' own (a test holds
monitor/web to it), and tests/test_web_wording.py fails when a template of words.toml's ``[said]`` names a
command (`` `monitor …` ``) and is neither in ``CONSOLE`` nor in ``CLI_ONLY`` (messages the console never says).
"""

from __future__ import annotations

from typing import Any

from monitor.errors import Said, Saying
from monitor.views import words

#: a template that names a CLI command -> what the console says instead (the same values)
CONSOLE: dict[str, str] = {
    "unknown cluster {cluster!r}: `monitor status` lists the known ones":
        "unknown cluster {cluster!r}: the overview lists the known ones",
    "cluster {cluster!r} is archived: add --include-archived, or `monitor roster unarchive {cluster} --reason …`":
        "cluster {cluster!r} is archived: an administrator can unarchive it",
    "no user {name!r}: `monitor user list` lists them": "no user {name!r}: the Users page lists them",
    "no identity {subject!r} of {issuer!r}: `monitor user identity list` lists them":
        "no identity {subject!r} of {issuer!r}: the Users page lists them",
    "user {name!r} exists already (`monitor user passwd {name}` sets a new password)":
        "user {name!r} exists already (its row on the Users page resets the password)",
    "{id}: fact {number} records {stored}, not {fact}: to correct it, `monitor amend {number} … --reason …`":
        "{id}: fact {number} records {stored}, not {fact}: to correct it, use the amend form of fact {number} in "
        "the history on this page",
    "fact {number} records {stored} (`monitor amend {number} … --reason …` corrects it), not {fact}":
        "fact {number} records {stored} (the amend form of fact {number} on the cluster's page corrects it), "
        "not {fact}",
    "there is no fact {number}: `monitor history CLUSTER` lists a cluster's facts":
        "there is no fact {number}: a cluster's page lists its facts",
    "{field}: cluster {id!r} is {archived}: `monitor roster unarchive {id} --reason …` first":
        "{field}: cluster {id!r} is {archived}: an administrator must unarchive it first",
    "cluster {id!r} is under {regime}, which has no {rule} rule (`monitor regimes` shows what each regime has)":
        "cluster {id!r} is under {regime}, which has no {rule} rule (the regime's policy says what it has)",
    # the account checks the Users page shares with `monitor user add`: the form's fields, not the options
    "a bureau user needs --region (repeatable): the regions whose clusters it sees":
        "a bureau user needs its regions: the regions whose clusters it sees",
    "--region applies to bureau users; {role} users see every region":
        "regions apply to bureau users; {role} users see every region",
    "--role {role!r} is not one of admin, bureau, viewer": "role {role!r} is not one of admin, bureau, viewer",
    "--region '{value}…': at most {most} printable characters, as a roster's regions are":
        "region '{value}…': at most {most} printable characters, as a roster's regions are",
    # annual monitoring's forms and sheets
    "{field} {value!r} is not an indicator (`monitor indicators` lists them)":
        "{field} {value!r} is not an indicator (the data sheet's headers list them)",
    "{field}: fact {number} records {stored} (`monitor amend {number} {option} … --reason …` corrects it), not {value}":
        "{field}: fact {number} records {stored} (the amend form of fact {number} on the cluster's page corrects it), "
        "not {value}",
}

#: templates that name a command and that only the CLI says (the console has no path to them)
CLI_ONLY = frozenset({
    "{file}: an empty facts file for `monitor import-facts`",              # `monitor template --facts`'s output
    "no users: `monitor user add NAME --role admin` adds the first",       # `monitor user list`: no one signs in
    # a pack's standard naming an indicator no vocabulary has: the console does not start with it
    "{source}: {key}.indicator: '{code}' is not an indicator (`monitor regimes` lists them)",
    # what `monitor template --indicators|--targets|--backfill` and `monitor import --from` print
    "{file}: the plan targets' sheet, {rows} targets recorded, for `monitor import-indicators --targets`",
    ("{file}: the data sheet, {rows} rows ({clusters} clusters × {first}–{last}), {indicators} indicators, "
    "for `monitor import-indicators`"),
    "{file}: {count} unrecorded obligations to fill in and read back with `monitor import-facts`",
    ("baseline (监测起始日) {day}: what fell due before it with no fact recorded is unrecorded, not overdue "
    "(`monitor template --backfill FILE.xlsx` lists it)"),
})


def console_said(message: Said) -> Said:
    """The message as the console says it: its template (and any Said among its values) swapped per CONSOLE."""
    params: dict[str, Any] = {key: console_said(value) if isinstance(value, Said) else value
                              for key, value in message.params.items()}
    return Said(CONSOLE.get(message.template, message.template), **params)


def say(message: Said | Saying | str, lang: str) -> str:
    """``monitor.views.words.say`` for the console: a message naming a CLI command names the page instead."""
    if isinstance(message, Saying):
        message = message.said
    if isinstance(message, Said):
        message = console_said(message)
    return words.say(message, lang)


def renamed(message: Said | Saying, path: object, name: str) -> Said:
    """The message with the server's temporary copy of an upload (``path``, wherever it is a value, nested or
    not) named as the user's own file ``name``: a page never shows the server's folders."""
    said = message.said if isinstance(message, Saying) else message
    params = {key: renamed(value, path, name) if isinstance(value, Said)
              else name if value == path or str(value) == str(path) else value
              for key, value in said.params.items()}
    return Said(said.template, **params)
