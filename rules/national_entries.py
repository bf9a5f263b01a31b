"""Turns the national tables into directory entries: top bodies, units, standard departments.

The rows are generated or curated data (see rules/national.py); this module only names them
the way documents do and dates them. Dates used here:

- 2025-06-30 / 2025-07-01: end of the district level and of the 63 provinces, start of the 34
  (Nghị quyết 202/2025/QH15; Luật Tổ chức chính quyền địa phương 2025);
- 2024-10-31 / 2024-11-01: the 2023-2025 arrangement of districts and communes. Each province
  had its own Nghị quyết of Ủy ban Thường vụ Quốc hội with its own effective day (most took
  effect on 2024-11-01, some later); the day is therefore marked unconfirmed on every entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rules.directory import Agency, DirectoryError

if TYPE_CHECKING:
    from rules.national import Province

LEGACY_END = dt.date(2025, 6, 30)
NEW_START = dt.date(2025, 7, 1)
ARRANGEMENT_END = dt.date(2024, 10, 31)
ARRANGEMENT_START = dt.date(2024, 11, 1)
ARRANGEMENT_NOTE = (
    "Dated by the 2023-2025 arrangement: taken as 2024-11-01, the day most of the 2024 "
    "resolutions of Ủy ban Thường vụ Quốc hội took effect; this province's own day not checked."
)
UNITS_SOURCE = "rules/data/national/units (vietnamadminunits 1.0.4, vietnam_provinces 2025.10.1"
OLD_SOURCE = "vietnam_provinces 0.5.0, GSO data of 2023-05-07"
MERGER = "Nghị quyết 202/2025/QH15 (34 provinces from 2025-07-01)"
_DISTRICT_WORDS = {"thành phố": "TP", "thị xã": "TX"}
_TAGS = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "đặc khu": "dac_khu"}
_DISTRICT_TAGS = {"huyện": "huyen", "thị xã": "thi_xa", "thành phố": "thanh_pho", "quận": "quan"}
# Huế was tỉnh Thừa Thiên Huế until 2024-12-31 (Nghị quyết 1314/NQ-UBTVQH15): its bodies keep
# the former names as aliases.
FORMER_NAMES = {"hue": "tỉnh Thừa Thiên Huế"}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ------------------------------------------------------------------------------ top bodies


def top_entries(province: Province, successor: Province | None) -> Iterator[Agency]:
    """UBND, HĐND, Tỉnh ủy (Thành ủy), UBMTTQ of one province, dated when it merged away."""
    p, unit = province.prefix, province.full
    party = "Thành ủy" if province.type_word == "thành phố" else "Tỉnh ủy"
    former = FORMER_NAMES.get(p)
    bodies = [
        ("ubnd-tinh", "ubnd_tinh", "Ủy ban nhân dân", ["UBND"], "chinh_quyen"),
        ("hdnd-tinh", "hdnd_tinh", "Hội đồng nhân dân", ["HĐND"], "chinh_quyen"),
        ("tinh-uy", "tinh_uy", party, [], "dang"),
        (
            "mttq",
            "mttq",
            "Ủy ban Mặt trận Tổ quốc Việt Nam",
            ["Ủy ban MTTQ Việt Nam", "UBMTTQ Việt Nam", "UBMTTQVN", "Ủy ban MTTQ"],
            "mat_tran",
        ),
    ]
    for slug, kind, title, short, tag in bodies:
        names = [f"{t} {unit}" for t in (title, *short)]
        if kind == "tinh_uy":
            names += [f"Ban Chấp hành Đảng bộ {unit}", f"{party} {province.name}"]
        if former:
            names += [f"{t} {former}" for t in (title, *short)]
            if kind == "tinh_uy":
                names.append(f"Tỉnh ủy {former}")
        ended = successor is not None
        certain = kind in ("ubnd_tinh", "hdnd_tinh")
        yield Agency(
            id=f"{p}.{slug}",
            name=names[0],
            aliases=tuple(names[1:]),
            kind=kind,
            level="tinh",
            area=f"{p}.ubnd-tinh",
            valid_to=LEGACY_END if ended else None,
            successor=f"{successor.prefix}.{slug}" if successor else None,
            tags=(tag,),
            source=f"rules/data/national/provinces.yaml (vietnamadminunits legacy data); {MERGER}",
            confirmed=certain or not ended,
            note=(
                f"Merged into {successor.full} on 2025-07-01."
                + ("" if certain else " End day taken from the administrative merger; not checked.")
                if successor
                else None
            ),
            origin="rules/data/national/provinces.yaml",
        )


# ------------------------------------------------------------------------------------ units


def unit_entries(
    tables: Mapping[str, Any], members: Mapping[str, Province], group: Province
) -> Iterator[Agency]:
    """The People's Committees of one 2025 province's units file (see its legend)."""
    origin = f"rules/data/national/units/{group.prefix}.yaml"
    district_prefix: dict[int, str] = {}
    for ended, rows in ((False, tables["districts"]), (True, tables["districts_ended"])):
        for code, word, name, prefix in rows:
            district_prefix[code] = prefix
            yield _district(code, word, name, prefix, ended, origin)
    for code, word, name, district in tables["communes_ended"]:
        yield _commune_ended(code, word, name, f"{district_prefix[district]}", district, origin)
    for code, word, name, district, main, split, status in tables["communes_legacy"]:
        yield _commune_legacy(
            (code, word, name, district_prefix[district], district),
            (main, split, status),
            group.prefix,
            origin,
        )
    for code, word, name, other in tables["communes"]:
        yield _commune_new(code, word, name, other, group.prefix, origin)


def _district(code: int, word: str, name: str, prefix: str, ended: bool, origin: str) -> Agency:
    abbreviation = _DISTRICT_WORDS.get(word)
    aliases = [f"Ủy ban nhân dân {word} {name}"]
    if abbreviation:
        aliases.append(f"UBND {abbreviation} {name}")
    # No level-less "UBND Nha Trang": it would stand for the district and for any commune
    # or ward of that name, and a slip in "UBND phường X" would be read as the district.
    return Agency(
        id=f"{prefix}.ubnd-huyen-{code}",
        name=f"UBND {word} {name}",
        aliases=tuple(aliases),
        kind="ubnd_huyen",
        level="huyen",
        parent=f"{prefix}.ubnd-tinh",
        area=f"{prefix}.ubnd-tinh",
        valid_to=ARRANGEMENT_END if ended else LEGACY_END,
        tags=(_DISTRICT_TAGS.get(word, "huyen"),),
        source=(f"{OLD_SOURCE} (GSO district code {code})" if ended else f"{UNITS_SOURCE})"),
        confirmed=not ended,
        note=ARRANGEMENT_NOTE if ended else None,
        origin=origin,
    )


def _commune_ended(
    code: int, word: str, name: str, prefix: str, district: int, origin: str
) -> Agency:
    parent = f"{prefix}.ubnd-huyen-{district}"
    return Agency(
        id=f"{prefix}.ubnd-xa-{code}",
        name=f"UBND {word} {name}",
        aliases=(f"Ủy ban nhân dân {word} {name}",),
        kind="ubnd_xa",
        level="xa",
        parent=parent,
        area=parent,
        valid_to=ARRANGEMENT_END,
        tags=(_TAGS[word],),
        source=f"{OLD_SOURCE} (GSO code {code:05d}); absent from the 2025 legacy data",
        confirmed=False,
        note=ARRANGEMENT_NOTE + " The unit that took it over is not in the sources.",
        origin=origin,
    )


def _commune_legacy(
    row: tuple[int, str, str, str, int],
    conversion: tuple[int, list[int], str],
    group: str,
    origin: str,
) -> Agency:
    code, word, name, prefix, district = row
    main, split, status = conversion
    parent = f"{prefix}.ubnd-huyen-{district}"
    aliases = [f"Ủy ban nhân dân {word} {name}"]
    notes = []
    if status and status != "new":
        aliases += [f"UBND {status}", f"Ủy ban nhân dân {status}"]
        notes.append(f"Named {status} in the GSO data of 2023-05-07 (a merger or a spelling).")
    if split:
        parts = ", ".join(f"{group}.ubnd-xa2025-{c:05d}" for c in split)
        notes.append(f"Split in 2025 across {parts}; the successor is the package's default.")
    if status == "new":
        notes.append(ARRANGEMENT_NOTE)
    return Agency(
        id=f"{prefix}.ubnd-xa-{code}",
        name=f"UBND {word} {name}",
        aliases=tuple(aliases),
        kind="ubnd_xa",
        level="xa",
        parent=parent,
        area=parent,
        valid_from=ARRANGEMENT_START if status == "new" else None,
        valid_to=LEGACY_END,
        successor=f"{group}.ubnd-xa2025-{main:05d}" if main else None,
        tags=(_TAGS[word],),
        source=f"{UNITS_SOURCE}; GSO code {code:05d})",
        confirmed=status != "new",
        note=" ".join(notes) or None,
        origin=origin,
    )


def _commune_new(code: int, word: str, name: str, other: int, group: str, origin: str) -> Agency:
    return Agency(
        id=f"{group}.ubnd-xa2025-{code:05d}",
        name=f"UBND {word} {name}",
        aliases=(f"Ủy ban nhân dân {word} {name}",),
        kind="ubnd_xa",
        level="xa",
        parent=f"{group}.ubnd-tinh",
        area=f"{group}.ubnd-tinh",
        valid_from=NEW_START,
        tags=(_TAGS[word],),
        source=f"{UNITS_SOURCE}; 2025 GSO code {code:05d})",
        confirmed=other == 0,
        note=(
            f"vietnamadminunits gives it GSO code {other:05d}; not confirmed which is official."
            if other
            else None
        ),
        origin=origin,
    )


# ------------------------------------------------------------------------------ departments


def read_pattern(path: Path) -> list[dict[str, Any]]:
    """The standard departments of departments.yaml (checked: each has slug, name, kind)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    rows: list[dict[str, Any]] = data["departments"]
    problems = [
        f"{path}: department #{i + 1}: '{key}' is missing"
        for i, row in enumerate(rows)
        for key in ("slug", "name", "kind", "source")
        if not row.get(key)
    ]
    if problems:
        raise DirectoryError(problems)
    return rows


