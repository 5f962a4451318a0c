"""Chinese names in the order an administrator looks for them: by pinyin (包头市 before 呼和浩特市 before 鄂尔多斯市
would be wrong; 包头市, 鄂尔多斯市, 呼和浩特市 is right), not by code point.

No pinyin library is in the lock, and none is needed for this: GB 2312 lays out its 3,755 level-one characters (the
common ones, which every prefecture, league and county name in the province uses) in pinyin order, and GB 18030 keeps
those code points. Encoding a name in GB 18030 therefore gives a key that sorts by pinyin; a rarer character (GB 2312
level two and beyond, ordered by radical) sorts after the common ones, and letters and digits before every character,
as a dictionary has them. A name GB 18030 cannot encode (it covers all of Unicode) cannot occur.
"""

from __future__ import annotations


def pinyin_key(name: str) -> tuple[bytes, str]:
    """The sort key of ``name``: its GB 18030 bytes (pinyin order for common characters), then the name itself."""
    return name.encode("gb18030"), name
