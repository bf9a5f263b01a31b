"""Seed 004 through the browser: a sender sends it, two agencies receive and confirm it, a
third rejects it with a reason, and the sender sees each agency's status and reminds one."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.conftest import seed
from tests.docroute.web.conftest import Pages, WebServer

CONFIRMING = ("kh.so-y-te", "kh.so-tai-chinh")
REJECTING = "kh.so-tu-phap"
REMINDED = "kh.so-noi-vu"


def _send_seed_004(pages: Pages) -> str:
    pages.sign_in("vanthu-ubnd")
    pages.wait_for("#text")
    pages.set_value("text", seed("004"))
    pages.click("#preview-submit")
    pages.wait_for("#unresolved-banner")
    pages.click("#send-submit")
    pages.wait_for("#deliveries")
    return pages.browser.current_url.rsplit("/", 1)[1]


def _open_the_inbox_document(pages: Pages, clerk: str) -> None:
    pages.sign_in(clerk)
    pages.wait_for("#inbox")
    pages.click("#inbox tbody tr a")
    pages.wait_for("#document-text")


def test_seed_004_sent_confirmed_rejected_and_reminded(pages: Pages, web: WebServer) -> None:
    """Every step through the pages; each status change names the person who made it."""
    web.add_person("vanthu-ubnd", "sender", "kh.ubnd-tinh", name="Lê Văn Gửi")
    web.add_person("thanhtra-004", "auditor", name="Thanh tra viên")
    for agency in (*CONFIRMING, REJECTING, REMINDED):
        web.add_person(f"vanthu-{agency}", "agency", agency, name=f"Văn thư {agency}")
    document_id = _send_seed_004(pages)
    shown = pages.browser.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr")
    rows = {row.get_attribute("id") for row in shown}
    assert {f"delivery-{a}" for a in (*CONFIRMING, REJECTING, REMINDED)} <= rows

    for agency in CONFIRMING:
        _open_the_inbox_document(pages, f"vanthu-{agency}")
        assert "Kết luận Hội nghị tổng kết công tác cải cách hành chính" in pages.text()
        pages.click("#status-01")
        pages.wait_text("Đã ghi nhận trạng thái Đã đến")
        pages.click("#status-03")
        pages.wait_text("Đã ghi nhận trạng thái Đã tiếp nhận")
        assert "(vanthu-" + agency in pages.text()  # the history names the clerk

    _open_the_inbox_document(pages, f"vanthu-{REJECTING}")
    pages.screenshot("agency-document")
    pages.fill("reject-reason", "Không thuộc thẩm quyền của Sở Tư pháp")
    pages.click("#status-02")
    pages.wait_text("Đã ghi nhận trạng thái Từ chối")
    assert "Không thuộc thẩm quyền của Sở Tư pháp" in pages.text()
    assert not pages.browser.find_elements(By.CSS_SELECTOR, "#status-03")  # a rejection is final

    pages.sign_in("vanthu-ubnd")
    pages.open(f"/gui/van-ban/{document_id}")
    progress = pages.wait_for("#progress").text
    assert "2 đã xác nhận" in progress and "1 từ chối" in progress
    rejected = pages.browser.find_element(By.ID, f"delivery-{REJECTING}").text
    assert "Từ chối" in rejected
    row = pages.browser.find_element(By.ID, f"delivery-{REMINDED}")
    row.find_element(By.TAG_NAME, "button").click()
    pages.wait_text("Đã gửi lời nhắc")
    reminded = pages.browser.find_element(By.ID, f"delivery-{REMINDED}")
    reminded.find_element(By.TAG_NAME, "summary").click()
    assert "Văn thư nơi gửi yêu cầu nhắc ngay" in reminded.text and "Lê Văn Gửi" in reminded.text
    assert "Lời nhắc do văn thư nơi gửi bấm: đã gửi" in reminded.text

    pages.open("/gui/da-gui")
    pages.wait_for("#sent")
    assert "2 xác nhận" in pages.text()

    # The auditor finds the missing ones: rejected on the dashboard, unconfirmed on the
    # document's audit page (the confirmed and rejected ones are not among them).
    pages.sign_in("thanhtra-004")
    pages.wait_for("#tiles")
    assert pages.browser.find_element(By.ID, "tile-rejected").text.startswith("1")
    pages.screenshot("auditor-dashboard")
    pages.click("#tile-rejected")
    findings = pages.wait_for("#findings").text
    assert "Sở Tư pháp" in findings and "Sở Y tế" not in findings
    pages.open(f"/kiem-tra/van-ban/{document_id}")
    unconfirmed = pages.wait_for("#unconfirmed").text
    assert "Sở Nội vụ tỉnh Khánh Hòa" in unconfirmed
    for confirmed in ("Sở Y tế tỉnh Khánh Hòa", "Sở Tài chính tỉnh Khánh Hòa"):
        assert confirmed not in unconfirmed
    assert pages.browser.find_element(By.ID, "n-confirmed").text == "2"
