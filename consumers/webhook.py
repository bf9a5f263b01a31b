"""The webhook channel: an HMAC-signed HTTP POST carrying the delivery id as Idempotency-Key.

It posts with aiohttp rather than httpx for CPU cost: bench/pipeline.py showed the delivery
workers spending about half their CPU inside httpx/httpcore's connection pool, which scans
every pooled connection for each request it assigns. aiohttp parses responses in C and its
connector hands out connections from a per-host queue.

Unless private targets are allowed, the address is checked again at each send, where the
connection is made: the client's resolver refuses a name that now resolves to a loopback,
link-local or private address (DNS may have changed since the channel was set), and a URL
written as an internal IP is refused before any connection. The delivery then fails with that
reason, recorded on it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from consumers.channel import Addressee, Outcome, Target, document_part, payload_around
from consumers.deadline import Deadline
from foundation.addresses import internal, is_ip_literal, refusal
from foundation.channels import AGENCY_ANSWER
from foundation.models import Document
from foundation.signing import signed_json
from foundation.webhook_secrets import signing_keys


class TransientError(Exception):
    """A 5xx answer: the agency's server may recover."""


class AddressRefusedError(Exception):
    """The URL's host is, or now resolves to, an internal address, and those are refused."""


class PublicResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host any of whose addresses is internal: the addresses
    checked are the ones the connection is made to (no second lookup in between)."""

    def __init__(self) -> None:
        self._inner = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        private = internal(str(item["host"]) for item in found)
        if private:
            raise AddressRefusedError(refusal(host, private, "resolves at send time to"))
        return found

    async def close(self) -> None:
        await self._inner.close()


class DocumentParts:
    """The document's part of each POST body, encoded as JSON once per document object
    rather than once per recipient: its text is most of the body, and encoding it for each
    of a message's 50 deliveries was a visible share of a delivery worker's CPU.

    Keyed by the document's id and held only for that very object: the worker reads its
    documents afresh for each batch and never changes them, so another object (a later
    batch's read) is encoded again. The bytes are the ones `orjson.dumps` writes for the
    part inside the whole payload (compact JSON nests as it is), so the body is unchanged.
    """

    def __init__(self, size: int = 16) -> None:
        self._size = size  # a batch holds a few documents; older ones are dropped
        self._parts: dict[str, tuple[Document, orjson.Fragment]] = {}

    def __call__(self, document: Document) -> orjson.Fragment:
        held = self._parts.get(document.id)
        if held is not None and held[0] is document:
            return held[1]
        part = orjson.Fragment(orjson.dumps(document_part(document)))
        self._parts.pop(document.id, None)
        self._parts[document.id] = (document, part)
        if len(self._parts) > self._size:
            del self._parts[next(iter(self._parts))]
        return part


# Worth another attempt: a 5xx, a refused or dropped connection, a timeout (aiohttp raises
# ServerTimeoutError, a ClientError, for its socket timeouts; TimeoutError is asyncio's).
TRANSIENT = (TransientError, aiohttp.ClientError, TimeoutError)


def describe(error: BaseException) -> str:
    """The error for a failure note: `HTTP 503`, or its type and message."""
    if isinstance(error, TransientError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class WebhookChannel:
    """Posts to the agency's URL; retries timeouts, connection errors and 5xx with backoff,
    gives up at once on a 4xx or a redirect.

    The channel owns its HTTP session, opened on the first send (inside the running event
    loop); `close` closes it.
    """

    reads_whole_document = False  # `document_part` only

    def __init__(
        self, secret: str, *, attempts: int = 3, backoff_seconds: float = 0.5,
        timeout: float = 10.0, concurrency: int = 16, allow_private: bool = False,
    ) -> None:
        self.secret = secret
        # DOCROUTE_ALLOW_PRIVATE_WEBHOOKS: internal targets allowed (a test rig, a closed network).
        self.allow_private = allow_private
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        # A whole attempt (connecting, sending, the answer) ends by then, so a server that
        # is silent, or trickles its answer, cannot hold the worker (and its message). One
        # `Deadline`, one timer for all the attempts in flight: aiohttp's own read timeout,
        # which this replaces, armed a timer per read, about a tenth of a POST's CPU
        # (bench/webhook_post.py, back to back: 1.31-1.32 against 1.23-1.24 plain POSTs).
        self.deadline = 2 * timeout
        self._deadline = Deadline(self.deadline)
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._document_parts = DocumentParts()

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The open HTTP session, or None before the first send and after `close`."""
        return self._session

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # At most `concurrency` requests in flight (`_slots` lets no more through).
                connector=aiohttp.TCPConnector(
                    limit=self.concurrency, limit_per_host=self.concurrency,
                    resolver=None if self.allow_private else PublicResolver(),
                ),
                # `timeout` seconds to connect, not for the whole request, so time spent
                # queued for a connection does not use up an attempt; the attempt's deadline
                # (`deadline`, `post_once`) bounds the rest.
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout),
                # A signed POST carries no cookies, and the env's proxies and ~/.netrc are
                # not consulted (aiohttp would look them up in a thread on every request).
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session and its connections; a later send opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def request_parts(
        self, delivery: Addressee, document: Document, keys: Sequence[str] = ()
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST (the same on every attempt), signed with `keys`
        (the agency's secrets), else the deployment's secret."""
        # The key is the delivery id: a resend after a crash is not a second copy.
        payload = payload_around(delivery, self._document_parts(document))
        return signed_json(list(keys) or self.secret, payload, delivery.id)

    async def send(self, delivery: Addressee, document: Document, target: str | None) -> Outcome:
        """`send_signed` with the deployment's secret."""
        return await self.send_signed(delivery, document, target, ())

    async def send_to(
        self, delivery: Addressee, document: Document, channel: Target
    ) -> Outcome:
        """`send_signed` to the channel's URL with the agency's secrets (a rotation's
        previous one too while it overlaps)."""
        keys = signing_keys(channel, self.secret)
        return await self.send_signed(delivery, document, channel.target, keys)

    async def send_signed(
        self, delivery: Addressee, document: Document, target: str | None, keys: Sequence[str]
    ) -> Outcome:
        """POST the document: delivered on 2xx; failed on 3xx or 4xx; on 5xx, timeouts and
        connection errors retried, then reported as transient once the attempts run out."""
        if not target:
            return Outcome(False, "the agency's webhook channel has no URL")
        body, headers = self.request_parts(delivery, document, keys)
        try:
            status, detail = await self._attempts(target, body, headers)
        except AddressRefusedError as error:
            return Outcome(False, f"webhook not sent: {error}")
        except _RoundSpentError as spent:
            return Outcome(False, spent.note, retry=True)
        if status >= 400:
            return Outcome(False, f"webhook refused with HTTP {status}{AGENCY_ANSWER}{detail}")
        if status >= 300:
            return Outcome(False, f"webhook redirected to {detail}; set that URL as the channel")
        return Outcome(True, f"webhook answered HTTP {status}")

    async def _attempts(
        self, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str]:
        """The round's attempts; raises _RoundSpentError when transient faults used them all."""
        try:
            # Most posts succeed at once: only a failed first attempt pays for tenacity's
            # machinery (a visible share of a worker's CPU when built for every post).
            return await self.post_once(target, body, headers)
        except TRANSIENT as first:
            if self.attempts <= 1:
                raise _RoundSpentError(f"webhook failed 1 attempt: {describe(first)}") from first
        try:
            return await self._retry(target, body, headers)
        except TRANSIENT as error:
            note = f"webhook failed {self.attempts} attempts: {describe(error)}"
            raise _RoundSpentError(note) from error

    async def _retry(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """Attempts 2 to `attempts`, with exponential backoff before each, as if the first
        had been made inside the same loop."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts - 1),
            wait=wait_exponential(multiplier=2 * self.backoff_seconds, max=30),
            retry=retry_if_exception_type(TRANSIENT),
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number == 1:
                    await asyncio.sleep(self.backoff_seconds)  # the wait after attempt 1
                return await self.post_once(target, body, headers)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def post_once(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """One signed POST (also the audit's notices): the status and what a failure note
        needs (the start of a 4xx body, a redirect's Location); raises one of TRANSIENT on a
        5xx, a connection error or a timeout; AddressRefusedError on an internal address (unless
        allowed)."""
        if not self.allow_private:
            host = urlsplit(target).hostname or ""
            if is_ip_literal(host) and (private := internal([host])):
                raise AddressRefusedError(refusal(host, private))
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        # The deadline counts from a free slot, so waiting for one does not use up an attempt.
        async with self._slots:
            with self._deadline.attempt():
                return await self._post(target, body, headers)

    async def _post(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        # Redirects are not followed: a signed POST must not wander to another host.
        async with self._client().post(
            target, data=body, headers=headers, allow_redirects=False
        ) as response:
            # Read the whole body: a connection whose answer was not read to the end is
            # closed instead of going back to the pool.
            raw = await response.read()
            status = response.status
            if status >= 500:
                raise TransientError(f"HTTP {status}")
            if status >= 400:
                return status, raw.decode(response.get_encoding(), "replace")[:300]
            if status >= 300:
                return status, response.headers.get("Location", "?")
            return status, ""


class _RoundSpentError(Exception):
    """Every attempt of the round ended in a transient fault; `note` says how."""

    def __init__(self, note: str, *args: Any) -> None:
        super().__init__(note, *args)
        self.note = note
