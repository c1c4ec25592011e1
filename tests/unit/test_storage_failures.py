"""Which errors are storage outages (store/failures.py), shown with errors the drivers really raise:
a SQLite database that has run out of pages (SQLITE_FULL, "database or disk is full"), a
PostgreSQL port nobody listens on, a PostgreSQL connection killed under a transaction, and the
same errors as SQLAlchemy wraps them. Errors that are bugs or the caller's fault are not outages.

And the episode log (store/health.py): one line when the first request is refused, none for the
others, one at recovery with the count; a full disk is over only when a write succeeds."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from oauthapps.store.database import Database
from oauthapps.store.failures import StorageFailure, StorageState, WriteOutcomeUnknown, classify
from oauthapps.store.health import StorageHealth

from ..support.servers import free_port, fresh_database, pg_exec


def _full_sqlite(path: Path) -> sqlite3.Connection:
    """A database that cannot grow past its current pages: the next big insert is SQLITE_FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (v TEXT)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    return conn


def test_sqlite_full_is_full(tmp_path: Path) -> None:
    conn = _full_sqlite(tmp_path / "full.db")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    assert "database or disk is full" in str(raised.value)
    failure = classify(raised.value)
    assert failure is not None and failure.state is StorageState.FULL and not failure.outcome_unknown
    assert failure.cause == "OperationalError: database or disk is full"


def test_sqlite_full_through_sqlalchemy_is_full(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    _full_sqlite(path).close()

    async def insert() -> None:
        db = Database.open(f"sqlite:///{path}")
        try:
            async with db.transaction() as conn:
                await conn.execute(text("PRAGMA max_page_count = 3"))
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 100_000})
        finally:
            await db.close()

    with pytest.raises(OperationalError) as raised:
        asyncio.run(insert())
    failure = classify(raised.value)
    assert failure is not None and failure.state is StorageState.FULL
    assert "INSERT" not in failure.cause, "the cause is the driver's message, not the statement"


def test_a_constraint_violation_is_no_outage(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    conn.execute("CREATE TABLE t (v TEXT PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES ('a')")
    with pytest.raises(sqlite3.IntegrityError) as raised:
        conn.execute("INSERT INTO t VALUES ('a')")
    assert classify(raised.value) is None
    assert classify(IntegrityError("INSERT", {}, raised.value)) is None
    assert classify(ValueError("a bug")) is None
    assert classify(KeyError("x")) is None


def test_nobody_listening_on_postgresql_is_unavailable() -> None:
    async def connect() -> None:
        await asyncpg.connect(f"postgresql://nobody@127.0.0.1:{free_port()}/none", timeout=5)

    with pytest.raises(OSError) as raised:
        asyncio.run(connect())
    failure = classify(raised.value)
    assert failure is not None and failure.state is StorageState.UNAVAILABLE
    assert failure.cause.startswith("ConnectionRefusedError")


def test_postgresql_errors_by_sqlstate() -> None:
    # asyncpg's classes carry their SQLSTATE; these are the ones a server sends.
    assert classify(asyncpg.exceptions.DiskFullError("could not extend file: No space left on device")) == StorageFailure(
        StorageState.FULL, "DiskFullError: could not extend file: No space left on device"
    )
    for unavailable in (
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.InvalidCatalogNameError('database "x" does not exist'),
    ):
        failure = classify(unavailable)
        assert failure is not None and failure.state is StorageState.UNAVAILABLE, unavailable
    assert classify(asyncpg.exceptions.UniqueViolationError("duplicate key")) is None
    assert classify(asyncpg.exceptions.UndefinedTableError('relation "x" does not exist')) is None


def test_a_postgresql_connection_killed_under_a_transaction(tmp_path: Path) -> None:
    """What a restart does to a pooled connection, through SQLAlchemy; and the error is not
    hidden by one of our transaction hooks (the rollback of a dead connection)."""
    with fresh_database("postgresql", tmp_path) as url:

        async def killed() -> None:
            db = Database.open(url)
            try:
                async with db.transaction() as conn:
                    pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                    await pg_exec(f"SELECT pg_terminate_backend({pid})")
                    await conn.execute(text("SELECT 1"))
            finally:
                await db.close()

        with pytest.raises(Exception) as raised:
            asyncio.run(killed())
    assert type(raised.value).__name__ != "PendingRollbackError", raised.value
    failure = classify(raised.value)
    assert failure is not None and failure.state is StorageState.UNAVAILABLE, repr(raised.value)
    assert not failure.outcome_unknown, "the COMMIT was never sent: the transaction was rolled back"


def test_a_lost_commit_is_an_unknown_outcome() -> None:
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        except Exception as lost:
            raise WriteOutcomeUnknown("the connection was lost while the transaction was committing") from lost
    except WriteOutcomeUnknown as exc:
        failure = classify(exc)
    assert failure is not None and failure.state is StorageState.UNAVAILABLE and failure.outcome_unknown
    assert failure.cause.startswith("ConnectionDoesNotExistError")


def test_an_error_raised_while_handling_an_outage_is_the_outage() -> None:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except OSError:
            raise RuntimeError("cleanup failed") from None
    except RuntimeError as exc:
        assert classify(exc) is None, "from None: the outage is not part of it"
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except OSError:
            raise RuntimeError("cleanup failed")  # noqa: B904  (implicitly chained, as a hook's error would be)
    except RuntimeError as exc:
        failure = classify(exc)
    assert failure is not None and failure.state is StorageState.UNAVAILABLE


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_log_line_per_episode(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StorageHealth(quiet_seconds=2.0, clock=clock)
    down = StorageFailure(StorageState.UNAVAILABLE, "ConnectionRefusedError: [Errno 111] Connection refused")
    with caplog.at_level(logging.INFO, logger="oauthapps.store"):
        for _ in range(5):
            health.refused(down)
            clock.now += 1
        health.succeeded(wrote=False)  # 1 s after the last refusal: coming back, maybe
        clock.now += 0.5
        health.refused(down)  # ... not yet
        clock.now += 0.5
        health.succeeded(wrote=False)
        clock.now += 3
        health.succeeded(wrote=False)  # quiet for 3.5 s: back since the success before
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("storage unavailable (ConnectionRefusedError: [Errno 111] Connection refused)")
    assert lines[1] == "storage back after 6.0 s, 6 requests refused"  # to the success after the last refusal
    assert not health.episodes


def test_a_full_disk_is_over_only_when_a_write_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StorageHealth(quiet_seconds=2.0, clock=clock)
    full = StorageFailure(StorageState.FULL, "OperationalError: database or disk is full")
    with caplog.at_level(logging.INFO, logger="oauthapps.store"):
        health.refused(full)
        clock.now += 10
        health.succeeded(wrote=False)  # reads go on working while the disk is full
        health.refused(full)
        health.refused(full)
        assert StorageState.FULL in health.episodes
        clock.now += 10
        health.succeeded(wrote=True)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("storage full (OperationalError: database or disk is full)")
    assert lines[1] == "storage has space again after 20.0 s, 3 requests refused"
