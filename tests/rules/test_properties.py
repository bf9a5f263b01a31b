"""Properties of reading and expansion over generated text (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import Directory, RuleSet, expand, read_document

PHRASES = [
    "Như trên",
    "Lưu: VT, TCHC",
    "Các sở, ban, ngành (VBĐT)",
    "UBND các huyện, thị xã, thành phố",
    "UBND các xã, thị trấn",
    "TT. Tỉnh ủy và các Ban",
    "MTTQVN tỉnh và các đoàn thể",
    "Đài PT-TH và Báo Khánh Hòa",
    "Sở TT&TT",
    "Lãnh đạo Sở",
    "Các Sở: Nội vụ, Tài chính",
    "Như Điều 3",
    "Cong TTDT tinh",
    "Sở Nội vụ (3b)",
    "Các ĐVSN trực thuộc UBND tỉnh (để b/c)",
    "Giám đốc Sở Y tế",
    "Báo Nhân Dân",
    "UBND huyện",
    "Chủ tịch, các PCT UBND tỉnh",
]
LOWER = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
ITEM_TEXT = st.one_of(
    st.sampled_from(PHRASES),
    st.text(alphabet=LOWER + "0123456789 ,&()/-.", min_size=1, max_size=40),
).filter(lambda s: s.strip(" -+•–—*;.,"))
FRAGMENTS = st.one_of(
    st.sampled_from(
        [*PHRASES, "Nơi nhận:", "Kính gửi:", "Số: 12/QĐ-UBND", "KT. GIÁM ĐỐC", "", "- ", ";"]
    ),
    st.text(max_size=30),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DAY = dt.date(2024, 5, 1)


@SETTINGS
@given(st.lists(FRAGMENTS, max_size=30).map("\n".join))
def test_no_text_makes_it_raise(khanh_hoa: Directory, rules: RuleSet, text: str) -> None:
    """Any text reads and expands without an exception, and every line has an outcome."""
    result = expand(read_document(text), khanh_hoa, rules, DAY)
    for line in result.lines:
        assert line.outcome in {"recipients", "excluded", "unresolved"}
        assert line.reason


@SETTINGS
@given(
    st.lists(ITEM_TEXT, min_size=1, max_size=12),
    st.lists(ITEM_TEXT, max_size=3),
    st.booleans(),
)
def test_every_item_appears_once(
    khanh_hoa: Directory, rules: RuleSet, items: list[str], addressees: list[str], colon: bool
) -> None:
    """Every non-blank item of Kính gửi and Nơi nhận appears exactly once in `lines`, in order
    (a run of spaces inside an item reads as one space)."""

    def as_written(texts: list[str]) -> list[str]:
        return [f"- {t.strip()};" for t in texts]

    def as_read(texts: list[str]) -> list[str]:
        return [f"- {' '.join(t.split())};" for t in texts]

    kinh_gui, noi_nhan = as_read(addressees), as_read(items)
    parts = ["Số: 5/KH-UBND", "Khánh Hòa, ngày 1 tháng 5 năm 2024", "KẾ HOẠCH", "Về việc thử"]
    if addressees:
        parts += ["Kính gửi:", *as_written(addressees)]
    parts += ["", "Nội dung kế hoạch.", "", "Nơi nhận:" if colon else "Nơi nhận"]
    parts += as_written(items)
    parts += ["", "GIÁM ĐỐC", "", "Nguyễn Văn Bình"]
    result = expand(read_document("\n".join(parts)), khanh_hoa, rules, DAY)
    assert [ln.text for ln in result.lines] == kinh_gui + noi_nhan
    assert [ln.section for ln in result.lines] == ["kinh_gui"] * len(kinh_gui) + ["noi_nhan"] * len(
        noi_nhan
    )
    union = {a for ln in result.lines for a in ln.agencies}
    assert {r.id for r in result.recipients} == union


@SETTINGS
@given(st.lists(ITEM_TEXT, min_size=1, max_size=10))
def test_expansion_is_deterministic(khanh_hoa: Directory, rules: RuleSet, items: list[str]) -> None:
    """The same document, directory, rules and date always give the same answer."""
    text = "Nơi nhận:\n" + "\n".join(f"- {i};" for i in items)
    first = expand(read_document(text), khanh_hoa, rules, DAY, "kh.ubnd-tinh").to_json()
    again = expand(read_document(text), khanh_hoa, rules, DAY, "kh.ubnd-tinh").to_json()
    assert first == again


# Phrases whose reading needs nothing from the rest of the block (not "Như trên").
SELF_CONTAINED = [
    "Chủ tịch, các PCT UBND",
    "Chủ tịch, các PCT UBND tỉnh",
    "CVP UBND tỉnh",
    "TT HĐND, UBND, UBMTTQVN tỉnh",
    "TT HĐND, UBND, UBMTTQVN các xã, phường",
    "Các sở, ban, ngành, đoàn thể tỉnh",
    "Các Ban HĐND",
    "Sở: XD, TC, GD&ĐT",
    "Các cơ quan, đơn vị thuộc UBND tỉnh",
    "VP Đoàn ĐBQH và HĐND tỉnh",
    "Bộ Tư pháp",
    "Sở Tư phsp",
    "So Noi vu",
    "Thường trực Tỉnh ủy",
    "Lãnh đạo Sở",
    "Báo Nhân Dân và Đài PT-TH",
    "UBND các xã, thị trấn",
]
SENDERS = [None, "kh.ubnd-tinh", "kh.so-noi-vu", "kh.ubnd-huyen-568"]


def _reading(line: dict[str, object]) -> tuple[object, ...]:
    return (line["outcome"], line["categories"], sorted(line["agencies"]))  # type: ignore[arg-type]


@SETTINGS
@given(
    st.lists(st.sampled_from(SELF_CONTAINED), min_size=1, max_size=8),
    st.lists(st.sampled_from(SELF_CONTAINED), max_size=3),
    st.sampled_from(SENDERS),
)
def test_a_phrase_reads_the_same_wherever_it_stands(
    khanh_hoa: Directory,
    rules: RuleSet,
    items: list[str],
    addressees: list[str],
    sender: str | None,
) -> None:
    """The same phrase with the same sender gets the same reading on any line of the block,
    in Kính gửi or Nơi nhận, whatever stands before or after it."""

    def alone(phrase: str) -> tuple[object, ...]:
        doc = read_document(f"Nơi nhận:\n- {phrase};\n")
        return _reading(expand(doc, khanh_hoa, rules, DAY, sender).to_json()["lines"][0])

    text = "Số: 5/KH-UBND\n"
    if addressees:
        text += "Kính gửi:\n" + "".join(f"- {a};\n" for a in addressees) + "\nNội dung.\n"
    text += "Nơi nhận:\n" + "".join(f"- {i};\n" for i in items)
    lines = expand(read_document(text), khanh_hoa, rules, DAY, sender).to_json()["lines"]
    phrases = [*addressees, *items]
    assert len(lines) == len(phrases)
    for phrase, got in zip(phrases, lines, strict=True):
        assert _reading(got) == alone(phrase), phrase
