"""What every command shares: the ``--database``/``--json``/``--project`` options, and running one unit
of async work on a migrated database with domain errors turned into messages and exit codes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..domain.errors import DomainError, ValidationFailed
from ..store.database import Database, default_database_url
from ..store.migrate import upgrade
from .output import message, report_error

DatabaseOpt = Annotated[str | None, typer.Option("--database", help="Database URL (sqlite:///PATH or postgresql://...)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ProjectOpt = Annotated[str, typer.Option("--project", help="Project ID.")]

T = TypeVar("T")


class ExitCode(IntEnum):
    """What a script can tell apart: a refused request (fix the input) or no database (fix the setup)."""

    REFUSED = 1
    NO_DATABASE = 2


def database_url(database: str | None) -> str:
    """The ``--database`` value, or the SQLite file ``serve`` uses by default."""
    return database or default_database_url()


def run(database: str | None, work: Callable[[Database], Awaitable[T]]) -> T:
    """Migrate, open the database, run one unit of work, report domain errors cleanly."""
    url = database_url(database)
    try:
        upgrade(url)
    except (ValueError, OSError, SQLAlchemyError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        report_error(message("cannot open the database {}: {}: {}", safe_url(url), type(exc).__name__, first_line))
        raise typer.Exit(ExitCode.NO_DATABASE) from None

    async def main() -> T:
        db = Database.open(url)
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except DomainError as err:
        if isinstance(err, ValidationFailed):
            for v in err.violations:
                report_error(message("{}: {}", v.field, v.description))
        else:
            report_error(message("{} ({})", err.description, err.code))
        raise typer.Exit(ExitCode.REFUSED) from None


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True) if "://" in url else url
    except Exception:
        return url
