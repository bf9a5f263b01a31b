"""Content-addressed snapshots of the data the service routes with, and what changed between two.

A snapshot is the set of data files (path inside the data folder -> text) of a directory or a
rule set; its id is the SHA-256 of a canonical JSON of those files, so the same data always has
the same id, whoever imports it and whenever. Snapshots are exported and imported as that JSON
(`docroute directory export | import`), stored by the service, and compared agency by agency
(`docroute directory diff`).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.directory import Agency, DirectoryError, load_directory
from rules.national import all_agencies, load_national
from rules.ruleset import RuleSetError, load_ruleset

FORMAT = "docroute-snapshot/1"
KINDS = ("directory", "rules")


class SnapshotError(ValueError):
    """A snapshot file is not valid; `problems` says why, naming the file of the snapshot."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Snapshot:
    """The files of a directory or a rule set, and their content hash."""

    kind: str
    files: dict[str, str]

    @property
    def id(self) -> str:
        """SHA-256 of the canonical JSON of kind and files."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def canonical(self) -> str:
        """The JSON the id is computed over (sorted keys, no spaces)."""
        body = {"kind": self.kind, "files": self.files}
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def to_json(self) -> dict[str, Any]:
        """The exported form."""
        return {"format": FORMAT, "id": self.id, "kind": self.kind, "files": self.files}


def of_folder(kind: str, root: Path) -> Snapshot:
    """The snapshot of every .yaml file under `root` (a data folder), or of one file."""
    if root.is_file():
        return Snapshot(kind, {root.name: root.read_text(encoding="utf-8")})
    files = {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.yaml"))
        if kind != "directory" or path.name != "default_rules.yaml"
    }
    return Snapshot(kind, files)


def from_json(data: object, where: str) -> Snapshot:
    """A snapshot read from its exported form; raises `SnapshotError` naming what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError([f"{where}: not a docroute snapshot (format {FORMAT!r} expected)"])
    kind, files = data.get("kind"), data.get("files")
    problems = []
    if kind not in KINDS:
        problems.append(f"{where}: 'kind' must be one of {list(KINDS)}")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        problems.append(f"{where}: 'files' must map file paths to their text")
    if problems:
        raise SnapshotError(problems)
    assert isinstance(kind, str) and isinstance(files, dict)
    snapshot = Snapshot(kind, dict(files))
    if data.get("id") not in (None, snapshot.id):
        raise SnapshotError([f"{where}: 'id' does not match the files (edited by hand?)"])
    return snapshot


def materialize(snapshot: Snapshot, root: Path) -> Path:
    """Write the snapshot's files under `root`; returns the folder (or the rule-set file)."""
    for name, text in snapshot.files.items():
        target = (root / name).resolve()
        if root.resolve() not in target.parents:
            raise SnapshotError([f"snapshot file {name!r} points outside its folder"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if snapshot.kind == "rules":
        (only,) = snapshot.files
        return root / only
    return root


def agencies_of(snapshot: Snapshot) -> dict[str, Agency]:
    """Every agency of a directory snapshot, validated; raises `SnapshotError` whose problems
    name the snapshot's own file paths."""
    with tempfile.TemporaryDirectory() as folder:
        root = materialize(snapshot, Path(folder))
        try:
            if (root / "national" / "provinces.yaml").is_file():
                national = load_national(root)
                problems, _ = national.check()
                if problems:
                    raise DirectoryError(problems)
                return {a.id: a for a in all_agencies(national)}
            return dict(load_directory(root).agencies)
        except DirectoryError as exc:
            prefix = f"{Path(folder).resolve()}/"
            raise SnapshotError([p.replace(prefix, "") for p in exc.problems]) from None


def validate(snapshot: Snapshot) -> int:
    """Check a snapshot as the service would load it; the number of agencies or rules."""
    if snapshot.kind == "directory":
        return len(agencies_of(snapshot))
    with tempfile.TemporaryDirectory() as folder:
        try:
            return len(load_ruleset(materialize(snapshot, Path(folder))).rules)
        except RuleSetError as exc:
            raise SnapshotError(exc.problems) from None


@dataclass
class Diff:
    """What changed from one directory snapshot to another, agency by agency."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # id -> fields that differ

    def to_json(self) -> dict[str, Any]:
        """The diff as JSON."""
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


_COMPARED: tuple[str, ...] = ("name", "aliases", "kind", "level", "parent", "area")
_COMPARED += ("valid_from", "valid_to", "successor", "tags", "code", "source", "confirmed")
_COMPARED += ("basis", "note")


def diff(old: dict[str, Agency], new: dict[str, Agency]) -> Diff:
    """Agencies added, removed, and changed (with the names of the changed fields)."""
    result = Diff(
        added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)), changed={}
    )
    for key in sorted(set(old) & set(new)):
        fields = [f for f in _COMPARED if getattr(old[key], f) != getattr(new[key], f)]
        if fields:
            result.changed[key] = fields
    return result
