"""Admin route for an agency's signing secret (its webhook's, or its edXML URL's): rotate it
(the new secret is in the answer, once; the previous one keeps signing for the overlap). The
path keeps its first name, `webhook-secret`, for the clients already calling it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from docroute.api.deps import CallerDep, ServiceDep, require
from docroute.api.schemas import RotatedSecret, answers
from foundation.database import transaction
from foundation.models import Role
from foundation.webhook_secrets import rotate

api = APIRouter(prefix="/v1/admin/agencies", tags=["admin"])


@api.post("/{agency_id}/webhook-secret/rotate",
          summary="A new webhook or edXML URL secret for an agency, the old one overlapping "
                  "(admin)",
          **answers(RotatedSecret))
async def rotate_secret(
    agency_id: str, caller: CallerDep, service: ServiceDep,
    overlap_hours: Annotated[float, Query(ge=0, le=24 * 30)] = 24.0,
) -> dict[str, Any]:
    """The new `whsec_...` secret (shown this once) and until when the previous one also
    signs; 409 when the agency has no webhook or edXML URL channel."""
    require(caller, Role.ADMIN)
    async with transaction(service.sessions) as session:
        row, secret = await rotate(session, agency_id, dt.timedelta(hours=overlap_hours))
    until = row.previous_until
    return {"agency_id": row.agency_id, "secret": secret,
            "previous_valid_until": until.isoformat() if until else None}
