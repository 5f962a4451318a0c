"""The install is the lock: what `scripts/install --dev` put into .venv is exactly requirements-dev.lock, and
the runtime lock agrees with it on every package both hold."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
#: what every virtual environment has beside what it was asked for (pip freeze leaves them out too)
TOOLS = {"pip", "setuptools", "wheel", "monitor"}


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {_name(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)}


def test_every_pin_has_hashes_and_the_runtime_lock_is_held_by_the_dev_lock() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        entries = re.findall(r"^[A-Za-z0-9_.-]+==\S+(?: \\\n\s+--hash=sha256:[0-9a-f]{64})+", text, re.MULTILINE)
        assert len(entries) == len(pins(lock)) > 0, f"{lock}: a pin without its hashes"
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_environment_running_the_tests_is_the_dev_lock() -> None:
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        if IN_CI:
            pytest.fail(f"CI runs the tests in {sys.prefix}, not in the .venv scripts/install made")
        pytest.skip("not running in the project's .venv")
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert {n: v for n, v in installed.items() if n not in TOOLS} == pins("requirements-dev.lock")
