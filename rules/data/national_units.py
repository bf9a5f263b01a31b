"""Generate the national unit tables: all 63 former provinces and the 34 provinces from 2025.

Writes, under ``rules/data/national/``:

- ``provinces.yaml``: the 63 provinces of the legacy data, each with its id prefix, and for the
  29 that merged into another on 2025-07-01 the prefix of the province that took them over
  (``successor``); the other 34 continue under their name (Nghị quyết 202/2025/QH15);
- ``units/<prefix>.yaml``: for each 2025 province, compact tables (one row per unit) of the
  legacy district units and communes of every former province merged into it, the communes
  and district units that ended in the 2023-2025 arrangement, and the 2025 communes, wards and
  special zones. ``rules/national.py`` turns the rows into directory entries.

Sources (nothing else is read; see each file's header):

- ``vietnamadminunits``: legacy 63-province data (the units in force until 2025-06-30, after the
  2023-2025 arrangement) and its legacy → 2025 conversion;
- ``vietnam_provinces`` (installed): the 2025 units;
- ``vietnam_provinces`` 0.5.0 (GSO data of 2023-05-07), read from its ``flat-divisions.json``
  given with ``--before``: the units before the 2023-2025 arrangement. Get it with
  ``pip download --no-deps vietnam-provinces==0.5.0`` and unzip the wheel.

What "ended in the 2023-2025 arrangement" counts (checked by hand for Khánh Hòa): the tables
end a commune when its GSO *code* is gone from the legacy data: 566 codes of the 2023 data
(10,598 communes) are gone by 2025-06-30 and 3 codes are new, so 10,035 remain, the net
reduction of 563. The UBTVQH resolutions abolish more communes than that: when a merger forms
a "new" commune, GSO often gives it the code of one predecessor, and the tables then read a
rename, not an end plus a new unit. Khánh Hòa's resolution (effective 2024-11-01; vov.gov.vn
"Khánh Hòa sắp xếp phường, xã ở Nha Trang, Ninh Hòa và Diên Khánh") abolishes 9 communes
(Phương Sơn, Xương Huân, Vạn Thắng, Phước Tiến, Phước Tân, Tân Lập, Ninh Vân, Diên Đồng, Diên
Xuân) and forms 2 (phường Tân Tiến, xã Xuân Đồng); the tables end 7 codes and keep 3 as
renamed units whose 2023 name becomes an alias: 22366 Phước Tiến → Tân Tiến, 22660 Diên Xuân
→ Xuân Đồng, and 22606 Ninh Vân → Ninh Phước (the old Ninh Phước, 22579, is the code that
ends, although the resolution merges Ninh Vân into Ninh Phước). An old name kept as an alias
still reaches the unit that took it over; but a count of abolished communes from these tables
is lower than the resolutions' count, and an ended code has no successor (the packages do not
say where it went): a later document naming it is put to the clerk. Khánh Hòa's own folder
(``khanh_hoa/40_arrangement_2024.yaml``) gives its 7 ended codes their successor and day from
the resolution; the other provinces' are still without. Without dated names, "xã Ninh Phước"
before 2024-11-01 names two entries and is a question to the clerk.

Run from the repository root::

    python -m rules.data.national_units \
        --before /tmp/vp050/vietnam_provinces/data/flat-divisions.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from vietnamadminunits.database import get_data

from rules.data import units

OUT = Path("rules/data/national")
# Id prefix of each legacy province (GSO code), short and stable: ids such as kh.ubnd-tinh are
# already stored in routed documents. A 2025 province uses the prefix of the province whose
# name it kept.
PREFIXES: dict[str, str] = {
    "01": "hn", "02": "hg", "04": "cb", "06": "bk", "08": "tq", "10": "lc", "11": "db",
    "12": "lch", "14": "sl", "15": "yb", "17": "hb", "19": "tn", "20": "ls", "22": "qni",
    "24": "bg", "25": "pt", "26": "vp", "27": "bn", "30": "hd", "31": "hp", "33": "hy",
    "34": "tb", "35": "hnm", "36": "nd", "37": "nb", "38": "th", "40": "na", "42": "ht",
    "44": "qb", "45": "qt", "46": "hue", "48": "dn", "49": "qna", "51": "qn", "52": "bdi",
    "54": "py", "56": "kh", "58": "nt", "60": "bth", "62": "kt", "64": "gl", "66": "dl",
    "67": "dno", "68": "ld", "70": "bp", "72": "tni", "74": "bdu", "75": "dna", "77": "brvt",
    "79": "hcm", "80": "la", "82": "tg", "83": "bt", "84": "tv", "86": "vl", "87": "dt",
    "89": "ag", "91": "kg", "92": "ct", "93": "hgi", "94": "st", "95": "bl", "96": "cm",
}  # fmt: skip
PROVINCE_FIELDS = ["provinceCode", "province", "provinceShort", "provinceKey"]


@dataclass(frozen=True)
class Province:
    """A province of the legacy data and where it went on 2025-07-01."""

    code: str
    type_word: str  # "tỉnh" or "thành phố"
    short: str
    key: str
    new_key: str
    continues: bool  # keeps its name as a 2025 province


def legacy_provinces() -> list[Province]:
    """The 63 legacy provinces, by code."""
    found: dict[str, Province] = {}
    for row in get_data(fields=PROVINCE_FIELDS, table="admin_units_legacy"):
        new_key = units.new_province_key(row["provinceKey"])
        short = units.nfc(row["provinceShort"])
        type_word = units.nfc(row["province"])[: -len(short)].strip().lower()
        found[row["provinceCode"]] = Province(
            code=row["provinceCode"],
            type_word=type_word,
            short=short,
            key=row["provinceKey"],
            new_key=new_key,
            continues=new_key == row["provinceKey"],
        )
    return [found[code] for code in sorted(found)]


def before_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of vietnam_provinces 0.5.0's flat-divisions.json (one per commune)."""
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return rows


