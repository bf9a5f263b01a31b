"""HMAC-SHA256 signatures: on webhook bodies, and on the confirm links put in e-mails."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson


def sign(secret: str, data: bytes) -> str:
    """The hex HMAC-SHA256 of the data under the secret."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed_json(secret: str, payload: Any, key: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a POST to an agency: JSON, its HMAC signature, and the
    idempotency key under which the agency keeps one copy however often it is resent."""
    # orjson: the document's text is encoded once per delivery, and the standard library's
    # encoder was a tenth of a delivery worker's CPU (bench/pipeline.py). Compact UTF-8.
    body = orjson.dumps(payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": key,
        "X-Docroute-Signature": "sha256=" + sign(secret, body),
    }
    return body, headers


def verify(secret: str, data: bytes, signature: str) -> bool:
    """True when the signature is the data's; compared in constant time. Any string may be
    given (a link's `sig` can hold anything): compared as UTF-8 bytes, never raising."""
    expected = sign(secret, data).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))


def confirm_signature(secret: str, delivery_id: str, expires: int) -> str:
    """The signature of a delivery's confirm link, valid until `expires` (Unix seconds)."""
    return sign(secret, f"confirm:{delivery_id}:{expires}".encode())
