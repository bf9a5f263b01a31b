"""The auditors' dashboard: missed, late, unconfirmed and rejected deliveries week by week, a
sortable scorecard per agency with its trend, and a drill-down from any figure to its
deliveries, exported as CSV or Excel."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, fields
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from audit import reports
from docroute.api.deps import SessionDep
from docroute.web.charts import stacked_bars
from docroute.web.exports import csv_file, xlsx_file
from docroute.web.pages import PageRoute, render
from docroute.web.signin import Me, allow
from docroute.web.vietnam_time import VIETNAM, vn_time
from foundation.errors import ClerkError
from foundation.models import Role
from foundation.models.clock import utcnow

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
WEEKS = 12
PAGE = 50
FINDINGS = {
    "not_delivered": "Không chuyển được",
    "unconfirmed": "Quá hạn chưa xác nhận",
    "late": "Xác nhận trễ",
    "rejected": "Bị từ chối",
}
COLOURS = {"not_delivered": "#a61b1b", "unconfirmed": "#e07b00", "late": "#c9b200",
           "rejected": "#5b6575"}
SCORE_COLUMNS = {f.name for f in fields(reports.Score)}


def _week_start(moment: str | None) -> dt.date | None:
    if not moment:
        return None
    local = dt.datetime.fromisoformat(moment).astimezone(VIETNAM).date()
    return local - dt.timedelta(days=local.weekday())


async def _all_findings(session: SessionDep) -> list[reports.MissedRow]:
    # The delivery findings the pages chart (each row names an agency).
    shown = frozenset(reports.Finding(f) for f in FINDINGS)
    query = reports.MissedQuery(now=utcnow(), findings=shown, limit=100_000)
    return await reports.missed(session, query)


@pages.get("/kiem-tra")
async def dashboard(
    request: Request, me: Me, session: SessionDep, sap: str = "missing", giam: bool = True
) -> Response:
    """Figures over time, and the scorecard."""
    allow(me, Role.AUDITOR)
    rows = await _all_findings(session)
    today = dt.datetime.now(VIETNAM).date()
    first = today - dt.timedelta(days=today.weekday(), weeks=WEEKS - 1)
    weeks = [first + dt.timedelta(weeks=i) for i in range(WEEKS)]
    counted = Counter((_week_start(r.due_at), str(r.finding)) for r in rows)
    series = {f: [counted[(w, f)] for w in weeks] for f in FINDINGS}
    links = [
        {f: f"/kiem-tra/chi-tiet?loai={f}&tu={w}&den={w + dt.timedelta(days=6)}" for f in FINDINGS}
        for w in weeks
    ]
    chart = stacked_bars([w.strftime("%d/%m") for w in weeks], series, COLOURS, FINDINGS, links,
                         "Số chuyển phát có vấn đề theo tuần (tuần bắt đầu ngày)")
    totals = Counter(r.finding for r in rows)
    if sap not in SCORE_COLUMNS:
        sap = "missing"
    scores = sorted(await reports.scorecard(session, utcnow()),
                    key=lambda s: getattr(s, sap), reverse=giam)
    return render(
        request, "dashboard.html", chart=chart, totals=totals, findings=FINDINGS,
        scores=scores, trends=_trends(rows, today), sap=sap, giam=giam,
    )


def _trends(rows: list[reports.MissedRow], today: dt.date) -> dict[str, str]:
    """Per agency: more (↑), fewer (↓) or as many (→) findings in the last 4 weeks as the 4
    before them."""
    recent, before = Counter[str](), Counter[str]()
    for row in rows:
        week = _week_start(row.due_at)
        if week is None or row.agency_id is None:
            continue
        age = (today - week).days
        if age < 28:
            recent[row.agency_id] += 1
        elif age < 56:
            before[row.agency_id] += 1
    agencies = set(recent) | set(before)
    return {
        a: "↑ xấu đi" if recent[a] > before[a] else ("↓ tốt lên" if recent[a] < before[a] else "→")
        for a in agencies
    }


def _query(loai: str | None, agency: str | None, since: dt.date | None, until: dt.date | None,
           page: int) -> reports.MissedQuery:
    try:
        findings = reports.parse_findings(loai)
    except ValueError as error:
        raise ClerkError(422, "bad_state", f"Loại vấn đề không hợp lệ ({error}).") from None
    return reports.MissedQuery(
        now=utcnow(), findings=findings, agency=agency or None, since=since, until=until,
        limit=PAGE if page else 100_000, offset=max(page - 1, 0) * PAGE,
    )


@pages.get("/kiem-tra/chi-tiet")
async def drill_down(
    request: Request,
    me: Me,
    session: SessionDep,
    loai: str | None = None,
    co_quan: str | None = None,
    tu: Annotated[dt.date | None, Query()] = None,
    den: Annotated[dt.date | None, Query()] = None,
    trang: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The deliveries behind a figure: by finding, agency and the week of their deadline."""
    allow(me, Role.AUDITOR)
    rows = await reports.missed(session, _query(loai, co_quan, None, None, trang))
    rows = [r for r in rows if _in_range(r, tu, den)]
    return render(
        request, "drill_down.html", rows=rows, findings=FINDINGS, loai=loai or "",
        co_quan=co_quan or "", tu=tu, den=den, page=trang, pages=trang + (len(rows) == PAGE),
    )


