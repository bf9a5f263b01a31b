"""Who is signed in: the session cookie, role checks, and the CSRF token every form carries."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from docroute.api.deps import ServiceDep
from docroute.people import SignedIn, find_session
from foundation.errors import ClerkError
from foundation.models import Role

SESSION_COOKIE = "dr_session"
LOGIN_CSRF_COOKIE = "dr_login_csrf"


class NotSignedInError(Exception):
    """Raised for a page that needs a signed-in person when nobody is; redirects to /login."""


async def signed_in(request: Request, service: ServiceDep) -> SignedIn:
    """The person of the session cookie, or a redirect to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedInError
    async with service.sessions() as session:
        me = await find_session(session, token)
    if me is None:
        raise NotSignedInError
    request.state.me = me
    return me


Me = Annotated[SignedIn, Depends(signed_in)]


def allow(me: SignedIn, *roles: Role) -> None:
    """403 with a sentence unless the person has one of the roles (admins pass)."""
    if me.role != Role.ADMIN and me.role not in roles:
        raise ClerkError(
            403,
            "forbidden",
            "Tài khoản của bạn không có quyền mở trang này; hãy quay lại trang chủ.",
        )


def check_csrf(me: SignedIn, sent: str | None) -> None:
    """403 unless the form carried the session's CSRF token."""
    if not sent or not secrets.compare_digest(sent, me.csrf_token):
        raise ClerkError(
            403, "csrf", "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang rồi thử lại."
        )


def secure_cookies(request: Request, always: bool) -> bool:
    """Secure cookies over HTTPS (uvicorn applies X-Forwarded-Proto from a trusted proxy)."""
    return always or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, always: bool,
               max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Lax cookie, Secure behind HTTPS."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax",
        secure=secure_cookies(request, always), path="/",
    )
