"""The replay in the browser: upload a new rule set (and, if it changed, a directory), see per
document who would be added or removed and why; an admin may then backfill the additions."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

import rules
from audit.replays import replay
from docroute.api.deps import ServiceDep
from docroute.intake import decode_text
from docroute.people import SignedIn
from docroute.web.pages import PageRoute, render
from docroute.web.signin import Me, allow, check_csrf
from foundation.errors import ClerkError
from foundation.models import Role
from rules.ruleset import RuleSetError, ruleset_from_text

pages = APIRouter(route_class=PageRoute, include_in_schema=False)


@pages.get("/kiem-tra/phat-lai")
async def replay_form(request: Request, me: Me) -> Response:
    """Choose the new rule set (and directory) and the first date to replay from."""
    allow(me, Role.AUDITOR)
    return render(request, "replay.html", result=None, rules_yaml="", directory_yaml="",
                  since="")


async def _text_of(form_value: object, pasted: str, what: str) -> str:
    if isinstance(form_value, UploadFile) and form_value.filename:
        return decode_text(await form_value.read(), what)
    return pasted


def _directory(text: str, in_force: rules.Directory) -> rules.Directory:
    if not text.strip():
        return in_force
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "directory.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return rules.load_directory(path)
        except rules.DirectoryError as error:
            raise ClerkError(422, "bad_directory", "Danh bạ tải lên có lỗi: "
                             + "; ".join(error.problems)) from error


@pages.post("/kiem-tra/phat-lai")
async def run_replay(request: Request, me: Me, service: ServiceDep) -> Response:
    """Replay (and, for an admin who asked, backfill) over documents dated since the date."""
    allow(me, Role.AUDITOR)
    form = await request.form()
    check_csrf(me, str(form.get("csrf", "")))
    rules_yaml = await _text_of(
        form.get("rules_file"), str(form.get("rules_yaml", "")), "Tệp quy tắc"
    )
    directory_yaml = await _text_of(
        form.get("directory_file"), str(form.get("directory_yaml", "")), "Tệp danh bạ"
    )
    since_text = str(form.get("since", ""))
    backfill = form.get("backfill") == "1"
    context: dict[str, Any] = {
        "rules_yaml": rules_yaml, "directory_yaml": directory_yaml, "since": since_text
    }
    try:
        result = await _replay(me, service, rules_yaml, directory_yaml, since_text, backfill)
    except ClerkError as error:
        return render(request, "replay.html", error.status, result=None, message=error.message,
                      **context)
    return render(request, "replay.html", result=result, backfilled=backfill, **context)


async def _replay(
    me: SignedIn, service: ServiceDep, rules_yaml: str, directory_yaml: str, since_text: str,
    backfill: bool,
) -> dict[str, object]:
    if backfill and me.role != Role.ADMIN:
        raise ClerkError(403, "forbidden", "Chỉ quản trị viên mới được bổ sung chuyển phát.")
    if not rules_yaml.strip():
        raise ClerkError(422, "no_rules", "Hãy chọn tệp bộ quy tắc mới (.yaml) hoặc dán nội dung.")
    try:
        since = dt.date.fromisoformat(since_text)
    except ValueError:
        raise ClerkError(422, "bad_date", "Hãy chọn ngày bắt đầu phát lại.") from None
    try:
        ruleset = ruleset_from_text(rules_yaml, "rules.yaml")
    except RuleSetError as error:
        problems = "; ".join(error.problems)
        raise ClerkError(422, "bad_rules", f"Bộ quy tắc có lỗi: {problems}") from error
    result = await replay(
        service.sessions, ruleset,
        _directory(directory_yaml, (await service.routing_now()).directory), since,
        backfill=backfill, actor=f"{me.username} ({me.name})",
    )
    if backfill:
        service.relay.nudge()
    return result.to_json()
