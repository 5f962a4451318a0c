"""The bundled catalogue's parsed copy (monitor/views/parsed.py): used while the file is as it was, never when
it changed, and never needed."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from monitor.views.parsed import cached_copy, read_toml


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "words.toml"
    path.write_text('[said]\n"a" = "甲"\n', encoding="utf-8")
    return path


def test_the_second_read_comes_from_the_kept_copy(catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    assert read_toml(catalogue) == {"said": {"a": "甲"}}
    copy = cached_copy(catalogue)
    assert copy.parent.name == "__pycache__" and marshal.loads(copy.read_bytes()) == {"said": {"a": "甲"}}
    copy.write_bytes(marshal.dumps({"said": {"a": "kept"}}))      # what only the copy says
    assert read_toml(catalogue) == {"said": {"a": "kept"}}


def test_a_changed_file_is_parsed_again_and_its_old_copy_removed(catalogue: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    read_toml(catalogue)
    old = cached_copy(catalogue)
    catalogue.write_text('[said]\n"a" = "乙"\n"b" = "丙"\n', encoding="utf-8")
    assert read_toml(catalogue) == {"said": {"a": "乙", "b": "丙"}}
    assert not old.exists()
    assert [p.name for p in old.parent.iterdir()] == [cached_copy(catalogue).name]


def test_a_damaged_copy_is_parsed_over(catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    read_toml(catalogue)
    cached_copy(catalogue).write_bytes(b"\x00not marshal")
    assert read_toml(catalogue) == {"said": {"a": "甲"}}
    assert marshal.loads(cached_copy(catalogue).read_bytes()) == {"said": {"a": "甲"}}


def test_nothing_is_written_where_bytecode_is_not(catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    assert read_toml(catalogue) == {"said": {"a": "甲"}}
    assert not (catalogue.parent / "__pycache__").exists()
