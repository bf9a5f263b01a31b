"""Webhook URLs: http(s) to public addresses only, unless private targets are allowed."""

from __future__ import annotations

import pytest

from foundation.addresses import check_webhook_url
from foundation.errors import ClerkError


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest",
    "https://10.0.0.5/hook", "http://192.168.1.1/", "http://[::1]/hook", "http://0.0.0.0/",
])
def test_internal_targets_are_refused_unless_allowed(url: str) -> None:
    """Loopback, link-local (cloud metadata) and private addresses are a 422 naming the
    setting that allows them; with it they pass."""
    with pytest.raises(ClerkError, match="DOCROUTE_ALLOW_PRIVATE_WEBHOOKS"):
        check_webhook_url(url, allow_private=False)
    check_webhook_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/", "file:///etc/passwd", "http:///x"])
def test_other_schemes_and_hostless_urls_are_refused(url: str) -> None:
    """Only http and https with a host."""
    with pytest.raises(ClerkError, match="http:// or https://"):
        check_webhook_url(url, allow_private=True)


def test_a_public_address_passes() -> None:
    """A public IP literal (no DNS needed) is accepted."""
    check_webhook_url("https://93.184.216.34/hook", allow_private=False)
