"""CSV files of the audit's reports, as a spreadsheet opens them safely.

A UTF-8 byte order mark, so that Excel reads Vietnamese names as UTF-8; a header row even when
there are no rows, so that an empty report is still a table with its columns; and every cell
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return prefixed with `'`, as OWASP's
CSV injection guidance recommends: an agency name or a rejection reason typed by someone else
must not run as a formula on an auditor's machine.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as written into a CSV cell: text that a spreadsheet would run is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[Any], row_type: type[Any]) -> str:
    """Dataclass rows of `row_type` as CSV text: BOM, header row, escaped cells."""
    names = [f.name for f in dataclasses.fields(row_type)]
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        values = dataclasses.asdict(row)
        writer.writerow([cell(values[name]) for name in names])
    return out.getvalue()
