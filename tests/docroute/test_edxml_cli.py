"""`docroute edxml read FILE [--json]`: the stable keys other tools read, one line on error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docroute.cli import app
from tests.edxml.conftest import DATA

DOCUMENT_KEYS = {"kind", "document_id", "from", "to", "number", "notation", "date", "place",
                 "subject", "priority", "business_type", "to_places", "attachments"}
STATUS_KEYS = {"kind", "from", "status_code", "response_for", "description", "timestamp"}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_document_json_has_the_contract_keys() -> None:
    code, out, _ = _run("edxml", "read", str(DATA / "cong_van_15_sdk_shape.edxml"), "--json")
    assert code == 0
    view = json.loads(out)
    assert view.keys() >= DOCUMENT_KEYS
    assert view["from"] == {"organ_id": "000.00.00.H99", "name": "Ủy ban nhân dân tỉnh Khánh Hòa"}
    assert (view["number"], view["notation"], view["date"]) == ("15", "UBND-VP", "2025-03-04")
    assert view["to_places"] == ["- Các sở, ban, ngành;", "- Lưu: VT, VP."]
    assert {"name", "content_type", "size"} <= view["attachments"][0].keys()
    assert view["attachments"][1]["size"] == 560


def test_absent_values_are_null() -> None:
    code, out, _ = _run("edxml", "read", str(DATA / "unprefixed_reordered.edxml"), "--json")
    view = json.loads(out)
    assert code == 0 and view["signer"]["position"] is None and view["due_date"] is None


def test_status_json_has_the_contract_keys() -> None:
    code, out, _ = _run("edxml", "read", str(DATA / "status_03.edxml"), "--json")
    view = json.loads(out)
    assert code == 0 and view.keys() >= STATUS_KEYS
    assert view["response_for"] == {"organ_id": "000.00.00.H99", "code": "15/UBND-VP",
                                    "document_id": "000.00.00.H99,2025/03/04,15/UBND-VP",
                                    "date": "2025-03-04"}
    assert view["timestamp"] == "2025-03-04T10:02:11+07:00"


def test_the_summary_names_the_parts_a_clerk_reads() -> None:
    code, out, _ = _run("edxml", "read", str(DATA / "cong_van_15_sdk_shape.edxml"))
    assert code == 0
    assert "15/UBND-VP" in out and "000.03.00.H99  Sở Tài chính tỉnh Khánh Hòa" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"hello", "not well-formed XML at line 1"), (b"<a/>", "root element is a")],
)
def test_not_a_packet_is_one_line_naming_the_file(tmp_path: Path, content: bytes,
                                                  says: str) -> None:
    file = tmp_path / "bad.edxml"
    file.write_bytes(content)
    code, out, err = _run("edxml", "read", str(file))
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and str(file) in err and says in err


def test_a_missing_file(tmp_path: Path) -> None:
    code, _, err = _run("edxml", "read", str(tmp_path / "none.edxml"))
    assert code == 2 and "cannot read the file" in err
