"""Content-addressed snapshots of directory data: ids, round trips and agency diffs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rules.snapshots import (
    Snapshot,
    SnapshotError,
    agencies_of,
    diff,
    from_json,
    of_folder,
    validate,
)

TEST_DATA = Path(__file__).resolve().parents[1] / "data"


def test_id_depends_on_content_only(tmp_path: Path) -> None:
    """Two copies of a folder have the same id; one changed byte gives another."""
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(TEST_DATA / "ba_to", first)
    shutil.copytree(TEST_DATA / "ba_to", second)
    assert of_folder("directory", first).id == of_folder("directory", second).id
    units = second / "20_units.yaml"
    units.write_text(units.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert of_folder("directory", first).id != of_folder("directory", second).id


def test_export_round_trip_keeps_id_and_agencies() -> None:
    """An exported snapshot reads back to the same id and the same agencies."""
    snapshot = of_folder("directory", TEST_DATA / "ba_to")
    again = from_json(json.loads(json.dumps(snapshot.to_json())), "export.json")
    assert again.id == snapshot.id
    assert agencies_of(again).keys() == agencies_of(snapshot).keys()


def test_hand_edited_export_is_refused() -> None:
    """A file whose id no longer matches its files is refused, naming the file."""
    data = of_folder("directory", TEST_DATA / "ba_to").to_json()
    data["files"]["00_directory.yaml"] += "\n# edited\n"
    with pytest.raises(SnapshotError, match=r"export\.json: 'id' does not match"):
        from_json(data, "export.json")


def test_invalid_directory_names_snapshot_file_and_field() -> None:
    """Validation problems name the file inside the snapshot, not a temporary folder."""
    broken = Snapshot("directory", {"x.yaml": "agencies:\n  - id: a\n    kind: so\n"})
    with pytest.raises(SnapshotError) as error:
        validate(broken)
    assert any(p.startswith("x.yaml:") and "'name'" in p for p in error.value.problems)


def test_diff_lists_added_removed_and_changed_fields(tmp_path: Path) -> None:
    """A renamed body shows as changed on 'name'; a dropped office as removed."""
    folder = tmp_path / "ba_to"
    shutil.copytree(TEST_DATA / "ba_to", folder)
    header = folder / "00_directory.yaml"
    text = header.read_text(encoding="utf-8")
    text = text.replace("name: Phòng Nội vụ huyện Ba Tơ", "name: Phòng Nội vụ Ba Tơ")
    header.write_text(text, encoding="utf-8")
    old = agencies_of(of_folder("directory", TEST_DATA / "ba_to"))
    new = agencies_of(of_folder("directory", folder))
    del new["qn.ba-to.vp-hdnd-ubnd"]
    result = diff(old, new)
    assert result.changed == {"qn.ba-to.phong-noi-vu": ["name"]}
    assert result.removed == ["qn.ba-to.vp-hdnd-ubnd"]
    assert result.added == []


def test_snapshot_cannot_write_outside_its_folder() -> None:
    """A file path escaping the snapshot's folder is refused."""
    with pytest.raises(SnapshotError, match="outside"):
        validate(Snapshot("directory", {"../evil.yaml": "agencies: []"}))
