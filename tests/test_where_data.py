"""Where the data is: a command that only reads never creates a database, and status names the one it read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_ROSTER, monitor


@pytest.mark.parametrize("args", [
    ["status"], ["status", "--format", "json"], ["calendar"], ["export", "out.xlsx"], ["report", "r.html"],
    ["history", "X-1"], ["user", "list"], ["digest", "--preview", "outbox"],
])
def test_a_read_only_command_in_an_empty_folder_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    result = monitor(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"错误：{tmp_path / 'monitor.db'} 没有数据库：请先运行 monitor import 名册文件，或在 内置默认配置 中设置 "
        "database.url（或设置 MONITOR_DATABASE_URL）")
    assert list(tmp_path.iterdir()) == []


def test_status_names_the_database_it_read_beside_its_config(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    folder = tmp_path / "english"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text('[general]\nlanguage = "en"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert monitor("import", str(EXAMPLE_ROSTER), config=config).exit_code == 0
    table = monitor("status", config=config)
    assert table.exit_code == 0 and table.stdout.splitlines()[-1] == f"database: {folder / 'monitor.db'}"
    document = json.loads(monitor("status", "--format", "json", config=config).stdout)
    assert document["database"] == str(folder / "monitor.db") and len(document["clusters"]) == 8
    assert not (tmp_path / "monitor.db").exists()      # the database is beside the config, not the folder


def test_a_postgresql_url_is_named_without_its_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.app import App
    from monitor.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, {"MONITOR_DATABASE_URL": "postgresql+psycopg://monitor:s3cret@db.internal/m"})
    assert App(_settings=settings).database == "postgresql+psycopg://monitor:***@db.internal/m"


def test_status_on_sqlite_imports_nothing_of_sqlalchemy(tmp_path: Path) -> None:
    """`monitor status` reads SQLite through sqlite3 itself (README, "Performance": its cold start), the stored
    baseline included: a fresh process that prints the status has not imported SQLAlchemy, nor pandas or matplotlib
    (the commands that chart), nor multiprocessing (only an overview of 20,000 clusters or more forks workers), nor
    pypinyin (about 0.2 s of dictionaries, imported by the first name sorted: monitor/rules/collation.py)."""
    import os
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n', encoding="utf-8")
    assert monitor("import", str(EXAMPLE_ROSTER), "--from", "2026-11-01", config=config).exit_code == 0
    code = ("import sys\nfrom monitor.cli import main\n"
            "sys.argv = ['monitor', 'status', '--config', sys.argv[1]]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(name for name in ('sqlalchemy', 'pandas', 'matplotlib', 'multiprocessing', 'pypinyin')"
            " if name in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, check=False,
                          env={**os.environ, "MONITOR_NOW": "2026-11-23T09:00+08:00"})
    assert "历史事项未登记" in done.stdout, done.stdout + done.stderr      # the baseline was read
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
