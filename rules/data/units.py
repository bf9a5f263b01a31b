"""Generate the People's Committee (UBND) entries of an agency directory from two packages.

The entries are written as a directory file (see ``docs/directory-format.md``) with only an
``agencies:`` list; the top body ``<prefix>.ubnd-tinh`` is defined by another, curated file.

Sources (nothing else is read):

- ``vietnamadminunits``: the legacy 63-province data (districts and communes with their GSO
  codes) and its legacy → 2025 conversion table, the one ``convert_address`` uses;
- ``vietnam_provinces``: the 34 provinces and their communes, wards and special zones in force
  from 2025-07-01, with their GSO codes.

Two modes:

- a province (``--province 56 --prefix kh``): its legacy district units, its legacy communes,
  and the communes of the province it became part of on 2025-07-01;
- one legacy district (``--province 51 --district 535 --prefix qn``): that district's legacy
  communes, plus the 2025 communes they were merged into, so that every ``successor`` names an
  entry of the file. The district unit itself is then left to a curated file.

Run from the repository root, for example::

    python -m rules.data.units --province 56 --prefix kh --out rules/data/khanh_hoa/20_units.yaml

Output is deterministic: entries are sorted by kind of unit and GSO code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import shlex
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vietnam_provinces
import yaml
from vietnam_provinces import Ward
from vietnamadminunits.converter import converter_2025
from vietnamadminunits.database import get_data

LEGACY_END = dt.date(2025, 6, 30)
NEW_START = dt.date(2025, 7, 1)

# Legacy district types: (lowercase word used in names, tag, abbreviation used in documents).
DISTRICT_TYPES: dict[str, tuple[str, str, str | None]] = {
    "Huyện": ("huyện", "huyen", None),
    "Thị xã": ("thị xã", "thi_xa", "TX"),
    "Thành phố": ("thành phố", "thanh_pho", "TP"),
    "Quận": ("quận", "quan", None),
}
# Commune types, legacy and 2025: lowercase word used in names -> tag.
COMMUNE_TAGS: dict[str, str] = {
    "xã": "xa",
    "phường": "phuong",
    "thị trấn": "thi_tran",
    "đặc khu": "dac_khu",
}
LEGACY_FIELDS = [
    "provinceCode",
    "provinceKey",
    "districtCode",
    "districtKey",
    "districtShort",
    "districtType",
    "wardCode",
    "wardKey",
    "wardShort",
    "wardType",
]
NEW_FIELDS = ["provinceCode", "provinceKey", "wardKey", "ward", "wardCode"]


# ---------------------------------------------------------------- data read from the packages


@dataclass(frozen=True)
class Versions:
    """Versions of the two source packages, for the header and the ``source`` fields."""

    admin_units: str
    provinces: str
    provinces_data: str


@dataclass(frozen=True)
class LegacyDistrict:
    """A district-level unit of the 63-province data."""

    code: str
    type_word: str
    short: str


@dataclass(frozen=True)
class LegacyCommune:
    """A commune, ward or town of the 63-province data."""

    code: str
    type_word: str
    short: str
    district_code: str
    key: str  # province_district_ward key of the conversion table


@dataclass(frozen=True)
class NewCommune:
    """A commune, ward or special zone in force from 2025-07-01."""

    code: int
    type_word: str
    short: str
    other_code: str | None  # the code vietnamadminunits gives it, when it differs


@dataclass(frozen=True)
class Conversion:
    """Where the package's conversion sends one legacy commune."""

    main: int | None  # code of the 2025 unit it became (the default one when split)
    split_into: tuple[int, ...]  # codes of all 2025 units, when split across several


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form the rest of docroute compares."""
    return unicodedata.normalize("NFC", text.strip())


def package_versions() -> Versions:
    """Read the installed versions of both packages."""
    return Versions(
        admin_units=importlib.metadata.version("vietnamadminunits"),
        provinces=importlib.metadata.version("vietnam-provinces"),
        provinces_data=vietnam_provinces.__data_version__,
    )


def legacy_rows(province_code: str) -> list[dict[str, Any]]:
    """Rows of the legacy table for one province, one per commune (or per district without)."""
    rows: list[dict[str, Any]] = get_data(fields=LEGACY_FIELDS, table="admin_units_legacy")
    selected = [row for row in rows if row["provinceCode"] == province_code]
    if not selected:
        raise SystemExit(f"no legacy province with GSO code {province_code}")
    return selected


def legacy_districts(rows: Iterable[Mapping[str, Any]]) -> list[LegacyDistrict]:
    """The distinct district units of ``rows``, sorted by code."""
    found = {
        row["districtCode"]: LegacyDistrict(
            code=row["districtCode"],
            type_word=nfc(row["districtType"]),
            short=nfc(row["districtShort"]),
        )
        for row in rows
    }
    return [found[code] for code in sorted(found)]


def legacy_communes(rows: Iterable[Mapping[str, Any]]) -> list[LegacyCommune]:
    """The communes of ``rows`` sorted by code; districts without communes add none."""
    communes = [
        LegacyCommune(
            code=row["wardCode"],
            type_word=nfc(row["wardType"]).lower(),
            short=nfc(row["wardShort"]),
            district_code=row["districtCode"],
            key=f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}",
        )
        for row in rows
        if row["wardCode"]
    ]
    return sorted(communes, key=lambda commune: commune.code)


def new_province_key(legacy_province_key: str) -> str:
    """Key of the 2025 province that the legacy province became part of."""
    provinces: dict[str, list[str]] = converter_2025.DICT_PROVINCE
    for new_key, old_keys in provinces.items():
        if legacy_province_key in old_keys:
            return new_key
    raise SystemExit(f"the conversion has no 2025 province for {legacy_province_key}")


def new_unit_rows(province_key: str) -> list[dict[str, Any]]:
    """Rows of vietnamadminunits' 2025 table for one province."""
    rows: list[dict[str, Any]] = get_data(fields=NEW_FIELDS, table="admin_units")
    return [row for row in rows if row["provinceKey"] == province_key]


