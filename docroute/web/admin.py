"""Admin pages: people (add, unlock, disable, reset a password), API tokens (issue, revoke),
agency channels, and browsing the directory and the rule set in force. Each change is
recorded with the admin who made it (`admin_action`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from docroute import people
from docroute.api.deps import ServiceDep, SessionDep
from docroute.people import SignedIn
from docroute.service import Service
from docroute.web.decisions import agency_label, find_agency
from docroute.web.pages import PageRoute, render, said
from docroute.web.signin import Me, allow, check_csrf
from foundation.channels import check_posted_target, set_channel
from foundation.database import transaction
from foundation.errors import ClerkError
from foundation.models import (
    AdminAction,
    AgencyChannel,
    ApiToken,
    ChannelKind,
    Person,
    Role,
    WebSession,
)
from foundation.models.clock import utcnow
from foundation.tokens import issue_token
from foundation.webhook_secrets import issue_if_missing

pages = APIRouter(route_class=PageRoute, include_in_schema=False)


def _record(session: AsyncSession, me: SignedIn, action: str, detail: str) -> None:
    session.add(AdminAction(person_id=me.person_id, actor=f"{me.username} ({me.name})",
                            action=action, detail=detail[:1000]))


def _admin(me: SignedIn, csrf: str | None = None) -> None:
    allow(me)  # no role but admin passes
    if csrf is not None:
        check_csrf(me, csrf)


async def _choices(service: Service, session: AsyncSession) -> list[str]:
    """The agencies a person, token or channel may belong to: those of the directory in force
    (an activated snapshot's, else the files'), so one a snapshot added can be chosen."""
    return _labels((await service.routing_now(session)).directory)


def _labels(directory: rules.Directory) -> list[str]:
    return sorted(agency_label(a) for a in directory.agencies.values())


async def _chosen(service: Service, agency: str) -> rules.Agency | None:
    """The agency an admin typed or picked, found in the directory in force."""
    return find_agency((await service.routing_now()).directory, agency)


@pages.get("/quan-tri")
async def overview(request: Request, me: Me, session: SessionDep) -> Response:
    """What there is to administer, and the latest admin actions."""
    _admin(me)
    actions = (await session.exec(
        select(AdminAction).order_by(col(AdminAction.id).desc()).limit(30)
    )).all()
    return render(request, "admin.html", actions=actions)


@pages.get("/quan-tri/nguoi-dung")
async def people_page(request: Request, me: Me, session: SessionDep, service: ServiceDep,
                      message: str | None = None, status: int = 200) -> Response:
    """Every account, and the form to add one."""
    _admin(me)
    accounts = (await session.exec(select(Person).order_by(Person.username))).all()
    choices = await _choices(service, session)
    return render(request, "admin_people.html", status, accounts=accounts, roles=list(Role),
                  choices=choices, message=message, now=utcnow())


@pages.post("/quan-tri/nguoi-dung")
async def add_person(
    request: Request, me: Me, service: ServiceDep, username: str = Form(""),
    name: str = Form(""), role: str = Form(""), agency: str = Form(""),
    password: str = Form(""), csrf: str = Form(""),
) -> Response:
    """Create an account."""
    _admin(me, csrf)
    try:
        chosen = await _chosen(service, agency) if agency.strip() else None
        if agency.strip() and chosen is None:
            raise ClerkError(422, "unknown_agency",
                             f"Không tìm thấy cơ quan '{agency}'; hãy chọn trong danh sách.")
        if not username.strip() or not name.strip():
            raise ClerkError(422, "missing", "Hãy nhập tên đăng nhập và họ tên.")
        async with transaction(service.sessions) as session:
            await people.add_person(session, username.strip(), name.strip(), Role(role),
                                    chosen.id if chosen else None, password)
            where = chosen.id if chosen else "-"
            _record(session, me, "add_person", f"{username} ({role}, {where})")
    except (ClerkError, ValueError) as error:
        message = error.message if isinstance(error, ClerkError) else "Vai trò không hợp lệ."
        async with service.sessions() as session:
            return await people_page(request, me, session, service, message, 422)
    return RedirectResponse("/quan-tri/nguoi-dung", status_code=303)


@pages.post("/quan-tri/nguoi-dung/{person_id}/{action}")
async def change_person(
    me: Me, service: ServiceDep, person_id: int, action: str,
    csrf: str = Form(""), password: str = Form(""),
) -> Response:
    """Unlock, disable, enable, or set a new password (which ends the person's sessions)."""
    _admin(me, csrf)
    async with transaction(service.sessions) as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise ClerkError(404, "no_person", "Không có tài khoản này.")
        if action == "mo-khoa":
            person.locked_until, person.failed_logins = None, 0
        elif action == "vo-hieu":
            person.disabled_at = utcnow()
        elif action == "kich-hoat":
            person.disabled_at = None
        elif action == "dat-mat-khau":
            people.check_password_rules(password)
            person.password_hash = people.hash_password(password)
            await session.exec(
                delete(WebSession).where(col(WebSession.person_id) == person_id)
            )
        else:
            raise ClerkError(404, "no_action", "Không có thao tác này.")
        session.add(person)
        _record(session, me, action, person.username)
    return RedirectResponse("/quan-tri/nguoi-dung", status_code=303)


@pages.get("/quan-tri/token")
async def tokens_page(request: Request, me: Me, session: SessionDep, service: ServiceDep,
                      issued: str | None = None) -> Response:
    """API tokens for machines: issue (shown once) and revoke."""
    _admin(me)
    tokens = (await session.exec(select(ApiToken).order_by(col(ApiToken.id).desc()))).all()
    choices = await _choices(service, session)
    return render(request, "admin_tokens.html", tokens=tokens, roles=list(Role), issued=issued,
                  choices=choices)


@pages.post("/quan-tri/token")
async def issue(
    request: Request, me: Me, service: ServiceDep, role: str = Form(""),
    agency: str = Form(""), csrf: str = Form(""),
) -> Response:
    """Issue a token and show it once."""
    _admin(me, csrf)
    chosen = await _chosen(service, agency) if agency.strip() else None
    if agency.strip() and chosen is None:
        raise ClerkError(422, "unknown_agency", f"Không tìm thấy cơ quan '{agency}'.")
    try:
        kind = Role(role)
    except ValueError:
        raise ClerkError(422, "bad_role", "Hãy chọn một vai trò.") from None
    async with transaction(service.sessions) as session:
        token = await issue_token(session, kind, chosen.id if chosen else None)
        _record(session, me, "issue_token", f"{role} {chosen.id if chosen else '-'}")
    async with service.sessions() as session:
        return await tokens_page(request, me, session, service, issued=token)


@pages.post("/quan-tri/token/{token_id}/thu-hoi")
async def revoke(me: Me, service: ServiceDep, token_id: int, csrf: str = Form("")) -> Response:
    """Revoke a token: it stops working at once."""
    _admin(me, csrf)
    async with transaction(service.sessions) as session:
        row = await session.get(ApiToken, token_id)
        if row is None:
            raise ClerkError(404, "no_token", "Không có token này.")
        row.revoked_at = row.revoked_at or utcnow()
        session.add(row)
        whose = f"{row.role} {row.agency_id or '-'}"
        _record(session, me, "revoke_token", f"token {token_id} ({whose})")
    return RedirectResponse("/quan-tri/token", status_code=303)


@pages.get("/quan-tri/kenh")
async def channels_page(request: Request, me: Me, session: SessionDep, service: ServiceDep,
                        message: str | None = None, status: int = 200) -> Response:
    """How each agency receives documents (inbox unless set)."""
    _admin(me)
    rows = (await session.exec(select(AgencyChannel).order_by(AgencyChannel.agency_id))).all()
    directory = (await service.routing_now(session)).directory
    choices = _labels(directory)
    names = {a.id: a.name for a in directory.agencies.values()}
    return render(request, "admin_channels.html", status, rows=rows, choices=choices,
                  names=names, kinds=list(ChannelKind), message=message)


@pages.post("/quan-tri/kenh")
async def change_channel(
    request: Request, me: Me, service: ServiceDep, agency: str = Form(""),
    kind: str = Form(""), target: str = Form(""), csrf: str = Form(""),
) -> Response:
    """Set an agency's channel; a webhook or edXML URL on an internal address is refused as
    `agencies set-channel` refuses it (`check_posted_target`)."""
    _admin(me, csrf)
    chosen = await _chosen(service, agency)
    where = target.strip() or None
    try:
        if chosen is None:
            raise ClerkError(422, "unknown_agency", f"Không tìm thấy cơ quan '{agency}'.")
        channel = ChannelKind(kind)
        await asyncio.to_thread(check_posted_target, channel, where,
                                allow_private=service.settings.allow_private_webhooks)
        async with transaction(service.sessions) as session:
            row = await set_channel(session, chosen.id, channel, where)
            secret = issue_if_missing(row)
            _record(session, me, "set_channel", f"{chosen.id}: {kind} {target}")
    except (ClerkError, ValueError) as error:
        message = said(error) if isinstance(error, ClerkError) else "Kênh không hợp lệ."
        async with service.sessions() as session:
            return await channels_page(request, me, session, service, message, 422)
    if secret is not None:  # shown this once, on the page that answers the form
        async with service.sessions() as session:
            return await channels_page(request, me, session, service,
                                       f"Khóa bí mật webhook của {chosen.id} (chỉ hiện một lần, "
                                       f"gửi cho cơ quan): {secret}")
    return RedirectResponse("/quan-tri/kenh", status_code=303)


@pages.get("/quan-tri/danh-ba")
async def directory_page(request: Request, me: Me, session: SessionDep, service: ServiceDep,
                         q: str = "") -> Response:
    """The agency directory in force, searchable, with validity dates and sources."""
    allow(me, Role.AUDITOR)
    directory = (await service.routing_now(session)).directory
    wanted = q.strip().lower()
    agencies = [a for a in directory.agencies.values()
                if not wanted or wanted in a.name.lower() or wanted in a.id.lower()]
    return render(request, "admin_directory.html", directory=directory, agencies=agencies[:500],
                  total=len(agencies), q=q)


@pages.get("/quan-tri/quy-tac")
async def ruleset_page(request: Request, me: Me, session: SessionDep,
                       service: ServiceDep) -> Response:
    """The rule set in force: version, policy flags, each rule's phrases and selection."""
    allow(me, Role.AUDITOR)
    ruleset = (await service.routing_now(session)).ruleset
    rules_view: list[dict[str, Any]] = [
        {"id": r.id, "category": r.category, "action": r.action, "phrases": r.phrases,
         "select": r.select, "description": r.description_vi or r.description}
        for r in ruleset.rules
    ]
    return render(request, "admin_rules.html", ruleset=ruleset, rules=rules_view)
