"""A fake agency system that takes edXML over HTTP, served on a local port for the tests: it
keeps every packet POSTed to it, read back with docroute's own reader, and checks signatures."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import edxml
from foundation.signing import standard_signature
from tests.conftest import SECRET, serving


@dataclass
class Received:
    """One POST the system took: its key, kind header and the packet read back."""

    key: str
    kind: str
    packet: edxml.DocumentPacket | edxml.StatusPacket


@dataclass
class EdxmlSystem:
    """What the fake system took, and how it answers."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # the key of every POST, taken or not
    fail_next: int = 0  # answer 503 to this many POSTs first
    bad_signatures: int = 0

    def statuses(self) -> list[edxml.StatusPacket]:
        """The status packets taken, in arrival order."""
        return [r.packet for r in self.received if isinstance(r.packet, edxml.StatusPacket)]

    def documents(self) -> list[edxml.DocumentPacket]:
        """The document packets taken, in arrival order."""
        return [r.packet for r in self.received if isinstance(r.packet, edxml.DocumentPacket)]

    def app(self) -> FastAPI:
        """The system's HTTP app: `POST /edxml`."""
        app = FastAPI()

        @app.post("/edxml")
        async def take(request: Request) -> JSONResponse:
            body = await request.body()
            key = request.headers.get("idempotency-key", "")
            self.attempts.append(key)
            expected = standard_signature(SECRET, request.headers.get("webhook-id", ""),
                                          request.headers.get("webhook-timestamp", ""), body)
            if request.headers.get("webhook-signature") != expected or key != request.headers.get(
                    "webhook-id"):
                self.bad_signatures += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"error": "busy"}, status_code=503)
            if not request.headers.get("content-type", "").startswith("application/xml"):
                return JSONResponse({"error": "not XML"}, status_code=415)
            if any(r.key == key for r in self.received):  # a repeat of a packet already taken
                return JSONResponse({"ok": True, "repeat": True})
            self.received.append(Received(key, request.headers.get("x-edxml-message-type", ""),
                                          edxml.read_packet(body)))
            return JSONResponse({"ok": True})

        return app


@contextlib.asynccontextmanager
async def serving_system() -> AsyncIterator[EdxmlSystem]:
    """The fake system on 127.0.0.1, in this event loop."""
    system = EdxmlSystem()
    async with serving(system.app()) as port:
        system.url = f"http://127.0.0.1:{port}/edxml"
        yield system
