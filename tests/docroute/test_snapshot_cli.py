"""`docroute directory export | import | diff`: snapshots stored once, with who imported them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from foundation.database import SessionFactory
from foundation.models import DataSnapshot, SnapshotActivation
from foundation.settings import Settings
from router.recipients import RoutingRules
from rules.snapshots import of_folder
from tests.docroute.test_service_cli import _docroute

BA_TO = Path(__file__).resolve().parents[1] / "data" / "ba_to"


async def test_import_stores_once_with_who(
    stack: Settings, sessions: SessionFactory, tmp_path: Path
) -> None:
    """An exported folder imports under its content id with who did it; again: no new row."""
    export = tmp_path / "ba_to.json"
    code, _, err = await _docroute(stack, "directory", "export", str(BA_TO), "--out", str(export))
    assert code == 0, err
    expected = json.loads(export.read_text(encoding="utf-8"))["id"]
    code, out, err = await _docroute(stack, "directory", "import", str(export), "--by", "Chị Lan")
    assert code == 0, err
    assert out.startswith(f"directory snapshot {expected}: imported")
    code, out, _ = await _docroute(stack, "directory", "import", str(BA_TO), "--by", "Anh Minh")
    assert "already stored" in out
    async with sessions() as session:
        rows = (await session.exec(select(DataSnapshot))).all()
    assert [(r.id, r.kind, r.imported_by) for r in rows] == [(expected, "directory", "Chị Lan")]


async def test_invalid_snapshot_is_refused_with_the_problem(
    stack: Settings, sessions: SessionFactory, tmp_path: Path
) -> None:
    """A directory whose entry lacks a name is not stored; the message names file and field."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "x.yaml").write_text("agencies:\n  - {id: a, kind: so}\n", encoding="utf-8")
    code, _, err = await _docroute(stack, "directory", "import", str(folder), "--by", "x")
    assert code == 2
    assert "x.yaml" in err and "'name'" in err
    async with sessions() as session:
        assert (await session.exec(select(DataSnapshot))).all() == []


async def test_diff_between_stored_and_folder(stack: Settings, tmp_path: Path) -> None:
    """`diff ID FOLDER`: a stored snapshot against an edited copy shows the changed field."""
    code, out, err = await _docroute(stack, "directory", "import", str(BA_TO), "--by", "x")
    assert code == 0, err
    stored = out.split()[2].rstrip(":")
    edited = tmp_path / "ba_to"
    edited.mkdir()
    for path in BA_TO.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("Phòng Nội vụ huyện", "Phòng Nội vụ H.")
        (edited / path.name).write_text(text, encoding="utf-8")
    code, out, err = await _docroute(stack, "directory", "diff", stored, str(edited), "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "added": [],
        "removed": [],
        "changed": {"qn.ba-to.phong-noi-vu": ["name"]},
    }


def test_routing_rules_carry_the_content_ids() -> None:
    """The service records, with each expansion, the content ids of the data it routed with."""
    routing = RoutingRules.load(BA_TO, None)
    assert routing.snapshots["directory"] == of_folder("directory", BA_TO).id
    assert len(routing.snapshots["rules"]) == 64


async def test_activate_records_who_and_is_listed_in_force(
    stack: Settings, sessions: SessionFactory
) -> None:
    """`directory activate ID --by` keeps who activated it; `directory snapshots` marks it in
    force; a directory id is not a rule set; an unknown id is refused."""
    code, out, err = await _docroute(stack, "directory", "import", str(BA_TO), "--by", "x")
    assert code == 0, err
    stored = out.split()[2].rstrip(":")
    code, _, err = await _docroute(stack, "rules", "activate", stored, "--by", "Chị Lan")
    assert code == 2 and "a directory snapshot, not a rules one" in err
    code, _, err = await _docroute(stack, "directory", "activate", "f00d", "--by", "Chị Lan")
    assert code == 2 and "import it first" in err
    code, out, err = await _docroute(stack, "directory", "activate", stored, "--by", "Chị Lan",
                                     "--note", "Ba Tơ only")
    assert code == 0, err
    assert "new documents are routed with it" in out
    async with sessions() as session:
        rows = (await session.exec(select(SnapshotActivation))).all()
    assert [(r.snapshot_id, r.kind, r.activated_by, r.note) for r in rows] == [
        (stored, "directory", "Chị Lan", "Ba Tơ only")
    ]
    code, out, err = await _docroute(stack, "directory", "snapshots")
    assert code == 0, err
    assert f"{stored}  directory" in out and out.rstrip().endswith("[in force]")
