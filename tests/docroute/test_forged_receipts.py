"""Nobody records a receipt for an agency without its secret: no known default secret, confirm
links that expire, confirm only on POST, only for e-mail deliveries, and never a 500."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from docroute.service import Service
from foundation.database import transaction
from foundation.models import Delivery
from foundation.settings import Settings, SettingsError, local_secret
from foundation.signing import confirm_signature
from tests.audit.conftest import add_delivery, add_document

DOCROUTE = str(Path(sys.executable).with_name("docroute"))


def test_no_secret_is_refused_outside_development_and_named(tmp_path: Path) -> None:
    """Without DOCROUTE_SIGNING_SECRET (or with a published default, or a short one) the
    service refuses to start, naming the variable; development mode keeps a random local
    secret, readable by its owner only, and the same one on the next start."""
    for secret in (None, "docroute-development-secret", "change-me-in-production", "short"):
        with pytest.raises(SettingsError, match="DOCROUTE_SIGNING_SECRET"):
            Settings(signing_secret=secret).secret()
    path = tmp_path / "var" / "signing-secret"
    first = local_secret(path)
    assert len(first) >= 32 and local_secret(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "x" * 20 not in repr(Settings(signing_secret="x" * 20))  # SecretStr hides it


async def test_serve_without_a_secret_exits_with_a_message(tmp_path: Path) -> None:
    """`docroute serve` with no secret and no --development exits 2 saying what to set."""
    env = {k: v for k, v in os.environ.items() if k != "DOCROUTE_SIGNING_SECRET"}
    env["DOCROUTE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/d.sqlite3"
    process = await asyncio.create_subprocess_exec(
        DOCROUTE, "serve", "--port", "1", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "DOCROUTE_SIGNING_SECRET: is not set" in err.decode()


async def _email_delivery(service: Service, channel: str = "email") -> Delivery:
    document = await add_document(service.sessions)
    delivery = await add_delivery(service.sessions, document, "kh.so-noi-vu", receipt=None)
    async with transaction(service.sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == delivery.id)
                           .values(channel=channel))
    return delivery


async def test_confirm_link_is_refused_when_forged_expired_or_not_for_email(
    embedded_service: Service, embedded_client: httpx.AsyncClient,
) -> None:
    """A link with a non-ASCII or wrong signature, an expired one, or one for a delivery
    not made by e-mail is a 403 (never a 500); a good one shows a page on GET and records
    01 only on POST."""
    service, client = embedded_service, embedded_client
    delivery = await _email_delivery(service)
    later = int(time.time()) + 3600
    base = f"/v1/deliveries/{delivery.id}/confirm"
    good = f"{base}?expires={later}&sig={confirm_signature(service.secret, delivery.id, later)}"
    assert (await client.get(f"{base}?expires={later}&sig=%E1%BB%85")).status_code == 403
    assert (await client.get("/v1/deliveries/x/confirm?expires=1&sig=%E1%BB%85")).status_code \
        == 403
    past = int(time.time()) - 1
    expired = f"{base}?expires={past}&sig={confirm_signature(service.secret, delivery.id, past)}"
    answer = await client.post(expired)
    assert (answer.status_code, answer.json()["code"]) == (403, "link_expired")
    inbox = await _email_delivery(service, channel="inbox")
    signed = confirm_signature(service.secret, inbox.id, later)
    answer = await client.post(f"/v1/deliveries/{inbox.id}/confirm?expires={later}&sig={signed}")
    assert (answer.status_code, answer.json()["code"]) == (403, "not_an_email_delivery")
    page = await client.get(good)
    assert page.status_code == 200 and 'method="post"' in page.text
    async with service.sessions() as session:
        assert (await session.get(Delivery, delivery.id)).receipt is None  # type: ignore[union-attr]
    pressed = await client.post(good)
    assert (pressed.status_code, pressed.json()["receipt"]) == (200, "01")
