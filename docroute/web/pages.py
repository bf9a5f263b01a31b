"""Rendering the web interface's pages: the Jinja2 environment, Vietnam time, error pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from foundation.errors import ClerkError
from rules.outcomes import UNREAD, Outcome

HERE = Path(__file__).parent
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
templates = Jinja2Templates(directory=HERE / "templates")

RECEIPT_LABELS = {
    "01": "Đã đến",
    "02": "Từ chối",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
}
STATE_LABELS = {"pending": "Đang gửi", "delivered": "Đã chuyển", "failed": "Gửi lỗi"}
OUTCOME_LABELS = {
    Outcome.UNRESOLVED: "Chưa xác định",
    Outcome.RECIPIENTS: "Nơi nhận",
    Outcome.EXCLUDED: "Loại trừ",
    UNREAD: "Chưa đọc được",
}
ROLE_LABELS = {
    "sender": "Văn thư nơi gửi",
    "agency": "Văn thư cơ quan nhận",
    "auditor": "Thanh tra, kiểm tra",
    "admin": "Quản trị",
}


# The service's own errors, said in Vietnamese to a person (the API keeps its English).
SAID = {
    "empty_text": "Văn bản chưa có nội dung; hãy dán toàn văn hoặc chọn tệp.",
    "no_recipients": "Không tìm thấy phần “Nơi nhận:” hoặc “Kính gửi:” nên chưa biết gửi cho ai; "
    "hãy kiểm tra văn bản có đủ phần nơi nhận.",
    "unknown_sender": "Cơ quan gửi của tài khoản không có trong danh bạ; hãy báo quản trị viên.",
    "unsupported_file": "Chỉ đọc được tệp .docx, .pdf hoặc .txt; "
    "hãy chọn tệp khác hoặc dán văn bản.",
    "reason_required": "Từ chối văn bản phải ghi lý do; hãy nhập lý do rồi bấm lại.",
    "already_rejected": "Văn bản này đã bị từ chối nên không đổi trạng thái được nữa.",
    "status_backwards": "Trạng thái mới không được lùi lại so với trạng thái hiện tại.",
    "too_late_to_reject": "Văn bản đã được tiếp nhận nên không thể từ chối nữa.",
    "not_delivered": "Văn bản chưa được chuyển tới nên chưa cập nhật trạng thái được; "
    "hãy thử lại sau.",
}


def said(error: ClerkError) -> str:
    """The sentence a person reads for an error: Vietnamese when known, the detail after it."""
    known = SAID.get(error.code)
    return f"{known} ({error.message})" if known and known != error.message else error.message


def vn_time(value: dt.datetime | str | None) -> str:
    """A moment as clerks write it, in Vietnam time: dd/mm/yyyy HH:MM."""
    if value is None or value == "":
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # every stored time is UTC
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_date(value: dt.date | str | None) -> str:
    """A date as dd/mm/yyyy."""
    if value is None or value == "":
        return ""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


templates.env.filters["vn_time"] = vn_time
templates.env.filters["vn_date"] = vn_date
templates.env.globals.update(
    receipt_labels=RECEIPT_LABELS,
    state_labels=STATE_LABELS,
    outcome_labels=OUTCOME_LABELS,
    role_labels=ROLE_LABELS,
)


def render(
    request: Request, name: str, status_code: int = 200, **context: Any
) -> Response:
    """The template with the signed-in person (if any) in its context."""
    context.setdefault("me", getattr(request.state, "me", None))
    context.setdefault("query", lambda **changes: _query(request, changes))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


# Pages load only their own scripts and styles (htmx injects one <style>), cannot be framed
# (clickjacking a status button), and send no referrer to other sites.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _query(request: Request, changes: dict[str, Any]) -> str:
    values = {**request.query_params, **{k: str(v) for k, v in changes.items()}}
    return urlencode(values)


class PageRoute(APIRoute):
    """A route whose ClerkErrors become an HTML page with the sentence to act on, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except ClerkError as error:
                response = render(
                    request, "error.html", status_code=error.status, message=said(error)
                )
            response.headers.update(PAGE_HEADERS)
            return response

        return page_handler
