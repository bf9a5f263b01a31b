"""The sending office in a real browser: sign in, paste a document, see every line with its
outcome (unresolved first), resolve lines in place, send, and find the clerk's decisions on
the document's page, every reason said in Vietnamese."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By

from tests.docroute.web.conftest import Pages, WebServer

# Written for these tests: one category line, one line naming no agency, one archive line.
NOTICE = """ỦY BAN NHÂN DÂN
TỈNH KHÁNH HÒA
Số: 41/TB-UBND
Khánh Hòa, ngày 3 tháng 11 năm 2026
THÔNG BÁO
Về việc kiểm tra giao diện gửi văn bản

Nội dung thông báo.

Nơi nhận:
- Các sở, ban, ngành;
- Trung tâm Thử nghiệm Không Tồn tại;
- Hội Sinh vật cảnh Đồng Đế;
- Lưu: VT.
"""


def test_sender_previews_resolves_in_place_and_sends(pages: Pages, web: WebServer) -> None:
    """The unresolved lines come first and are counted in a banner; the clerk names the agency
    of one line and marks the other as not a recipient; the document goes out with both
    decisions recorded as the clerk's and shown on its page."""
    web.add_person("vanthu", "sender", "kh.ubnd-tinh", name="Trần Thị Văn Thư")
    pages.sign_in("vanthu")
    pages.wait_for("#text")
    pages.set_value("text", NOTICE)
    pages.click("#preview-submit")
    banner = pages.wait_for("#unresolved-banner")
    assert "2 dòng chưa xác định" in banner.text
    rows = pages.browser.find_elements(By.CSS_SELECTOR, "#lines tbody tr")
    outcomes = [row.get_attribute("class") for row in rows]
    assert outcomes[:2] == ["unresolved", "unresolved"], outcomes
    assert "Trung tâm Thử nghiệm Không Tồn tại" in rows[0].text + rows[1].text
    # Each reason is said in Vietnamese (the API and the CLI keep the engine's English).
    assert ("không có cơ quan nào tên 'Trung tâm Thử nghiệm Không Tồn tại' trong danh bạ"
            in rows[0].text + rows[1].text)
    assert "đọc theo quy tắc 'so_ban_nganh'" in rows[2].text + rows[3].text
    assert "no agency named" not in pages.text() and "read by rule" not in pages.text()
    assert len(rows) == 4  # every line of Nơi nhận is listed
    pages.screenshot("sending-office-preview")

    # Sending with unresolved lines needs the clerk's explicit acknowledgement.
    pages.click("#send-submit")
    pages.wait_text("dòng chưa xác định được nơi nhận: hãy giải quyết")

    legends = [e.text for e in pages.browser.find_elements(By.CSS_SELECTOR, "fieldset legend")]
    index = {("Thử nghiệm" in text): i for i, text in enumerate(legends)}
    named, other = index[True], index[False]
    pages.click(f"#decision-{named} input[value=agency]")
    pages.fill(f"agency-{named}", "Sở Y tế tỉnh Khánh Hòa — kh.so-y-te")
    pages.click(f"#decision-{other} input[value=not_recipient]")
    pages.fill(f"reason-{other}", "Hội không thuộc danh bạ; gửi bản giấy riêng")
    pages.click("#apply-decisions")
    pages.wait_text("Mọi dòng đều đã xác định")
    assert "Trần Thị Văn Thư" in pages.text()

    pages.click("#send-submit")
    pages.wait_for("#deliveries")  # shown once the router has planned the deliveries
    text = pages.text()
    assert ("Trần Thị Văn Thư đã xác định: '- Trung tâm Thử nghiệm Không Tồn tại;' "
            "là Sở Y tế tỉnh Khánh Hòa") in text
    assert ("Trần Thị Văn Thư đánh dấu không phải nơi nhận: "
            "Hội không thuộc danh bạ; gửi bản giấy riêng") in text
    assert "Sở Y tế tỉnh Khánh Hòa" in text


def test_a_document_without_recipient_block_gets_a_sentence(pages: Pages, web: WebServer) -> None:
    """Bad input is a sentence telling the clerk what to do, on the same page."""
    web.add_person("vanthu", "sender", "kh.ubnd-tinh")
    pages.sign_in("vanthu")
    pages.wait_for("#text")
    pages.set_value("text", "Một đoạn văn không có phần nơi nhận.")
    pages.click("#preview-submit")
    pages.wait_text("hãy kiểm tra văn bản có đủ phần nơi nhận")


def test_an_uploaded_file_reaches_the_agency_as_the_original(
    pages: Pages, web: WebServer, tmp_path: Path
) -> None:
    """The clerk chooses a .txt file instead of pasting; the agency's page offers that file,
    and the document keeps it as the API keeps an upload."""
    web.add_person("vanthu", "sender", "kh.ubnd-tinh")
    web.add_person("yte-tep", "agency", "kh.so-y-te")
    upload = tmp_path / "thong-bao-42.txt"
    upload.write_text(NOTICE.replace("41/TB", "42/TB").replace(
        "- Trung tâm Thử nghiệm Không Tồn tại;\n- Hội Sinh vật cảnh Đồng Đế;\n", ""
    ), encoding="utf-8")
    pages.sign_in("vanthu")
    pages.browser.find_element(By.ID, "file").send_keys(str(upload))
    pages.click("#preview-submit")
    pages.wait_text("Tệp gốc: thong-bao-42.txt")
    pages.click("#send-submit")
    pages.wait_for("#deliveries")
    pages.sign_in("yte-tep")
    pages.wait_for("#inbox")
    pages.browser.find_element(By.PARTIAL_LINK_TEXT, "42/TB-UBND").click()
    link = pages.wait_for("a[href*='/tep/']")
    assert link.text == "Tệp gốc: thong-bao-42.txt"
