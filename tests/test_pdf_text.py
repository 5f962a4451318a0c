"""A PDF you can search (issue 27, item 6): the printed report's text layer is the Chinese on the page. Noto CJK
draws 自 and the radical ⾃ with one glyph, and Chromium's PDF writer maps the glyph back to the radical;
monitor/views/pdf_text.py maps it to the ideograph, for every PDF monitor/views/pdf.py prints."""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from monitor.views.pdf_text import RADICALS, ideograph, searchable
from tests.helpers import monitor, own_config, write_roster

DEPARTMENT = "内蒙古自治区工业和信息化厅"
ROWS = ("NMG-CF,赤峰市门窗车辆长青产业集群,nmg-sme-draft,2023-10-15,赤峰市,运营,op@example.cn,,,",
        "NMG-HH,呼和浩特市乳业产业集群,nmg-sme-draft,2023-10-15,呼和浩特市,,,,,")


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf), strict=True).pages)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from monitor.views.pdf import browser

    if browser() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is needed to print the report (scripts/test installs it)")
        pytest.skip("Chromium is not installed")
    tmp_path = tmp_path_factory.mktemp("pdf")
    config = own_config(tmp_path, text=f'[general]\ndepartment = "{DEPARTMENT}"\n',
                        roster=write_roster(tmp_path / "roster.csv", *ROWS))
    path = tmp_path / "report.pdf"
    result = monitor("report", str(path), "--as-of", "2026-12-07", config=config)
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def test_the_printed_report_extracts_as_written(printed: bytes) -> None:
    text = text_of(printed)
    joined = text.replace("\n", "")
    for written in ("赤峰市", DEPARTMENT, "呼和浩特市"):
        assert written in joined, text
    assert RADICALS.search(text) is None, RADICALS.findall(text)


def test_the_rewrite_is_done_once(printed: bytes) -> None:
    assert searchable(printed) == printed                 # nothing left to rewrite in what pdf.py wrote


def test_chromiums_radicals_become_ideographs(tmp_path: Path) -> None:
    from monitor.views.pdf import browser

    if browser() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is needed to print a page (scripts/test installs it)")
        pytest.skip("Chromium is not installed")
    import subprocess

    page = tmp_path / "page.html"
    page.write_text(f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body style="font-family:'
                    f'\'Noto Sans CJK SC\'"><p>赤峰市 {DEPARTMENT} 门 长 车 胶</p></body></html>', encoding="utf-8")
    target = tmp_path / "page.pdf"
    subprocess.run([str(browser()), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={target}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    raw = target.read_bytes()
    assert RADICALS.search(text_of(raw)) is not None      # Chromium's own text layer: ⾚峰市, ⾃治区
    fixed = text_of(searchable(raw))
    assert f"赤峰市 {DEPARTMENT} 门 长 车 胶" in fixed and RADICALS.search(fixed) is None, fixed
    assert len(PdfReader(io.BytesIO(searchable(raw)), strict=True).pages) == len(PdfReader(target).pages)


def test_every_radical_maps_to_an_ideograph() -> None:
    for code in [*range(0x2F00, 0x2FD6), *range(0x2E80, 0x2EF4)]:
        char = chr(code)
        if ideograph(char) != char:
            assert 0x4E00 <= ord(ideograph(char)) <= 0x9FFF, (char, ideograph(char))
    assert ideograph("⾃") == "自" and ideograph("⻔") == "门" and ideograph("㬵") == "胶" and ideograph("赤") == "赤"


def test_a_file_of_another_shape_is_left_as_it_is() -> None:
    stream = zlib.compress(b"not a pdf")
    assert searchable(b"%PDF-1.7\n" + stream) == b"%PDF-1.7\n" + stream
