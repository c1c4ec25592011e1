"""Bring a database to the newest schema through Alembic (never ``create_all``)."""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from .database import async_url, create_private_file

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Idempotent and safe to run from several processes at once: PostgreSQL migrations take an
    advisory lock (see migrations/env.py); SQLite ones take a lock file beside the database."""
    full = async_url(url)
    database = make_url(full).database if full.startswith("sqlite") else None
    if not database or database == ":memory:":
        command.upgrade(alembic_config(url), revision)
        return
    lock_path = Path(f"{database}.migrate-lock")
    create_private_file(lock_path)
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            command.upgrade(alembic_config(url), revision)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def upgrade_async(url: str) -> None:
    """Alembic's env runs its own event loop, so run it on a thread from async code."""
    await asyncio.to_thread(upgrade, url)
