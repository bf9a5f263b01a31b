"""Which webhook URLs an agency may be given: http(s) to a public address only.

A webhook URL is where docroute's workers POST documents from inside the deployment's
network; an internal address (loopback, link-local such as cloud metadata at 169.254.169.254,
private ranges) would let whoever sets a channel reach internal services. Those are refused
unless `DOCROUTE_ALLOW_PRIVATE_WEBHOOKS` is on (a test rig or a closed network). They are
checked when the channel is set, and again by the workers' resolver each time they send
(`consumers.webhook`): a name may resolve to another address by then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from foundation.errors import ClerkError

SCHEMES = ("http", "https")


def is_public(address: str) -> bool:
    """True for a globally routable IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def internal(addresses: Iterable[str]) -> list[str]:
    """The addresses that are not public, sorted, each once."""
    return sorted({a for a in addresses if not is_public(a)})


def is_ip_literal(host: str) -> bool:
    """True when `host` is written as an IP address rather than a name."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def refusal(host: str, private: list[str], how: str = "is") -> str:
    """The message that names the internal addresses a host is (or resolves to)."""
    return (f"The webhook host {host!r} {how} an internal address ({', '.join(private)}): "
            "loopback, link-local and private targets are refused unless "
            "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS is on.")


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """422 unless the URL is http(s) with a host, and (unless allowed) every address the
    host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ClerkError(422, "bad_webhook", "A webhook needs an http:// or https:// URL.")
    if allow_private:
        return
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError) as error:
        message = f"The webhook host {parts.hostname!r} cannot be resolved: {error}."
        raise ClerkError(422, "bad_webhook", message) from error
    private = internal(str(a) for a in found)
    if private:
        raise ClerkError(422, "private_webhook", refusal(parts.hostname, private))
