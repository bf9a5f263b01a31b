"""Status packets in: the delivery's receipt, duplicates ignored, any arrival order, history
kept; 15 / 16 answer a recall, 13 asks for one."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from docroute.edxml_status import fold
from docroute.service import Service
from edxml import Organization, ResponseFor, StatusPacket, read_packet, write_status
from edxml.values import VIETNAM
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, HubMessage, Role, StatusReport
from tests.docroute.test_api_edxml import FINANCE, HOME_AFFAIRS, XML, packet

DOCUMENT_ID = "000.01.00.H99,2025/03/04,21/SNV-CCHC"


def status(code: str, minute: int, reporter: Organization = FINANCE,
           document_id: str = DOCUMENT_ID) -> bytes:
    """A status packet about the test document, timed `minute` minutes past 09:00."""
    return write_status(StatusPacket(
        sender=reporter,
        response_for=ResponseFor("000.01.00.H99", "21/SNV-CCHC", dt.date(2025, 3, 4),
                                 document_id),
        status_code=code, description=f"mã {code}",
        timestamp=dt.datetime(2025, 3, 4, 9, minute, tzinfo=VIETNAM),
    ))


async def _sent(service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any) -> str:
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    response = await client.post("/v1/edxml", content=packet((FINANCE,), ("- Sở Tài chính;",)),
                                 headers={**headers, **XML})
    assert response.status_code == 202, response.text
    await settled(service, response.json()["id"])
    return str(response.json()["id"])


async def _report(client: httpx.AsyncClient, headers: dict[str, str], body: bytes
                  ) -> httpx.Response:
    return await client.post("/v1/edxml/status", content=body, headers={**headers, **XML})


async def test_statuses_in_any_order_with_duplicates_keep_the_full_history(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    document = await _sent(service, client, tokens, settled)
    finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
    # 03 arrives before the 01 that preceded it; 01 arrives twice, once written "1".
    for body in (status("03", 5), status("1", 1), status("01", 1), status("05", 20)):
        response = await _report(client, finance, body)
        assert response.status_code == 200, response.text
    answers = response.json()
    assert answers["receipt"] == "05" and answers["duplicate"] is False
    again = (await _report(client, finance, status("03", 5))).json()
    assert again["duplicate"] is True and again["receipt"] == "05"
    async with service.sessions() as session:
        rows = (await session.exec(select(StatusReport).where(
            StatusReport.document_id == document))).all()
    assert sorted((r.code, r.reported_at.minute) for r in rows) == [
        ("01", 1), ("03", 5), ("05", 20)]
    auditor = await tokens(service, Role.AUDITOR)
    view = (await client.get(f"/v1/documents/{document}", headers=auditor)).json()
    (delivery,) = view["deliveries"]
    receipts = [e["value"] for e in delivery["history"] if e["kind"] == "receipt"]
    assert receipts == ["03", "05"]  # the late 01 changed nothing: progress never goes back


async def test_recall_answers_and_a_recall_request(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    document = await _sent(service, client, tokens, settled)
    issuer = await tokens(service, Role.AGENCY, "kh.so-noi-vu")
    asked = await _report(client, issuer, status("13", 30, reporter=HOME_AFFAIRS))
    assert asked.status_code == 200, asked.text
    finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
    answered = await _report(client, finance, status("16", 40))
    assert answered.json()["recall"] == "16"
    auditor = await tokens(service, Role.AUDITOR)
    view = (await client.get(f"/v1/documents/{document}", headers=auditor)).json()
    recalls = [e["value"] for e in view["deliveries"][0]["history"] if e["kind"] == "recall"]
    assert recalls == ["13", "16"]


async def test_statuses_that_cannot_be_taken_say_why(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    await _sent(service, client, tokens, settled)
    health = await tokens(service, Role.AGENCY, "kh.so-y-te")
    finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
    wrong = await _report(client, health, status("01", 1))
    assert wrong.status_code == 403 and "kh.so-y-te" in wrong.json()["detail"]
    unknown = await _report(client, finance, status("01", 1, document_id="X,2025/01/01,1/X")
                            .replace(b"21/SNV-CCHC</edXML:Code>", b"99/XX</edXML:Code>"))
    assert unknown.status_code == 404
    bad_code = await _report(client, finance, status("01", 1).replace(b">01<", b">07<"))
    assert bad_code.status_code == 422 and "StatusCode '07'" in bad_code.json()["detail"]
    assert "07-12 and 14 have no meaning" in bad_code.json()["detail"]


RECEIPTS = ["01", "03", "04", "05", "06"]


@given(st.lists(st.sampled_from(RECEIPTS), min_size=1))
def test_progress_never_goes_back(codes: list[str]) -> None:
    """Whatever progress reports say in whatever order, the receipt is the furthest one."""
    assert fold(codes) == max(codes, key=RECEIPTS.index)


@pytest.mark.parametrize("codes", list(itertools.permutations(["01", "02", "03"])))
def test_a_rejection_ends_the_cycle_unless_the_document_was_already_accepted(
    codes: tuple[str, ...]
) -> None:
    accepted_first = codes.index("03") < codes.index("02")
    assert fold(list(codes)) == ("03" if accepted_first else "02")


async def test_statuses_go_to_a_sender_whose_own_channel_is_the_hub(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    async with transaction(service.sessions) as session:
        await set_channel(session, "kh.ubnd-tinh", ChannelKind.EDXML, "hub")
    sent = {}
    for sender, number in (("kh.ubnd-tinh", 51), ("kh.so-y-te", 52)):  # connected, and not
        text = (f"Số: {number}/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nV/v thử\n"
                "\nNội dung.\n\nNơi nhận:\n- Sở Tài chính;\n- Lưu: VT.\n")
        response = await client.post("/v1/documents", json={"text": text},
                                     headers=await tokens(service, Role.SENDER, sender))
        (row,) = await settled(service, response.json()["id"])
        answer = await client.post(f"/v1/deliveries/{row.id}/status", json={"code": "03"},
                                   headers=await tokens(service, Role.AGENCY, "kh.so-tai-chinh"))
        assert answer.status_code == 200
        sent[sender] = response.json()["id"]
    async with service.sessions() as session:
        (queued,) = (await session.exec(select(HubMessage))).all()
    assert (queued.kind, queued.document_id) == ("status", sent["kh.ubnd-tinh"])
    packet = read_packet(queued.body)
    assert isinstance(packet, StatusPacket) and packet.status_code == "03"
    assert packet.response_for.organ_id == "kh.ubnd-tinh"
    assert packet.response_for.document_id == "kh.ubnd-tinh,2025/03/04,51/UBND-VP"
    assert packet.sender.organ_id == "kh.so-tai-chinh"


async def test_a_status_by_number_alone_never_picks_one_of_two_namesakes(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """Two communes may each issue a 01/QĐ-UBND on the same day. A status without a
    DocumentId we know is matched by number and date only to the document of the issuer its
    ResponseFor/OrganId names; when nothing decides, a 409 asks for the DocumentId, never a
    guess that would mark the other commune's delivery."""
    from edxml import DocumentPacket, write_document

    sent = []
    for commune in ("kh.ubnd-xa-22342", "kh.ubnd-xa-22345"):
        body = write_document(DocumentPacket(
            sender=Organization(commune), to=(FINANCE,), document_id=f"{commune},2025/03/04,1",
            number="01", notation="QĐ-UBND", date=dt.date(2025, 3, 4), type_name="Quyết định",
            subject=f"Về việc của {commune}", to_places=("- Sở Tài chính;",)))
        headers = await tokens(service, Role.SENDER, commune)
        response = await client.post("/v1/edxml", content=body, headers={**headers, **XML})
        assert response.status_code == 202, response.text
        await settled(service, response.json()["id"])
        sent.append(response.json()["id"])
    finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")

    def by_number(issuer: str | None) -> bytes:
        return write_status(StatusPacket(
            sender=FINANCE, response_for=ResponseFor(issuer, "01/QĐ-UBND", dt.date(2025, 3, 4)),
            status_code="03", timestamp=dt.datetime(2025, 3, 4, 9, 5, tzinfo=VIETNAM)))

    ambiguous = await _report(client, finance, by_number(None))
    assert ambiguous.status_code == 409, ambiguous.text
    assert "DocumentId" in ambiguous.json()["detail"]
    decided = await _report(client, finance, by_number("kh.ubnd-xa-22345"))
    assert decided.status_code == 200, decided.text
    assert decided.json()["document"] == sent[1]