def split_name(full: str) -> tuple[str, str]:
    """``Phường Vĩnh Hòa`` -> (``phường``, ``Vĩnh Hòa``); longest type word first."""
    text = units.nfc(full)
    for word in ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "xã"):
        if text.lower().startswith(word + " "):
            return word, text[len(word) :].strip()
    raise SystemExit(f"unit name {full!r} has no known type word")


@dataclass
class Tables:
    """The rows of one 2025 province's units file."""

    districts: list[list[Any]]
    districts_ended: list[list[Any]]
    communes_ended: list[list[Any]]
    communes_legacy: list[list[Any]]
    communes: list[list[Any]]


def province_tables(
    new_key: str, members: list[Province], before: list[dict[str, Any]]
) -> Tables:
    """Every row of the units file of the 2025 province ``new_key``."""
    member_codes = {p.code: PREFIXES[p.code] for p in members}
    new_rows = units.new_unit_rows(new_key)
    other_codes = {units.nfc(row["ward"]): row["wardCode"] for row in new_rows}
    new = units.new_communes(int(new_rows[0]["provinceCode"]), other_codes)
    conversions = units.conversions(new_key, units.new_codes_by_key(new_rows, new))
    legacy: list[dict[str, Any]] = []
    for province in members:
        legacy += units.legacy_rows(province.code)
    districts = units.legacy_districts(legacy)
    district_province = {row["districtCode"]: row["provinceCode"] for row in legacy}
    communes = units.legacy_communes(legacy)
    old = [r for r in before if f"{r['province_code']:02d}" in member_codes]
    old_names = {f"{r['ward_code']:05d}": split_name(r["ward_name"]) for r in old if r["ward_code"]}
    legacy_codes = {c.code for c in communes}
    district_codes = {d.code for d in districts}
    tables = Tables([], [], [], [], [])
    for d in districts:
        prefix = member_codes[district_province[d.code]]
        tables.districts.append([int(d.code), d.type_word.lower(), d.short, prefix])
    ended_districts: dict[int, list[Any]] = {}
    for r in old:
        code = f"{r['district_code']:03d}"
        if code not in district_codes:
            word, short = split_name(r["district_name"])
            ended_districts[int(code)] = [
                int(code), word, short, member_codes[f"{r['province_code']:02d}"]
            ]
    tables.districts_ended = [ended_districts[c] for c in sorted(ended_districts)]
    for r in sorted((r for r in old if r["ward_code"]), key=lambda r: int(r["ward_code"])):
        code = f"{r['ward_code']:05d}"
        if code not in legacy_codes:
            word, short = split_name(r["ward_name"])
            tables.communes_ended.append([int(code), word, short, int(r["district_code"])])
    for c in communes:
        conversion = conversions.get(c.key)
        main = conversion.main if conversion and conversion.main is not None else 0
        split = list(conversion.split_into) if conversion else []
        before_name = old_names.get(c.code)
        # "new" when the 2023 data lacks the code; the former name when it was renamed.
        status = (
            "new"
            if before_name is None
            else (f"{before_name[0]} {before_name[1]}" if _renamed(before_name[1], c.short) else "")
        )
        tables.communes_legacy.append(
            [int(c.code), c.type_word, c.short, int(c.district_code), main, split, status]
        )
    for n in new:
        tables.communes.append([n.code, n.type_word, n.short, int(n.other_code or 0)])
    return tables


