"""Builds documents from a known list of recipient items and a layout (hypothesis strategies).

The expected answer is the input: the items the generator wrote, per section. Every dimension of
the layouts real files produce is drawn independently and combined: bullets or none, numbers
and letters, separators (blank lines, lines of spaces, non-breaking spaces, tabs), CRLF, items
wrapped with or without indent, a bullet alone on its line, the whole block on one line,
headings in capitals, without colon or with the first item on them, the signature below the
block or beside it (a column gap, or one space after the item's `;`), NFC or NFD, an appendix
after the signature, a body quoting the labels.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hypothesis import strategies as st

# Items as clerks write them (seeds, the examples); none ends with ';' or '.'.
NOI_NHAN_ITEMS = [
    "Như trên",
    "Như trên (VBĐT, báo cáo)",
    "Như Điều 3",
    "Như khoản 3 Điều 5",
    "Các Bộ: TP; KH&CN",
    "TT. TU, UBMTTQ, UBND TP",
    "Các sở, ngành: TC; GD&ĐT; NN&MT; CT",
    "Các sở, ban, ngành, đơn vị trực thuộc UBND tỉnh (VBĐT)",
    "UBND các xã, phường, thị trấn (VBĐT)",
    "TT. Tỉnh ủy và các Ban (VBĐT)",
    "Chủ tịch, các PCT UBND tỉnh",
    "CT, PCT UBND huyện",
    "Đài PT-TH và Báo Khánh Hòa",
    "Văn phòng - Thanh tra Sở",
    "Sở Nội vụ (3b)",
    "Giám đốc Sở Y tế",
    "Báo Nhân Dân",
    "Ban Quản Lý Dự Án Phát Triển Tỉnh",
    "Cổng TTĐT tỉnh, Cổng TTĐT CCHC tỉnh",
    "Các cơ quan ngành dọc cấp tỉnh",
    "Lãnh đạo Sở",
    "Phòng Nội vụ",
    "Sở Thông tin và Truyền thông tỉnh",
    "HĐND tỉnh",
    "Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị - xã hội",
]
ARCHIVE_ITEMS = ["Lưu: VT, TCHC", "Lưu VT, VP", "Lưu: VT, VX, TH, KTN", "Lưu: VT"]
KINH_GUI_ITEMS = [
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Y tế",
    "UBND các huyện, thị xã, thành phố",
    "Các sở, ban, ngành",
    "Ủy ban nhân dân tỉnh Khánh Hòa",
    "Công an tỉnh",
    "Đồng chí Chủ tịch UBND tỉnh",
    "Bộ Thông tin và Truyền thông",
    "Các Sở: Nội vụ, Tài chính",
    "Ban Quản lý dự án Phát triển tỉnh",
    "Cục Thuế tỉnh (để b/c)",
    "Đài PT-TH và Báo Khánh Hòa",
]
BODIES = [
    "Thực hiện Công văn số 1941/SNV-CCHC ngày 14/7/2022 của Sở Nội vụ về việc đẩy mạnh "
    "công tác tuyên truyền cải cách hành chính năm 2022, Ban Quản lý dự án báo cáo như sau:",
    "Căn cứ Kế hoạch số 11/KH-UBND ngày 22/01/2024 của UBND huyện;",
    "Sở Nội vụ nhận được Công văn số 45/SYT-NV ngày 2/4/2024 của Sở Y tế.",
    "Theo đề nghị của Giám đốc Sở Tài chính tại Tờ trình số 12/TTr-STC,",
    "Để kịp thời triển khai nhiệm vụ, UBND tỉnh đề nghị các cơ quan, đơn vị:",
    "Trên cơ sở kết quả rà soát, Sở Y tế có ý kiến như sau:",
]
QUOTING = [
    "“Nơi nhận”: ghi tên các cơ quan, tổ chức nhận văn bản.",
    "Sau chữ \"Kính gửi\" ghi tên cơ quan nhận văn bản.",
]
SIGNATURES = [
    ["GIÁM ĐỐC"],
    ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"],
    ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
    ["TL. CHỦ TỊCH", "KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"],
    ["Q. GIÁM ĐỐC"],
    ["TM. BAN THƯỜNG VỤ", "BÍ THƯ"],
]
NAMES = ["Hồ Tấn Quang", "Nguyễn Văn An", "Lữ Đình Tích", "Võ Thị Lệ Xuân", "TRẦN HỮU ANH"]
BULLETS = ["-", "–", "—", "+", "•", "*", "·", "", "1.", "a)"]
SEPARATORS = ["\n", "\n\n", "\n   \n", "\n\xa0\n", "\n\t\n", "\n \u00a0\t \n"]
HEADINGS = {
    "kinh_gui": ["Kính gửi:", "Kính gửi", "KÍNH GỬI:"],
    "noi_nhan": ["Nơi nhận:", "Nơi nhận", "NƠI NHẬN:", "Nơi nhận :"],
}


@dataclass(frozen=True)
class Layout:
    """How one block is laid out."""

    bullet: str
    separator: str
    last_end: str  # what ends the last item: "." or ";" or nothing
    terminated: bool  # ';' after every other item
    wraps: tuple[int, ...]  # per item: 0 no wrap, else the word after which it wraps
    indent: str  # before wrapped lines
    alone: tuple[bool, ...]  # per item: the bullet alone on its line
    one_line: bool
    heading: str
    first_on_heading: bool


@dataclass(frozen=True)
class Generated:
    """A generated document and the items it was built from."""

    text: str
    kinh_gui: list[str]
    noi_nhan: list[str]


def _marker(bullet: str, index: int) -> str:
    if bullet == "1.":
        return f"{index + 1}."
    if bullet == "a)":
        return f"{'abcdeghiklmnopqrstuvxy'[index % 22]})"
    return bullet


@st.composite
def layouts(draw: st.DrawFn, section: str, count: int) -> Layout:
    """A layout for a block of `count` items, any combination the reader must read."""
    bullet = draw(st.sampled_from(BULLETS))
    terminated = draw(st.booleans()) or not bullet  # no bullet and no ';': see `_unambiguous`
    one_line = draw(st.booleans()) and terminated and (bullet != "" or count == 1)
    wraps = tuple(draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)))
    return Layout(
        bullet=bullet,
        separator=draw(st.sampled_from(SEPARATORS)),
        last_end=draw(st.sampled_from([".", ";", ""])),
        terminated=terminated,
        wraps=(0,) * count if one_line else wraps,
        indent=draw(st.sampled_from(["", "    ", "\t"])),
        alone=tuple(
            draw(st.lists(st.booleans(), min_size=count, max_size=count))
            if bullet and not one_line
            else [False] * count
        ),
        one_line=one_line,
        heading=draw(st.sampled_from(HEADINGS[section])),
        first_on_heading=draw(st.booleans()),
    )


def block_lines(items: list[str], layout: Layout) -> list[str]:
    """The block's lines (heading first) for `items` in `layout`."""
    written: list[list[str]] = []
    for i, item in enumerate(items):
        end = layout.last_end if i == len(items) - 1 else (";" if layout.terminated else "")
        marker = _marker(layout.bullet, i)
        words = item.split(" ")
        cut = layout.wraps[i]
        if 0 < cut < len(words) and words[cut] in ("-", "+"):
            cut += 1  # a line starting with "- " is a bullet to any reader: never wrap there
        if cut == len(words) - 1 and words[cut][:1].isdigit() and layout.bullet == "1.":
            cut = 0  # nor leave a lone number on a line of a numbered list
        if 0 < cut < len(words) and not layout.bullet and words[cut - 1].endswith(";"):
            cut = 0  # without bullets, "Các Bộ: TP;" / "KH&CN." are two items to any reader
        if 0 < cut < len(words):
            lines = [" ".join(words[:cut]), layout.indent + " ".join(words[cut:]) + end]
        else:
            lines = [item + end]
        if marker and layout.alone[i]:
            lines = [marker, *lines]
        elif marker:
            lines[0] = f"{marker} {lines[0]}"
        written.append(lines)
    if layout.one_line:
        return [f"{layout.heading} " + " ".join(line for lines in written for line in lines)]
    out = [layout.heading]
    if layout.first_on_heading and written and len(written[0]) == 1:
        out = [f"{layout.heading} {written[0][0]}"]
        written = written[1:]
    body = layout.separator.join("\n".join(lines) for lines in written)
    return out + (body.split("\n") if body else [])


