"""Signing in and out, changing one's password, and the home page that leads by role."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from docroute import people
from docroute.api.deps import ServiceDep
from docroute.web.pages import PageRoute, render
from docroute.web.signin import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Me,
    check_csrf,
    set_cookie,
)
from foundation.database import transaction
from foundation.errors import ClerkError
from foundation.models import Role

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
HOME = {
    Role.SENDER: "/gui",
    Role.AGENCY: "/hop-thu",
    Role.AUDITOR: "/kiem-tra",
    Role.ADMIN: "/quan-tri",
}


@pages.get("/")
async def home(me: Me) -> Response:
    """Each role starts on its own page."""
    return RedirectResponse(HOME[me.role], status_code=303)


def _login_page(request: Request, service: ServiceDep, message: str | None = None,
                status: int = 200, username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status, csrf=token, message=message,
                      username=username)
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, service.settings.secure_cookies)
    return response


@pages.get("/login")
async def login_form(request: Request, service: ServiceDep) -> Response:
    """The sign-in form (with a CSRF token of its own, since there is no session yet)."""
    return _login_page(request, service)


@pages.post("/login")
async def login(
    request: Request,
    service: ServiceDep,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """Check the password (counting failures towards the lock-out) and start a session."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or not expected or not secrets.compare_digest(csrf, expected):
        return _login_page(
            request, service, "Biểu mẫu đăng nhập đã hết hạn; hãy nhập lại.", 403, username
        )
    try:
        person, token = await people.sign_in(
            service.sessions, username.strip(), password, service.settings
        )
    except ClerkError as error:
        return _login_page(request, service, error.message, error.status, username)
    response = RedirectResponse(HOME[Role(person.role)], status_code=303)
    max_age = int(service.settings.session_hours * 3600)
    set_cookie(response, request, SESSION_COOKIE, token, service.settings.secure_cookies, max_age)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@pages.post("/logout")
async def logout(request: Request, me: Me, service: ServiceDep, csrf: str = Form("")) -> Response:
    """End the session."""
    check_csrf(me, csrf)
    async with transaction(service.sessions) as session:
        await people.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/tai-khoan/mat-khau")
async def password_form(request: Request, me: Me) -> Response:
    """The password change form."""
    return render(request, "password.html")


@pages.post("/tai-khoan/mat-khau")
async def change_password(
    request: Request,
    me: Me,
    service: ServiceDep,
    current: str = Form(""),
    new: str = Form(""),
    repeat: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """Change the password; every session of the person ends, so they sign in again."""
    check_csrf(me, csrf)
    if new != repeat:
        return render(request, "password.html", 422,
                      message="Hai lần nhập mật khẩu mới không giống nhau; hãy nhập lại.")
    try:
        async with transaction(service.sessions) as session:
            await people.change_password(session, me.person_id, current, new)
    except ClerkError as error:
        return render(request, "password.html", error.status, message=error.message)
    response = RedirectResponse("/login?doi-mat-khau=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
