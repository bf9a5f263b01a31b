"""Which PDF extractor the reader uses, on evidence: pypdf, pdfminer.six and pdfplumber.

Run: .venv/bin/python -m bench.extract
For each fixture PDF of tests/data/files/ (made by make_files.py with reportlab: the standard
two-column tables, and the same letter placed glyph by glyph as PDF printers do), prints per
extractor how many of the letter's 8 recipient items the reader finds and the signature kept
apart, and the CPU milliseconds per page (best of 5). pypdf and pdfplumber are not project
dependencies: `pip install pypdf pdfplumber` first (an extractor missing says so).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rules import read_document

FILES = Path(__file__).resolve().parents[1] / "tests" / "data" / "files"
EXPECTED = 8  # 3 Kính gửi items and 5 Nơi nhận items


def _pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _pdfminer(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(io.BytesIO(data)))


def _pdfplumber(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _pdfplumber_layout(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text(layout=True) or "" for page in pdf.pages)


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "pypdf": _pypdf,
    "pdfminer.six (used)": _pdfminer,
    "pdfplumber": _pdfplumber,
    "pdfplumber layout": _pdfplumber_layout,
}


def best_ms(work: Callable[[], object], repeat: int = 5) -> float:
    """The best CPU time of `work` over `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times) * 1000


def main() -> None:
    """Measure and print."""
    for path in sorted(FILES.glob("nd30_*.pdf")):
        if "garbled" in path.name:
            continue
        data = path.read_bytes()
        print(path.name)
        for name, extract in EXTRACTORS.items():
            try:
                text = extract(data)
            except ImportError:
                print(f"  {name:<22} not installed")
                continue
            doc = read_document(text)
            found = len(doc.kinh_gui) + len(doc.noi_nhan)
            apart = "signer apart" if "Nguyễn Văn An" in doc.signature else "signer lost"
            ms = best_ms(partial(extract, data))
            print(f"  {name:<22} items {found}/{EXPECTED}  {apart:<12}  {ms:7.1f} ms/page")


if __name__ == "__main__":
    main()
