"""Exports open in Excel with Vietnamese intact: the .xlsx holds the text as written, and the
CSV starts with a UTF-8 byte-order mark (without it Excel decodes the bytes as the local code
page and shows mojibake)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from docroute.web.exports import csv_file, xlsx_file

HEADERS = ["Cơ quan", "Trạng thái", "Số"]
ROWS = [["Sở Tư pháp tỉnh Khánh Hòa", "Từ chối", 3], ["Ủy ban nhân dân xã Đồng Đế", None, 0]]


def test_xlsx_keeps_vietnamese_text_and_numbers() -> None:
    response = xlsx_file("bảng điểm", HEADERS, ROWS)
    sheet = load_workbook(io.BytesIO(response.body)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert [c.value for c in sheet[2]] == ROWS[0]
    assert [c.value for c in sheet[3]] == ["Ủy ban nhân dân xã Đồng Đế", None, 0]
    assert "filename*=UTF-8''b%E1%BA%A3ng" in response.headers["content-disposition"]


def test_csv_starts_with_a_bom_and_reads_back() -> None:
    response = csv_file("chi-tiet", HEADERS, ROWS)
    body = bytes(response.body)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [HEADERS, ["Sở Tư pháp tỉnh Khánh Hòa", "Từ chối", "3"],
                    ["Ủy ban nhân dân xã Đồng Đế", "", "0"]]
