"""The layers import one way only (README, "The shape of the code"): a module that imports upward fails here.

Every import is read from the source (top-level and inside functions alike), so a lazy import cannot hide.
"""

from __future__ import annotations

import ast
import re
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
    # the web may build and post a channel's test message as the daemon does (monitor/web/channels_pages.py)
    "monitor.web": ("monitor.web", "monitor.app", "monitor.overview", "monitor.clock", "monitor.config",
                    "monitor.rules", "monitor.actions", "monitor.views", "notifications", "db", *BASE),
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


# --- SQL in one room: jobs/ decides, db/ reads and writes --------------------------------------------------------

#: what jobs/ may take from SQLAlchemy: the types of the sessions it is handed, nothing that builds a statement
JOBS_SQLALCHEMY = {"sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker"}
#: methods that run SQL on a session or a connection (a session's add or get needs a table: db.models is caught)
RUNS_SQL = {"execute", "exec_driver_sql", "executemany", "scalar", "scalars", "query"}
#: SQL written out as text: a statement's first words
SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH|CREATE|DROP|ALTER|PRAGMA)\s",
                      re.IGNORECASE)


def sql_of_its_own(source: str) -> list[str]:
    """What in ``source`` runs or builds SQL: a SQLAlchemy import beyond the session types, the tables
    (db.models), a call that runs SQL, or a string that is an SQL statement (docstrings aside)."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if a.name.split(".")[0] == "sqlalchemy" or a.name.startswith("db.models")]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names = {f"{node.module}.{a.name}" for a in node.names}
            if node.module.split(".")[0] == "sqlalchemy" and not names <= JOBS_SQLALCHEMY:
                found.append((node.lineno, f"from {node.module} import {', '.join(a.name for a in node.names)}"))
            if node.module == "db.models" or "db.models" in names:
                found.append((node.lineno, f"from {node.module} import …"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
            found.append((node.lineno, f"line {node.lineno}: .{node.func.attr}(…)"))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and SQL_TEXT.match(node.value)):
            found.append((node.lineno, f"line {node.lineno}: {node.value!r}"))
    return [what for _, what in sorted(found, key=lambda found: found[0])]


@pytest.mark.parametrize("path", sorted((ROOT / "jobs").rglob("*.py")), ids=lambda p: p.name)
def test_jobs_runs_no_sql_of_its_own(path: Path) -> None:
    """The ledger's SQL lives in db/ (ledger.py, round_queries.py, reminder_queries.py, …): jobs/ calls it."""
    assert sql_of_its_own(path.read_text(encoding="utf-8")) == []


def test_the_room_check_catches_sql_in_jobs() -> None:
    """The check itself: each way of running or building SQL is caught, and prose about SQL is not."""
    bad = '''"""Claims with an UPDATE … WHERE state = 'pending'."""
import sqlalchemy
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from db.models import MessageRow


def step(session: Session, conn) -> None:
    """SELECT nothing: a docstring."""
    session.execute(select(MessageRow))
    conn.exec_driver_sql("delete from message")
    session.scalar(text("select 1"))
    log.info("UPDATE message SET state = 'sent'")
'''
    assert sql_of_its_own(bad) == [
        "import sqlalchemy", "from sqlalchemy import select, text", "from db.models import …",
        "line 10: .execute(…)", "line 11: .exec_driver_sql(…)", "line 11: 'delete from message'",
        "line 12: .scalar(…)", "line 12: 'select 1'", "line 13: \"UPDATE message SET state = 'sent'\""]
    assert sql_of_its_own("from sqlalchemy.orm import Session, sessionmaker\n") == []
