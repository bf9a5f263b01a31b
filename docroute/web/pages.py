"""Rendering the web interface's pages: the Jinja2 environment, Vietnam time, error pages."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from docroute.web.vietnam_time import vn_date, vn_time
from docroute.web.wording import Wording
from foundation.errors import ClerkError
from rules import default_ruleset
from rules.outcomes import UNREAD, Outcome

HERE = Path(__file__).parent
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

# A delivery's history in the clerk's words: what each event kind is, and what became of a
# notice (a reminder, an escalation, a clerk's one-click reminder `manual-N`, a recall notice
# `recall-N`, N the position in the history of what asked for it).
EVENT_KINDS = {
    "reminder": "Nhắc xác nhận đã nhận",
    "manual": "Lời nhắc do văn thư nơi gửi bấm",
    "escalation": "Báo cấp trên vì quá hạn chưa xác nhận",
    "recall": "Thông báo đề nghị trả lại văn bản",
}
NOTICE_VALUES = {
    "planned": "đã lên lịch", "sent": "đã gửi",
    "given_up": "không gửi được sau nhiều lần thử, đã dừng",
}
RECALL_LABELS = {"13": "Đề nghị thu hồi (trả lại) văn bản", "15": "Đồng ý trả lại văn bản",
                 "16": "Từ chối trả lại văn bản"}
NOTICE_NOTE = re.compile(
    r"^(?:reminder|escalation|manual-\d+|recall-\d+) "
    r"(posted to|mailed to|shown in the inbox of) (.+)$")
NOTE_WORDS = {"posted to": "gửi tới", "mailed to": "gửi thư tới",
              "shown in the inbox of": "hiện trong hộp thư của"}


def _notice_kind(kind: str) -> str | None:
    """'reminder', 'manual', 'escalation' or 'recall' for a notice's events, else None."""
    base, _, position = kind.partition("-")
    if kind in ("reminder", "escalation") or (base in ("manual", "recall") and
                                              position.isdigit()):
        return base
    return None


def event_label(kind: str, value: str) -> str:
    """What a history event says to a clerk (the raw kind and value when unknown)."""
    if kind == "receipt":
        return f"{RECEIPT_LABELS.get(value, value)} ({value})"
    if kind == "state":
        return STATE_LABELS.get(value, value)
    if kind == "recall" and value in RECALL_LABELS:
        return f"{RECALL_LABELS[value]} ({value})"
    if kind == "update":
        return "Văn bản được cập nhật"
    if kind == "retry":
        return "Gửi lại sau lỗi tạm thời"
    if kind == "reminder" and value == "requested":
        return "Văn thư nơi gửi yêu cầu nhắc ngay"
    notice = _notice_kind(kind)
    if notice is not None:
        return f"{EVENT_KINDS[notice]}: {NOTICE_VALUES.get(value, value)}"
    return f"{kind}: {value}"


def event_note(kind: str, value: str, note: str | None) -> str | None:
    """The event's note for a clerk: a notice's note without its raw kind ('recall-7 posted
    to URL' is 'gửi tới URL'); a one-click request's own kind (`manual-N`) not shown."""
    if not note or (kind == "reminder" and value == "requested" and
                    _notice_kind(note) == "manual"):
        return None
    found = NOTICE_NOTE.match(note) if _notice_kind(kind) else None
    if found is None:
        return note
    return f"{NOTE_WORDS[found.group(1)]} {found.group(2)}"


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
    # Setting an agency's channel (the admin page).
    "private_webhook": "Không lưu: địa chỉ này thuộc mạng nội bộ (loopback như 127.0.0.1, "
    "link-local như 169.254.169.254, hoặc mạng riêng như 10.x, 192.168.x); docroute chỉ gửi "
    "webhook và gói edXML tới địa chỉ công khai. Hãy nhập địa chỉ công khai của hệ thống "
    "cơ quan.",
    "bad_webhook": "Không lưu: địa chỉ phải là URL http:// hoặc https:// tới một máy tra được "
    "tên (DNS).",
    "bad_email": "Không lưu: kênh e-mail cần một địa chỉ thư như vanthu@snv.example.",
    "bad_edxml_target": "Không lưu: kênh edxml nhận 'hub' (trục liên thông của hệ thống) hoặc "
    "URL http(s) của hệ thống cơ quan.",
}


def said(error: ClerkError) -> str:
    """The sentence a person reads for an error: Vietnamese when known, the detail after it."""
    known = SAID.get(error.code)
    return f"{known} ({error.message})" if known and known != error.message else error.message


@pass_context
def in_vietnamese(context: Context, text: str | None) -> str:
    """A reason of the engine's, in Vietnamese (`Wording`; the page's rule sets)."""
    wording = context.get("wording")
    return (wording if isinstance(wording, Wording) else _default_wording()).say(text)


@functools.cache
def _default_wording() -> Wording:
    return Wording([default_ruleset()])


def _wording(request: Request) -> Wording:
    """The wording with the rule sets this process knows: the files' and those loaded since
    (a rule set activated later may describe its rules in Vietnamese too)."""
    service = getattr(request.app.state, "service", None)
    return Wording(service.data.rulesets()) if service is not None else _default_wording()


templates.env.filters["tieng_viet"] = in_vietnamese
templates.env.filters["vn_time"] = vn_time
templates.env.filters["vn_date"] = vn_date
templates.env.globals.update(
    receipt_labels=RECEIPT_LABELS,
    state_labels=STATE_LABELS,
    outcome_labels=OUTCOME_LABELS,
    role_labels=ROLE_LABELS,
    event_label=event_label,
    event_note=event_note,
)


def render(
    request: Request, name: str, status_code: int = 200, **context: Any
) -> Response:
    """The template with the signed-in person (if any) in its context."""
    context.setdefault("me", getattr(request.state, "me", None))
    context.setdefault("wording", _wording(request))
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
