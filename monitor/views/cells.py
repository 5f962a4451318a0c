"""Terminal cell widths as rich measures them, at a fraction of the cost, for the status table's 100,000 lines.

rich's ``cell_len`` sums a Python call per character for every string it has not cached (and a table's strings
are all different). Here each distinct character is measured once by rich (``get_character_cell_size``) and a
string's width is the sum of its characters' widths, summed in C. Emoji sequences (a zero width joiner, a
variation selector), where a character's width depends on its neighbours, are left to rich whole.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from rich.cells import cell_len as rich_cell_len
from rich.cells import get_character_cell_size


class _Widths(dict[str, int]):
    """Every character measured so far, and its width in cells (0, 1 or 2): a character is measured when first
    looked up."""

    def __missing__(self, char: str) -> int:
        width = self[char] = get_character_cell_size(char)
        return width


_width = _Widths().__getitem__


def cell_len(text: str) -> int:
    """The cells ``text`` takes in a terminal (a Chinese character takes two): rich.cells.cell_len's answer."""
    if text.isascii() and text.isprintable():
        return len(text)
    if "\u200d" in text or "\ufe0f" in text:      # a zero width joiner, a variation selector: an emoji sequence
        return rich_cell_len(text)
    return sum(map(_width, text))


def fit(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` cells, or cut to them ending in "…"."""
    size = cell_len(text)
    return text + " " * (width - size) if size <= width else cut_to(text, width)


def cut_to(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells ending in "…" when wider, padded with spaces to ``width`` when not (an emoji
    sequence counted a character at a time: ``fit`` measures those as rich does)."""
    ends = list(accumulate(map(_width, text)))     # the width of each prefix
    if not ends or ends[-1] <= width:
        return text + " " * (width - (ends[-1] if ends else 0))
    index = bisect_right(ends, width - 1)           # the first character that does not leave room for "…"
    return text[:index] + " " * (width - 1 - (ends[index - 1] if index else 0)) + "…"
