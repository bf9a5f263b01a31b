"""The story of seed 000, entirely in the browser: under a province's rule set that reads
"Sở, ban, ngành" without its public service units, a notice misses Ban QLDA Phát triển tỉnh;
the auditor asks why not; replays the default rule set and sees exactly what would change; an
admin backfills the additions once; a second replay finds nothing left to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.common.by import By

from rules.defaults import DEFAULT_RULES
from tests.docroute.web.conftest import Pages, WebServer, start_server, stop_server

QLDA = "kh.ban-qlda-phat-trien-tinh"
NOTICE = (
    "Số: 11/TB-UBND\nKhánh Hòa, ngày 2 tháng 5 năm 2024\nTHÔNG BÁO\nVề việc thử chính sách\n\n"
    "Nội dung.\n\nNơi nhận:\n- Các sở, ban, ngành (VBĐT);\n- Lưu: VT.\n"
)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """A server whose rule set has the policy flag off (version kh-2024.1)."""
    tmp = tmp_path_factory.mktemp("story000")
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["ruleset"]["version"] = "kh-2024.1"
    data["policy"]["dvsn_in_so_ban_nganh"] = False
    strict = tmp / "kh_rules.yaml"
    strict.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    server = start_server(tmp, rules_path=str(strict))
    try:
        yield server
    finally:
        stop_server(server)


def _replay(pages: Pages, rules: Path) -> str:
    pages.open("/kiem-tra/phat-lai")
    pages.browser.find_element(By.ID, "rules_file").send_keys(str(rules))
    pages.browser.execute_script("document.getElementById('since').value = '2024-01-01'")
    pages.click("#replay-submit")
    return str(pages.wait_for("#replay-summary").text)


def test_seed_000_story_in_the_browser(pages: Pages, web: WebServer) -> None:
    """Policy off, why-not, replay, backfill, and nothing twice."""
    web.add_person("vanthu-000", "sender", "kh.ubnd-tinh")
    web.add_person("thanhtra-000", "auditor", name="Thanh tra viên")
    web.add_person("quantri-000", "admin", name="Quản trị viên")

    pages.sign_in("vanthu-000")
    pages.wait_for("#text")
    pages.set_value("text", NOTICE)
    pages.click("#preview-submit")
    pages.wait_for("#unresolved-banner")
    assert "kh-2024.1" in pages.text()
    assert "Ban Quản lý dự án Phát triển tỉnh Khánh Hòa" not in pages.text()
    pages.click("#send-submit")
    pages.wait_for("#deliveries")

    pages.sign_in("thanhtra-000")
    pages.open("/kiem-tra/van-ban?q=11/TB-UBND")
    pages.click("#found a")
    pages.wait_for("#co_quan")
    dispatched = pages.browser.find_element(By.ID, "deliveries").text
    assert "Ban Quản lý dự án Phát triển" not in dispatched
    pages.fill("co_quan", QLDA)
    pages.click("#why-submit")
    summary = pages.wait_for("#summary").text
    assert "dvsn_in_so_ban_nganh" in summary and "kh-2024.1" in summary
    assert "không nhận" in pages.browser.find_element(By.TAG_NAME, "h1").text

    result = _replay(pages, DEFAULT_RULES)
    assert "1 văn bản thay đổi" in result
    added = pages.browser.find_element(By.CSS_SELECTOR, ".change .added").text
    assert "Ban Quản lý dự án Phát triển tỉnh Khánh Hòa" in added
    added_count = len(pages.browser.find_elements(By.CSS_SELECTOR, ".change .added li"))
    assert added_count == 8  # the eight ĐVSN under UBND tỉnh, as the README's walkthrough says
    assert not pages.browser.find_elements(By.ID, "backfill-submit")  # auditors cannot backfill
    assert "Chỉ quản trị viên" in pages.text()

    pages.sign_in("quantri-000")
    _replay(pages, DEFAULT_RULES)
    pages.click("#backfill-submit")
    pages.wait_text(f"đã bổ sung {added_count} chuyển phát")
    assert "0 văn bản thay đổi" in _replay(pages, DEFAULT_RULES)

    pages.open("/kiem-tra/van-ban?q=11/TB-UBND")
    pages.click("#found a")
    row = pages.wait_for("#deliveries").find_element(By.ID, f"delivery-{QLDA}")
    assert "bổ sung sau phát lại" in row.text
