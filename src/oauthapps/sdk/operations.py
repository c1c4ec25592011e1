"""The sans-I/O core: every SDK call is an *operation*, a generator that yields the
``httpx.Request`` it needs sent and receives the ``httpx.Response``. The protocol logic is written
once; the two drivers below are the only code that knows about blocking or ``await``."""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

import httpx

T = TypeVar("T")

Op = Generator[httpx.Request, httpx.Response, T]
"""An operation that yields requests, receives their responses, and returns ``T``."""


class Sync:
    """Mode marker: operations bound to a sync client return their result."""


class Async:
    """Mode marker: operations bound to an async client return a coroutine."""


M = TypeVar("M", Sync, Async)


def done(value: T) -> Op[T]:
    """An operation that needs no I/O, for steps that sometimes do (e.g. a cached token)."""
    yield from ()  # makes this function a generator that yields nothing
    return value


class SyncRunner:
    """Runs operations with a blocking ``httpx.Client``."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def run(self, op: Op[T]) -> T:
        try:
            request = next(op)
            while True:
                request = op.send(self.http.send(request))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]
        finally:
            op.close()


class AsyncRunner:
    """Runs operations with an ``httpx.AsyncClient``; the same operations as :class:`SyncRunner`."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def run(self, op: Op[T]) -> T:
        try:
            request = next(op)
            while True:
                request = op.send(await self.http.send(request))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]
        finally:
            op.close()


Runner = SyncRunner | AsyncRunner
