"""An HTML page printed to PDF by headless Chromium (Debian's ``chromium``), the browser the tests use: what is
printed is what a person sees, CJK fonts included. No Chromium: a one-line error saying what to install. The text
layer is made searchable (monitor/views/pdf_text.py): 赤峰市 extracts as 赤峰市, not as the radical ⾚."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from monitor.errors import InputError
from monitor.views.files import write_whole
from monitor.views.pdf_text import searchable

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def print_pdf(page: str, path: Path) -> None:
    """Write ``page`` to ``path`` as a PDF, whole or not at all."""
    binary = browser()
    if binary is None:
        raise InputError("{path}: writing a PDF needs Chromium (Debian: apt install chromium); or write {html} and "
                         "print it from a browser", path=path, html=path.with_suffix(".html").name)
    with tempfile.TemporaryDirectory(prefix="monitor-pdf-") as directory:
        source, target = Path(directory) / "report.html", Path(directory) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={Path(directory) / 'profile'}", "--no-pdf-header-footer",
                   f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise InputError("{path}: Chromium did not print the page within {seconds} s", path=path,
                             seconds=TIMEOUT_SECONDS) from None
        if done.returncode != 0 or not target.exists() or target.read_bytes()[:5] != b"%PDF-":
            said = done.stderr.decode(errors="replace").strip().splitlines()
            raise InputError("{path}: Chromium could not print the page: {reason}", path=path,
                             reason=said[-1] if said else done.returncode)
        printed = searchable(target.read_bytes())     # its text layer the ideographs, not the radicals
    write_whole(path, lambda out: out.write(printed))
