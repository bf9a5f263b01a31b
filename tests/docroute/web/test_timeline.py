"""A delivery's history in the clerk's words: one-click reminders (`manual-N`), recall notices
(`recall-N`), recall requests and answers (13 / 15 / 16) are shown with Vietnamese labels on
the sender's document page and the audit's, never as raw kinds."""

from __future__ import annotations

import re

import pytest

from audit.reminders import send_pending
from docroute import revisions
from docroute.service import Service
from docroute.web.pages import event_label, event_note
from foundation.database import transaction
from foundation.models import Role
from foundation.models.clock import utcnow
from tests.audit.conftest import add_delivery, add_document
from tests.docroute.web.in_process import csrf_of, signed_in

RAW = re.compile(r"\b(?:manual|recall)-\d+|: sent\b|: given_up\b|: planned\b")


@pytest.mark.parametrize(("kind", "value", "said"), [
    ("manual-4", "sent", "Lời nhắc do văn thư nơi gửi bấm: đã gửi"),
    ("recall-7", "sent", "Thông báo đề nghị trả lại văn bản: đã gửi"),
    ("recall-7", "given_up", "Thông báo đề nghị trả lại văn bản: không gửi được sau nhiều lần "
                             "thử, đã dừng"),
    ("reminder", "planned", "Nhắc xác nhận đã nhận: đã lên lịch"),
    ("reminder", "requested", "Văn thư nơi gửi yêu cầu nhắc ngay"),
    ("escalation", "sent", "Báo cấp trên vì quá hạn chưa xác nhận: đã gửi"),
    ("recall", "13", "Đề nghị thu hồi (trả lại) văn bản (13)"),
    ("recall", "15", "Đồng ý trả lại văn bản (15)"),
    ("recall", "16", "Từ chối trả lại văn bản (16)"),
    ("receipt", "03", "Đã tiếp nhận (03)"),
    ("update", "2", "Văn bản được cập nhật"),
    ("something-new", "x", "something-new: x"),  # unknown kinds stay readable as they are
    ("recall-x", "sent", "recall-x: sent"),
])
def test_each_event_kind_has_its_label(kind: str, value: str, said: str) -> None:
    assert event_label(kind, value) == said


def test_notice_notes_lose_their_raw_kind() -> None:
    """'recall-7 posted to URL (200)' reads 'gửi tới URL (200)'; a one-click request's note
    (its `manual-N`) is not shown; other notes are kept as written."""
    assert event_note("recall-7", "sent", "recall-7 posted to https://x.vn/h (200)") == (
        "gửi tới https://x.vn/h (200)")
    assert event_note("manual-4", "sent", "manual-4 shown in the inbox of kh.so-y-te") == (
        "hiện trong hộp thư của kh.so-y-te")
    assert event_note("escalation", "sent", "escalation mailed to a@b.vn") == (
        "gửi thư tới a@b.vn")
    assert event_note("reminder", "requested", "manual-4") is None
    assert event_note("recall", "13", "Sai số liệu") == "Sai số liệu"
    assert event_note("manual-4", "given_up", "6 attempts failed; last: x") == (
        "6 attempts failed; last: x")


async def test_the_document_pages_show_reminders_and_recalls_in_words(
    embedded_service: Service,
) -> None:
    """A one-click reminder posted through the sender's page and a recall (its notice sent by
    the reminder pass): the sender's page and the audit's page label both, with no raw
    `manual-N` / `recall-N` / `sent` left."""
    service = embedded_service
    document = await add_document(service.sessions)
    delivery = await add_delivery(service.sessions, document, "kh.so-noi-vu")
    async with signed_in(service, "van-thu", Role.SENDER, "kh.ubnd-tinh") as sender:
        page = f"/gui/van-ban/{document.id}"
        token = csrf_of((await sender.get(page)).text)
        clicked = await sender.post(f"{page}/nhac/{delivery.id}", data={"csrf": token})
        assert clicked.status_code == 303 and "da-nhac=" in clicked.headers["location"]
        async with transaction(service.sessions) as session:
            await revisions.recall(session, document.id, "Sai số liệu", "van-thu",
                                   service.routing)
        assert await send_pending(service.sessions, service.notices, utcnow()) == (1, 0)
        shown = (await sender.get(page)).text
    async with signed_in(service, "kiem-tra", Role.AUDITOR) as auditor:
        audited = (await auditor.get(f"/kiem-tra/van-ban/{document.id}")).text
    for text in (shown, audited):
        timeline = text[text.index('<ol class="timeline">'):]
        assert "Văn thư nơi gửi yêu cầu nhắc ngay" in timeline
        assert "Lời nhắc do văn thư nơi gửi bấm: đã gửi" in timeline
        assert "Đề nghị thu hồi (trả lại) văn bản (13)" in timeline and "Sai số liệu" in timeline
        assert "Thông báo đề nghị trả lại văn bản: đã gửi" in timeline
        assert "hiện trong hộp thư của kh.so-noi-vu" in timeline
        assert not RAW.search(timeline), RAW.search(timeline)