def split_type(name: str, type_word: str) -> str:
    """The proper name of a unit: ``Xã Cam An`` with type ``xã`` gives ``Cam An``."""
    if not name.lower().startswith(type_word):
        raise SystemExit(f"unit name {name!r} does not start with its type {type_word!r}")
    return name[len(type_word) :].strip()


def new_communes(province_code: int, other_codes: Mapping[str, str]) -> list[NewCommune]:
    """Units of a 2025 province from vietnam_provinces, sorted by code.

    ``other_codes`` maps a unit's name to the code vietnamadminunits gives it, so that a
    disagreement between the two packages is recorded on the entry.
    """
    communes = []
    for ward in Ward.iter_by_province(vietnam_provinces.ProvinceCode(province_code)):
        name = nfc(ward.name)
        type_word = ward.division_type.value
        other = other_codes.get(name)
        communes.append(
            NewCommune(
                code=int(ward.code),
                type_word=type_word,
                short=split_type(name, type_word),
                other_code=other if other is not None and int(other) != int(ward.code) else None,
            )
        )
    return sorted(communes, key=lambda commune: commune.code)


def new_codes_by_key(
    rows: Iterable[Mapping[str, Any]], communes: Sequence[NewCommune]
) -> dict[str, int]:
    """Map the conversion's 2025 unit keys to vietnam_provinces codes, through the unit name."""
    by_name = {tone_style(f"{c.type_word} {c.short}"): c.code for c in communes}
    codes = {c.code for c in communes}
    mapping = {}
    for row in rows:
        name = tone_style(row["ward"])
        if name in by_name:
            mapping[row["wardKey"]] = by_name[name]
        elif int(row["wardCode"]) in codes:  # the same GSO code under another spelling
            mapping[row["wardKey"]] = int(row["wardCode"])
        else:
            raise SystemExit(f"vietnam_provinces has no unit named {row['ward']!r}")
    return mapping


