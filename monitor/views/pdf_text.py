"""A printed PDF's text layer as the Chinese on the page: searchable for 赤峰市, copyable as 自治区.

Noto Sans/Serif CJK (Debian's fonts-noto-cjk, the fonts the pages name) draw 自 and the Kangxi radical ⾃ with one
glyph, 门 and the radical ⻔ with one glyph, 胶 and the Extension A 㬵 with one glyph. Chromium's PDF writer (Skia)
maps each glyph back to the *lowest* code point the font gives it, so the ToUnicode maps it writes send 自 to
U+2F83, 门 to U+2ED4, 胶 to U+3B35 (it records the right text only in /ActualText spans, which most extractors,
pypdf among them, ignore). No font choice in CSS avoids it: every CJK font installed shares these glyphs.

So :func:`searchable` rewrites the ToUnicode maps of the PDF Chromium printed: a code that maps to a radical (the
Kangxi Radicals block by its compatibility decomposition, the CJK Radicals Supplement and the few Extension A
characters by the table below, which is what those fonts share) maps to the unified ideograph instead. The rest
of the file is copied byte for byte; the cross-reference table is written again for the new lengths."""

from __future__ import annotations

import re
import unicodedata
import zlib

#: the radicals and Extension A characters Noto CJK draws with a unified ideograph's glyph, whose compatibility
#: decomposition (NFKC) is not that ideograph (found by printing U+4E00–U+9FFF in both fonts, both weights)
_SHARED: dict[str, str] = {pair[0]: pair[1] for pair in re.findall(r"\S\S", (
    "⺂乛 ⺃乚 ⺅亻 ⺉刂 ⺎兀 ⺏尣 ⺐尢 ⺒巳 ⺓幺 ⺔彑 ⺕彐 ⺖忄 ⺘扌 ⺙攵 ⺛旡 ⺞歺 ⺟母 ⺠民 ⺡氵 ⺣灬 ⺤爫 ⺦丬 ⺨犭 ⺫罒 ⺭礻 "
    "⺯糹 ⺰纟 ⺱罓 ⺹耂 ⺺肀 ⺾艹 ⻁虎 ⻂衤 ⻃覀 ⻅见 ⻆角 ⻈讠 ⻉贝 ⻋车 ⻌辶 ⻐钅 ⻑長 ⻒镸 ⻓长 ⻔门 ⻖阝 ⻘青 ⻙韦 "
    "⻚页 ⻛风 ⻜飞 ⻝食 ⻟飠 ⻠饣 ⻢马 ⻣骨 ⻤鬼 ⻥鱼 ⻦鸟 ⻧卤 ⻨麦 ⻩黄 ⻪黾 ⻫斉 ⻬齐 ⻮齿 ⻯竜 ⻰龙 ⻱龜 ⻲亀 ⻳龟 "
    "⼾户 㫚曶 㬵胶 㬺幐 㮣槩"))}
#: what a text layer should never hold (the radicals blocks): Kangxi Radicals, CJK Radicals Supplement
RADICALS = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf]")

_TO_UNICODE = re.compile(rb"/ToUnicode\s+(\d+)\s+0\s+R")
_STREAM = re.compile(rb"(\d+)\s+0\s+obj\s*<<(.*?)>>\s*stream\r?\n", re.DOTALL)
_LENGTH = re.compile(rb"/Length\s+(\d+)")
_CHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_BODY = re.compile(rb"\d+\s+begincodespacerange.*?endcodespacerange\s*(.*?)endcmap", re.DOTALL)
_XREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TABLE = re.compile(rb"xref\s+0\s+(\d+)\s*\n")


def ideograph(char: str) -> str:
    """The unified ideograph a radical is drawn as (``⾃`` → ``自``); any other character as it is."""
    if char in _SHARED:
        return _SHARED[char]
    if "\u2f00" <= char <= "\u2fdf":
        return unicodedata.normalize("NFKC", char)
    return char


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be").hex().upper().encode()


