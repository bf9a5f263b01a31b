"""Bounded memory of answers the rules engine computes again and again from the same text.

A router reads the same recipient lines over and over (each agency's name, `Lưu: VT`): the
pure readings of a line (its tokens, its segments, its accents) are kept, a few thousand at a
time. Only pure functions of their arguments are memoised, and only for short texts: a 100 KB
pathological line (issue 11) is read afresh rather than held in memory.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

# Texts longer than this are not kept (a recipient line is rarely over 200 characters).
LONGEST = 400
# Every memoised function's cache_clear, for `forget_all`.
_CLEARS: list[Callable[[], None]] = []


class Memo(Generic[K, V]):
    """A map of at most `size` computed answers; the oldest is forgotten first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """The answer kept for `key`, or None."""
        return self._answers.get(key)

    def put(self, key: K, value: V) -> V:
        """Keep `value` for `key` (forgetting the oldest when full); returns `value`."""
        if len(self._answers) >= self.size:
            # Oldest first: dicts keep insertion order. KeyError: another thread popped it.
            with contextlib.suppress(KeyError, StopIteration, RuntimeError):
                del self._answers[next(iter(self._answers))]
        self._answers[key] = value
        return value

    def clear(self) -> None:
        """Forget every answer."""
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)


def forgetting(clear: Callable[[], None]) -> None:
    """Have `forget_all` call `clear` too (a cache kept outside `text_memo`)."""
    _CLEARS.append(clear)


def forget_all() -> None:
    """Forget what every `text_memo` function kept (tests compare with a cold start)."""
    for clear in _CLEARS:
        clear()


def text_memo(size: int) -> Callable[[Callable[[str], R]], Callable[[str], R]]:
    """Memoise a pure function of one text (short texts only; see LONGEST). The answer is
    shared between callers: it must be immutable (a tuple, a frozenset, a frozen object)."""

    def decorate(function: Callable[[str], R]) -> Callable[[str], R]:
        cached = functools.lru_cache(maxsize=size)(function)

        @functools.wraps(function)
        def memoised(text: str) -> R:
            return cached(text) if len(text) <= LONGEST else function(text)

        _CLEARS.append(cached.cache_clear)
        return memoised

    return decorate
