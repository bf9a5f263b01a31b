"""HMAC-SHA256 signatures: on webhook bodies, and on the confirm links put in e-mails."""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson


def sign(secret: str, data: bytes) -> str:
    """The hex HMAC-SHA256 of the data under the secret."""
    return hmac_sha256(secret.encode(), data).hex()


def hmac_sha256(key: bytes, *parts: bytes) -> bytes:
    """The HMAC-SHA256 of the parts one after another, under `key`.

    From a copy of the key's HMAC, set up once per key (`_keyed`): each POST is signed
    twice, and OpenSSL's one-shot `hmac.digest` set the key up every time, about half again
    the cost of hashing a webhook body (a visible share of a delivery worker's CPU). The
    parts are hashed where they lie, not first copied into one buffer.
    """
    mac = _keyed(key).copy()
    for part in parts:
        mac.update(part)
    return mac.digest()


@lru_cache(maxsize=256)
def _keyed(key: bytes) -> hmac.HMAC:
    """The key's HMAC before any message (a worker signs with the same few secrets all day);
    copied for each use, never updated itself."""
    return hmac.new(key, digestmod="sha256")


def signed_json(
    secret: str | Sequence[str], payload: Any, key: str, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a POST to an agency: JSON, its signatures, and the
    idempotency key under which the agency keeps one copy however often it is resent.

    Signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
    a receiver refuses a timestamp more than a few minutes off, so a captured request cannot
    be replayed later), and with the older `X-Docroute-Signature` over the body alone.
    Several secrets (a rotation's overlap) give one `v1,` signature each, space-separated;
    the older header is the first secret's.
    """
    # orjson: the document's text is encoded once per delivery, and the standard library's
    # encoder was a tenth of a delivery worker's CPU (bench/pipeline.py). Compact UTF-8.
    body = orjson.dumps(payload)
    return body, signed_headers(secret, body, key, "application/json; charset=utf-8", now)


def signed_headers(
    secret: str | Sequence[str], body: bytes, key: str, content_type: str,
    now: float | None = None,
) -> dict[str, str]:
    """The headers that sign `body` (any content: JSON, an edXML packet) under `key`, as
    `signed_json` describes."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": content_type,
        "Idempotency-Key": key,
        "webhook-id": key,
        "webhook-timestamp": timestamp,
        "webhook-signature": " ".join(standard_signature(k, key, timestamp, body) for k in keys),
        "X-Docroute-Signature": "sha256=" + sign(keys[0], body),
    }


def standard_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (Standard Webhooks). A secret
    written `whsec_<base64>` is used as the bytes it encodes, as the specification says;
    any other secret as its UTF-8 bytes."""
    signed = hmac_sha256(_key(secret), f"{message_id}.{timestamp}.".encode(), body)
    return "v1," + base64.b64encode(signed).decode()


@lru_cache(maxsize=256)
def _key(secret: str) -> bytes:
    """The HMAC key a secret stands for (decoded once per secret, not per POST: a worker
    signs with the same few secrets all day)."""
    return (base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_")
            else secret.encode())


def verify(secret: str, data: bytes, signature: str) -> bool:
    """True when the signature is the data's; compared in constant time. Any string may be
    given (a link's `sig` can hold anything): compared as UTF-8 bytes, never raising."""
    expected = sign(secret, data).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))


def confirm_signature(secret: str, delivery_id: str, expires: int) -> str:
    """The signature of a delivery's confirm link, valid until `expires` (Unix seconds)."""
    return sign(secret, f"confirm:{delivery_id}:{expires}".encode())