def department_entries(
    pattern: list[dict[str, Any]], province: Province, successor: Province | None
) -> Iterator[Agency]:
    """The pattern's departments for one province; a merged-away province's end on 2025-06-30."""
    p = province.prefix
    slugs = {row["slug"] for row in pattern if row.get("valid_to") is None}
    for row in pattern:
        start, end = row.get("valid_from"), row.get("valid_to")
        if successor is not None and start is not None and start >= NEW_START:
            continue  # a body created after the province merged away
        heir = row.get("successor")
        if successor is not None and end is None:
            end = LEGACY_END
            heir_id = f"{successor.prefix}.{row['slug']}" if row["slug"] in slugs else None
        else:
            heir_id = f"{p}.{heir}" if heir else None
        fill = {"unit": province.full, "name": province.name}
        yield Agency(
            id=f"{p}.{row['slug']}",
            name=row["name"].format(**fill),
            aliases=tuple(a.format(**fill) for a in row.get("aliases") or ()),
            kind=row["kind"],
            level="tinh",
            parent=f"{p}.ubnd-tinh",
            area=f"{p}.ubnd-tinh",
            valid_from=start,
            valid_to=end,
            successor=heir_id,
            tags=tuple(row.get("tags") or ()),
            source=row["source"],
            confirmed=False,
            basis="national pattern",
            note=row.get("note"),
            origin="rules/data/national/departments.yaml",
        )
