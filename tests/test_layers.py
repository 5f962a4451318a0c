"""The layers import one way only (README, "The shape of the code"): a module that imports upward fails here.

Every import is read from the source (top-level and inside functions alike), so a lazy import cannot hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "jobs", "notifications", "db")

BASE = ("monitor.errors", "monitor.schema", "monitor.addresses")
#: a module (by its longest matching prefix) may import only these of our modules
ALLOWED: dict[str, tuple[str, ...]] = {
    "monitor.errors": (),
    "monitor.addresses": ("monitor.errors",),
    "monitor.schema": ("monitor.errors",),
    "monitor.clock": BASE,
    "monitor.config": BASE,
    "monitor.rules": ("monitor.rules", *BASE),
    "db": ("db", "monitor.rules", *BASE),
    "monitor.actions": ("monitor.actions", "monitor.rules", "monitor.config", "db", *BASE),
    "monitor.views": ("monitor.views", "monitor.rules", "monitor.config", *BASE),
    "notifications": ("notifications", "monitor.rules", "monitor.views.words", "monitor.config", *BASE),
    "monitor.app": ("monitor.app", "monitor.clock", "monitor.config", "monitor.rules", "db", *BASE),
    "monitor.overview": ("monitor.overview", "monitor.app", "monitor.clock", "monitor.rules", "db", *BASE),
    "monitor.web": ("monitor.web", "monitor.app", "monitor.overview", "monitor.clock", "monitor.config",
                    "monitor.rules", "monitor.actions", "monitor.views", "db", *BASE),
    "jobs": ("jobs", "monitor.app", "monitor.overview", "monitor.clock", "monitor.config", "monitor.rules",
             "monitor.actions", "monitor.views", "notifications", "db", *BASE),
    "monitor.cli": ("monitor", "jobs", "notifications", "db"),
    "monitor.__main__": ("monitor.cli",),
    "monitor": (),
}
#: third-party packages a layer must not touch: rules and views never see a database
FORBIDDEN_EXTERNAL = {"monitor.rules": ("sqlalchemy", "click"), "monitor.views": ("sqlalchemy", "click"),
                      "notifications": ("sqlalchemy", "click")}


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if "migrations" not in parts:
                found.append((name, path))
    return found


def imports(path: Path, name: str) -> set[str]:
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.update(f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base
                         for alias in node.names)
    return found


def _is_module(dotted: str) -> bool:
    """Whether ``from a.b import c`` imports a module of ours (a.b.c), not a name defined in a.b."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _layer(name: str, table: dict[str, tuple[str, ...]]) -> str | None:
    matches = [prefix for prefix in table if name == prefix or name.startswith(prefix + ".")]
    return max(matches, key=len) if matches else None


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(("name", "path"), modules(), ids=[name for name, _ in modules()])
def test_imports_point_one_way(name: str, path: Path) -> None:
    layer = _layer(name, ALLOWED)
    assert layer is not None, f"{name} belongs to no layer: add it to ALLOWED"
    found = imports(path, name)
    wrong = sorted(m for m in found if _ours(m) and not _within(m, (layer, *ALLOWED[layer])) and m != name)
    assert not wrong, f"{name} ({layer}) imports {wrong}"
    forbidden = FORBIDDEN_EXTERNAL.get(_layer(name, dict.fromkeys(FORBIDDEN_EXTERNAL, ())) or "", ())
    assert not [m for m in found if _within(m, forbidden)], f"{name} imports {forbidden}"


def test_only_the_command_line_imports_jobs() -> None:
    importers = {name for name, path in modules() if not name.startswith("jobs")
                 and any(_within(m, ("jobs",)) for m in imports(path, name))}
    assert importers <= {"monitor.cli.reminders_commands"}, importers


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself: a rule module that reads the database is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from db.queries import load_facts\n\ndef f():\n    from monitor.views import table\n")
    found = imports(bad, "monitor.rules.bad")
    layer = _layer("monitor.rules.bad", ALLOWED)
    assert layer == "monitor.rules"
    assert sorted(m for m in found if _ours(m) and not _within(m, (layer, *ALLOWED[layer]))) == [
        "db.queries", "monitor.views.table"]


def test_no_module_name_repeats_across_layers() -> None:
    """A module's name says its layer where a concept has a module in several (``db/fact_queries.py``,
    ``monitor/rules/facts.py``, ``monitor/cli/facts_commands.py``): a reader finds a thing by its name."""
    seen: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name != "__init__.py" and "migrations" not in path.parts:
                seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {name: places for name, places in seen.items() if len(places) > 1} == {}
