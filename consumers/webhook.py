"""The webhook channel: an HMAC-signed HTTP POST carrying the delivery id as Idempotency-Key."""

from __future__ import annotations

import asyncio

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from consumers.channel import Outcome, document_payload
from router.models import Delivery, Document
from router.signing import signed_json


class _TransientError(Exception):
    """A 5xx answer: the agency's server may recover."""


class WebhookChannel:
    """Posts to the agency's URL; retries timeouts and 5xx with backoff, gives up on a 4xx."""

    def __init__(
        self, client: httpx.AsyncClient, secret: str, *, attempts: int = 5,
        backoff_seconds: float = 0.5, timeout: float = 10.0, concurrency: int = 64,
    ) -> None:
        self.client = client
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        # httpcore's pool slows down quadratically with queued requests: queue them here.
        self._slots = asyncio.Semaphore(concurrency)

    def request_parts(self, delivery: Delivery, document: Document) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST (the same on every attempt)."""
        # The key is the delivery id: a resend after a crash is not a second copy.
        return signed_json(self.secret, document_payload(delivery, document), delivery.id)

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        """POST the document; delivered on 2xx, failed on 3xx, 4xx or when retries run out."""
        if not target:
            return Outcome(False, "the agency's webhook channel has no URL")
        body, headers = self.request_parts(delivery, document)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.backoff_seconds, max=30),
                retry=retry_if_exception_type((_TransientError, httpx.TransportError)),
                reraise=True,
            ):
                with attempt:
                    async with self._slots:
                        response = await self.client.post(
                            target, content=body, headers=headers, timeout=self.timeout
                        )
                    if response.status_code >= 500:
                        raise _TransientError(f"HTTP {response.status_code}")
        except (_TransientError, httpx.TransportError) as error:
            return Outcome(False, f"webhook gave up after {self.attempts} attempts: {error!r}")
        if response.status_code >= 400:
            return Outcome(
                False, f"webhook refused with HTTP {response.status_code}: {response.text[:300]}"
            )
        if response.status_code >= 300:
            # Redirects are not followed: a signed POST must not wander to another host.
            where = response.headers.get("location", "?")
            return Outcome(False, f"webhook redirected to {where}; set that URL as the channel")
        return Outcome(True, f"webhook answered HTTP {response.status_code}")