def _unambiguous(items: list[str], layout: Layout) -> bool:
    """Layouts a reader cannot read as the writer meant are left out: items without bullet
    and without `;` wrapped without indent (a wrapped line and a new item look alike), and
    several items on one line without bullets while an item holds its own `;`."""
    semicolons = (layout.terminated and len(items) > 1) or layout.last_end == ";"
    if not layout.bullet and not semicolons and not layout.indent and any(layout.wraps):
        return False
    return not (layout.one_line and not layout.bullet and any(";" in i for i in items))


@st.composite
def documents(draw: st.DrawFn) -> Generated:
    """A whole document: header, Kính gửi (maybe), body, Nơi nhận, signature, maybe more."""
    kinh_gui = draw(st.lists(st.sampled_from(KINH_GUI_ITEMS), max_size=5))
    noi_nhan = draw(st.lists(st.sampled_from(NOI_NHAN_ITEMS), min_size=1, max_size=8))
    if draw(st.booleans()):
        noi_nhan.append(draw(st.sampled_from(ARCHIVE_ITEMS)))
    kg_layout = draw(layouts("kinh_gui", len(kinh_gui)))
    nn_layout = draw(layouts("noi_nhan", len(noi_nhan)))
    if not (_unambiguous(kinh_gui, kg_layout) and _unambiguous(noi_nhan, nn_layout)):
        kg_layout = draw(layouts("kinh_gui", len(kinh_gui)).filter(lambda x: x.bullet != ""))
        nn_layout = draw(layouts("noi_nhan", len(noi_nhan)).filter(lambda x: x.bullet != ""))
        if not (_unambiguous(kinh_gui, kg_layout) and _unambiguous(noi_nhan, nn_layout)):
            kinh_gui, noi_nhan = [], ["Như trên"]
            nn_layout = Layout("-", "\n", ";", True, (0,), "", (False,), False, "Nơi nhận:", False)
    lines = ["UBND TỈNH KHÁNH HÒA", "SỞ NỘI VỤ", "Số: 12/SNV-VP"]
    lines += ["Khánh Hòa, ngày 3 tháng 4 năm 2024", "V/v triển khai nhiệm vụ", ""]
    if kinh_gui:
        lines += [*block_lines(kinh_gui, kg_layout), ""]
    lines += [draw(st.sampled_from(BODIES)), ""]
    if draw(st.booleans()):
        lines += [draw(st.sampled_from(QUOTING)), ""]
    lines += [draw(st.sampled_from(BODIES)), ""]
    lines += _with_signature(draw, block_lines(noi_nhan, nn_layout), nn_layout)
    if draw(st.booleans()):
        lines += ["", "PHỤ LỤC", "Danh sách các cơ quan phối hợp", "- Sở Xây dựng;"]
        lines += ["- Sở Công Thương."]
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return Generated(text, kinh_gui, noi_nhan)


def _with_signature(draw: st.DrawFn, block: list[str], layout: Layout) -> list[str]:
    """The Nơi nhận lines with the signature below them or in the column beside them."""
    titles = list(draw(st.sampled_from(SIGNATURES)))
    if draw(st.booleans()):
        titles.append("(Đã ký)")
    name = draw(st.sampled_from(NAMES))
    where = draw(st.sampled_from(["below", "gap", "space"]))
    if where == "below" or layout.one_line:
        return [*block, "", *titles, "", "", name]
    out = list(block)
    gap = draw(st.sampled_from(["   ", "\t\t", "          "]))
    row = 0
    for title in titles:
        while row < len(out) and not out[row].strip():
            row += 1
        if row >= len(out):
            out.append(title)
        elif where == "space" and out[row].rstrip().endswith(";"):
            out[row] = f"{out[row]} {title}"
        else:
            out[row] = f"{out[row]}{gap}{title}"
        row += 1
    return [*out, "", f"{gap}{name}"]
