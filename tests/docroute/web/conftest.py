"""Fixtures of the web interface's tests: `docroute serve` in a process of its own on a SQLite
file, people created with `docroute users add`, and Debian's Chromium driven headless.

Chromium and chromedriver come from Debian (`.ci/run` installs them); a missing browser fails
the tests, never skips them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import free_port

DOCROUTE = str(Path(sys.executable).with_name("docroute"))
PASSWORD = "mat-khau-thu-nghiem-1"
STALE = (StaleElementReferenceException, NoSuchElementException)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@dataclass
class WebServer:
    """A running `docroute serve` and the environment its commands share."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    people: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run a `docroute` command against this server's database; its output."""
        done = subprocess.run(
            [DOCROUTE, *args], env=self.env, input=stdin, capture_output=True, text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def add_person(self, username: str, role: str, agency: str | None = None,
                   name: str | None = None) -> str:
        """An account with the test password (created once per server)."""
        if username not in self.people:
            args = ["users", "add", username, "--name", name or username, "--role", role,
                    "--password-stdin"]
            self.cli(*args, *(["--agency", agency] if agency else []), stdin=PASSWORD + "\n")
            self.people[username] = role
        return username


def start_server(tmp: Path, **settings: str) -> WebServer:
    """`docroute serve` on a fresh SQLite file, once /health answers."""
    port = free_port()
    env = {
        **os.environ,
        "DOCROUTE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/docroute.sqlite3",
        "DOCROUTE_PORT": str(port),
        "DOCROUTE_LOG_FORMAT": "console",
        "DOCROUTE_LOG_LEVEL": "WARNING",
        "DOCROUTE_LOGIN_ATTEMPTS": "3",
        "DOCROUTE_LOGIN_LOCKOUT_MINUTES": "30",
        # Outside development mode docroute refuses to start without its own secret.
        "DOCROUTE_SIGNING_SECRET": "web-tests-signing-secret-0123",
        **{f"DOCROUTE_{k.upper()}": v for k, v in settings.items()},
    }
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen([DOCROUTE, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        assert process.poll() is None, (tmp / "serve.log").read_text()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return WebServer(url, env, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("docroute serve did not answer /health within 30 s")


def stop_server(server: WebServer) -> None:
    """SIGTERM, as an operator stops it."""
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One server for a module's tests (the shipped rules and directory)."""
    server = start_server(tmp_path_factory.mktemp("web"))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Debian's Chromium, headless, with nothing fetched from the network."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "install Debian's chromium and chromium-driver (see .ci/run)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=ChromeService(executable_path=driver), options=options)
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()


class Pages:
    """What a person does in the browser: open pages, fill forms, read what is shown."""

    def __init__(self, browser: WebDriver, server: WebServer) -> None:
        self.browser, self.server = browser, server

    def open(self, path: str) -> None:
        """Go to a page of the server."""
        self.browser.get(self.server.url + path)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Sign out whoever is signed in, then sign in."""
        self.browser.delete_all_cookies()
        self.open("/login")
        self.fill("username", username)
        self.fill("password", password)
        self.click("#login-submit")
        # Wait for the page after signing in: a find_element right after the click could look
        # at the sign-in page still (seen once on a loaded machine).
        WebDriverWait(self.browser, 30).until(lambda b: "/login" not in b.current_url)

    def fill(self, element_id: str, text: str) -> None:
        """Type into the field with this id (after clearing it)."""
        field = self.browser.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)

    def set_value(self, element_id: str, text: str) -> None:
        """Set a long text at once (typing a whole document key by key is slow)."""
        field = self.browser.find_element(By.ID, element_id)
        self.browser.execute_script("arguments[0].value = arguments[1];", field, text)

    def click(self, selector: str) -> None:
        """Click the element the CSS selector names."""
        self.browser.find_element(By.CSS_SELECTOR, selector).click()

    def wait_for(self, selector: str, timeout: float = 30) -> Any:
        """The element once it is on the page."""
        return WebDriverWait(self.browser, timeout, ignored_exceptions=STALE).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector))
        )

    def wait_text(self, text: str, timeout: float = 30) -> None:
        """Wait until the page shows the text."""
        # A page being replaced (a navigation, an htmx swap) leaves stale elements: retried.
        try:
            WebDriverWait(self.browser, timeout, ignored_exceptions=STALE).until(
                lambda b: text in self.text()
            )
        except TimeoutException:
            shown = self.text()[:3000]
            where = self.browser.current_url
            raise AssertionError(f"{text!r} not shown at {where}:\n{shown}") from None

    def text(self) -> str:
        """The visible text of the page."""
        # Read through a script, not an element handle: a handle taken while the page is being
        # replaced can belong to the old document (chromedriver's "does not belong" error).
        return str(self.browser.execute_script(
            "return document.body ? document.body.innerText : ''"
        ))

    def screenshot(self, name: str) -> None:
        """Save a screenshot under docs/screenshots/ (the README shows them)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def pages(browser: WebDriver, web: WebServer) -> Pages:
    """The browser on this module's server, signed out."""
    browser.delete_all_cookies()
    return Pages(browser, web)
