"""The near miss of a typed word among the words it should have been (a column, a cluster id, a region, a regime):
what `monitor import` and the region checks suggest ("did you mean 包头市?", issue 26).

A region typed without its suffix (包头 for 包头市, 阿拉善 for 阿拉善盟) is the nearest of all; otherwise the
closest by difflib's ratio, compared without regard to case, width (NFKC) or spaces, when close enough.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

#: what ends the name of a league, a city, a prefecture, a district or a county (盟市 / 地州市 / 区县)
REGION_SUFFIXES = ("市", "盟", "州", "区", "县", "地区", "自治州", "旗")
#: how close a word must be to be suggested (difflib's ratio; 包头市 for 包头 is 0.8, 乌海市 for 包头市 0.33)
CUTOFF = 0.6


def _key(word: str) -> str:
    return "".join(unicodedata.normalize("NFKC", word).casefold().split())


#: as close as a mistyped id must be (MIIT-2023-011 for MIIT-2023-01 is 0.96; BT-001 for ORD-001 only 0.62)
ID_CUTOFF = 0.8


def nearest(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The candidate ``word`` is most likely a mistyping of, or None when none is ``cutoff`` close; never ``word``
    itself."""
    typed = _key(word)
    keyed: dict[str, str] = {}
    for candidate in candidates:
        if candidate != word:
            keyed.setdefault(_key(candidate), candidate)
    if not typed or not keyed:
        return None
    if typed in keyed:                          # the same but for case, width or spaces
        return keyed[typed]
    suffixed = [keyed[typed + suffix] for suffix in REGION_SUFFIXES if typed + suffix in keyed]
    if suffixed:
        return suffixed[0]
    matcher = difflib.SequenceMatcher(b=typed)
    scored: list[tuple[float, str]] = []
    for key in keyed:                               # as difflib.get_close_matches, ties settled below
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff and matcher.ratio() >= cutoff:
            scored.append((matcher.ratio(), key))
    if not scored:
        return None
    best = max(score for score, _ in scored)
    # of the equally close, one the typed word begins (MIIT-2023-011 for MIIT-2023-01), then the first in order
    tied = sorted((not key.startswith(typed), key) for score, key in scored if score == best)
    return keyed[tied[0][1]]
