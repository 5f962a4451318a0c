"""The command line speaks the configured language throughout (issue 14): help, confirmations, errors, regimes,
publicity and working days in Chinese with ``language = "zh"`` (the default), in English with "en".

Besides these, every test checks (conftest's autouse fixture) that each message it makes monitor say has its
Chinese in words.toml; and the tests below read the source, so a message nobody runs is checked too.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import click
import pytest

from monitor.cli import cli
from monitor.cli.language import commands
from monitor.views.words import _catalog
from tests.helpers import monitor, write_roster

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "jobs", "notifications", "db")
#: the calls whose first argument is a message template
SAYING = {"Said", "said", "BadValue", "MonitorError", "ConfigError", "PackError", "InputError", "ConflictError",
          "LoginRefused"}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")) if "migrations" not in path.parts]


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _message_calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name in SAYING:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_template_has_its_chinese() -> None:
    said = _catalog()["said"]
    missing = [f"{where}: {text!r}" for where, call in _message_calls() for text in _literals(call.args[0])
               if text not in said]
    assert not missing, "add these to words.toml [said]:\n" + "\n".join(missing)


def test_no_message_is_built_with_an_f_string() -> None:
    """An f-string cannot be looked up: the words must stay a template, the values beside it."""
    built = [where for where, call in _message_calls() if isinstance(call.args[0], ast.JoinedStr)]
    assert not built, f"give a template and its values instead: {built}"


def test_each_translation_says_the_same_values_and_nothing_is_stale() -> None:
    constants = {node.value for _, tree in _sources() for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    for english, chinese in _catalog()["said"].items():
        assert english in constants, f"no code says {english!r} any more: remove it from [said]"
        assert _fields(chinese) == _fields(english), (english, chinese)


def test_every_command_and_option_has_chinese_help() -> None:
    catalogue = _catalog()["help"]["zh"]
    known = dict(commands(cli))
    assert set(catalogue["commands"]) == set(known)      # none missing, none stale
    for path, command in known.items():
        entry = catalogue["commands"][path]
        own = entry.get("options", {})
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                option = max(param.opts, key=len)
                assert option in own or option in catalogue["options"], f"{path} {option}"
        assert set(own) <= {max(p.opts, key=len) for p in command.params if isinstance(p, click.Option)}, path


def test_click_words_are_words_click_has() -> None:
    """An upgrade of click that rewords one of its messages makes this fail (the word would stay English)."""
    strings = {node.value for path in Path(click.__file__).parent.glob("*.py")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not set(_catalog()["click"]["zh"]) - strings


# --- the commands, run -------------------------------------------------------------------------------------------

def _config(tmp_path: Path, lang: str) -> Path:
    path = tmp_path / f"{lang}.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/m.db"\n[general]\nlanguage = "{lang}"\n',
                    encoding="utf-8")
    return path


#: English words a Chinese screen may show: commands, options, ids, file names
ALLOWED = {"monitor", "status", "history", "amend", "reason", "cluster", "regimes", "toml", "config", "help",
           "filed", "year", "options", "command", "args", "record", "report", "import", "facts", "include",
           "archived", "roster", "unarchive", "change", "changed", "kind", "result", "ground", "note", "dismissed",
           "until", "preview", "send", "digest", "regime", "region", "known", "calendar", "export",
           "template", "publicity", "workdays", "days", "check", "reference", "snooze", "serve", "user", "version",
           "wide", "format", "table", "json", "html", "xlsx", "count", "start", "assessment", "review", "incident",
           "revocation", "retract", "sqlite", "uvicorn", "chromium", "iCalendar", "deadlines", "Excel", "draft",
           "FACT", "CLUSTER", "FILE", "START", "COUNT", "NAME", "DATE", "TEXT", "INTEGER", "INTEGER RANGE", "DIR",
           "PATH", "TIMESTAMP", "applied", "pass", "fail", "leading", "industry", "spatial", "scope", "operator",
           "false", "declaration", "violation", "major", "accident", "non", "cooperation", "role", "admin",
           "bureau", "viewer", "token", "tokens", "expires", "revoke", "passwd", "disable", "list", "add", "host",
           "port", "workers", "dry", "run", "SIGTERM", "SIGINT", "api", "eml", "Bearer", "Authorization",
           "csv", "test", "smtp", "cli"} | {word for path, _ in commands(cli) for word in re.split(r"[ -]", path)}


def _english_words(text: str) -> set[str]:
    """Words of three or more Latin letters outside paths, options, ids and quotes."""
    text = re.sub(r"[a-z]+(_[a-z]+)+(:[\w-]+)?|[a-z]+(-[a-z0-9]+)+|[A-Z]+-\d+|'[^']*'|`[^`]*`|\S*/\S*|--[\w-]+|\[[^\]]*\]|[\w.-]+\.(toml|csv|db|xlsx|html|pdf)", " ", text)
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED and w.lower() not in ALLOWED}


def test_chinese_throughout(tmp_path: Path) -> None:
    zh = _config(tmp_path, "zh")
    roster = write_roster(tmp_path / "r.csv", "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,呼和浩特市,运营,op@x.cn,bj@x.cn,,")
    runs = {
        "import": monitor("import", str(roster), config=zh),
        "record": monitor("record", "report", "nmg-1", "--year", "2023", "--filed-on", "2024-03-01", config=zh),
        "again": monitor("record", "report", "NMG-1", "--year", "2023", "--filed-on", "2024-03-01", config=zh),
        "change": monitor("record", "change", "NMG-1", "--kind", "主导产业", "--changed-on", "2024-05-01", config=zh),
        "amend": monitor("amend", "2", "--changed-on", "2024-05-02", "--reason", "日期录错", config=zh),
        "retract": monitor("retract", "3", "--reason", "误录", config=zh),
        "future": monitor("record", "review", "NMG-1", "--result", "通过", "--on", "2099-01-01", config=zh),
        "unknown": monitor("record", "report", "NOPE", "--year", "2023", "--filed-on", "2024-03-01", config=zh),
        "bad date": monitor("record", "report", "NMG-1", "--year", "2023", "--filed-on", "2024-02-30", config=zh),
        "missing": monitor("record", "report", "NMG-1", "--filed-on", "2024-03-01", config=zh),
        "no command": monitor("recrod", config=zh),
        "help": monitor("--help", config=zh),
        "record help": monitor("record", "change", "--help", config=zh),
        "regimes": monitor("regimes", config=zh),
        "publicity": monitor("publicity", "2026-09-28", config=zh),
        "one publicity": monitor("publicity", "2026-09-28", "--regime", "nmg-sme-draft", config=zh),
        "workdays": monitor("workdays", "add", "2026-09-30", "1", config=zh),
        "ack": monitor("ack", "NMG-1", "nothing", "--until", "2099-01-01", "--note", "x", config=zh),
    }
    assert runs["record"].stdout == "NMG-1：已记录事实 1：2023年度报告（2024-03-01报送）\n"
    assert runs["again"].stdout == "NMG-1：2023年度报告（2024-03-01报送）已记录过（事实 1）\n"
    assert runs["amend"].stdout.startswith("NMG-1：事实 3 更正事实 2：2024-05-02的主导产业变更")
    assert runs["future"].stderr == "错误：--on 2099-01-01 在未来（今天是 " + runs["future"].stderr.split("今天是 ")[1]
    assert runs["unknown"].stderr == "错误：没有集群 'NOPE'：`monitor status` 列出全部集群\n"
    assert "用法:" in runs["help"].stdout and "选项:" in runs["help"].stdout and "命令:" in runs["help"].stdout
    assert "显示本帮助并退出。" in runs["help"].stdout
    assert "已报送的年度报告" not in runs["help"].stdout and "记录发生的事实" in runs["help"].stdout
    assert "'2024-02-30' 不是日期：没有这一天" in runs["bad date"].stderr
    assert "缺少选项 '--year'" in runs["missing"].stderr and runs["missing"].exit_code == 2
    assert "没有命令 'recrod'" in runs["no command"].stderr
    assert "年度报告：每年3月10日前由盟市工信局报送" in runs["regimes"].stdout
    assert "nmg-sme-draft：2026-09-28 起 5 个工作日（第十条）：2026-10-09（周五）结束\n" in runs["publicity"].stdout
    assert runs["one publicity"].stdout.startswith("2026-09-28 起 5 个工作日：2026-10-09（周五）结束")
    assert runs["workdays"].stdout.startswith("2026-10-08（周四）")      # after the National Day holiday
    for name, result in runs.items():
        said = result.stdout + result.stderr
        assert "error:" not in said and "Usage:" not in said, name
        assert not _english_words(said), (name, _english_words(said), said)


def test_english_throughout(tmp_path: Path) -> None:
    en = _config(tmp_path, "en")
    roster = write_roster(tmp_path / "r.csv", "NMG-1,自治区集群,nmg-sme-draft,2023-10-15,呼和浩特市,运营,op@x.cn,bj@x.cn,,")
    assert monitor("import", str(roster), config=en).stdout == "imported r.csv: 1 added, 0 updated\n"
    recorded = monitor("record", "report", "NMG-1", "--year", "2023", "--filed-on", "2024-03-01", config=en)
    assert recorded.stdout == "NMG-1: recorded fact 1: the report on 2023, filed 2024-03-01\n"
    unknown = monitor("record", "report", "NOPE", "--year", "2023", "--filed-on", "2024-03-01", config=en)
    assert unknown.stderr == "error: unknown cluster 'NOPE': `monitor status` lists the known ones\n"
    help_text = monitor("--help", config=en).stdout
    assert "Usage:" in help_text and "Record a fact as it happens" in help_text
    assert "annual report: due 03-10 each year, by the 盟市工信局" in monitor("regimes", config=en).stdout
    assert monitor("publicity", "2026-09-28", "--regime", "xj-amc", config=en).stdout.startswith(
        "2026-09-28 + 5 working days: ends 2026-10-09 (Fri)")
    assert "xj-amc: 2026-09-28 + 5 working days (第七条（三）): ends 2026-10-09 (Fri)\n" in monitor(
        "publicity", "2026-09-28", config=en).stdout
    for result in (recorded, unknown, monitor("regimes", config=en), monitor("--help", config=en)):
        assert not re.search(r"错误|用法|选项|年度报告|有效期|已记录", result.stdout + result.stderr)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_language_is_read_from_the_config_the_command_names(tmp_path: Path, lang: str) -> None:
    """--config after the command name counts too (each command takes it)."""
    config = _config(tmp_path, lang)
    result = monitor("status", "--cluster", "X", "--config", str(config))
    first = result.stderr.splitlines()[0]
    assert first.startswith("错误：" if lang == "zh" else "error: "), first
