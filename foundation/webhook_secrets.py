"""Each agency's webhook secret: issued when its webhook channel (or its `edxml URL` channel,
whose packets are signed as webhooks are) is set, rotated by an admin with an overlap during
which the old and the new secret both sign (Standard Webhooks carries several space-separated
`v1,` signatures), so the agency switches without losing a delivery.

A secret is HMAC's shared key: stored as it is (the workers sign with it), held as a
SecretStr in code, shown once to the admin and never in a listing or a log.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Protocol

from pydantic import SecretStr
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.channels import posted_to
from foundation.errors import ClerkError
from foundation.models import AgencyChannel
from foundation.models.clock import utcnow

PREFIX = "whsec_"


class Secrets(Protocol):
    """What signing needs of an agency's channel: an `AgencyChannel` row, or a read of its
    columns (the delivery worker's)."""

    @property
    def secret(self) -> SecretStr | None:
        """The agency's own secret, if it has one."""

    @property
    def previous_secret(self) -> SecretStr | None:
        """The secret before the last rotation."""

    @property
    def previous_until(self) -> dt.datetime | None:
        """Until when the previous secret signs too."""


def new_secret() -> str:
    """A fresh secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks writes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def issue_if_missing(row: AgencyChannel) -> str | None:
    """Give a channel POSTed to (`foundation.channels.posted_to`) its own secret if it has
    none; the new secret (to show once), or None when it already had one (`rotate` replaces
    it)."""
    if not posted_to(row.kind, row.target) or row.secret is not None:
        return None
    fresh = new_secret()
    row.secret = SecretStr(fresh)
    return fresh


async def rotate(
    session: AsyncSession, agency_id: str, overlap: dt.timedelta, now: dt.datetime | None = None
) -> tuple[AgencyChannel, str]:
    """A new secret for the agency's webhook or edXML URL; the one before signs too for
    `overlap`."""
    row = await session.get(AgencyChannel, agency_id)
    if row is None or not posted_to(row.kind, row.target):
        raise ClerkError(409, "not_a_webhook", f"{agency_id} has no webhook or edXML URL "
                         "channel: set one first (its secret is issued then).")
    fresh = new_secret()
    row.previous_secret, row.secret = row.secret, SecretStr(fresh)
    row.previous_until = (now or utcnow()) + overlap
    row.updated_at = now or utcnow()
    session.add(row)
    return row, fresh


def signing_keys(row: Secrets, deployment: str, now: dt.datetime | None = None) -> list[str]:
    """The secrets a POST to this agency is signed with: its own (else the deployment's),
    then the previous one while the rotation's overlap lasts."""
    keys = [row.secret.get_secret_value() if row.secret else deployment]
    until = row.previous_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC back
    if until is not None and until > (now or utcnow()):
        keys.append(row.previous_secret.get_secret_value() if row.previous_secret
                    else deployment)
    return list(dict.fromkeys(keys))
