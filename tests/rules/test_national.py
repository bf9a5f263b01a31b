"""The shipped national data: each province's communes by date, the centre by date, and the
directory chosen for a document of another province.

Expected sets are read from the committed tables (rules/data/national/units/*.yaml) with
plain YAML, independently of the code that turns them into directory entries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import National, RuleSet, choose, expand, national_directory, read_document

NATIONAL = Path(__file__).resolve().parents[2] / "rules" / "data" / "national"
PROVINCES: list[dict[str, Any]] = yaml.safe_load(
    (NATIONAL / "provinces.yaml").read_text(encoding="utf-8")
)["provinces"]
CURRENT = sorted(p["prefix"] for p in PROVINCES if "successor" not in p)
FORMER = sorted(p["prefix"] for p in PROVINCES)
GROUP = {p["prefix"]: p.get("successor", p["prefix"]) for p in PROVINCES}
BROADCAST = "Nơi nhận:\n- UBND các xã, phường;\n- Lưu: VT.\n"


@cache
def tables(group: str) -> dict[str, Any]:
    """The raw rows of one 2025 province's units file."""
    text = (NATIONAL / "units" / f"{group}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


def communes_2026(prefix: str) -> set[str]:
    """Ids of the communes, wards and special zones of a 2025 province, from its table."""
    return {f"{prefix}.ubnd-xa2025-{row[0]:05d}" for row in tables(prefix)["communes"]}


def communes_mid_2024(prefix: str) -> set[str]:
    """Ids of a former province's communes on 2024-06-01: those of 2025 that already existed
    (not 'new' in the 2023-2025 arrangement) and those the arrangement ended."""
    rows = tables(GROUP[prefix])
    mine = {row[0] for row in rows["districts"] + rows["districts_ended"] if row[3] == prefix}
    kept = {row[0] for row in rows["communes_legacy"] if row[3] in mine and row[6] != "new"}
    ended = {row[0] for row in rows["communes_ended"] if row[3] in mine}
    return {f"{prefix}.ubnd-xa-{code}" for code in kept | ended}


def recipients(national: National, prefix: str, text: str, day: str, rules: RuleSet) -> set[str]:
    """Who `text`, sent by the province's UBND on `day`, goes to."""
    sender = f"{prefix}.ubnd-tinh"
    document = read_document(text)
    directory = choose(national, document, sender, dt.date.fromisoformat(day)).directory
    result = expand(document, directory, rules, dt.date.fromisoformat(day), sender)
    return {r.id for r in result.recipients}


@pytest.fixture(scope="module")
def national() -> National:
    """The shipped national data."""
    return national_directory()


def test_63_provinces_become_34(national: National) -> None:
    """provinces.yaml has 63 provinces; 34 continue, 29 merge into one of those 34."""
    assert len(FORMER) == 63 and len(CURRENT) == 34
    assert {GROUP[p] for p in FORMER} == set(CURRENT)


@pytest.mark.parametrize("prefix", CURRENT)
def test_communes_of_2026_are_the_province_own(
    national: National, rules: RuleSet, prefix: str
) -> None:
    """'UBND các xã, phường' from UBND tỉnh on a 2026 document: its own 2025 units, all."""
    got = recipients(national, prefix, BROADCAST, "2026-03-02", rules)
    assert got == communes_2026(prefix)


@pytest.mark.parametrize("prefix", FORMER)
def test_communes_of_2024_are_those_of_that_time(
    national: National, rules: RuleSet, prefix: str
) -> None:
    """The same line on a 2024 document of each of the 63 provinces: its communes of then."""
    got = recipients(national, prefix, BROADCAST, "2024-06-01", rules)
    assert got == communes_mid_2024(prefix)


VPCP_BLOCK = (
    "Nơi nhận:\n- Các Bộ, cơ quan ngang Bộ, cơ quan thuộc CP;\n"
    "- UBND các tỉnh, TP trực thuộc TW;\n- Các Tỉnh ủy, Thành ủy;\n- Lưu: VT.\n"
)


@pytest.mark.parametrize(
    ("day", "ministries", "provinces"),
    [
        ("2025-02-20", 18 + 4, 63),  # NQ 08/2021/QH15: 18 bộ, 4 cơ quan ngang bộ
        ("2025-03-01", 14 + 3, 63),  # NQ 176/2025/QH15: 14 bộ, 3 cơ quan ngang bộ
        ("2025-07-01", 14 + 3, 34),  # NQ 202/2025/QH15: 34 provinces
    ],
)
def test_vpcp_block_by_date(
    national: National, rules: RuleSet, day: str, ministries: int, provinces: int
) -> None:
    """A VPCP-style block reaches the ministries and provinces in office on its date."""
    document = read_document(VPCP_BLOCK)
    as_of = dt.date.fromisoformat(day)
    result = expand(document, national.directory("hn"), rules, as_of, "tw.thu-tuong")
    kinds = [national.find(r.id) for r in result.recipients]
    count = {k: sum(1 for a in kinds if a and a.kind == k) for k in ("bo", "co_quan_ngang_bo")}
    assert sum(count.values()) == ministries
    assert sum(1 for a in kinds if a and a.kind == "ubnd_tinh") == provinces
    assert sum(1 for a in kinds if a and a.kind == "tinh_uy") == provinces
    assert result.unresolved == []
    ids = {r.id for r in result.recipients}
    assert ("tw.bo-khdt" in ids) == (as_of < dt.date(2025, 3, 1))
    assert ("tw.bo-nnmt" in ids) == (as_of >= dt.date(2025, 3, 1))
    assert ("nt.ubnd-tinh" in ids) == (as_of < dt.date(2025, 7, 1))


def with_header(issuer: str | None, place: str | None, day: str, body: str) -> str:
    """A document text with a place and date line (the issuer set on the parsed document)."""
    date = dt.date.fromisoformat(day)
    line = f"{place}, ngày {date.day} tháng {date.month} năm {date.year}\n\n" if place else ""
    return f"Số: 1/BC-UBND\n\n{line}BÁO CÁO\n\n{body}"


def test_other_province_never_reaches_home_bodies(national: National, rules: RuleSet) -> None:
    """A Bắc Ninh document read on the Khánh Hòa deployment reads Bắc Ninh's categories and
    reaches Khánh Hòa only where it names it."""
    text = with_header(
        None,
        "Bắc Ninh",
        "2026-03-02",
        "Nơi nhận:\n- Các sở, ban, ngành;\n- UBND các xã, phường;\n"
        "- UBND tỉnh Khánh Hòa;\n- Lưu: VT.\n",
    )
    document = read_document(text)
    choice = choose(national, document, "bn.ubnd-tinh")
    assert choice.province == "bn"
    result = expand(document, choice.directory, rules, sender="bn.ubnd-tinh")
    ids = {r.id for r in result.recipients}
    assert "kh.ubnd-tinh" in ids
    assert {i.split(".")[0] for i in ids} == {"bn", "kh"}
    assert [i for i in ids if i.startswith("kh.")] == ["kh.ubnd-tinh"]
    assert communes_2026("bn") <= ids


def test_issuer_names_the_province(national: National) -> None:
    """An issuer line naming a province picks it, whatever the place line says."""
    document = dataclasses.replace(read_document("x"), issuer="UBND TỈNH BẮC NINH", place="Huế")
    assert choose(national, document).province == "bn"


@pytest.mark.parametrize(
    ("place", "day", "province"),
    [
        ("Ninh Thuận", "2024-05-01", "nt"),
        ("Ninh Thuận", "2025-08-01", "kh"),
        ("Phan Rang - Tháp Chàm", "2024-05-01", "nt"),
        ("Thừa Thiên Huế", "2024-05-01", "hue"),
        ("TP. Hồ Chí Minh", "2026-01-05", "hcm"),
        ("Ba Tơ", "2024-03-01", "qn"),
    ],
)
def test_place_picks_the_province_of_its_date(
    national: National, place: str, day: str, province: str
) -> None:
    """A place line names a province, a former province, or a district only one has."""
    document = read_document(with_header(None, place, day, "Nơi nhận:\n- Lưu: VT.\n"))
    assert choose(national, document).province == province


def test_nothing_named_means_home(national: National) -> None:
    """Without sender, issuer or place the deployment's home province reads the document."""
    assert choose(national, read_document("Nơi nhận:\n- Lưu: VT.\n")).province == "kh"


def test_check_passes_and_counts_unconfirmed(national: National) -> None:
    """Every province's assembled directory links only to entries it holds; the pattern's
    departments are all unconfirmed and say why."""
    problems, counts = national.check()
    assert problems == []
    assert set(counts) == set(FORMER) | {"centre"}
    pattern = [a for a in national.directory("bn") if a.basis == "national pattern"]
    assert pattern and not any(a.confirmed for a in pattern)


def test_ministry_named_on_a_home_document_is_the_ministry(
    national: National, rules: RuleSet
) -> None:
    """'Bộ Nội vụ' on a Khánh Hòa document reaches the ministry, 'Sở Nội vụ' the department."""
    document = read_document("Nơi nhận:\n- Bộ Nội vụ;\n- Sở Nội vụ;\n")
    result = expand(document, national.directory("kh"), rules, dt.date(2026, 3, 2))
    assert [line.agencies for line in result.lines] == [["tw.bo-noi-vu"], ["kh.so-noi-vu"]]
