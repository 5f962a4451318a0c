"""A CJK font for printed pages whose text extracts as written. Noto Sans CJK maps each Kangxi radical
(U+2F00–U+2FDF) and CJK radical supplement (U+2E80–U+2EFF) to the same glyph as its unified ideograph (⾚ and 赤),
and Chromium's PDF writer names each glyph by the lowest code point mapped to it: a PDF reader then extracts
"⾚峰市" for 赤峰市. So the page printed carries, as a data: URL, the installed font cut down (fontTools' subsetter)
to the characters the page uses, with no radical code points: each glyph maps back to the unified ideograph."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess

FAMILY = "Monitor CJK"
#: the font cut down: fontconfig's match for this family (Debian's fonts-noto-cjk)
SOURCE = "Noto Sans CJK SC"
RADICALS = set(range(0x2E80, 0x2F00)) | set(range(0x2F00, 0x2FE0))


def _installed() -> tuple[str, int] | None:
    binary = shutil.which("fc-match")
    if binary is None:
        return None
    done = subprocess.run([binary, "-f", "%{file}:%{index}", SOURCE], capture_output=True, text=True, timeout=30,
                          check=False)
    path, _, index = done.stdout.strip().rpartition(":")
    return (path, int(index or 0)) if done.returncode == 0 and path and "CJK" in path else None


def face(text: str) -> str:
    """An ``@font-face`` rule naming FAMILY, holding the glyphs of ``text``; "" when no CJK font is installed (the
    page then falls back on its font stack)."""
    from fontTools import subset  # type: ignore[import-untyped]

    found = _installed()
    if found is None:
        return ""
    options = subset.Options()
    options.font_number = found[1]
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    out = io.BytesIO()
    with subset.load_font(found[0], options) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes={ord(c) for c in text} - RADICALS)
        subsetter.subset(font)
        font.save(out)
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "{FAMILY}"; src: url(data:font/otf;base64,{data}) format("opentype"); }}'
