"""The engine's work grows linearly with its input, whatever the input's shape (issue 11).

A 1.25 MB line of `Sở Sở Sở ...` once took 9.3 GB: each repetition spelled out every one of
its agencies, and every agency got one reason per repetition. These tests feed growing
pathological recipient blocks and measure work without a clock: Python function calls (a
profile hook counts them), the peak memory of reading, expanding and rendering the JSON
(tracemalloc), and the size of that JSON.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from types import FrameType
from typing import Any

import pytest

from rules import Directory, RuleSet, expand, read_document

# One unit of each pathological shape, repeated to the wanted size.
SHAPES = {
    "same category": "Sở ",
    "category of many bodies": "UBND các xã, ",
    "joined categories": "các sở ban ngành ",
    "many commas": "Sở Y tế, ",
    "many và": "Sở Y tế và ",
    "names without separators": "Sở Y tế Sở Nội vụ ",
    "words no one reads": "xyz abq ",
    "bare và": "và ",
    "commas only": ",",
    "one long word": "Sở",
    "glued names": "SởYtế",
    "many lines": "- Sở Y tế;\n",
}
SMALL, LARGE = 2_000, 8_000  # bytes of the recipient line; LARGE = 4 x SMALL


def document(shape: str, size: int) -> str:
    unit = SHAPES.get(shape, "(")
    body = unit * (size // len(unit.encode()))
    if shape == "deep brackets":
        body += "Sở Y tế" + ")" * len(body)
    return ("Số: 1/UBND\nKhánh Hòa, ngày 1 tháng 3 năm 2026\nTHÔNG BÁO\nNội dung.\n"
            f"Nơi nhận:\n- {body};\n- Lưu: VT.\n")


def rendered(text: str, directory: Directory, rules: RuleSet) -> str:
    """Read, expand and render the JSON the router stores."""
    expansion = expand(read_document(text), directory, rules, sender="kh.ubnd-tinh")
    return json.dumps(expansion.to_json(), ensure_ascii=False)


def calls_of(text: str, directory: Directory, rules: RuleSet) -> int:
    """The Python and C function calls made reading and expanding `text`."""
    count = 0

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(hook)
    try:
        rendered(text, directory, rules)
    finally:
        sys.setprofile(None)
    return count


def peak_of(text: str, directory: Directory, rules: RuleSet) -> int:
    """The most memory allocated at once reading, expanding and rendering `text`."""
    tracemalloc.start()
    try:
        rendered(text, directory, rules)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


SHAPE_NAMES = [*SHAPES, "deep brackets"]


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_four_times_the_input_is_at_most_about_four_times_the_calls(
    shape: str, khanh_hoa: Directory, rules: RuleSet
) -> None:
    rendered(document(shape, SMALL), khanh_hoa, rules)  # indexes and caches built once
    small = calls_of(document(shape, SMALL), khanh_hoa, rules)
    large = calls_of(document(shape, LARGE), khanh_hoa, rules)
    assert large <= 4.5 * small + 5_000, (shape, small, large)


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_memory_and_output_are_bounded_by_a_multiple_of_the_input(
    shape: str, khanh_hoa: Directory, rules: RuleSet
) -> None:
    text = document(shape, LARGE)
    rendered(document(shape, SMALL), khanh_hoa, rules)
    size = len(text.encode())
    # Before the repeated readings were merged, `Sở Sở ...` rendered 650 bytes of JSON per
    # byte of input and `UBND các xã, ...` 1,290; a document's own lines and their outcomes
    # (the text quoted twice, parts, reasons) stay well inside these multiples.
    assert len(rendered(text, khanh_hoa, rules).encode()) <= 100 * size + 50_000
    assert peak_of(text, khanh_hoa, rules) <= 600 * size + 1_000_000


def test_a_repeated_category_is_one_part_that_says_how_often(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    expansion = expand(read_document(document("same category", 500)), khanh_hoa, rules,
                       sender="kh.ubnd-tinh")
    line = expansion.lines[0]
    assert [(p["text"], p["repeated"]) for p in line.parts] == [("Sở", 100)]
    assert line.agencies and all(len(r.reasons) == 1 for r in expansion.recipients
                                 if r.id in line.agencies)
