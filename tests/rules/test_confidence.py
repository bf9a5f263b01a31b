"""A guess is never a delivery: confidence on every reading, corrections, suggestions, and a fuzz
of names of real bodies of other kinds and levels (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import Directory, RuleSet, expand, load_directory, read_document
from rules.expansion import Expansion, segmenter_for
from rules.text import fold

DAY = dt.date(2024, 5, 1)

# Ministries as named by Nghị quyết 176/2025/QH15 (from 2025-03-01) and before it: public names.
MINISTRIES = [
    "Bộ Nội vụ",
    "Bộ Tư pháp",
    "Bộ Tài chính",
    "Bộ Công Thương",
    "Bộ Xây dựng",
    "Bộ Y tế",
    "Bộ Ngoại giao",
    "Bộ Khoa học và Công nghệ",
    "Bộ Giáo dục và Đào tạo",
    "Bộ Nông nghiệp và Môi trường",
    "Bộ Dân tộc và Tôn giáo",
    "Bộ Văn hóa, Thể thao và Du lịch",
    "Bộ Kế hoạch và Đầu tư",
    "Bộ Giao thông vận tải",
    "Bộ Tài nguyên và Môi trường",
    "Bộ Thông tin và Truyền thông",
    "Bộ Nông nghiệp và Phát triển nông thôn",
]
# District offices of NĐ 37/2014/NĐ-CP (amended by NĐ 108/2020/NĐ-CP), one level below a Sở.
DISTRICT_OFFICES = [
    "Phòng Nội vụ",
    "Phòng Tư pháp",
    "Phòng Y tế",
    "Phòng Giáo dục và Đào tạo",
    "Phòng Tài nguyên và Môi trường",
]
# Chi cục (district or regional level) of the central agencies whose Cục sits in the province.
CHI_CUC = ["Chi cục Thuế", "Chi cục Thi hành án dân sự", "Chi cục Thống kê"]
LEVEL_WORDS = ["tỉnh", "thành phố", "thị xã", "thị trấn", "huyện", "xã", "phường", "đặc khu"]


def run(text: str, directory: Directory, rules: RuleSet, sender: str | None = None) -> Expansion:
    """Expand a Nơi nhận block."""
    return expand(read_document(f"Nơi nhận:\n{text}"), directory, rules, DAY, sender)


def confusions(directory: Directory, rules: RuleSet) -> list[tuple[str, str]]:
    """(name of a body of another kind or level, the directory body it must not reach).

    Each written name is a real kind of body, differs from the directory body in its kind or
    level word only, and is itself no name of the directory."""
    names = segmenter_for(directory, rules).names
    by_folded = {fold(a.name): a for a in directory}
    province = fold(f" tỉnh {directory.province}")
    pairs: list[tuple[str, str]] = []
    # The shipped data holds the centre too: a ministry it lists is a name of the directory.
    for written in MINISTRIES + DISTRICT_OFFICES:
        rest = written.split(" ", 1)[1]
        target = by_folded.get(fold(f"Sở {rest}") + province)
        if target is not None and not names.lookup(rules.tokens(written)):
            pairs.append((written, target.id))
    for written in CHI_CUC:
        target = by_folded.get(fold(written.replace("Chi cục", "Cục")) + province)
        if target is not None and not names.lookup(rules.tokens(written)):
            pairs += [(written, target.id), (f"{written} khu vực II", target.id)]
    for agency in directory:
        if agency.kind not in ("ubnd_xa", "ubnd_huyen"):
            continue
        head, level_and_place = agency.name.split(" ", 1)
        level = next((w for w in LEVEL_WORDS if level_and_place.startswith(w + " ")), None)
        if level is None:
            continue
        place = level_and_place[len(level) + 1 :]
        for other in LEVEL_WORDS:
            written = f"{head} {other} {place}"
            if other != level and not names.lookup(rules.tokens(written)):
                pairs.append((written, agency.id))
    return pairs


def noisy(draw: Callable[[st.SearchStrategy[Any]], Any], name: str) -> str:
    """`name` with the slips of a typist or an OCR pass that keep its kind word."""
    words = name.split(" ")
    i = draw(st.integers(0, len(words) - 1))
    slip = draw(st.sampled_from(["none", "accents", "double", "glue", "upper", "nfd"]))
    if slip == "accents":
        words[i] = "".join(
            c for c in unicodedata.normalize("NFD", words[i]) if not unicodedata.combining(c)
        ).replace("đ", "d")
    elif slip == "double" and words[i]:
        j = draw(st.integers(0, len(words[i]) - 1))
        words[i] = words[i][: j + 1] + words[i][j:]
    elif slip == "glue" and i + 1 < len(words):
        words[i : i + 2] = [words[i] + words[i + 1]]
    text = " ".join(words)
    if slip == "upper":
        return text.upper()
    return unicodedata.normalize("NFD", text) if slip == "nfd" else text


@pytest.fixture(scope="module")
def pairs(khanh_hoa: Directory, rules: RuleSet) -> list[tuple[str, str]]:
    """The confusable names of the shipped directory."""
    found = confusions(khanh_hoa, rules)
    assert len(found) > 300, "the generator lost its material"
    kinds = {khanh_hoa.agencies[t].kind for _, t in found}
    assert {"so", "nganh_doc", "ubnd_xa", "ubnd_huyen"} <= kinds
    return found


# Derandomized, so that CI runs the same 400 examples each time (a random run once found
# 'UBND thị trấnNinh Hòa' offering UBND thị xã Ninh Hòa: the name glued words follow was offered
# without the kind check; now fixed, see test_glued_words_offer_no_body_of_another_level).
@settings(
    max_examples=400, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_other_kinds_and_levels_never_deliver(
    khanh_hoa: Directory, rules: RuleSet, pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    """A real body of another kind or level (`Bộ Tư pháp`, `Chi cục Thuế`, `UBND phường X` for
    `UBND xã X`), with or without slips, is never delivered and never suggests the other body."""
    written, target = data.draw(st.sampled_from(pairs))
    line = noisy(data.draw, written)
    sender = data.draw(st.sampled_from([None, "kh.ubnd-tinh", "kh.so-noi-vu"]))
    result = run(f"- {line};\n", khanh_hoa, rules, sender)
    (outcome,) = result.lines
    assert outcome.outcome == "unresolved", (line, outcome.reason)
    assert result.recipients == [], (line, outcome.reason)
    assert target not in [s["id"] for s in outcome.suggestions], (line, outcome.reason)
    assert khanh_hoa.agencies[target].name not in outcome.reason


CENTRAL = """
directory: {id: mixed, province: Khánh Hòa}
# Test directory: two ministries (public names; kind `nganh_doc` stands in for a central body
# until the directory has central kinds) beside the two departments of the same field.
agencies:
  - {id: t.ubnd, name: UBND tỉnh Khánh Hòa, kind: ubnd_tinh, level: tinh, source: test}
  - {id: t.bo-tu-phap, name: Bộ Tư pháp, kind: nganh_doc, level: tinh, source: test}
  - {id: t.bo-noi-vu, name: Bộ Nội vụ, kind: nganh_doc, level: tinh, source: test}
  - {id: t.so-tu-phap, name: Sở Tư pháp tỉnh Khánh Hòa, kind: so, level: tinh,
     area: t.ubnd, source: test}
  - {id: t.so-noi-vu, name: Sở Nội vụ tỉnh Khánh Hòa, kind: so, level: tinh,
     area: t.ubnd, source: test}
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Directory:
    """Ministries and departments of the same names in one directory."""
    path = tmp_path_factory.mktemp("mixed") / "directory.yaml"
    path.write_text(CENTRAL, encoding="utf-8")
    return load_directory(path)


