"""The console names pages, not commands (issue 27, item 1): every message of words.toml that names a CLI command
has its console wording (monitor/web/wording.py), or is one the console never says; the console says them
through wording.say alone; the CLI keeps the command."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from monitor.errors import ConflictError, Said
from monitor.views.words import _catalog
from monitor.views.words import say as cli_say
from monitor.web import wording

ROOT = Path(__file__).resolve().parent.parent
COMMAND = re.compile(r"`monitor [a-z]")
OPTION = re.compile(r"--[a-z]")


def _fields(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)", template))


def test_every_message_naming_a_command_has_its_console_wording() -> None:
    naming = {template for template in _catalog()["said"] if COMMAND.search(template)}
    forgotten = sorted(naming - set(wording.CONSOLE) - wording.CLI_ONLY)
    assert forgotten == [], "give these a console wording in monitor/web/wording.py (or list them in CLI_ONLY)"
    options = {template for template in _catalog()["said"] if OPTION.search(template)}
    assert set(wording.CONSOLE) | wording.CLI_ONLY <= naming | options     # nothing listed that no longer is


def test_each_console_wording_names_no_command_keeps_the_values_and_has_its_chinese() -> None:
    said = _catalog()["said"]
    for template, instead in wording.CONSOLE.items():
        assert not COMMAND.search(instead) and not OPTION.search(instead), instead
        assert _fields(instead) <= _fields(template), instead
        assert instead in said and not COMMAND.search(said[instead]), instead


def test_the_console_and_the_cli_say_a_contradiction_each_their_way() -> None:
    error = ConflictError("{id}: fact {number} records {stored}, not {fact}: to correct it, "
                          "`monitor amend {number} … --reason …`", id="BT-001", number=3, stored="x", fact="y")
    nested = Said("{source}: line {line}: {problem}", source="f.csv", line=2, problem=error.said)
    assert "monitor amend 3" in cli_say(nested, "zh") and "monitor amend 3" in cli_say(error, "en")
    for lang in ("zh", "en"):
        for message in (error, nested):
            assert "monitor amend" not in wording.say(message, lang)
    assert "事实 3 的“更正”表单" in wording.say(nested, "zh")


def test_the_upload_names_the_users_file_wherever_the_servers_copy_is_named() -> None:
    copy = Path("/tmp/monitor-upload-abc/facts.csv")
    said = Said("{source}: line {line}: {problem}", source=copy, line=4,
                problem=Said("{path}: the file has no rows", path=copy))
    shown = wording.say(wording.renamed(said, copy, "我的报送.csv"), "zh")
    assert "monitor-upload-" not in shown and shown.count("我的报送.csv") == 2


def test_the_web_says_its_messages_through_wording_alone() -> None:
    """No module of monitor/web but wording.py takes ``say`` from monitor.views.words: a page cannot forget."""
    wrong = []
    for path in (ROOT / "monitor" / "web").glob("*.py"):
        if path.name == "wording.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "monitor.views.words":
                wrong += [f"{path.name}: {alias.name}" for alias in node.names if alias.name == "say"]
            if isinstance(node, ast.Attribute) and node.attr == "say" and ast.unparse(node.value).endswith("words"):
                wrong.append(f"{path.name}:{node.lineno}")
    assert wrong == []