# Old and new tone placement ("Hoà" / "Hòa"): both packages use one or the other.
_TONES = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe",
          "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy",
          "uỵ": "ụy"}  # fmt: skip


def tone_style(name: str) -> str:
    """``name`` lowercased in NFC with the new tone placement, to compare spellings."""
    text = nfc(name).lower().replace("\u2013", "-")
    for old, new in _TONES.items():
        text = text.replace(old, new)
    return text


def conversions(new_key: str, codes_by_key: Mapping[str, int]) -> dict[str, Conversion]:
    """Where each legacy commune of a 2025 province went, keyed by its legacy key."""
    result: dict[str, Conversion] = {}
    whole: dict[str, list[str]] = converter_2025.DICT_PROVINCE_WARD_NO_DIVIDED.get(new_key, {})
    for new_ward_key, old_keys in whole.items():
        for old_key in old_keys:
            result[old_key] = Conversion(main=codes_by_key[new_ward_key], split_into=())
    split: dict[str, list[dict[str, Any]]] = converter_2025.DICT_PROVINCE_WARD_DIVIDED.get(
        new_key, {}
    )
    for old_key, parts in split.items():
        defaults = [codes_by_key[p["newWardKey"]] for p in parts if p["isDefaultNewWard"]]
        result[old_key] = Conversion(
            main=defaults[0] if len(defaults) == 1 else None,
            split_into=tuple(sorted(codes_by_key[p["newWardKey"]] for p in parts)),
        )
    return result


# ---------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Ids:
    """How ids are formed in the directory being generated."""

    prefix: str

    @property
    def province(self) -> str:
        """The People's Committee of the province (defined by a curated file)."""
        return f"{self.prefix}.ubnd-tinh"

    def district(self, code: str) -> str:
        """A legacy district unit."""
        return f"{self.prefix}.ubnd-huyen-{code}"

    def legacy_commune(self, code: str) -> str:
        """A legacy commune, ward or town."""
        return f"{self.prefix}.ubnd-xa-{code}"

    def new_commune(self, code: int) -> str:
        """A 2025 commune, ward or special zone."""
        return f"{self.prefix}.ubnd-xa2025-{code:05d}"


def legacy_source(versions: Versions, what: str) -> str:
    """``source`` text for an entry read from the legacy data."""
    return f"vietnamadminunits {versions.admin_units}, legacy 63-province data ({what})"


def district_entry(
    district: LegacyDistrict, ids: Ids, versions: Versions, clashes: Sequence[str]
) -> dict[str, Any]:
    """Entry of a legacy district unit (huyện, thị xã, thành phố thuộc tỉnh, quận)."""
    word, tag, abbreviation = DISTRICT_TYPES[district.type_word]
    aliases = [f"Ủy ban nhân dân {word} {district.short}"]
    if abbreviation:
        aliases.append(f"UBND {abbreviation} {district.short}")
    aliases.append(f"UBND {district.short}")
    entry: dict[str, Any] = {
        "id": ids.district(district.code),
        "name": f"UBND {word} {district.short}",
        "aliases": aliases,
        "kind": "ubnd_huyen",
        "level": "huyen",
        "parent": ids.province,
        "area": ids.province,
        "valid_to": LEGACY_END,
        "tags": [tag],
        "source": legacy_source(versions, f"GSO district code {district.code}"),
        "confirmed": True,
    }
    if clashes:
        entry["note"] = (
            f"The short alias UBND {district.short} could also mean {', '.join(clashes)}; "
            "in this directory it names the district unit."
        )
    return entry


def short_name_clashes(district: LegacyDistrict, communes: Iterable[LegacyCommune]) -> list[str]:
    """Names of communes whose proper name equals the district's (e.g. thị trấn Diên Khánh)."""
    return [f"UBND {c.type_word} {c.short}" for c in communes if c.short == district.short]


