"""The admin commands: tokens issued from the CLI work on the API; bad channels are refused."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from sqlmodel import select

from foundation.models import ApiToken
from foundation.settings import Settings

DOCROUTE = str(Path(sys.executable).with_name("docroute"))


async def _docroute(
    settings: Settings, *args: str, stdin: bytes | None = None
) -> tuple[int, str, str]:
    env = {**os.environ, "DOCROUTE_DATABASE_URL": settings.database_url}
    process = await asyncio.create_subprocess_exec(
        DOCROUTE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=None if stdin is None else asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin)
    return process.returncode or 0, out.decode(), err.decode()


async def test_token_issued_by_the_cli_opens_the_agency_inbox(
    embedded: Settings, run_service: Any, api_client: Any
) -> None:
    """`docroute tokens issue --role agency --agency ID` prints a token the API accepts once
    for that agency, and only its hash is stored."""
    code, out, err = await _docroute(embedded, "tokens", "issue", "--role", "agency",
                                     "--agency", "kh.so-noi-vu")
    assert code == 0, err
    token = out.strip()
    async with run_service(embedded) as service, api_client(service) as client:
        inbox = await client.get("/v1/inbox", headers={"Authorization": f"Bearer {token}"})
        assert inbox.status_code == 200
        assert inbox.json() == {"agency_id": "kh.so-noi-vu", "deliveries": []}
        async with service.sessions() as session:
            hashes = (await session.exec(select(ApiToken.token_hash))).all()
        assert token not in hashes and len(hashes) == 1


async def test_set_channel_refuses_a_webhook_without_an_http_url(embedded: Settings) -> None:
    """`agencies set-channel ID webhook ftp://…` exits non-zero with a message to fix the URL."""
    code, _, err = await _docroute(embedded, "agencies", "set-channel", "kh.so-noi-vu",
                                   "webhook", "ftp://example")
    assert code == 2
    assert "http:// or https://" in err


async def test_set_channel_checks_an_edxml_url_as_a_webhook_and_takes_the_hub(
    embedded: Settings,
) -> None:
    """An edXML system's URL is POSTed to from inside the deployment: a loopback one is refused
    as a webhook's is; `edxml hub` needs no URL."""
    code, _, err = await _docroute(embedded, "agencies", "set-channel", "kh.so-noi-vu",
                                   "edxml", "http://127.0.0.1:8080/edxml")
    assert code == 2 and "internal address" in err
    code, out, err = await _docroute(embedded, "agencies", "set-channel", "kh.so-noi-vu",
                                     "edxml", "hub")
    assert code == 0, err
    assert out.strip() == "kh.so-noi-vu: edxml hub"


async def test_set_channel_records_an_email_address(embedded: Settings) -> None:
    """`agencies set-channel ID email ADDRESS` stores the channel and echoes it."""
    code, out, err = await _docroute(embedded, "agencies", "set-channel", "kh.so-noi-vu",
                                     "email", "vanthu@snv.example")
    assert code == 0, err
    assert out.strip() == "kh.so-noi-vu: email vanthu@snv.example"


async def test_operator_commands_reroute_a_document_and_redrive_deliveries(
    embedded: Settings,
) -> None:
    """`docroute documents reroute ID` queues an unrouted document and prints its last
    routing error; `docroute deliveries redrive --all` queues every pending delivery; both
    refuse what they cannot do with exit code 2 and a message."""
    import uuid

    from foundation.database import transaction
    from foundation.migrate import migrated_sessions
    from foundation.models import Document, OutboxMessage

    document_id = str(uuid.uuid4())
    async with migrated_sessions(embedded.database_url) as sessions:
        async with transaction(sessions) as session:
            session.add(Document(id=document_id, text="Nơi nhận:\n- Sở Nội vụ;\n",
                                 routing_attempts=5, routing_error="ValueError: year 0"))
        code, out, err = await _docroute(embedded, "documents", "reroute", document_id)
        assert code == 0, err
        assert out.strip() == (f"{document_id}: queued for routing again "
                               "(last routing error: ValueError: year 0)")
        code, _, err = await _docroute(embedded, "documents", "reroute", "no-such-id")
        assert (code, err.strip()) == (2, "error: No document no-such-id.")
        code, out, err = await _docroute(embedded, "deliveries", "redrive", "--all")
        assert (code, out.strip()) == (0, "0 deliveries queued again"), err
        code, _, err = await _docroute(embedded, "deliveries", "redrive")
        assert code == 2 and "--all" in err
        async with sessions() as session:
            rows = (await session.exec(select(OutboxMessage))).all()
        assert [row.payload for row in rows] == [{"document_id": document_id}]
