"""Readable on a phone: at a phone's width no main page scrolls sideways (wide tables scroll
inside their own box), and every form control has a label a screen reader can announce."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.docroute.web.conftest import Pages, WebServer

PAGES = {
    "vanthu-layout": ("/gui", "/gui/da-gui", "/tai-khoan/mat-khau"),
    "coquan-layout": ("/hop-thu",),
    "thanhtra-layout": ("/kiem-tra", "/kiem-tra/chi-tiet", "/kiem-tra/phat-lai",
                        "/quan-tri/danh-ba", "/quan-tri/quy-tac"),
}
UNLABELLED = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !e.hidden)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id);
"""


@pytest.fixture
def phone(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser at a phone's width, put back afterwards."""
    browser.set_window_size(390, 844)
    try:
        yield browser
    finally:
        browser.set_window_size(1280, 900)


def test_main_pages_fit_a_phone_and_label_their_controls(
    pages: Pages, web: WebServer, phone: WebDriver
) -> None:
    web.add_person("vanthu-layout", "sender", "kh.ubnd-tinh")
    web.add_person("coquan-layout", "agency", "kh.so-y-te")
    web.add_person("thanhtra-layout", "auditor")
    for person, paths in PAGES.items():
        pages.sign_in(person)
        for path in paths:
            pages.open(path)
            pages.wait_for("main h1")
            overflow = phone.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            assert phone.execute_script(UNLABELLED) == [], path
