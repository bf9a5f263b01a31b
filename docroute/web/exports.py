"""Report rows as files that open correctly in Excel with Vietnamese text: CSV with a UTF-8
byte-order mark (without it Excel reads the bytes as the local code page), and .xlsx."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _disposition(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


def csv_file(name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    """A CSV download with a BOM, so Excel shows 'Sở Tư pháp', not mojibake."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _disposition(f"{name}.csv")},
    )


def xlsx_file(name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    """An Excel workbook of one sheet, header row frozen and columns sized to their text."""
    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    sheet.append(list(headers))
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        longest = max([len(str(header)), *(len(str(r[index - 1] or "")) for r in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(), media_type=XLSX,
        headers={"Content-Disposition": _disposition(f"{name}.xlsx")},
    )
