"""The agency directory: who exists, of what kind, under whom, and when (dated entries).

Loaded from one YAML file or a folder of them (see docs/directory-format.md). Validation
collects every error with the file, the entry and the field, so a clerk can fix a file in one go.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = frozenset(
    {
        "ubnd_tinh",
        "hdnd_tinh",
        "ban_hdnd",
        "tinh_uy",
        "ban_dang",
        "doan_dbqh",
        "so",
        "ban",
        "dvsn",
        "nganh_doc",
        "mttq",
        "doan_the",
        "bao_chi",
        "ubnd_huyen",
        "phong",
        "ubnd_xa",
        "don_vi_truc_thuoc",
        # The centre (issue 13): Chính phủ and its members, Quốc hội, the central Party and
        # mass organisations, and the units of a ministry or of Văn phòng Chính phủ.
        "chinh_phu",
        "bo",
        "co_quan_ngang_bo",
        "co_quan_thuoc_cp",
        "quoc_hoi",
        "dang_tw",
        "doan_the_tw",
        "don_vi_thuoc_bo",
        "co_quan_tw",
    }
)
CENTRAL_KINDS = frozenset(
    {"chinh_phu", "bo", "co_quan_ngang_bo", "co_quan_thuoc_cp", "quoc_hoi", "dang_tw"}
    | {"doan_the_tw", "don_vi_thuoc_bo", "co_quan_tw"}
)
LEVELS = frozenset({"trung_uong", "tinh", "huyen", "xa"})
TERRITORIAL = frozenset({"ubnd_tinh", "ubnd_huyen", "ubnd_xa"})
_FIELDS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "kind",
        "level",
        "parent",
        "area",
        "valid_from",
        "valid_to",
        "successor",
        "tags",
        "code",
        "source",
        "confirmed",
        "basis",
        "note",
    }
)


class DirectoryError(ValueError):
    """A directory file is not valid; `problems` lists each error with file, entry and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Agency:
    """One body that can receive documents, valid over a date range."""

    id: str
    name: str
    kind: str
    level: str
    source: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    area: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor: str | None = None
    tags: tuple[str, ...] = ()
    code: str | None = None
    confirmed: bool = True
    note: str | None = None
    # What an unconfirmed entry rests on ("national pattern": a rule every province follows).
    basis: str | None = None
    origin: str = field(default="", compare=False)

    def valid_on(self, day: dt.date) -> bool:
        """Whether the body exists on `day` (both ends inclusive)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON, for audit answers ("which directory entry chose this?")."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "level": self.level,
            "parent": self.parent,
            "area": self.area,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "successor": self.successor,
            "tags": list(self.tags),
            "source": self.source,
            "confirmed": self.confirmed,
            "basis": self.basis,
            "code": self.code,
            "origin": self.origin,
        }


@dataclass
class Directory:
    """All agencies of one province's directory, by id.

    `home` is the People's Committee of the province the directory reads documents for; the
    directory may also hold the centre and other provinces' top bodies (outside `home`)."""

    id: str
    province: str
    province_aliases: tuple[str, ...]
    agencies: dict[str, Agency]
    sources: tuple[str, ...] = ()
    home: str | None = None
    # Indexes derived from the entries (names under a rule set's abbreviations), built once.
    cache: dict[int, tuple[object, object]] = field(default_factory=dict, repr=False, compare=False)
    _by_kind: dict[str, list[Agency]] = field(init=False, repr=False, compare=False)
    _home_ids: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_kind = {}
        for agency in self.agencies.values():
            self._by_kind.setdefault(agency.kind, []).append(agency)

    def of_kinds(self, kinds: Iterable[str]) -> list[Agency]:
        """Agencies of these kinds, in directory order within each kind."""
        return [a for kind in sorted(set(kinds)) for a in self._by_kind.get(kind, ())]

    @property
    def province_committee(self) -> Agency | None:
        """The provincial People's Committee (the top of the territory), if the directory has it."""
        if self.home is not None:
            return self.agencies.get(self.home)
        committees = self._by_kind.get("ubnd_tinh", [])
        return committees[0] if committees else None

    def at_home(self, agency: Agency) -> bool:
        """Whether `agency` serves inside the home province (a body with no territory does,
        unless it is central; everything does in a directory without a province committee).

        Computed once per directory: every selection with a provincial scope asks it."""
        if self._home_ids is None:
            self._home_ids = frozenset(a.id for a in self.agencies.values() if self._homed(a))
        return agency.id in self._home_ids

    def _homed(self, agency: Agency) -> bool:
        top = self.province_committee
        if top is None:
            return True
        if self.territory(agency) is None:
            return agency.kind not in CENTRAL_KINDS
        return self.within(agency, top.id)

    def get(self, agency_id: str) -> Agency | None:
        """The agency with this id, or None."""
        return self.agencies.get(agency_id)

    def __iter__(self) -> Iterator[Agency]:
        return iter(self.agencies.values())

    def territory(self, agency: Agency) -> str | None:
        """The People's Committee whose territory the agency serves (itself for a UBND)."""
        return agency.id if agency.kind in TERRITORIAL else agency.area

    def within(self, agency: Agency, territory_id: str) -> bool:
        """Whether `agency` serves inside the territory of `territory_id` (following `area`)."""
        seen: set[str] = set()
        current: str | None = self.territory(agency)
        while current and current not in seen:
            if current == territory_id:
                return True
            seen.add(current)
            holder = self.agencies.get(current)
            current = holder.area if holder else None
        return False

    def successor_on(self, agency: Agency, day: dt.date) -> list[Agency]:
        """The chain of successors from `agency` to the first one valid on `day` (may be empty)."""
        chain: list[Agency] = []
        current = agency
        while current.successor and current.successor not in {a.id for a in chain}:
            nxt = self.agencies.get(current.successor)
            if nxt is None:
                return []
            chain.append(nxt)
            if nxt.valid_on(day):
                return chain
            current = nxt
        return []


