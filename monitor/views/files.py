"""Writing an output file whole: to a temporary file beside it, then renamed over it. A reader (a calendar client
subscribed to the feed, Excel opening the export) never sees half a file, and a failed write leaves the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from monitor.errors import InputError, os_reason

T = TypeVar("T")


def write_whole(path: Path, write: Callable[[BinaryIO], T]) -> T:
    """Run ``write`` on a temporary file and put it at ``path``; what ``write`` returned. An unwritable path is
    an InputError naming it."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise InputError("{path}: cannot write there: {reason}", path=path, reason=os_reason(exc)) from None
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            result = write(out)
        temporary.chmod(0o644)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result
