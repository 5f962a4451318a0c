"""Running the command line in tests, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from monitor.cli import cli


def monitor(*args: str, config: Path | None = None) -> Result:
    full = ["--config", str(config), *args] if config else list(args)
    return CliRunner().invoke(cli, full, catch_exceptions=False)


def status_json(config: Path, *args: str) -> dict[str, Any]:
    result = monitor("status", "--format", "json", *args, config=config)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def in_chinese(config: Path) -> Path:
    """A copy of ``config`` beside it (so the same database) that speaks Chinese."""
    chinese = config.with_name(f"{config.stem}-zh.toml")
    chinese.write_text(config.read_text(encoding="utf-8").replace('language = "en"', 'language = "zh"'),
                       encoding="utf-8")
    return chinese


ROSTER_HEADER = "id,name,regime,certified_on,region,operator,operator_email,bureau_email,batch,valid_until\n"


def write_roster(path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    path.write_text(ROSTER_HEADER + "".join(r + "\n" for r in rows), encoding=encoding)
    return path


EXAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster.csv"


def own_config(tmp_path: Path, name: str = "config", text: str = "", roster: Path | None = EXAMPLE_ROSTER) -> Path:
    """``name``.toml with a SQLite database of its own, then ``text``; ``roster`` (the example) imported."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / name}.db"\n{text}', encoding="utf-8")
    if roster is not None:
        result = monitor("import", str(roster), config=path)
        assert result.exit_code == 0, result.output
    return path