def load_directory(path: str | Path, check_links: bool = True) -> Directory:
    """Load and validate a directory file or folder; raises `DirectoryError` naming each problem.

    `check_links=False` leaves parent / area / successor links to the caller (a province's
    own folder links into the national data it is assembled with)."""
    root = Path(path)
    files = sorted(root.glob("*.yaml")) if root.is_dir() else [root]
    if not files:
        raise DirectoryError([f"{root}: no .yaml files in this folder"])
    header: dict[str, Any] = {}
    entries: list[tuple[str, int, Any]] = []
    problems: list[str] = []
    for file in files:
        data = _read_yaml(file, problems)
        if data is None:
            continue
        if isinstance(data.get("directory"), dict):
            header = data["directory"]
        raw = data.get("agencies") or []
        if not isinstance(raw, list):
            problems.append(f"{file}: 'agencies' must be a list")
            continue
        entries.extend((str(file), i, entry) for i, entry in enumerate(raw))
    agencies = _build(entries, problems)
    if check_links:
        problems.extend(_check_links(agencies))
    if problems:
        raise DirectoryError(problems)
    return Directory(
        id=str(header.get("id", root.stem)),
        province=str(header.get("province", "")),
        province_aliases=tuple(str(a) for a in header.get("province_aliases") or ()),
        agencies=agencies,
        sources=tuple(str(s) for s in header.get("sources") or ()),
    )


def _read_yaml(file: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file}: cannot read: {exc}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        problems.append(f"{file}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{file}: expected a mapping with an 'agencies' list")
        return None
    return data


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _build(entries: Iterable[tuple[str, int, Any]], problems: list[str]) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for file, index, entry in entries:
        where = f"{file}: agency #{index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        errors = _entry_errors(entry)
        if not errors and entry["id"].strip() in agencies:
            errors = [f"field 'id': duplicate (first in {agencies[entry['id'].strip()].origin})"]
        if errors:
            # The line is looked up only for an entry in error: it means re-reading the file.
            name = entry.get("id", index + 1)
            where = f"{file}:{_line_of(file, entry.get('id'))}: agency '{name}'"
            problems.extend(f"{where}: {e}" for e in errors)
            continue
        agency = _agency(entry, file)
        agencies[agency.id] = agency
    return agencies


def _line_of(file: str, agency_id: object) -> str:
    """The line where `id: <agency_id>` stands, to point a clerk at the entry ('?' if not found)."""
    if not isinstance(agency_id, str):
        return "?"
    try:
        for number, line in enumerate(Path(file).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip().lstrip("- ").startswith("id:") and agency_id in line:
                return str(number)
    except OSError:
        pass
    return "?"


def _entry_errors(entry: dict[str, Any]) -> list[str]:
    errors = [f"field '{k}': unknown field" for k in entry if k not in _FIELDS]
    for key in ("id", "name", "kind", "level", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            errors.append(f"field '{key}': required text is missing")
    if isinstance(entry.get("kind"), str) and entry["kind"] not in KINDS:
        errors.append(f"field 'kind': '{entry['kind']}' is not one of {sorted(KINDS)}")
    if isinstance(entry.get("level"), str) and entry["level"] not in LEVELS:
        errors.append(f"field 'level': '{entry['level']}' is not one of {sorted(LEVELS)}")
    for key in ("valid_from", "valid_to"):
        value = entry.get(key)
        if value is not None and not isinstance(value, dt.date):
            errors.append(f"field '{key}': '{value}' is not a date (write YYYY-MM-DD)")
    start, end = entry.get("valid_from"), entry.get("valid_to")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        errors.append(f"field 'valid_to': {end} is before valid_from {start}")
    for key in ("aliases", "tags"):
        value = entry.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            errors.append(f"field '{key}': must be a list of text")
    return errors


def _agency(entry: dict[str, Any], file: str) -> Agency:
    def opt(key: str) -> str | None:
        value = entry.get(key)
        return str(value) if value is not None else None

    return Agency(
        id=entry["id"].strip(),
        name=entry["name"].strip(),
        kind=entry["kind"],
        level=entry["level"],
        source=entry["source"].strip(),
        aliases=tuple(entry.get("aliases") or ()),
        parent=opt("parent"),
        area=opt("area"),
        valid_from=entry.get("valid_from"),
        valid_to=entry.get("valid_to"),
        successor=opt("successor"),
        tags=tuple(entry.get("tags") or ()),
        code=opt("code"),
        confirmed=bool(entry.get("confirmed", True)),
        note=opt("note"),
        basis=opt("basis"),
        origin=file,
    )


def _check_links(agencies: dict[str, Agency]) -> list[str]:
    problems = []
    for agency in agencies.values():
        for key in ("parent", "area", "successor"):
            target = getattr(agency, key)
            if target is not None and target not in agencies:
                problems.append(
                    f"{agency.origin}:{_line_of(agency.origin, agency.id)}: agency '{agency.id}': "
                    f"field '{key}': "
                    f"'{target}' names no agency in the directory"
                )
    return problems
