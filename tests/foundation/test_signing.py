"""HMAC-SHA256 from a copy of the key's HMAC set up once (foundation.signing.hmac_sha256)
is RFC 2104's HMAC, the standard library's, for every key length and however the message
is split; the webhook signatures built on it verify with the standard library."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from foundation.signing import hmac_sha256, sign, signed_headers, standard_signature, verify

BODY = "Nơi nhận: Sở Nội vụ; ".encode() * 100


@pytest.mark.parametrize("length", [0, 1, 16, 63, 64, 65, 200])
def test_hmac_sha256_is_the_standard_librarys_for_every_key_length(length: int) -> None:
    key = bytes(range(256))[:length] or b""
    for message in (b"", b"x", BODY):
        assert hmac_sha256(key, message) == hmac.digest(key, message, "sha256")


def test_the_parts_are_hashed_as_if_joined_and_a_key_used_again_gives_the_same() -> None:
    key = b"bench-signing-secret"
    whole = hmac.digest(key, b"id.1700000000." + BODY, "sha256")
    assert hmac_sha256(key, b"id.1700000000.", BODY) == whole
    assert hmac_sha256(key, b"id.", b"1700000000.", BODY[:7], BODY[7:]) == whole
    assert hmac_sha256(key, b"id.1700000000." + BODY) == whole  # the cached states unchanged
    assert hmac_sha256(b"another", BODY) != hmac_sha256(key, BODY)


def test_webhook_signatures_verify_with_the_standard_library() -> None:
    headers = signed_headers(["s3cret", "whsec_" + base64.b64encode(b"k" * 24).decode()],
                             BODY, "del-1", "application/json", now=1_700_000_000)
    first, second = headers["webhook-signature"].split(" ")
    signed = b"del-1.1700000000." + BODY
    assert first == "v1," + base64.b64encode(hmac.new(b"s3cret", signed, hashlib.sha256)
                                              .digest()).decode()
    assert second == "v1," + base64.b64encode(hmac.digest(b"k" * 24, signed, "sha256")).decode()
    assert second == standard_signature("whsec_" + base64.b64encode(b"k" * 24).decode(),
                                        "del-1", "1700000000", BODY)
    expected = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert headers["X-Docroute-Signature"] == "sha256=" + expected
    assert sign("s3cret", BODY) == expected and verify("s3cret", BODY, expected)
