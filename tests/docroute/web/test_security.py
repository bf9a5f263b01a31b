"""The web interface's defences, checked over HTTP against a running server: one agency cannot
open another's pages (direct URLs included), forms without their CSRF token are refused, and
a locked-out account stays locked for the configured time."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from tests.conftest import seed
from tests.docroute.web.conftest import PASSWORD, WebServer


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def signed_in(web: WebServer, username: str) -> httpx.Client:
    """A client with the person's session cookie."""
    client = httpx.Client(base_url=web.url, follow_redirects=False, timeout=30)
    token = _csrf(client.get("/login").text)
    form = {"username": username, "password": PASSWORD, "csrf": token}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def delivered(web: WebServer) -> dict[str, str]:
    """Seed 004 sent through the pages; the delivery id of each agency used here."""
    web.add_person("gui-an-ninh", "sender", "kh.ubnd-tinh")
    web.add_person("so-y-te", "agency", "kh.so-y-te")
    web.add_person("so-noi-vu", "agency", "kh.so-noi-vu")
    sender = signed_in(web, "gui-an-ninh")
    token = _csrf(sender.get("/gui").text)
    sent = sender.post("/gui/gui", data={"text": seed("004"), "csrf": token})
    assert sent.status_code == 303, sent.text
    ids: dict[str, str] = {}
    for agency in ("so-y-te", "so-noi-vu"):
        client = signed_in(web, agency)
        for _ in range(300):
            inbox = client.get("/hop-thu").text
            if found := re.search(r'href="/hop-thu/([0-9a-f-]{36})"', inbox):
                ids[agency] = found.group(1)
                break
        assert agency in ids, f"nothing reached {agency}'s inbox"
    return ids


def test_an_agency_cannot_open_another_agencys_document(
    web: WebServer, delivered: dict[str, str]
) -> None:
    """Direct URLs to another agency's document, file and status form answer 404."""
    client = signed_in(web, "so-y-te")
    theirs = delivered["so-noi-vu"]
    own = client.get(f"/hop-thu/{delivered['so-y-te']}")
    assert own.status_code == 200
    # Pages cannot be framed (a status button clickjacked) nor load scripts from elsewhere.
    assert own.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in own.headers["content-security-policy"]
    assert client.get(f"/hop-thu/{theirs}").status_code == 404
    assert client.get(f"/hop-thu/{theirs}/van-ban.txt").status_code == 404
    token = _csrf(client.get(f"/hop-thu/{delivered['so-y-te']}").text)
    answer = client.post(f"/hop-thu/{theirs}/trang-thai", data={"code": "01", "csrf": token})
    assert answer.status_code == 404
    assert "Chưa xác nhận" in signed_in(web, "so-noi-vu").get(f"/hop-thu/{theirs}").text
    # Nor the sending office's pages, nor the audit.
    assert client.get("/gui/da-gui").status_code == 403
    assert client.get("/kiem-tra").status_code in (403, 404)


def test_forms_without_their_csrf_token_are_refused(
    web: WebServer, delivered: dict[str, str]
) -> None:
    """A status change without the session's token (or with another session's) changes
    nothing; a sign-in without the form's token is refused too."""
    mine = delivered["so-y-te"]
    client = signed_in(web, "so-y-te")
    other_token = _csrf(signed_in(web, "so-y-te").get(f"/hop-thu/{mine}").text)
    forms = ({"code": "01"}, {"code": "01", "csrf": "forged"}, {"code": "01", "csrf": other_token})
    for data in forms:
        answer = client.post(f"/hop-thu/{mine}/trang-thai", data=data)
        assert answer.status_code == 403, data
        assert "hãy tải lại trang" in answer.text
    assert "Chưa xác nhận" in client.get(f"/hop-thu/{mine}").text
    fresh = httpx.Client(base_url=web.url)
    refused = fresh.post("/login", data={"username": "so-y-te", "password": PASSWORD})
    assert refused.status_code == 403 and "dr_session" not in refused.cookies


def test_a_locked_out_account_stays_locked_for_the_configured_time(web: WebServer) -> None:
    """Three wrong passwords (DOCROUTE_LOGIN_ATTEMPTS=3) lock the account for 30 minutes
    (DOCROUTE_LOGIN_LOCKOUT_MINUTES): the right password is refused meanwhile, with a
    sentence; the lock is stored until then; `docroute users unlock` lifts it."""
    web.add_person("bi-khoa", "auditor")
    client = httpx.Client(base_url=web.url, timeout=30)
    for attempt in range(3):
        token = _csrf(client.get("/login").text)
        wrong = {"username": "bi-khoa", "password": "sai", "csrf": token}
        answer = client.post("/login", data=wrong)
        assert answer.status_code == (429 if attempt == 2 else 401)
    for _ in range(2):
        token = _csrf(client.get("/login").text)
        right = {"username": "bi-khoa", "password": PASSWORD, "csrf": token}
        answer = client.post("/login", data=right)
        assert answer.status_code == 429 and "tạm khóa" in answer.text
        assert "dr_session" not in answer.cookies
    listed = next(ln for ln in web.cli("users", "list").splitlines() if ln.startswith("bi-khoa"))
    until = dt.datetime.fromisoformat(listed.rsplit("locked until ", 1)[1])
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    left = until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    web.cli("users", "unlock", "bi-khoa")
    assert signed_in(web, "bi-khoa").cookies.get("dr_session")


def test_a_mistyped_address_is_a_page_for_people_and_json_for_machines(web: WebServer) -> None:
    """People read a sentence; the API's paths keep the API's JSON errors."""
    client = httpx.Client(base_url=web.url, timeout=30)
    page = client.get("/khong-co-trang-nay")
    assert page.status_code == 404 and "Không có trang này" in page.text
    api = client.get("/v1/khong-co")
    assert api.status_code == 404 and api.json()["code"] == "http_error"