def describe_new(code: int, names: Mapping[int, str], ids: Ids) -> str:
    """``UBND xã Cam An (kh.ubnd-xa2025-22465)``, for notes."""
    return f"{names[code]} ({ids.new_commune(code)})"


def successor_and_note(
    conversion: Conversion | None, ids: Ids, names: Mapping[int, str]
) -> tuple[str | None, str | None]:
    """``successor`` and ``note`` of a legacy commune, from the package's conversion."""
    if conversion is None:
        return None, "vietnamadminunits' conversion names no 2025 unit for this commune."
    successor = ids.new_commune(conversion.main) if conversion.main is not None else None
    if not conversion.split_into:
        return successor, None
    parts = ", ".join(describe_new(code, names, ids) for code in conversion.split_into)
    chosen = (
        "successor is the one it marks as default (isDefaultNewWard)"
        if successor is not None
        else "it marks none as default, so no successor is given"
    )
    return successor, f"vietnamadminunits' conversion splits this commune across {parts}; {chosen}."


def legacy_commune_entry(
    commune: LegacyCommune,
    ids: Ids,
    versions: Versions,
    conversion: Conversion | None,
    names: Mapping[int, str],
) -> dict[str, Any]:
    """Entry of a legacy commune, ward or town, with its 2025 successor when known."""
    district_id = ids.district(commune.district_code)
    successor, note = successor_and_note(conversion, ids, names)
    source = legacy_source(versions, f"GSO code {commune.code}")
    if conversion is not None:
        source += "; successor from its legacy→2025 conversion"
    return {
        "id": ids.legacy_commune(commune.code),
        "name": f"UBND {commune.type_word} {commune.short}",
        "aliases": [f"Ủy ban nhân dân {commune.type_word} {commune.short}"],
        "kind": "ubnd_xa",
        "level": "xa",
        "parent": district_id,
        "area": district_id,
        "valid_to": LEGACY_END,
        **({"successor": successor} if successor else {}),
        "tags": [COMMUNE_TAGS[commune.type_word]],
        "source": source,
        "confirmed": True,
        **({"note": note} if note else {}),
    }


def new_commune_entry(commune: NewCommune, ids: Ids, versions: Versions) -> dict[str, Any]:
    """Entry of a commune, ward or special zone in force from 2025-07-01."""
    entry: dict[str, Any] = {
        "id": ids.new_commune(commune.code),
        "name": f"UBND {commune.type_word} {commune.short}",
        "aliases": [f"Ủy ban nhân dân {commune.type_word} {commune.short}"],
        "kind": "ubnd_xa",
        "level": "xa",
        "parent": ids.province,
        "area": ids.province,
        "valid_from": NEW_START,
        "tags": [COMMUNE_TAGS[commune.type_word]],
        "source": (
            f"vietnam_provinces {versions.provinces} (GSO data of {versions.provinces_data}), "
            f"2025 34-province data (GSO code {commune.code:05d})"
        ),
        "confirmed": commune.other_code is None,
    }
    if commune.other_code is not None:
        entry["note"] = (
            f"vietnamadminunits {versions.admin_units} gives this unit GSO code "
            f"{commune.other_code}; the id uses vietnam_provinces' code. Not confirmed which "
            "is the official one."
        )
    return entry


# ---------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class Request:
    """What to generate."""

    province: str
    district: str | None
    prefix: str
    out: Path


@dataclass(frozen=True)
class Units:
    """Everything read from the packages for one request."""

    districts: list[LegacyDistrict]
    communes: list[LegacyCommune]
    new: list[NewCommune]
    conversions: dict[str, Conversion]


