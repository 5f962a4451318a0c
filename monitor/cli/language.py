"""The command line in the configured language (``general.language``): our messages, the commands' help, and
click's own words ("Usage:", "Missing option", …), all from the one catalogue, monitor/views/words.toml.

The language is known before click parses anything: ``--config`` is looked for in the arguments and that file
(or ./config.toml, or the packaged default) is read for ``general.language``. A config file that cannot be read
leaves the default (Chinese); the command then reports that file's error itself.

- Help: ``[help.zh.commands]`` holds each command's Chinese help by its path (``"record report"``), with its
  own options' (``"--year"``); ``[help.zh.options]`` the options many commands share (``--config``, ``--as-of``).
  The English stays in the code, where click declares it.
- click's words: click marks them with gettext, imported into each of its modules as ``_``. We give those
  modules a ``_`` that looks the English up in ``[click.zh]``. tests/test_language.py checks that every
  entry still names a string click has, so an upgrade of click that rewords one is noticed.
"""

from __future__ import annotations

import gettext
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from monitor.config import Settings

#: the language of this run of the command line; set before each parse
current = "zh"

#: click's modules that translate with gettext's ``_``
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")


def settings_of(args: Sequence[str]) -> tuple[Path | None, Settings | None]:
    """The config file these arguments name (``--config``, wherever it is) and its settings, or those of the one
    found without it; None for settings that cannot be read (the command reports why when it needs them)."""
    from monitor.config import load_settings
    from monitor.errors import MonitorError

    path: Path | None = None
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            path = Path(args[index + 1])
        elif arg.startswith("--config="):
            path = Path(arg.partition("=")[2])
    try:
        return path, load_settings(path)
    except (MonitorError, OSError, ValueError):
        return path, None


def declared_language(path: Path | None) -> str:
    """The language a config file that cannot be loaded still asks for (its ``general.language``, when the file
    reads as TOML; in a file that does not, a line ``language = "en"`` under ``[general]``), so that the error
    about it is said in that language; else the default, Chinese."""
    import re
    import tomllib

    from monitor.config import find_config
    from monitor.errors import MonitorError

    try:
        text = find_config(path)[1]
    except (MonitorError, OSError, ValueError):
        return "zh"
    try:
        general = tomllib.loads(text).get("general")
    except (ValueError, RecursionError):        # not TOML: the line that asks for a language, if one does
        found = re.search(r'^\[general\][^\[]*?^[ \t]*language[ \t]*=[ \t]*"(zh|en)"', text, re.MULTILINE | re.DOTALL)
        return found[1] if found else "zh"
    wanted = general.get("language") if isinstance(general, dict) else None
    return wanted if wanted in ("zh", "en") else "zh"


def speak(group: click.Group, lang: str) -> None:
    """Set the language of this run: help texts of every command and option, and click's own words."""
    global current
    current = lang
    _translate_help(group, lang)
    words = _click_words(lang)

    def translate(message: str) -> str:
        return words.get(message, message)

    def plural(singular: str, several: str, count: int) -> str:
        return translate(singular if count == 1 else several)

    for name in _CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is not None and hasattr(module, "_"):
            module._ = gettext.gettext if lang == "en" else translate  # type: ignore[attr-defined]
        if module is not None and hasattr(module, "ngettext"):
            module.ngettext = gettext.ngettext if lang == "en" else plural  # type: ignore[attr-defined]
    _name_types(group, translate)


def _name_types(group: click.Group, translate: Callable[[str], str]) -> None:
    """The names click gives its types when it is imported ("file", "integer"), in this run's language: click
    says them in its messages ("File 'x' does not exist", "'soon' is not a valid integer")."""
    click.types.IntParamType.name = translate(_english(click.types.IntParamType, "name") or "integer")
    for _path, command in commands(group):
        for param in command.params:
            if isinstance(param.type, click.Path):
                param.type.name = translate(_english(param.type, "name") or "path")


def _click_words(lang: str) -> dict[str, str]:
    from monitor.views.words import words

    return {} if lang == "en" else dict(words("click", lang))


def _english(thing: Any, attribute: str) -> str | None:
    """The English an object was declared with (kept aside the first time it is translated)."""
    kept = f"_english_{attribute}"
    if not hasattr(thing, kept):
        setattr(thing, kept, getattr(thing, attribute))
    english: str | None = getattr(thing, kept)
    return english


def _translate_help(group: click.Group, lang: str) -> None:
    from monitor.views.words import words

    catalogue: dict[str, Any] = {} if lang == "en" else words("help", lang)
    shared: dict[str, str] = catalogue.get("options", {})
    for path, command in commands(group):
        entry: dict[str, Any] = catalogue.get("commands", {}).get(path, {})
        command.help = entry.get("help", _english(command, "help"))
        command._help_option = None       # click keeps its --help option, with its words, once made
        english = _english(command, "short_help")
        command.short_help = english if lang == "en" or "help" not in entry else _first_clause(entry["help"])
        own: dict[str, str] = entry.get("options", {})
        for param in command.params:
            if isinstance(param, click.Option):
                option = max(param.opts, key=len)
                param.help = own.get(option, shared.get(option, _english(param, "help")))


def _first_clause(text: str) -> str:
    """A Chinese help's first clause, for the list of commands (click cuts at spaces, which Chinese has none of)."""
    for mark in "：；。":
        text = text.split(mark)[0]
    return text


def commands(group: click.Group) -> list[tuple[str, click.Command]]:
    """Every command under ``group`` by its path ("monitor" for the group itself)."""
    found: list[tuple[str, click.Command]] = [("monitor", group)]

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                found.append((" ".join((*path, name)), sub))
                walk(sub, (*path, name))

    walk(group, ())
    return found
