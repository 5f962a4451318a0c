"""A channel is a class: every ``type`` config.toml accepts has its class, in a file of its own, with a test file
of its own; and no other module branches on a channel's type (the source is read, so a branch nobody runs is
caught too)."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from monitor.config import ChannelSettings, config_json_schema
from notifications.channels import channel_for, channels_for, kinds
from notifications.channels.channel import Channel
from notifications.router import Router
from tests import channel_contract

ROOT = Path(__file__).resolve().parent.parent
KIND_DIR = ROOT / "notifications" / "channels"
#: where no module may branch on a kind: the packages that send, and the config's declaration
WATCHED = [*sorted((ROOT / "notifications").rglob("*.py")), *sorted((ROOT / "jobs").rglob("*.py")),
           ROOT / "monitor" / "config.py"]


def config_types() -> set[str]:
    return set(typing.get_args(typing.get_type_hints(ChannelSettings)["type"]))


def test_every_config_type_has_its_class_and_every_class_its_config_type() -> None:
    assert config_types() == set(kinds()), (
        "a kind is a file in notifications/channels/ and its name in ChannelSettings.type (monitor/config.py); "
        "then regenerate docs/config.schema.json (MONITOR_WRITE_SCHEMAS=1 pytest tests/test_config.py)")
    assert set(config_json_schema()["$defs"]["ChannelSettings"]["properties"]["type"]["enum"]) == set(kinds())


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_each_kind_is_a_file_of_its_own_with_its_limits_and_a_test_file(kind: str) -> None:
    cls = kinds()[kind]
    assert issubclass(cls, Channel) and not inspect.isabstract(cls)
    assert Path(inspect.getsourcefile(cls) or "") == KIND_DIR / f"{kind}.py"
    assert cls.max_bytes > 0 and cls.per_minute > 0
    tests = ROOT / "tests" / f"test_channel_{kind}.py"
    assert tests.is_file(), f"{kind}: add {tests.relative_to(ROOT)} with a subclass of tests.channel_contract.Contract"
    tree = ast.parse(tests.read_text(encoding="utf-8"))
    contracts = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                 and any(isinstance(base, ast.Name) and base.id == "Contract" for base in node.bases)
                 and any(isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) and s.value.value == kind
                         for s in node.body)]
    assert contracts, f"{tests.name}: a class Test…(Contract) with kind = {kind!r}"


def test_the_registry_builds_each_configured_channel_by_its_type(tmp_path: Path) -> None:
    text = "".join(f'[[channels]]\nname = "g-{kind}"\ntype = "{kind}"\nurl_env = "U"\n' for kind in sorted(kinds()))
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    from monitor.config import load_settings

    settings = load_settings(tmp_path / "config.toml", {}).channels
    built = channels_for(settings)
    assert {name: type(channel).kind for name, channel in built.items()} == {f"g-{k}": k for k in kinds()}
    assert all(channel_for(s).settings is s for s in settings)
    assert not Router(None, built).halted and Router(None, {}).halted


def branches(source: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Where ``source`` tells kinds apart by name: a comparison with a kind's name (``type == "wecom"``,
    ``in ("feishu", …)``), a ``case "dingtalk":``, or a table keyed by kinds' names. ``allowed``: the name a
    kind's own file may use."""
    names = set(kinds()) - allowed
    found = []

    def named(node: ast.AST | None) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(named(element) for element in node.elts)
        return False

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(named(side) for side in (node.left, *node.comparators)):
            found.append(f"line {node.lineno}: a comparison with a kind's name")
        elif isinstance(node, ast.MatchValue) and named(node.value):
            found.append(f"line {node.lineno}: a case for a kind's name")
        elif isinstance(node, ast.Dict) and any(named(key) for key in node.keys):
            found.append(f"line {node.lineno}: a table keyed by kinds' names")
    return found


@pytest.mark.parametrize("path", WATCHED, ids=[str(p.relative_to(ROOT)) for p in WATCHED])
def test_no_module_branches_on_a_channel_type(path: Path) -> None:
    own = frozenset({path.stem}) if path.parent == KIND_DIR and path.stem in kinds() else frozenset()
    found = branches(path.read_text(encoding="utf-8"), own)
    assert not found, f"{path.relative_to(ROOT)}: {found}: give the kind's class (notifications/channels/) the behaviour"


def test_the_branch_check_catches_a_branch() -> None:
    """The check itself: the branches this refactoring removed are caught; naming a kind is not a branch."""
    caught = branches('if channel.type == "webhook":\n    pass\n'
                      'elif secret and "dingtalk" != channel.type:\n    pass\n'
                      'x = channel.type in ("feishu", "x")\n'
                      'match channel.type:\n    case "wecom":\n        pass\n'
                      'LIMITS = {"wecom": (4096, 20)}\n')
    assert sorted(int(place.split()[1].rstrip(":")) for place in caught) == [1, 3, 5, 7, 9], caught
    assert branches('kind = "wecom"\ntype: Literal["wecom", "feishu"]\n') == []
    assert branches('if self.kind == "wecom":\n    pass\n', frozenset({"wecom"})) == []


def test_the_contract_module_is_not_collected_itself() -> None:
    assert not [name for name in vars(channel_contract) if name.startswith("Test")]
