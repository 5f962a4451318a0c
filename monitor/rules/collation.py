"""Chinese names in the order an administrator looks for them: by pinyin (包头市 before 呼和浩特市 before 鄂尔多斯市
would be wrong; 包头市, 鄂尔多斯市, 呼和浩特市 is right), not by code point.

The key is a name's syllables as pypinyin reads them (``lazy_pinyin``, whose phrase dictionary reads a polyphonic
character by the word it is in: 重庆 chóng, 蚌埠 bèng, 六安 lù, 乐清 yuè, 铅山 yán, 番禺 pān), toneless first, then
with their tones (1–4, 5 for the neutral tone) to part names whose syllables are the same, then the name itself.
A place name whose reading the phrase dictionary gets wrong is read from ``PLACES`` (长治 cháng, not zhǎng).

An earlier key, the name's GB 18030 bytes, put each common character at one reading (重 under zhòng, 蚌 under bàng,
六 under liù, 乐 under lè) and the rarer ones (亳, 歙, 鄯) after every common one; tests/test_labels.py keeps
the cases it got wrong.

pypinyin loads its dictionaries on import (about 0.2 s), so it is imported on the first key asked for, never by
importing this module: `monitor status`, which sorts no names, does not pay for it; a name of ASCII alone (and
"", a cluster without a region) needs no pypinyin. Keys are cached. Letters and digits within a name are kept as
they are and compared as text with the syllables.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

#: place names whose reading pypinyin's phrase dictionary gets wrong (checked against 0.55): name -> syllables
PLACES: dict[str, tuple[str, ...]] = {
    "长治": ("cháng", "zhì"),        # 山西长治市 (pypinyin: zhǎng)
    "长白": ("cháng", "bái"),        # 吉林长白朝鲜族自治县
    "朝阳": ("cháo", "yáng"),        # 辽宁朝阳市, 北京朝阳区 (pypinyin: zhāo)
    "单县": ("shàn", "xiàn"),        # 山东单县 (pypinyin: dān)
    "涡阳": ("guō", "yáng"),         # 安徽涡阳县 (pypinyin: wō)
    "天台": ("tiān", "tāi"),         # 浙江天台县
    "华县": ("huà", "xiàn"),         # 陕西华县
    "华阴": ("huà", "yīn"),          # 陕西华阴市
    "洪洞": ("hóng", "tóng"),        # 山西洪洞县
    "繁峙": ("fán", "shì"),          # 山西繁峙县
    "于都": ("yú", "dū"),            # 江西于都县
}


@cache
def _reader() -> Any:
    """pypinyin, with PLACES in its phrase dictionary: imported here, on first use."""
    import pypinyin

    pypinyin.load_phrases_dict({name: [[syllable] for syllable in read] for name, read in PLACES.items()})
    return pypinyin


@lru_cache(maxsize=65536)
def pinyin_key(name: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The sort key of ``name``: its syllables without tones, then with them, then the name itself."""
    if name.isascii():
        return (name,) if name else (), (), name
    pypinyin = _reader()
    plain = tuple(pypinyin.lazy_pinyin(name, style=pypinyin.Style.NORMAL))
    toned = tuple(pypinyin.lazy_pinyin(name, style=pypinyin.Style.TONE3, neutral_tone_with_five=True))
    return plain, toned, name
