"""Requests refused before any handler runs: bodies over the upload limit (before they are
read into memory), and NUL characters in the address."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    """The body went past the limit while it was being received."""


class BodyLimit:
    """ASGI middleware: 413 with a message when Content-Length, or the bytes read, exceed it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes actually received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLargeError:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        megabytes = self.max_bytes / (1024 * 1024)
        await _answer(send, 413, {
            "code": "too_large",
            "detail": f"The upload is larger than {megabytes:g} MB; split it or send the text "
            "of the document only.",
        })


class NoNulCharacters:
    """ASGI middleware: 422 for a NUL character in the path or query string.

    PostgreSQL refuses NUL in text and SQLite keeps it: refusing it before any query runs
    gives the same answer on both stacks (`?agency=%00` was a 500 on PostgreSQL only).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, or pass the request on."""
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"")
            or "\x00" in scope.get("path", "")
            or b"%00" in scope.get("raw_path", b"")
        ):
            await _answer(send, 422, {
                "code": "nul_character",
                "detail": "The address contains a NUL character (%00); remove it.",
            })
            return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, payload: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
