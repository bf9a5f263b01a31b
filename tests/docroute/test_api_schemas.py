"""`/openapi.json` describes every answer, and real answers match what it declares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis

from docroute.api.app import create_app
from docroute.service import Service
from foundation.models import Role
from foundation.settings import Settings
from tests.docroute.test_api_edxml import FINANCE, HEALTH, XML, packet

SENDER = "kh.ubnd-tinh"
RULES = Path(__file__).parents[2] / "rules" / "data" / "default_rules.yaml"


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def _json_schema(answer: dict[str, Any]) -> Any:
    return answer.get("content", {}).get("application/json", {}).get("schema")


def test_every_json_operation_declares_its_answers(embedded: Settings) -> None:
    """Each operation's 2xx answers have a JSON schema that is not `{}` (the HTML confirm
    page aside), and its 4xx answers are the `{code, detail}` problem every error is."""
    spec = create_app(Service(embedded)).openapi()
    checked = []
    for path, method, operation in _operations(spec):
        answers = operation["responses"]
        ok = {status: a for status, a in answers.items() if status.startswith("2")}
        assert ok, f"{method} {path} declares no 2xx answer"
        if all("text/html" in a.get("content", {}) for a in ok.values()):
            continue  # the page behind an e-mail's link
        for status, answer in ok.items():
            schema = _json_schema(answer)
            assert schema not in (None, {}), f"{method} {path} {status}: no schema"
            assert schema.get("type") != "object" or schema.get("properties"), (method, path)
        if path not in ("/health", "/ready"):
            for status in ("401", "403", "404", "422"):
                assert _json_schema(answers[status]) == {"$ref": "#/components/schemas/Problem"}
        checked.append((method, path))
    assert len(checked) >= 25
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"code", "detail"}


class Answers:
    """An API client that checks each answer against the schema the API declares."""

    def __init__(self, client: httpx.AsyncClient, service: Service) -> None:
        self.client = client
        self.schema = schemathesis.openapi.from_dict(create_app(service).openapi())
        self.checked: list[str] = []

    async def call(self, method: str, url: str, template: str, status: int,
                   **kwargs: Any) -> Any:
        """Call, check the status and that the answer validates; return its JSON."""
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, response.text
        self.schema[template][method].validate_response(response)
        self.checked.append(f"{method} {template} {status}")
        return response.json()


async def test_real_answers_validate_against_their_declared_schemas(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """A document sent, read, received, audited, explained and recalled; an edXML packet;
    tokens, snapshots, health; and the errors: each answer matches its operation's schema
    for its status (so a model that left out or mistyped a key fails here)."""
    service, api = embedded_service, Answers(embedded_client, embedded_service)
    sender = await tokens(service, Role.SENDER, SENDER)
    auditor = await tokens(service, Role.AUDITOR)
    admin = await tokens(service, Role.ADMIN)
    text = {"text": seed_text("004")}
    doc = "/v1/documents/{document_id}"
    await api.call("GET", "/health", "/health", 200)
    await api.call("GET", "/ready", "/ready", 200)
    await api.call("POST", "/v1/documents?dry_run=true", "/v1/documents", 200, json=text,
                   headers=sender)
    keyed = {**sender, "Idempotency-Key": "schemas-1"}  # seed 004 has no number
    sent = await api.call("POST", "/v1/documents", "/v1/documents", 202, json=text,
                          headers=keyed)
    await api.call("POST", "/v1/documents", "/v1/documents", 200, json=text, headers=keyed)
    rows = await settled(service, sent["id"])
    one = rows[0]
    agency = await tokens(service, Role.AGENCY, one.agency_id)
    document = f"/v1/documents/{sent['id']}"
    await api.call("GET", document, doc, 200, headers=sender)
    await api.call("GET", document, doc, 200, headers=auditor)
    await api.call("GET", "/v1/inbox", "/v1/inbox", 200, headers=agency)
    delivery, delivery_t = f"/v1/deliveries/{one.id}", "/v1/deliveries/{delivery_id}"
    await api.call("GET", delivery, delivery_t, 200, headers=agency)
    await api.call("POST", f"{delivery}/status", delivery_t + "/status", 200, headers=agency,
                   json={"code": "01"})
    for report in ("missed", "scorecard"):
        await api.call("GET", f"/v1/audit/{report}", f"/v1/audit/{report}", 200,
                       headers=auditor)
    await api.call("GET", f"/v1/audit/documents/{sent['id']}", "/v1/audit/documents/{document_id}",
                   200, headers=auditor)
    outside = next(a.id for a in service.routing.directory
                   if a.id not in {r.agency_id for r in rows})
    for why, agency_id in (("why", one.agency_id), ("why-not", outside)):
        await api.call("GET", f"{document}/recipients/{agency_id}/{why}",
                       doc + "/recipients/{agency}/" + why, 200, headers=auditor)
    await api.call("POST", "/v1/audit/replays", "/v1/audit/replays", 200, headers=auditor,
                   json={"rules_yaml": RULES.read_text(encoding="utf-8"), "since": "2020-01-01"})
    await api.call("GET", "/v1/audit/verify", "/v1/audit/verify", 200, headers=auditor)
    await api.call("GET", "/v1/admin/tokens", "/v1/admin/tokens", 200, headers=admin)
    await api.call("GET", "/v1/admin/snapshots", "/v1/admin/snapshots", 200, headers=admin)
    await api.call("POST", f"{document}/recall", doc + "/recall", 200, headers=sender,
                   json={"reason": "Gửi nhầm"})
    hub = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    body = packet((FINANCE, HEALTH), ("- Các sở, ban, ngành;", "- Lưu: VT, CCHC."))
    for query, status in (("?dry_run=true", 200), ("", 202)):
        await api.call("POST", f"/v1/edxml{query}", "/v1/edxml", status, content=body,
                       headers={**hub, **XML})
    # The errors: each a problem with its code and detail.
    await api.call("GET", document, doc, 401)
    await api.call("POST", "/v1/documents", "/v1/documents", 403, json=text, headers=agency)
    await api.call("GET", "/v1/documents/nope", doc, 404, headers=auditor)
    await api.call("POST", "/v1/documents", "/v1/documents", 422, json={"txt": 1},
                   headers=sender)
    await api.call("GET", "/v1/audit/missed?limit=0", "/v1/audit/missed", 422, headers=auditor)
    await api.call("POST", "/v1/documents", "/v1/documents", 415, content=b"x",
                   headers={**sender, "Content-Type": "text/plain"})
    assert len(api.checked) == 28


def test_an_answer_that_left_out_a_key_does_not_validate(embedded: Settings) -> None:
    """The check above can fail: a delivery without its `state`, or an error without its
    `detail`, does not match the declared schema."""
    schema = schemathesis.openapi.from_dict(create_app(Service(embedded)).openapi())
    request = httpx.Request("GET", "http://docroute/v1/deliveries/d-1")
    view = {"id": "d-1", "document_id": "x", "agency_id": "a", "agency_name": "A",
            "state": "delivered", "channel": "inbox", "failure": None, "receipt": None,
            "receipt_label": None, "confirmed": False, "confirmed_at": None, "due_at": None,
            "backfill_of": None, "reasons": [], "recall": None, "attempt_rounds": 0,
            "next_round_at": None}
    operation = schema["/v1/deliveries/{delivery_id}"]["GET"]

    def answer(status: int, body: dict[str, Any]) -> httpx.Response:
        response = httpx.Response(status, json=body, request=request)
        response.elapsed = dt.timedelta(0)  # as if received
        return response

    operation.validate_response(answer(200, view))
    for status, body in ((200, {k: v for k, v in view.items() if k != "state"}),
                         (200, {**view, "state": "lost"}),
                         (404, {"code": "delivery_not_found"})):
        with pytest.raises(Exception, match="chema"):
            operation.validate_response(answer(status, body))
