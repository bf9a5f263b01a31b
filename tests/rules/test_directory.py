"""The agency directory: validation that names file, line and field; dates and successors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rules import Directory, DirectoryError, load_directory

GOOD = """
directory: {id: t, province: Khánh Hòa}
agencies:
  - id: t.ubnd-tinh
    name: UBND tỉnh Khánh Hòa
    kind: ubnd_tinh
    level: tinh
    source: test
  - id: t.so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Khánh Hòa
    kind: so
    level: tinh
    parent: t.ubnd-tinh
    area: t.ubnd-tinh
    valid_to: 2025-02-28
    successor: t.so-khcn
    source: test
  - id: t.so-khcn
    name: Sở Khoa học và Công nghệ tỉnh Khánh Hòa
    kind: so
    level: tinh
    parent: t.ubnd-tinh
    area: t.ubnd-tinh
    source: test
"""


def write(tmp_path: Path, text: str, name: str = "dir.yaml") -> Path:
    """Write a directory file for one test."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_directory_loads_with_dates_and_successor(tmp_path: Path) -> None:
    """A valid file loads; the ended body is invalid after its end and leads to its successor."""
    found = load_directory(write(tmp_path, GOOD))
    old = found.get("t.so-tttt")
    assert old is not None
    assert old.valid_on(dt.date(2025, 2, 28)) and not old.valid_on(dt.date(2025, 3, 1))
    assert [a.id for a in found.successor_on(old, dt.date(2026, 1, 1))] == ["t.so-khcn"]


def test_errors_name_file_line_entry_and_field(tmp_path: Path) -> None:
    """Each error names the file, the entry's line, the entry id and the field."""
    bad = GOOD.replace(
        "kind: so\n    level: tinh\n    parent: t.ubnd-tinh\n    area: t.ubnd-tinh\n    valid_to",
        "kind: sở\n    level: tinh\n    parent: t.ubnd-tinh\n    area: t.ubnd-tinh\n    valid_to",
    )
    path = write(tmp_path, bad)
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:9: agency 't.so-tttt': field 'kind': 'sở' is not one of")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Missing source, a dangling successor, a reversed date range and a duplicate id all show."""
    text = (
        GOOD
        + """
  - id: t.so-khcn
    name: Duplicate
    kind: so
    level: tinh
    source: test
  - id: t.x
    name: X
    kind: dvsn
    level: tinh
    valid_from: 2025-01-01
    valid_to: 2024-01-01
    source: test
  - id: t.y
    name: Y
    kind: dvsn
    level: tinh
    successor: t.nowhere
  - id: t.z
    name: Z
    kind: dvsn
    level: tinh
    successor: t.nowhere
    source: test
"""
    )
    with pytest.raises(DirectoryError) as caught:
        load_directory(write(tmp_path, text))
    joined = "\n".join(caught.value.problems)
    assert "agency 't.so-khcn': field 'id': duplicate" in joined
    assert "agency 't.x': field 'valid_to': 2024-01-01 is before valid_from 2025-01-01" in joined
    assert "agency 't.y': field 'source': required text is missing" in joined
    assert "agency 't.z': field 'successor': 't.nowhere' names no agency" in joined


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """A YAML syntax error is reported with the file and the line."""
    path = write(tmp_path, "agencies:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    assert caught.value.problems[0].startswith(f"{path}:")
    assert "not valid YAML" in caught.value.problems[0]


def test_folder_merges_files_in_name_order(tmp_path: Path) -> None:
    """A folder's files are merged; links may cross files."""
    head, _, rest = GOOD.partition("  - id: t.so-tttt")
    write(tmp_path, head, "00_head.yaml")
    write(tmp_path, "agencies:\n  - id: t.so-tttt" + rest, "10_rest.yaml")
    found = load_directory(tmp_path)
    assert sorted(found.agencies) == ["t.so-khcn", "t.so-tttt", "t.ubnd-tinh"]
    assert found.province == "Khánh Hòa"


def test_territory_follows_area_links(ba_to: Directory) -> None:
    """A commune lies within its district's territory and within the province's."""
    commune = ba_to.get("qn.ubnd-xa-21484")
    assert commune is not None
    assert ba_to.within(commune, "qn.ubnd-huyen-535")
    assert ba_to.within(commune, "qn.ubnd-tinh")
    assert not ba_to.within(ba_to.agencies["qn.ubnd-tinh"], "qn.ubnd-huyen-535")


def test_shipped_directory_is_valid_and_sourced(khanh_hoa: Directory) -> None:
    """The shipped Khánh Hòa directory loads, and every entry says where it comes from."""
    assert len(khanh_hoa.agencies) > 200
    assert all(a.source for a in khanh_hoa)
    qlda = khanh_hoa.get("kh.ban-qlda-phat-trien-tinh")
    assert qlda is not None and qlda.kind == "dvsn"
