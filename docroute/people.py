"""People and their sign-in: argon2id password hashes, lock-out after failed attempts,
sessions held in a cookie whose SHA-256 is stored, each with the CSRF token of its forms."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.models import Person, Role, WebSession
from foundation.models.clock import utcnow
from foundation.settings import Settings

_HASHER = PasswordHasher()  # argon2id with the library's maintained defaults
# Verified against when the username is unknown, so both answers take as long.
_DUMMY_HASH = _HASHER.hash("docroute-no-such-user")
MIN_PASSWORD = 10
NEEDS_AGENCY = (Role.SENDER, Role.AGENCY)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a session cookie, and the CSRF token its forms must carry."""

    person_id: int
    username: str
    name: str
    role: Role
    agency_id: str | None
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _HASHER.hash(password)


def check_password_rules(password: str) -> None:
    """422 with what to do when a new password is too weak to accept."""
    if len(password) < MIN_PASSWORD:
        raise ClerkError(
            422,
            "weak_password",
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự; hãy chọn mật khẩu dài hơn.",
        )


async def add_person(
    session: AsyncSession, username: str, name: str, role: Role, agency_id: str | None,
    password: str,
) -> Person:
    """A new account; senders and agency clerks need their agency."""
    if role in NEEDS_AGENCY and not agency_id:
        raise ClerkError(
            422,
            "agency_required",
            f"Tài khoản vai trò {role.value} cần có cơ quan (--agency).",
        )
    check_password_rules(password)
    existing = (await session.exec(select(Person).where(Person.username == username))).first()
    if existing is not None:
        raise ClerkError(
            409,
            "username_taken",
            f"Tên đăng nhập {username!r} đã có; hãy chọn tên khác.",
        )
    person = Person(
        username=username, name=name, role=role, agency_id=agency_id,
        password_hash=_HASHER.hash(password),
    )
    session.add(person)
    await session.flush()
    return person


def _locked_message(until: dt.datetime) -> str:
    minutes = max(1, round((until - utcnow()).total_seconds() / 60))
    return (
        f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; hãy thử lại sau khoảng {minutes} phút "
        "hoặc nhờ quản trị viên mở khóa."
    )


BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng; hãy nhập lại."


async def sign_in(
    sessions: SessionFactory, username: str, password: str, settings: Settings
) -> tuple[Person, str]:
    """The person and a new session's cookie value if the password is right. A failure is
    counted (and committed) before the error is raised; enough of them lock the account."""
    async with transaction(sessions) as session:
        outcome = await _check(session, username, password, settings)
        if isinstance(outcome, Person):
            return outcome, await start_session(session, outcome, settings)
    raise outcome


async def _check(
    session: AsyncSession, username: str, password: str, settings: Settings
) -> Person | ClerkError:
    person = (await session.exec(select(Person).where(Person.username == username))).first()
    if person is None or person.disabled_at is not None:
        _verify(_DUMMY_HASH, password)
        return ClerkError(401, "bad_login", BAD_LOGIN)
    now = utcnow()
    if person.locked_until is not None and _aware(person.locked_until) > now:
        return ClerkError(429, "locked", _locked_message(_aware(person.locked_until)))
    if not _verify(person.password_hash, password):
        person.failed_logins += 1
        session.add(person)
        if person.failed_logins < settings.login_attempts:
            return ClerkError(401, "bad_login", BAD_LOGIN)
        person.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
        person.failed_logins = 0
        return ClerkError(429, "locked", _locked_message(person.locked_until))
    person.failed_logins, person.locked_until = 0, None
    if _HASHER.check_needs_rehash(person.password_hash):
        person.password_hash = _HASHER.hash(password)
    session.add(person)
    return person


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def start_session(session: AsyncSession, person: Person, settings: Settings) -> str:
    """A new session for the person; returns the cookie value (only its hash is kept)."""
    assert person.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token), person_id=person.id, csrf_token=secrets.token_urlsafe(32),
            expires_at=utcnow() + dt.timedelta(hours=settings.session_hours),
        )
    )
    await session.flush()
    return token


async def find_session(session: AsyncSession, token: str) -> SignedIn | None:
    """The signed-in person for a cookie value, or None (unknown, expired, disabled)."""
    query = (
        select(WebSession, Person)
        .join(Person, col(Person.id) == col(WebSession.person_id))
        .where(WebSession.token_hash == _digest(token))
    )
    row = (await session.exec(query)).first()
    if row is None:
        return None
    web, person = row
    if _aware(web.expires_at) <= utcnow() or person.disabled_at is not None or person.id is None:
        return None
    return SignedIn(
        person.id, person.username, person.name, Role(person.role), person.agency_id,
        web.csrf_token,
    )


async def end_session(session: AsyncSession, token: str) -> None:
    """Sign out: the cookie's session is deleted."""
    await session.exec(delete(WebSession).where(col(WebSession.token_hash) == _digest(token)))


async def change_password(
    session: AsyncSession, person_id: int, current: str, new: str
) -> None:
    """Replace the password after checking the current one; other sessions are ended."""
    person = await session.get(Person, person_id)
    if person is None or not _verify(person.password_hash, current):
        raise ClerkError(422, "bad_password", "Mật khẩu hiện tại không đúng; hãy nhập lại.")
    check_password_rules(new)
    person.password_hash = _HASHER.hash(new)
    session.add(person)
    await session.exec(delete(WebSession).where(col(WebSession.person_id) == person_id))