def _cmap(text: bytes) -> bytes:
    """A ToUnicode CMap whose destinations are ideographs, every mapping written as a bfchar (a bfrange's
    consecutive destinations no longer hold once one of them is replaced)."""
    body = _BODY.search(text)
    if body is None:
        return text
    width, mappings = 0, []
    for block in re.finditer(rb"begin(bfchar|bfrange)(.*?)end\1", body.group(1), re.DOTALL):
        if b"[" in block.group(2):
            return text        # a bfrange with an array of destinations: Skia writes none; left as it is
        if block.group(1) == b"bfchar":
            for code, said in _CHAR.findall(block.group(2)):
                width = len(code)
                mappings.append((int(code, 16), bytes.fromhex(said.decode()).decode("utf-16-be")))
            continue
        for low, high, first in _RANGE.findall(block.group(2)):
            width, start = len(low), bytes.fromhex(first.decode()).decode("utf-16-be")
            mappings.extend((int(low, 16) + n, start[:-1] + chr(ord(start[-1]) + n))
                            for n in range(int(high, 16) - int(low, 16) + 1))
    chunks = [mappings[i:i + 100] for i in range(0, len(mappings), 100)]
    written = b"".join(
        b"%d beginbfchar\n" % len(chunk) + b"".join(
            b"<%s> <%s>\n" % (f"{code:0{width}X}".encode(), _utf16("".join(map(ideograph, said))))
            for code, said in chunk) + b"endbfchar\n" for chunk in chunks)
    return text[:body.start(1)] + written + text[body.end(1):]


def _rewritten(obj: bytes) -> bytes:
    """A ToUnicode stream object with its CMap rewritten (compressed again when it was)."""
    head = _STREAM.match(obj)
    length = _LENGTH.search(head.group(2)) if head else None
    if head is None or length is None:
        return obj
    start = head.end()
    data = obj[start:start + int(length.group(1))]
    flate = b"/FlateDecode" in head.group(2)
    cmap = _cmap(zlib.decompress(data) if flate else data)
    new = zlib.compress(cmap) if flate else cmap
    dictionary = head.group(2)[:length.start(1)] + str(len(new)).encode() + head.group(2)[length.end(1):]
    return (obj[:head.start(2)] + dictionary + obj[head.end(2):start] + new
            + obj[start + int(length.group(1)):])


def searchable(pdf: bytes) -> bytes:
    """``pdf`` (as Chromium prints it: one classic cross-reference table) with its ToUnicode maps sending radicals
    to the ideographs drawn; a file of any other shape is returned as it is."""
    numbers = {int(n) for n in _TO_UNICODE.findall(pdf)}
    end = _XREF.search(pdf)
    if not numbers or end is None:
        return pdf
    xref = int(end.group(1))
    table = _TABLE.match(pdf, xref)
    if table is None:
        return pdf
    count = int(table.group(1))
    rows = [pdf[table.end() + 20 * n:table.end() + 20 * n + 20] for n in range(count)]
    offsets = {n: int(row[:10]) for n, row in enumerate(rows) if row[17:18] == b"n"}
    if len(offsets) + sum(row[17:18] == b"f" for row in rows) != count:
        return pdf
    order = sorted(offsets, key=offsets.__getitem__)
    out, moved = bytearray(pdf[:offsets[order[0]]]), {}
    for i, n in enumerate(order):
        obj = pdf[offsets[n]:offsets[order[i + 1]] if i + 1 < len(order) else xref]
        moved[n] = len(out)
        out += _rewritten(obj) if n in numbers else obj
    trailer = pdf[table.end() + 20 * count:end.start()]
    new_xref = len(out)
    out += table.group(0) + b"".join(
        b"%010d %05d n" % (moved[n], int(rows[n][11:16])) + rows[n][18:] if n in moved else rows[n] for n in range(count))
    out += trailer + b"startxref\n%d\n%%%%EOF\n" % new_xref
    return bytes(out)
