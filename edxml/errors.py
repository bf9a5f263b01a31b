"""The one error a packet reader raises: what is wrong, in words a clerk can act on."""

from __future__ import annotations


class PacketError(ValueError):
    """The bytes are not a packet docroute can read; `status` is the HTTP answer (413 or 422)."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid_packet") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def too_large(what: str, size: int, limit: int, setting: str) -> PacketError:
    """A 413 naming the limit that was passed and the setting that raises it."""
    return PacketError(
        f"{what} is {size:,} bytes, over the limit of {limit:,} bytes ({setting})",
        status=413,
        code="packet_too_large",
    )
