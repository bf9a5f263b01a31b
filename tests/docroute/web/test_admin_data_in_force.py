"""The admin and audit pages offer the agencies of the directory in force: after an admin
activates a snapshot that adds a unit, the unit is in the people, token and channel choices,
can be given to an account, is listed in the directory page, and is offered by a document's
audit page for the why / why-not question; no restart needed."""

from __future__ import annotations

from docroute.service import Service
from docroute.web.decisions import SEPARATOR
from foundation.models import Role
from tests.conftest import in_process_client, token, wait_settled
from tests.docroute.test_data_in_force import ADDED, import_and_activate, national_with_unit, submit
from tests.docroute.web.in_process import csrf_of, signed_in

UNIT_NAME = "Trung tâm Thử nghiệm Định tuyến tỉnh Khánh Hòa"  # test_data_in_force's UNIT


async def test_the_admin_pages_offer_a_unit_only_the_activated_snapshot_has(
    embedded_service: Service,
) -> None:
    service = embedded_service
    snapshot = national_with_unit()
    label = f"{UNIT_NAME}{SEPARATOR}{ADDED}"  # as `agency_label` lists it
    async with signed_in(service, "quan-tri", Role.ADMIN) as admin:
        before = (await admin.get("/quan-tri/nguoi-dung")).text
        assert ADDED not in before
        refused = await admin.post("/quan-tri/nguoi-dung", data={
            "username": "tt-1", "name": "Văn thư TT", "role": "sender", "agency": label,
            "password": "mot-mat-khau-dai-du-12", "csrf": csrf_of(before)})
        assert refused.status_code == 422 and "Không tìm thấy cơ quan" in refused.text

        async with in_process_client(service) as api:
            await import_and_activate(api, await token(service, Role.ADMIN), snapshot)

        after = (await admin.get("/quan-tri/nguoi-dung")).text
        assert f'<option value="{label}">' in after
        added = await admin.post("/quan-tri/nguoi-dung", data={
            "username": "tt-1", "name": "Văn thư TT", "role": "sender", "agency": label,
            "password": "mot-mat-khau-dai-du-12", "csrf": csrf_of(after)})
        assert added.status_code == 303, added.text
        assert ADDED in (await admin.get("/quan-tri/nguoi-dung")).text
        for page in ("/quan-tri/token", "/quan-tri/kenh", "/quan-tri/danh-ba?q=thu-nghiem"):
            assert ADDED in (await admin.get(page)).text, page


async def test_the_audit_page_offers_a_unit_only_the_activated_snapshot_has(
    embedded_service: Service,
) -> None:
    """The why / why-not choices of a document routed before the activation include the unit
    after it (the question can be asked with today's data)."""
    service = embedded_service
    async with in_process_client(service) as api:
        document = await submit(service, api, token, 40)
        await wait_settled(service, document)
        await import_and_activate(api, await token(service, Role.ADMIN), national_with_unit())
    async with signed_in(service, "kiem-tra", Role.AUDITOR) as auditor:
        page = (await auditor.get(f"/kiem-tra/van-ban/{document}")).text
        assert ADDED in page
        why = await auditor.get(f"/kiem-tra/van-ban/{document}/vi-sao",
                                params={"co_quan": ADDED, "du_lieu": "hien-tai"})
        assert why.status_code == 200, why.text
