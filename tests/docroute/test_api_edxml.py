"""POST /v1/edxml: a document packet routed to the union of its To and its Nơi nhận, with the
difference shown both ways; bad packets answered with a 4xx that says why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from docroute.service import Service
from edxml import DocumentPacket, Organization, write_document
from foundation.models import Role
from tests.edxml.conftest import packet_bytes

XML = {"Content-Type": "application/xml"}
HOME_AFFAIRS = Organization("000.01.00.H99", "Sở Nội vụ tỉnh Khánh Hòa")
FINANCE = Organization("000.03.00.H99", "Sở Tài chính tỉnh Khánh Hòa")
HEALTH = Organization("000.12.00.H99", "Sở Y tế tỉnh Khánh Hòa")
BOARD = Organization("000.40.00.H99", "Ban Quản lý dự án Phát triển tỉnh Khánh Hòa")


def packet(to: tuple[Organization, ...], places: tuple[str, ...], number: str = "21") -> bytes:
    """A công văn of Sở Nội vụ dated 2025-03-04 with this To and these Nơi nhận lines."""
    return write_document(DocumentPacket(
        sender=HOME_AFFAIRS, to=to, document_id=f"000.01.00.H99,2025/03/04,{number}/SNV-CCHC",
        number=number, notation="SNV-CCHC", date=dt.date(2025, 3, 4), place="Khánh Hòa",
        type_code=1, type_name="Công văn", subject="Về việc rà soát tổ chức bộ máy",
        to_places=places,
    ))


async def _post(client: httpx.AsyncClient, headers: dict[str, str], body: bytes,
                query: str = "") -> httpx.Response:
    return await client.post(f"/v1/edxml{query}", content=body, headers={**headers, **XML})


async def test_to_missing_an_agency_that_noi_nhan_implies_is_reported(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """The seed 000 problem at the hub: 'Các sở, ban, ngành' includes Ban QLDA Phát triển
    tỉnh (a ĐVSN), but the packet's To lists two departments only."""
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    body = packet((FINANCE, HEALTH), ("- Các sở, ban, ngành;", "- Lưu: VT, CCHC."))
    response = await _post(client, headers, body, "?dry_run=true")
    assert response.status_code == 200, response.text
    view = response.json()
    differences = view["packet_to"]
    missing = {a["id"] for a in differences["not_in_to"]}
    assert "kh.ban-qlda-phat-trien-tinh" in missing and "kh.so-tai-chinh" not in missing
    assert differences["not_in_noi_nhan"] == [] and differences["unmatched"] == []
    assert view["packet"]["to_places"] == ["- Các sở, ban, ngành;", "- Lưu: VT, CCHC."]
    assert view["text_source"] == "packet fields + ToPlaces"


