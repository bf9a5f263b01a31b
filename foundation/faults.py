"""Crash points: places where a fault test can make the process die as if SIGKILLed.

The lose-nothing promise is about what happens when a worker dies between its side effect
and its commit, or between its commit and its ack. Those instants cannot be hit from outside
reliably, so the worker kills itself there when `DOCROUTE_CRASH_AT` names the point.
"""

from __future__ import annotations

import os
import signal

from foundation.settings import get_settings

ROUTER_BEFORE_COMMIT = "router.before_commit"
ROUTER_AFTER_COMMIT = "router.after_commit"
DELIVERY_AFTER_SIDE_EFFECT = "delivery.after_side_effect"
DELIVERY_AFTER_COMMIT = "delivery.after_commit"


def crash_point(name: str) -> None:
    """SIGKILL this process if the settings name this crash point; otherwise do nothing."""
    if get_settings().crash_at == name:
        os.kill(os.getpid(), signal.SIGKILL)
