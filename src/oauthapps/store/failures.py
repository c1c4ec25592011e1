"""Which errors mean "the storage cannot serve right now" rather than "a bug": a pure mapping from
the exceptions the drivers raise (asyncpg, sqlite3, the sockets under them, SQLAlchemy's pool)
to one of two states, decided here once for every route.

- ``UNAVAILABLE``: the database cannot be reached or used (connection refused, reset or lost,
  the server shutting down or starting, too many connections, the database gone, a pool timeout).
  Answered 503 with Retry-After: retrying later, or on another node, can work.
- ``FULL``: the disk under the database is full (SQLite ``SQLITE_FULL``, PostgreSQL ``53100
  disk_full``, ``ENOSPC``). Answered 507: reads still work; writes fail until space is freed.

A write whose connection died while its COMMIT was under way may or may not have been applied;
``Database.transaction`` raises ``WriteOutcomeUnknown`` for it, which maps to ``UNAVAILABLE``
with ``outcome_unknown`` set, so that the answer tells the client to retry with the same
Idempotency-Key rather than blindly.

Anything else (a constraint the code did not expect, a syntax error, a corrupt file) is not a
storage outage and stays the generic 500."""

from __future__ import annotations

import errno
import socket
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

import asyncpg
from sqlalchemy import exc as sa_exc


class StorageState(StrEnum):
    UNAVAILABLE = "unavailable"
    FULL = "full"


@dataclass(frozen=True)
class StorageFailure:
    state: StorageState
    cause: str  # the driver's own words, for the log: "ConnectionRefusedError: [Errno 111] ..."
    outcome_unknown: bool = False


class WriteOutcomeUnknown(Exception):
    """The connection was lost while a transaction was committing: it may have been applied."""


# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
PG_FULL = frozenset({"53100"})  # disk_full
PG_UNAVAILABLE_CLASSES = ("08",)  # connection exception
PG_UNAVAILABLE = frozenset(
    {
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, in recovery)
        "53000",  # insufficient_resources
        "53200",  # out_of_memory
        "53300",  # too_many_connections
        "58030",  # io_error
        "3D000",  # invalid_catalog_name: the database is not there (dropped, not yet restored)
        "25006",  # read_only_sql_transaction: a standby (after a failover) refuses writes
        "28000",  # invalid_authorization_specification: the server no longer takes our login
        "28P01",  # invalid_password
    }
)
# SQLite primary result codes (https://sqlite.org/rescode.html).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 5, 6, 8, 10, 13, 14
SQLITE_UNAVAILABLE = frozenset({SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN})
OS_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
OS_UNAVAILABLE = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH}
)
MAX_CHAIN = 8  # how deep to follow __cause__ / __context__ / .orig


def _state_of(exc: BaseException) -> StorageState | None:
    """What one exception, alone, says about the storage."""
    if isinstance(exc, WriteOutcomeUnknown | sa_exc.TimeoutError):
        return StorageState.UNAVAILABLE
    sqlstate = getattr(exc, "sqlstate", None)  # asyncpg's errors and SQLAlchemy's wrappers of them
    if isinstance(sqlstate, str):
        if sqlstate in PG_FULL:
            return StorageState.FULL
        if sqlstate in PG_UNAVAILABLE or sqlstate.startswith(PG_UNAVAILABLE_CLASSES):
            return StorageState.UNAVAILABLE
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:
            return StorageState.FULL if "database or disk is full" in str(exc) else None
        primary = code & 0xFF
        if primary == SQLITE_FULL:
            return StorageState.FULL
        return StorageState.UNAVAILABLE if primary in SQLITE_UNAVAILABLE else None
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return StorageState.UNAVAILABLE
    if isinstance(exc, OSError):
        if exc.errno in OS_FULL:
            return StorageState.FULL
        if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror) or exc.errno in OS_UNAVAILABLE:
            return StorageState.UNAVAILABLE
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return StorageState.UNAVAILABLE
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (SQLAlchemy's ``.orig``) and what it was raised from or
    during, without repeats: an error raised while handling a lost connection still counts."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < MAX_CHAIN:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        context = None if current.__suppress_context__ else current.__context__  # "raise ... from None" cuts the chain
        todo.extend(e for e in (getattr(current, "orig", None), current.__cause__, context) if isinstance(e, BaseException))
    return seen


def _describe(exc: BaseException) -> str:
    text = str(exc).split("\n", 1)[0].strip()
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def classify(exc: BaseException) -> StorageFailure | None:
    """``None`` unless ``exc`` says the storage is unavailable or full. A full disk anywhere in
    the chain wins: it is the more precise answer (a lost connection may follow it)."""
    found: tuple[StorageState, BaseException] | None = None
    for link in _chain(exc):
        state = _state_of(link)
        if state is StorageState.FULL:
            found = (state, link)
            break
        if state is not None and found is None:
            found = (state, link)
    if found is None:
        return None
    state, link = found
    unknown = any(isinstance(e, WriteOutcomeUnknown) for e in _chain(exc))
    cause = link.__cause__ if isinstance(link, WriteOutcomeUnknown) and link.__cause__ is not None else link
    return StorageFailure(state, _describe(_innermost(cause)), unknown)


def _innermost(exc: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrapper, whose message holds the SQL."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        return orig.__cause__ if orig.__cause__ is not None else orig
    return exc