async def test_routes_to_the_union_and_the_document_shows_both_differences(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    # To names Sở Y tế, which no line explains; Nơi nhận names Sở Tài chính, which To misses.
    body = packet((BOARD, HEALTH),
                  ("- Ban Quản lý dự án Phát triển tỉnh Khánh Hòa;", "- Sở Tài chính;",
                   "- Lưu: VT."))
    response = await _post(client, headers, body)
    assert response.status_code == 202, response.text
    assert response.json()["document_id"] == "000.01.00.H99,2025/03/04,21/SNV-CCHC"
    rows = await settled(service, response.json()["id"])
    assert sorted(r.agency_id for r in rows) == [
        "kh.ban-qlda-phat-trien-tinh", "kh.so-tai-chinh", "kh.so-y-te"]
    health = next(r for r in rows if r.agency_id == "kh.so-y-te")
    assert [reason["rule"] for reason in health.reasons] == ["edxml_to"]
    auditor = await tokens(service, Role.AUDITOR)
    view = (await client.get(response.json()["url"], headers=auditor)).json()
    differences = view["edxml"]["packet_to"]
    assert [a["id"] for a in differences["not_in_to"]] == ["kh.so-tai-chinh"]
    assert [o["agency_id"] for o in differences["not_in_noi_nhan"]] == ["kh.so-y-te"]
    assert view["edxml"]["to_places"][0] == "- Ban Quản lý dự án Phát triển tỉnh Khánh Hòa;"


async def test_an_unknown_to_is_flagged_never_guessed(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    near = Organization("000.99.00.H99", "Sở Tài chánh tỉnh Khánh Hòa")  # a typo
    response = await _post(client, headers, packet((near,), ("- Sở Tài chính;",)), "?dry_run=true")
    view = response.json()
    (unmatched,) = view["packet_to"]["unmatched"]
    assert unmatched["organ_id"] == "000.99.00.H99" and unmatched["agency_id"] is None
    assert [r["id"] for r in view["recipients"]] == ["kh.so-tai-chinh"]


async def test_the_sender_must_be_the_token_agency(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.so-y-te")
    response = await _post(client, headers, packet((FINANCE,), ("- Sở Tài chính;",)))
    assert response.status_code == 403
    assert "Sở Nội vụ" in response.json()["detail"]


async def test_bad_packets_get_a_4xx_that_says_why(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    cases = [
        (b"<edXML", 422, "not well-formed"),
        (b"<html/>", 422, "not an edXML packet"),
        (packet_bytes("status_03.edxml"), 422, "POST /v1/edxml/status"),
        (packet((FINANCE,), ("x",)).replace(b"2025/03/04</edXML:Prom", b"2025/02/30</edXML:Prom"),
         422, "not a real date"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><edXML/>', 422, "DTD"),
    ]
    for body, status, says in cases:
        response = await _post(client, headers, body)
        assert response.status_code == status, (says, response.text)
        assert says in response.json()["detail"]


async def test_a_packet_over_the_upload_limit_is_a_413(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    body = packet((FINANCE,), ("- Sở Tài chính;",))
    huge = body.replace(b"</edXML>", b"<!--" + b"x" * service.settings.max_upload_bytes + b"-->"
                        b"</edXML>")
    response = await _post(client, headers, huge)
    assert response.status_code == 413


async def test_a_packet_without_toplaces_is_routed_to_its_to(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """A packet with no Nơi nhận anywhere (empty ToPlaces, as I5 writes, and no readable
    attachment) still names its receivers in To: routed to them, not refused as having none;
    a To known only by mã định danh raises no question for the clerk."""
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    defence = Organization("000.00.00.G11", None)  # Bộ Quốc phòng, by code only
    body = packet((FINANCE, defence), ())
    preview = await _post(client, headers, body, "?dry_run=true")
    assert preview.status_code == 200, preview.text
    assert {r["id"] for r in preview.json()["recipients"]} == {"kh.so-tai-chinh",
                                                               "tw.bo-quoc-phong"}
    assert preview.json()["unresolved"] == []
    response = await _post(client, headers, body)
    assert response.status_code == 202, response.text
    rows = await settled(service, response.json()["id"])
    assert sorted(r.agency_id for r in rows) == ["kh.so-tai-chinh", "tw.bo-quoc-phong"]


async def test_a_packet_uploaded_under_the_lgsp_field_name_is_read(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """An LGSP client posts its packet as the multipart field `edocFile` (notes §9.2): the one
    file of the form is the packet whatever the field is called; two files are a 422."""
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    body = packet((FINANCE,), ("- Sở Tài chính;",))
    response = await client.post("/v1/edxml?dry_run=true", headers=headers,
                                  files={"edocFile": ("15.edxml", body, "application/xml")},
                                  data={"messageType": "edoc"})
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["recipients"]] == ["kh.so-tai-chinh"]
    two = await client.post("/v1/edxml?dry_run=true", headers=headers,
                            files=[("a", ("a.edxml", body)), ("b", ("b.edxml", body))])
    assert two.status_code == 422 and "'file'" in two.json()["detail"]


async def test_a_to_matched_by_code_is_delivered_under_the_directorys_name(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """A To's OrganName is the producer's text (any case, any length): the delivery to the
    agency it matched by code carries the directory's name, so a 400-character OrganName
    neither breaks routing on PostgreSQL (agency_name is 300) nor renames the agency."""
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    defence = Organization("000.00.00.G11", "BỘ QUỐC PHÒNG " + "(Cục Văn thư) " * 30)
    response = await _post(client, headers, packet((defence,), ("- Như trên;",), "22"))
    assert response.status_code == 202, response.text
    rows = await settled(service, response.json()["id"])
    assert [(r.agency_id, r.agency_name) for r in rows] == [("tw.bo-quoc-phong", "Bộ Quốc phòng")]


async def test_reading_a_packet_does_not_hold_up_other_requests(
    service: Service, client: httpx.AsyncClient, tokens: Any, monkeypatch: Any
) -> None:
    """Reading a packet is CPU work (a 6 MB packet of 100,000 To takes seconds): it runs off
    the event loop, so /health answers while a slow packet is being read."""
    import asyncio
    import time

    import edxml as edxml_package

    real = edxml_package.read_packet

    def slow(data: bytes, limits: Any = None) -> Any:
        time.sleep(1.5)
        return real(data, limits)

    monkeypatch.setattr(edxml_package, "read_packet", slow)
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    started = time.perf_counter()
    reading = asyncio.create_task(
        _post(client, headers, packet((FINANCE,), ("- Sở Tài chính;",)), "?dry_run=true"))
    await asyncio.sleep(0.3)  # the packet is being read
    health = await client.get("/health")
    assert health.status_code == 200
    assert time.perf_counter() - started < 1.2  # not after the 1.5 s read
    assert (await reading).status_code == 200


async def test_nhu_tren_in_toplaces_refers_to_the_packets_to(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """'Như trên' (as above) names the addressees, which a packet gives in To: with no text
    of its own to read, the line resolves to them instead of asking the clerk every time."""
    headers = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    body = packet((FINANCE, Organization("000.00.00.G11", None)), ("- Như trên;", "- Lưu: VT."))
    response = await _post(client, headers, body, "?dry_run=true")
    assert response.status_code == 200, response.text
    view = response.json()
    assert {r["id"] for r in view["recipients"]} == {"kh.so-tai-chinh", "tw.bo-quoc-phong"}
    assert view["unresolved"] == []
    assert view["packet_to"]["not_in_noi_nhan"] == [] and view["packet_to"]["not_in_to"] == []
