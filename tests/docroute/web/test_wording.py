"""The engine's reasons said in Vietnamese on the pages: whole, exact where checked by hand,
never half in one language, and with the rule set's own Vietnamese descriptions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

import rules
from docroute.web.wording import Wording
from rules.explain import explain

SEEDS = sorted((Path(__file__).parents[3] / ".." / "shared" / "seeds").glob("*.txt"))

# Written for these tests: one line for each way the engine reads, or fails to read, a part.
HEADER = "UBND TỈNH KHÁNH HÒA\nSố: 12/UBND-KT\nKhánh Hòa, ngày {day} tháng {month} năm {year}\n\n"
BODY = """Kính gửi:
- Sở Nội vụ;
- Sở Tài chính.

Nội dung công văn.

Nơi nhận:
- Như trên;
- Như Điều 9;
- Các sở, ban, ngành;
- TT. Tỉnh ủy và các Ban;
- UBND các huyện, thị xã, thành phố;
- UBND các xã, phường;
- UBND các xã, thị trấn thuộc huyện Vạn Ninh;
- UBND các xã thuộc Sở Y tế;
- So Y te;
- SởNội vụ;
- Sở Tư phapp;
- Sở Tư phsp;
- CT, PCT UBND huyện;
- VP HĐND&UBND huyện;
- Chủ tịch, các PCT UBND tỉnh;
- UBND tỉnh;
- Lãnh đạo Sở;
- Trung tâm Không Có Thật;
- Đài PT-TH và Báo Khánh Hòa;
- Các đơn vị liên quan;
- Các cơ quan ngành dọc cấp tỉnh;
- Lưu: VT, KT.
"""
DAYS = [dt.date(2025, 3, 1), dt.date(2026, 3, 1)]  # before and after the districts ended

# Words of the engine's English that no Vietnamese reason holds (outside quoted text).
ENGLISH = re.compile(
    r"\b(names|read by rule|addressed|corrected|ended|successor|split|ambiguous|sender|"
    r"agency|agencies|directory|internal|delivery|line|rule|recipient|members|only while|"
    r"policy flag)\b"
)


@pytest.fixture(scope="module")
def wording() -> Wording:
    return Wording([rules.default_ruleset()])


def _reasons() -> list[str]:
    """Every reason the engine gives for the seeds and the document above, on both days,
    with the sender given, and why a few agencies do or do not receive it."""
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    texts = [path.read_text(encoding="utf-8") for path in SEEDS]
    texts += [HEADER.format(day=d.day, month=d.month, year=d.year) + BODY for d in DAYS]
    out: list[str] = []
    for text in texts:
        expansion = rules.expand(rules.read_document(text), directory, ruleset,
                                 sender="kh.ubnd-tinh")
        out += [line.reason for line in expansion.lines]
        out += [reason.text for r in expansion.recipients for reason in r.reasons]
        for agency in ("kh.so-noi-vu", "kh.ban-qlda-phat-trien-tinh", "kh.cong-an-tinh"):
            answer = explain(expansion, agency, directory, ruleset)
            out += [answer.summary, *(v.verdict for v in answer.lines)]
            # A category is a rule's id, shown as it is, unless it carries a condition.
            out += [c for c in answer.categories if " " in c]
    return out


def test_every_reason_the_engine_gives_is_said_whole_in_vietnamese(wording: Wording) -> None:
    """No reason of the seeds and the test document is left in English, whole or in part."""
    reasons = _reasons()
    assert len(set(reasons)) > 60  # the document above reaches many ways of reading
    left = [r for r in set(reasons) if wording.said(r) is None]
    assert left == []
    mixed = [(r, said) for r in set(reasons)
             if ENGLISH.search(re.sub(r"'[^']*'", "", said := wording.say(r)))]
    assert mixed == []


@pytest.mark.parametrize(("english", "vietnamese"), [
    ("no agency named 'Sở Tư phsp' in directory 'khanh_hoa'; did you mean Sở Tư pháp tỉnh "
     "Khánh Hòa or Sở Tài chính tỉnh Khánh Hòa?",
     "không có cơ quan nào tên 'Sở Tư phsp' trong danh bạ 'khanh_hoa'; có phải là Sở Tư pháp "
     "tỉnh Khánh Hòa hoặc Sở Tài chính tỉnh Khánh Hòa?"),
    ("in Điều 3, read for 'Như Điều 3': no agency named 'Sở Tư phsp' in directory "
     "'khanh_hoa'; did you mean Sở Tư pháp tỉnh Khánh Hòa?",
     "trong Điều 3, khi đọc cho 'Như Điều 3': không có cơ quan nào tên 'Sở Tư phsp' trong danh "
     "bạ 'khanh_hoa'; có phải là Sở Tư pháp tỉnh Khánh Hòa?"),
    ("'So Y te' names Sở Y tế tỉnh Khánh Hòa (corrected: diacritics restored in 'So Y te').",
     "'So Y te' là Sở Y tế tỉnh Khánh Hòa (đã sửa: thêm dấu cho 'So Y te')."),
    ("'TT. Tỉnh ủy' names Tỉnh ủy Khánh Hòa (addressed to its leadership); 'các Ban' read by "
     "rule 'boards_of_previous': 'X và các Ban': the boards of the body named just before.",
     "'TT. Tỉnh ủy' là Tỉnh ủy Khánh Hòa (gửi lãnh đạo cơ quan); 'các Ban' đọc theo quy tắc "
     "'boards_of_previous': 'X và các Ban': các ban của cơ quan được nêu ngay trước."),
    ("'Đài PT-TH' names Đài Phát thanh và Truyền hình Khánh Hòa, which ended on 2025-04-23; "
     "its successor on 2025-08-01 is Báo và Phát thanh, Truyền hình Khánh Hòa.",
     "'Đài PT-TH' là Đài Phát thanh và Truyền hình Khánh Hòa, đã thôi hoạt động từ ngày "
     "23/04/2025; cơ quan kế thừa vào ngày 01/08/2025 là Báo và Phát thanh, Truyền hình Khánh "
     "Hòa."),
    ("'UBND tỉnh': the sender itself (Ủy ban nhân dân tỉnh Khánh Hòa); internal, not a "
     "delivery.",
     "'UBND tỉnh': chính cơ quan gửi (Ủy ban nhân dân tỉnh Khánh Hòa); việc nội bộ, không "
     "chuyển đi."),
    ("'UBND các huyện' has no members on 2026-03-01: the last of them ended on 2025-06-30 (the "
     "district level was abolished on 2025-07-01 (Luật Tổ chức chính quyền địa phương 2025)).",
     "'UBND các huyện' không còn cơ quan nào vào ngày 01/03/2026: cơ quan cuối cùng thôi hoạt "
     "động từ ngày 30/06/2025 (cấp huyện đã bỏ từ ngày 01/07/2025 (Luật Tổ chức chính quyền "
     "địa phương 2025))."),
    ("marked not a recipient by Trần Thị B: gửi bản giấy; đã gọi điện",
     "Trần Thị B đánh dấu không phải nơi nhận: gửi bản giấy; đã gọi điện"),
    ("resolved by the clerk: 'Hội X' means Sở Y tế tỉnh Khánh Hòa",
     "văn thư đã xác định: 'Hội X' là Sở Y tế tỉnh Khánh Hòa"),
    # What became of a delivery: its failure and the notes of its history.
    ("webhook failed 3 attempts: HTTP 503; gave up after 5 rounds of attempts",
     "gửi webhook không được sau 3 lần thử: HTTP 503; đã dừng sau 5 đợt thử"),
    ("webhook failed 1 attempt: HTTP 502; next round at 2026-12-01T03:00:00+00:00",
     "gửi webhook không được sau 1 lần thử: HTTP 502; đợt thử tiếp theo lúc 01/12/2026 10:00"),
    ("webhook refused with HTTP 410 | the agency's server answered: gone; do not retry",
     "webhook bị từ chối (HTTP 410) | máy chủ của cơ quan trả lời: gone; do not retry"),
    ("planned by rules 2026.12.1 as of 2026-11-03",
     "lập kế hoạch theo bộ quy tắc 2026.12.1, tính theo ngày 03/11/2026"),
])
def test_reasons_checked_by_hand(wording: Wording, english: str, vietnamese: str) -> None:
    """Each piece in its place, dates as clerks write them, bracketed remarks said too."""
    assert wording.say(english) == vietnamese


def test_a_reason_no_sentence_reads_is_shown_as_written(wording: Wording) -> None:
    """One piece nobody taught the wording keeps the whole reason in English: never a
    sentence half in one language and half in the other."""
    reason = "'Sở Y tế' names Sở Y tế tỉnh Khánh Hòa; a reason written later."
    assert wording.said(reason) is None
    assert wording.say(reason) == reason
    assert wording.say(None) == "" and wording.say("") == ""


def test_rule_descriptions_come_from_the_rule_set() -> None:
    """A rule's description is said by the rule set's own `description_vi`; a rule set
    without one leaves the reason as written."""
    ruleset = rules.default_ruleset()
    reason = ("'Các sở, ngành' read by rule 'so': Specialised agencies (cơ quan chuyên môn) of "
              "UBND tỉnh.")
    assert Wording([ruleset]).say(reason) == (
        "'Các sở, ngành' đọc theo quy tắc 'so': Các cơ quan chuyên môn (sở) thuộc UBND tỉnh.")
    bare = dataclasses.replace(
        ruleset, rules=tuple(dataclasses.replace(r, description_vi="") for r in ruleset.rules))
    assert Wording([bare]).say(reason) == reason


def test_every_rule_of_the_default_set_is_described_in_vietnamese() -> None:
    """The shipped rule set says each rule (and each `when_empty`) in Vietnamese too."""
    for rule in rules.default_ruleset().rules:
        assert rule.description_vi, rule.id
        assert bool(rule.when_empty) == bool(rule.when_empty_vi), rule.id
