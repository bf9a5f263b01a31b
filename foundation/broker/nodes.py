"""A robust RabbitMQ connection over a list of cluster nodes: each (re)connect tries the next.

aio-pika's robust connection reconnects to its one URL; with a cluster, the node it knew may be
the one that is down. `DOCROUTE_AMQP_URL` may name several nodes, comma-separated; this
connection moves to the next node before every connection attempt, so a reconnect after a
node's loss lands on a live one within a round of the list.
"""

from __future__ import annotations

from typing import Any

import aio_pika
from yarl import URL


def node_urls(urls: str) -> list[str]:
    """`amqp://a:5672/,amqp://b:5672/` -> the URLs, in order (blanks ignored)."""
    return [u.strip() for u in urls.split(",") if u.strip()]


class ClusterConnection(aio_pika.RobustConnection):
    """A robust connection that moves to the next node on each connection attempt.

    aio-pika (10.x) clears `transport` before each attempt, then connects to `self.url`: the
    node is chosen there. A connection that stays up stays on its node.
    """

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        self._nodes = [URL(u) for u in urls]
        self._index = len(self._nodes) - 1  # the first attempt moves to the first node
        self._moving = False  # aio-pika's own __init__ clears `transport` too: not an attempt
        super().__init__(url=self._nodes[-1], **kwargs)
        self._moving = True

    @property  # over aio-pika's plain attribute
    def url(self) -> URL:
        """The node of the current (or next) attempt."""
        return self._nodes[self._index]

    @url.setter
    def url(self, value: URL) -> None:
        # aio-pika sets it in __init__ (and on a secret update): that node's URL, in the list.
        self._nodes[self._index] = URL(value)

    @property
    def transport(self) -> Any:
        """aio-pika's underlying connection to the current node, if any."""
        return self._transport

    @transport.setter
    def transport(self, value: Any) -> None:
        if value is None and self._moving:
            self._index = (self._index + 1) % len(self._nodes)
        self._transport = value


async def connect(urls: list[str], timeout: float, reconnect_interval: float) -> ClusterConnection:
    """Connect to the first node that answers, and stay robust over all of them."""
    connection = ClusterConnection(urls, reconnect_interval=reconnect_interval)
    await connection.connect(timeout=timeout)
    return connection
