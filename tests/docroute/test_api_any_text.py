"""Whatever text a clerk submits, the API answers 2xx or a 4xx with a message, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docroute.service import Service

RECIPIENT_LINES = st.sampled_from([
    "Nơi nhận:", "Kính gửi:", "- Như trên;", "- Sở Nội vụ;", "- Lưu: VT.", "- UBND các xã;",
    "Số: 12/TB-UBND", "Khánh Hòa, ngày 31 tháng 2 năm 2024", "", "(VBĐT)",
])
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(RECIPIENT_LINES, st.text(max_size=40)), max_size=15).map("\n".join),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
async def test_any_text_gets_an_answer_not_a_crash(
    embedded_service: Service, embedded_client: httpx.AsyncClient, sender_headers: Any,
    text: str,
) -> None:
    """Random and recipient-like texts are accepted, or refused with a 422 and a message."""
    for dry_run in ("false", "true"):
        response = await embedded_client.post(
            f"/v1/documents?dry_run={dry_run}", json={"text": text}, headers=sender_headers
        )
        assert response.status_code in (200, 202, 422), response.text
        if response.status_code == 422:
            assert response.json()["detail"]
