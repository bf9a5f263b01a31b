"""Errors a clerk can act on: each carries the HTTP status, a stable code and a plain message."""

from __future__ import annotations


class ClerkError(Exception):
    """A request the service refuses, with a message saying what to change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