def read_units(request: Request) -> Units:
    """Read the legacy units of the request and the 2025 units of their province."""
    rows = legacy_rows(request.province)
    new_key = new_province_key(rows[0]["provinceKey"])
    new_rows = new_unit_rows(new_key)
    new_province_code = int(new_rows[0]["provinceCode"])
    other_codes = {nfc(row["ward"]): row["wardCode"] for row in new_rows}
    new = new_communes(new_province_code, other_codes)
    if request.district is not None:
        rows = [row for row in rows if row["districtCode"] == request.district]
        if not rows:
            raise SystemExit(f"no legacy district {request.district} in {request.province}")
    return Units(
        districts=legacy_districts(rows),
        communes=legacy_communes(rows),
        new=new,
        conversions=conversions(new_key, new_codes_by_key(new_rows, new)),
    )


def successor_codes(units: Units) -> set[int]:
    """Codes of the 2025 units that some legacy commune of ``units`` is converted into."""
    codes: set[int] = set()
    for commune in units.communes:
        conversion = units.conversions.get(commune.key)
        if conversion is not None and conversion.main is not None:
            codes.add(conversion.main)
    return codes


def build_entries(request: Request, units: Units, versions: Versions) -> list[dict[str, Any]]:
    """All entries of the file: districts, legacy communes, then 2025 units, each by code."""
    ids = Ids(request.prefix)
    names = {c.code: f"UBND {c.type_word} {c.short}" for c in units.new}
    entries: list[dict[str, Any]] = []
    if request.district is None:
        entries += [
            district_entry(d, ids, versions, short_name_clashes(d, units.communes))
            for d in units.districts
        ]
    entries += [
        legacy_commune_entry(c, ids, versions, units.conversions.get(c.key), names)
        for c in units.communes
    ]
    wanted = successor_codes(units) if request.district is not None else None
    entries += [
        new_commune_entry(c, ids, versions) for c in units.new if wanted is None or c.code in wanted
    ]
    return entries


# ---------------------------------------------------------------------------- output


class _Dumper(yaml.SafeDumper):
    """Safe dumper: lists of plain values in flow style (``[a, b]``), no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        """Write every value in full, so that each entry reads on its own."""
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def header(request: Request, versions: Versions) -> str:
    """The comment at the top of the file: what produced it and how to produce it again."""
    command = ["python", "-m", "rules.data.units", "--province", request.province]
    if request.district is not None:
        command += ["--district", request.district]
    command += ["--prefix", request.prefix, "--out", request.out.as_posix()]
    return (
        f"# Generated by rules/data/units.py from vietnamadminunits {versions.admin_units}\n"
        "# (legacy 63-province data and its legacy→2025 conversion) and vietnam_provinces\n"
        f"# {versions.provinces} (2025 units, GSO data of {versions.provinces_data}).\n"
        "# Do not edit by hand; regenerate from the repository root with:\n"
        f"#   {shlex.join(command)}\n"
    )


def render(request: Request, entries: list[dict[str, Any]], versions: Versions) -> str:
    """The whole file as text."""
    body = yaml.dump(
        {"agencies": entries},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=4096,
    )
    return header(request, versions) + "\n" + body


def parse_args(argv: Sequence[str] | None) -> Request:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m rules.data.units",
        description="Generate the UBND entries of an agency directory from the unit packages.",
    )
    parser.add_argument("--province", required=True, help="legacy GSO province code, e.g. 56")
    parser.add_argument("--district", help="legacy GSO district code: only that district")
    parser.add_argument("--prefix", required=True, help="id prefix, e.g. kh")
    parser.add_argument("--out", required=True, type=Path, help="YAML file to write")
    args = parser.parse_args(argv)
    return Request(province=args.province, district=args.district, prefix=args.prefix, out=args.out)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate one file and report its counts on stderr."""
    request = parse_args(argv)
    versions = package_versions()
    units = read_units(request)
    entries = build_entries(request, units, versions)
    request.out.parent.mkdir(parents=True, exist_ok=True)
    request.out.write_text(render(request, entries, versions), encoding="utf-8")
    print(f"{request.out}: {len(entries)} entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