@pytest.mark.parametrize(
    ("line", "agency", "confidence"),
    [
        ("Bộ Tư pháp", "t.bo-tu-phap", "exact"),
        ("Bo Tu phap", "t.bo-tu-phap", "corrected"),
        ("BộTư pháp", "t.bo-tu-phap", "corrected"),
        ("Sở Tư pháp", "t.so-tu-phap", "exact"),
        ("Sở Tư phápp", "t.so-tu-phap", "corrected"),
        ("Bộ Nội vụ", "t.bo-noi-vu", "exact"),
        ("So Noi vu", "t.so-noi-vu", "corrected"),
    ],
)
def test_corrections_keep_the_kind(
    mixed: Directory, rules: RuleSet, line: str, agency: str, confidence: str
) -> None:
    """A slip that changes no word resolves to the body of the kind written, never its twin."""
    result = run(f"- {line};\n", mixed, rules)
    assert result.lines[0].agencies == [agency]
    assert result.lines[0].parts[0]["confidence"] == confidence
    assert result.recipients[0].reasons[0].confidence == confidence


def test_a_changed_letter_is_only_a_suggestion(mixed: Directory, rules: RuleSet) -> None:
    """'Bộ Tư phsp' is close to Bộ Tư pháp: unresolved, suggested (same kind only), not sent."""
    result = run("- Bộ Tư phsp;\n", mixed, rules)
    (line,) = result.lines
    assert line.outcome == "unresolved" and result.recipients == []
    assert line.parts[0]["confidence"] == "suggested"
    assert line.suggestions == [{"id": "t.bo-tu-phap", "name": "Bộ Tư pháp", "for": "Bộ Tư phsp"}]
    assert line.reason.endswith("did you mean Bộ Tư pháp?")
    assert "Sở" not in line.reason


