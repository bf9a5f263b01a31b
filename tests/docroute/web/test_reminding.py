"""A clerk's one-click reminder while another process's reminder pass holds the lock: it is
recorded at once, the page says it goes with the pass, and it is sent once, by the pass."""

from __future__ import annotations

from sqlmodel import select

from audit.reminders import PASS, send_pending
from docroute.service import Service
from foundation.database import engine_of
from foundation.models import Role
from foundation.models.audit import Reminder
from foundation.models.clock import utcnow
from foundation.singleton import only_one
from tests.audit.conftest import add_delivery, add_document
from tests.docroute.web.in_process import csrf_of, signed_in


async def test_a_reminder_clicked_during_a_pass_is_left_to_the_pass(
    embedded_service: Service,
) -> None:
    service = embedded_service
    document = await add_document(service.sessions)
    delivery = await add_delivery(service.sessions, document, "kh.so-noi-vu")
    async with signed_in(service, "van-thu", Role.SENDER, "kh.ubnd-tinh") as sender:
        page = f"/gui/van-ban/{document.id}"
        token = csrf_of((await sender.get(page)).text)
        async with only_one(engine_of(service.sessions), PASS) as held:
            assert held
            clicked = await sender.post(f"{page}/nhac/{delivery.id}", data={"csrf": token})
        assert clicked.status_code == 303 and "se-nhac=" in clicked.headers["location"]
        shown = (await sender.get(clicked.headers["location"])).text
        assert "lượt nhắc tự động đang chạy hoặc lượt kế tiếp sẽ gửi nó" in shown
        assert "Đã gửi lời nhắc" not in shown
        async with service.sessions() as session:
            (row,) = (await session.exec(select(Reminder))).all()
        assert row.sent_at is None and row.kind.startswith("manual-")
        assert await send_pending(service.sessions, service.notices, utcnow()) == (1, 0)
        assert await send_pending(service.sessions, service.notices, utcnow()) == (0, 0)