def _in_range(row: reports.MissedRow, since: dt.date | None, until: dt.date | None) -> bool:
    # The report filters by document date; the chart counts by deadline week, so the drill-down
    # selects by deadline too (what the bar showed is what the list shows).
    week_day = _week_start(row.due_at)
    if since is None and until is None:
        return True
    if week_day is None or row.due_at is None:
        return False
    day = dt.datetime.fromisoformat(row.due_at).astimezone(VIETNAM).date()
    return (since is None or day >= since) and (until is None or day <= until)


HEADERS = ["Vấn đề", "Số văn bản", "Ngày văn bản", "Nơi gửi", "Mã cơ quan", "Cơ quan nhận",
           "Trạng thái", "Mã trạng thái", "Hạn xác nhận", "Xác nhận lúc", "Lỗi", "Mã chuyển phát"]


def _export_rows(rows: list[reports.MissedRow]) -> list[list[Any]]:
    return [
        [FINDINGS.get(r.finding, r.finding), r.document_number, r.document_date, r.sender,
         r.agency_id, r.agency_name, r.state, r.receipt, vn_time(r.due_at),
         vn_time(r.confirmed_at), r.failure, r.delivery_id]
        for r in rows
    ]


@pages.get("/kiem-tra/xuat/{name}.{suffix}")
async def export(
    me: Me, session: SessionDep, name: str, suffix: str,
    loai: str | None = None, co_quan: str | None = None,
    tu: Annotated[dt.date | None, Query()] = None,
    den: Annotated[dt.date | None, Query()] = None,
) -> Response:
    """`chi-tiet` (the drill-down's rows) or `bang-diem` (the scorecard), as .csv or .xlsx."""
    allow(me, Role.AUDITOR)
    if suffix not in ("csv", "xlsx") or name not in ("chi-tiet", "bang-diem"):
        raise ClerkError(404, "no_export", "Không có tệp xuất này; hãy bấm nút xuất trên trang.")
    if name == "bang-diem":
        scores = await reports.scorecard(session, utcnow())
        headers = ["Mã cơ quan", "Cơ quan", "Đã nhận", "Xác nhận đúng hạn", "Xác nhận trễ",
                   "Từ chối", "Thiếu"]
        table = [list(asdict(s).values()) for s in scores]
    else:
        rows = await reports.missed(session, _query(loai, co_quan, None, None, 0))
        headers, table = HEADERS, _export_rows([r for r in rows if _in_range(r, tu, den)])
    maker = csv_file if suffix == "csv" else xlsx_file
    return maker(name, headers, table)