def _renamed(before: str, after: str) -> bool:
    """Whether two spellings name different units (tone placement, dashes, spaces ignored)."""

    def key(name: str) -> str:
        text = units.tone_style(name)
        for word in ("phường ", "xã ", "thị trấn "):
            text = text.removeprefix(word)
        text = text.lstrip("0") if text.isdigit() else text
        return "".join(ch for ch in text if ch.isalnum()).replace("đăk", "đắk")

    return key(before) != key(after)


class _Dumper(yaml.SafeDumper):
    """Rows in flow style, one per line; no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        """Write every value in full."""
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = not any(isinstance(item, dict) for item in data) and not (
        data and isinstance(data[0], list)
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump(data: dict[str, Any]) -> str:
    """YAML text of ``data`` (block lists of flow rows)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)


def header(versions: units.Versions, what: str) -> str:
    """The comment at the top of a generated file."""
    return (
        f"# {what}\n"
        "# Generated by rules/data/national_units.py from vietnamadminunits "
        f"{versions.admin_units}\n"
        "# (legacy 63-province data in force until 2025-06-30, and its legacy→2025 conversion),\n"
        f"# vietnam_provinces {versions.provinces} (2025 units, GSO data of "
        f"{versions.provinces_data})\n"
        "# and vietnam_provinces 0.5.0 (GSO data of 2023-05-07: units before the 2023-2025\n"
        "# arrangement). Do not edit by hand; regenerate from the repository root with:\n"
        "#   python -m rules.data.national_units --before PATH/flat-divisions.json\n"
    )


UNITS_LEGEND = """\
# Rows (read by rules/national.py):
#   districts:        [GSO code, type, name, prefix of its former province]   until 2025-06-30
#   districts_ended:  [GSO code, type, name, prefix]   in the 2023 data, gone before 2025-06-30
#   communes_ended:   [GSO code, type, name, district]  in the 2023 data, gone before 2025-06-30
#   communes_legacy:  [GSO code, type, name, district, successor 2025 code (0: none),
#                      2025 codes it was split across, status]              until 2025-06-30
#                     status: "new" = not in the 2023 data (created by the 2023-2025
#                     arrangement); a former name when the 2023 data names it differently
#   communes:         [GSO code, type, name, code vietnamadminunits gives it (0: same)]
#                                                                           from 2025-07-01
"""


def write_all(out: Path, before: list[dict[str, Any]]) -> int:
    """Write provinces.yaml and one units file per 2025 province; the number of rows."""
    versions = units.package_versions()
    provinces = legacy_provinces()
    by_key = {p.key: p for p in provinces}
    rows = [
        {
            "code": int(p.code),
            "type": p.type_word,
            "name": p.short,
            "prefix": PREFIXES[p.code],
            **({} if p.continues else {"successor": PREFIXES[by_key[p.new_key].code]}),
        }
        for p in provinces
    ]
    (out / "units").mkdir(parents=True, exist_ok=True)
    (out / "provinces.yaml").write_text(
        header(versions, "The 63 provinces before 2025-07-01; 34 of them continue after it.")
        + "\n"
        + dump({"provinces": rows}),
        encoding="utf-8",
    )
    total = 0
    for new_key in sorted({p.new_key for p in provinces}):
        members = [p for p in provinces if p.new_key == new_key]
        prefix = PREFIXES[by_key[new_key].code]
        tables = province_tables(new_key, members, before)
        data = {"province": prefix, **vars(tables)}
        total += sum(len(v) for v in vars(tables).values())
        text = header(versions, f"Units of {by_key[new_key].short} ({prefix}).") + UNITS_LEGEND
        (out / "units" / f"{prefix}.yaml").write_text(text + "\n" + dump(data), encoding="utf-8")
    return total


def main(argv: Sequence[str] | None = None) -> int:
    """Generate every file and report the number of rows on stderr."""
    parser = argparse.ArgumentParser(prog="python -m rules.data.national_units")
    parser.add_argument("--before", required=True, type=Path, help="0.5.0 flat-divisions.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    total = write_all(args.out, before_rows(args.before))
    print(f"{args.out}: {total} unit rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