def test_alias_and_abbreviation(khanh_hoa: Directory, rules: RuleSet) -> None:
    """An alias ('VP UBND tỉnh') and an abbreviation ('Sở TT&TT') deliver as `alias`."""
    result = run("- VP UBND tỉnh;\n- Sở TT&TT;\n- Sở Nội vụ tỉnh Khánh Hòa;\n", khanh_hoa, rules)
    assert [ln.parts[0]["confidence"] for ln in result.lines] == ["alias", "alias", "exact"]
    assert [ln.outcome for ln in result.lines] == ["recipients"] * 3


def test_a_name_of_another_province_is_not_its_namesake(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Sở Nội vụ tỉnh Quảng Trị' is not Khánh Hòa's Sở Nội vụ read plus two stray words."""
    result = run("- Sở Nội vụ tỉnh Quảng Trị;\n", khanh_hoa, rules, "kh.ubnd-tinh")
    assert result.recipients == []
    assert result.lines[0].outcome == "unresolved"
    assert "Khánh Hòa" not in result.lines[0].reason


def test_unknown_words_after_a_category_word_are_not_the_category(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Sở Tư phsp' is not the category 'Sở' (all departments) plus a stray word."""
    result = run("- Sở Tư phsp;\n", khanh_hoa, rules, "kh.ubnd-tinh")
    assert result.recipients == []
    assert [s["id"] for s in result.lines[0].suggestions] == ["kh.so-tu-phap"]


def test_expand_json_lists_the_unresolved_with_suggestions(
    khanh_hoa: Directory, rules: RuleSet, tmp_path: Path
) -> None:
    """The JSON has a top-level `unresolved` list, and each part its confidence."""
    result = run("- Sở Tư phsp;\n- VP UBND tỉnh;\n", khanh_hoa, rules, "kh.so-y-te")
    data = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    assert [ln["line"] for ln in data["unresolved"]] == [1]
    (part,) = data["unresolved"][0]["parts"]
    assert part["confidence"] == "suggested"
    assert part["suggestions"] == [{"id": "kh.so-tu-phap", "name": "Sở Tư pháp tỉnh Khánh Hòa"}]
    assert data["lines"][1]["parts"][0]["confidence"] == "alias"
    assert data["recipients"][0]["reasons"][0]["confidence"] == "alias"


def test_glued_words_offer_no_body_of_another_level(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Glued words that follow a place name offer the body of that place only when its kind
    and level are the ones written: `UBND thị trấnNinh Hòa` does not offer the thị xã."""
    (outcome,) = run("- UBND thị trấnNinh Hòa;\n", khanh_hoa, rules).lines
    assert outcome.outcome == "unresolved"
    offered = {s["id"] for s in outcome.suggestions}
    assert "kh.ubnd-huyen-572" not in offered, outcome.reason
    assert "thị xã" not in outcome.reason
