"""Free text as people type it (a note, a reason, a comment): one paragraph of printable text; and any stored text
made safe to print on a line of its own (issue 25: a line break in a reason could forge a line of history)."""

from __future__ import annotations

import re

#: what no free text may hold, nor print raw: the C0 and C1 controls (line breaks, tabs, escapes, DEL), the
#: Unicode line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates (which
#: reorder what a line shows)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def unsafe_in(text: str) -> bool:
    """Whether ``text`` holds a character that a free text may not."""
    return UNSAFE.search(text) is not None


def one_line(text: str) -> str:
    """``text`` with each such character written as its escape (``\\n``, ``\\x1b``, ``\\u2028``): what it says
    stays readable, and nothing it holds can start a line or move the cursor."""
    return UNSAFE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
