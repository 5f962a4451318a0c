"""A bundled TOML catalogue read through a parsed copy kept beside Python's own bytecode.

``words.toml`` is 100 KB of TOML, and tomllib takes about 20 ms to read it: most of what a cold `monitor status`
spends beyond its imports (README, "Performance"). The parsed tables are kept as ``marshal`` data in the file's
``__pycache__`` folder, named by the file's size and modification time as Python names its ``.pyc`` files, and
read from there while both are the same. Where the folder cannot be written (an installation owned by another
user), or ``PYTHONDONTWRITEBYTECODE`` is set, the file is parsed every time: slower, never wrong. ``marshal``
is what the ``.pyc`` files themselves are; only our own parse of our own file is ever written there.
"""

from __future__ import annotations

import marshal
import os
import sys
import tomllib
from pathlib import Path
from typing import Any


def cached_copy(path: Path) -> Path:
    """Where the parsed copy of ``path``, as it is now, is kept."""
    found = path.stat()
    return path.parent / "__pycache__" / f"{path.name}.{found.st_size}-{found.st_mtime_ns}.marshal"


def read_toml(path: Path) -> dict[str, Any]:
    """``path`` parsed: from its kept copy when there is one for the file as it is, else parsed and kept."""
    copy = cached_copy(path)
    try:
        kept: dict[str, Any] = marshal.loads(copy.read_bytes())
        return kept
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if not sys.dont_write_bytecode:
        _keep(copy, data)
    return data


def _keep(copy: Path, data: dict[str, Any]) -> None:
    """Write the parsed copy whole (a temporary name, then renamed), and remove the copies of earlier versions."""
    try:
        copy.parent.mkdir(exist_ok=True)
        temporary = copy.with_name(f"{copy.name}.{os.getpid()}")
        temporary.write_bytes(marshal.dumps(data))
        temporary.replace(copy)
        stem = copy.name.split(".", 2)
        for old in copy.parent.glob(f"{stem[0]}.{stem[1]}.*.marshal"):
            if old != copy:
                old.unlink(missing_ok=True)
    except (OSError, ValueError):     # a folder we may not write, or a value marshal cannot keep: parse next time
        return
