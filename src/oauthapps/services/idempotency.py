"""Running a write at most once per Idempotency-Key (domain/idempotency.py).

Inside the write's transaction: look the key up; if an answer is stored, give it back (or refuse
a different body) without writing; otherwise write, and store the answer in the same transaction,
so the answer is kept exactly when the write is. Two requests with the same key at the same
moment: SQLite runs them one after the other (writers take the lock up front), and on PostgreSQL
the second one's key insert waits for the first and fails, its transaction (write included) is
rolled back, and it is run again, now finding the first one's answer.

Only successful answers are stored: a request refused (a validation error, a missing collection)
changed nothing, and its retry runs again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock
from ..domain import idempotency as rules
from ..store import idempotency as store
from ..store.database import Database

R = TypeVar("R")


@dataclass(frozen=True)
class Guard:
    """An Idempotency-Key as the HTTP layer found it, with who sent it and what it asked."""

    key: str
    caller: str  # Actor.principal / Caller.principal
    fingerprint: str  # rules.fingerprint(operation, body)


@dataclass(frozen=True)
class Replayed:
    """The answer stored with the key: the wire form of what the first request created."""

    wire: dict[str, Any]


def guard(raw_key: str | None, operation: rules.IdempotentOperation, caller: str, body: Any) -> Guard | None:
    key = rules.parse_key(raw_key)
    return None if key is None else Guard(key, caller, rules.fingerprint(operation, body))


class _Raced(Exception):
    """Another transaction stored an answer for the key first: roll this one back."""


@overload
async def once(
    db: Database, project_id: str, guard: None, write: Callable[[AsyncConnection], Awaitable[R]], wire: Callable[[R], dict[str, Any]]
) -> R: ...


@overload
async def once(
    db: Database, project_id: str, guard: Guard, write: Callable[[AsyncConnection], Awaitable[R]], wire: Callable[[R], dict[str, Any]]
) -> R | Replayed: ...


async def once(
    db: Database,
    project_id: str,
    guard: Guard | None,
    write: Callable[[AsyncConnection], Awaitable[R]],
    wire: Callable[[R], dict[str, Any]],
) -> R | Replayed:
    """Run ``write`` in a transaction; with a guard, at most once per key (``wire`` makes the
    answer that is stored from what ``write`` returns)."""
    if guard is None:
        async with db.transaction() as conn:
            return await write(conn)
    for _attempt in range(2):
        now = clock.now()
        try:
            async with db.transaction() as conn:
                stored = await store.find(conn, project_id, guard.caller, guard.key, now)
                if stored is not None:
                    if stored.fingerprint != guard.fingerprint:
                        raise rules.key_reused()
                    return Replayed(stored.response)
                result = await write(conn)
                if not await store.save(
                    conn, project_id, guard.caller, guard.key, guard.fingerprint, wire(result), now, now + rules.LIFETIME
                ):
                    raise _Raced
                return result
        except _Raced:
            continue
    raise rules.key_in_use()
