"""The admin's channels page refuses a webhook or edXML URL on an internal address (loopback,
link-local, private) with the check `agencies set-channel` uses, tells the admin why on the
page, and saves nothing; public addresses and 'hub' are saved. The form is posted through the
app in this process, signed in with its CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from docroute.service import Service
from foundation.models import AgencyChannel, Role
from foundation.settings import Settings
from tests.docroute.web.in_process import csrf_of, signed_in

AGENCY = "kh.so-noi-vu"


@pytest.fixture
async def embedded_service(embedded: Settings, run_service: Any) -> AsyncIterator[Service]:
    """The embedded service with internal targets refused, as deployed (the shared settings
    allow them, for the tests' webhook sinks on 127.0.0.1)."""
    async with run_service(embedded.model_copy(update={"allow_private_webhooks": False})) as on:
        yield on


async def _channels(service: Service) -> list[tuple[str, str, str | None]]:
    async with service.sessions() as session:
        rows = (await session.exec(select(AgencyChannel))).all()
    return [(r.agency_id, r.kind, r.target) for r in rows]


@pytest.mark.parametrize(("kind", "target"), [
    ("webhook", "http://127.0.0.1:8080/hook"),
    ("webhook", "http://169.254.169.254/latest/meta-data"),
    ("edxml", "https://10.0.0.5/edxml"),
    ("edxml", "http://[::1]/edxml"),
    ("webhook", "http://localhost/hook"),
])
async def test_an_internal_address_is_refused_on_the_page(
    embedded_service: Service, kind: str, target: str
) -> None:
    """422, the page says in Vietnamese that the address is internal (naming the addresses
    found), and the agency keeps its inbox."""
    async with signed_in(embedded_service, "quan-tri", Role.ADMIN) as admin:
        token = csrf_of((await admin.get("/quan-tri/kenh")).text)
        answer = await admin.post("/quan-tri/kenh", data={
            "agency": AGENCY, "kind": kind, "target": target, "csrf": token})
    assert answer.status_code == 422, answer.text[:300]
    assert "thuộc mạng nội bộ" in answer.text
    assert "internal address" in answer.text  # the check's own detail, with the addresses
    assert 'role="alert"' in answer.text
    assert await _channels(embedded_service) == []


async def test_public_addresses_and_the_hub_are_saved(embedded_service: Service) -> None:
    """A public IP literal (no DNS needed) for a webhook and for an edXML system, and 'hub',
    are saved and listed; a form without its token changes nothing."""
    async with signed_in(embedded_service, "quan-tri", Role.ADMIN) as admin:
        token = csrf_of((await admin.get("/quan-tri/kenh")).text)
        forged = await admin.post("/quan-tri/kenh", data={
            "agency": AGENCY, "kind": "webhook", "target": "https://93.184.216.34/h"})
        assert forged.status_code == 403
        saved = []
        for agency, kind, target in [(AGENCY, "webhook", "https://93.184.216.34/hook"),
                                     ("kh.so-y-te", "edxml", "https://93.184.216.34/edxml"),
                                     ("kh.so-tai-chinh", "edxml", "hub")]:
            answer = await admin.post("/quan-tri/kenh", data={
                "agency": agency, "kind": kind, "target": target, "csrf": token})
            # A webhook's or an edXML system's new secret (its POSTs are signed with it) is
            # shown this once, on the answer; the hub needs none.
            if target.startswith("https://"):
                assert answer.status_code == 200, answer.text[:300]
                assert "Khóa bí mật webhook của" in answer.text and "whsec_" in answer.text
            else:
                assert answer.status_code == 303, answer.text[:300]
            saved.append((agency, kind, target))
        page = (await admin.get("/quan-tri/kenh")).text
    assert sorted(await _channels(embedded_service)) == sorted(saved)
    assert "https://93.184.216.34/edxml" in page


async def test_other_bad_targets_are_said_in_vietnamese(embedded_service: Service) -> None:
    """A webhook without http(s), an e-mail without '@' and an edxml target that is neither
    'hub' nor a URL: 422 with the sentence for each."""
    async with signed_in(embedded_service, "quan-tri", Role.ADMIN) as admin:
        token = csrf_of((await admin.get("/quan-tri/kenh")).text)
        said = {}
        for kind, target in [("webhook", "ftp://93.184.216.34/"), ("email", "vanthu"),
                             ("edxml", "")]:
            answer = await admin.post("/quan-tri/kenh", data={
                "agency": AGENCY, "kind": kind, "target": target, "csrf": token})
            assert answer.status_code == 422, answer.text[:300]
            said[kind] = answer.text
    assert "phải là URL http:// hoặc https://" in said["webhook"]
    assert "cần một địa chỉ thư" in said["email"]
    assert "nhận &#39;hub&#39;" in said["edxml"] or "nhận 'hub'" in said["edxml"]
    assert await _channels(embedded_service) == []
