"""A person signed in to the web pages of a service running in the test's own process, over
httpx (no browser, no server process): the sign-in form with its CSRF cookie, then the
session cookie, as a browser would do it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from docroute import people
from docroute.service import Service
from foundation.database import transaction
from foundation.models import Role
from tests.conftest import in_process_client
from tests.docroute.web.conftest import PASSWORD


def csrf_of(page: str) -> str:
    """The CSRF token of the page's first form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


@asynccontextmanager
async def signed_in(service: Service, username: str, role: Role,
                    agency: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A new account and a client holding its session."""
    async with transaction(service.sessions) as session:
        await people.add_person(session, username, username, role, agency, PASSWORD)
    async with in_process_client(service) as client:
        token = csrf_of((await client.get("/login")).text)
        answer = await client.post("/login", data={"username": username,
                                                    "password": PASSWORD, "csrf": token})
        assert answer.status_code == 303, answer.text
        yield client
