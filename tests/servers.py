"""Real parts for tests: fresh databases (SQLite file, PostgreSQL database) and a real server
process on a loopback port."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

PG_ADMIN_URL = os.environ.get("OAUTHAPPS_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# PostgreSQL needs the signing keys' encryption key from the environment (SQLite servers use the
# key file they make beside the database, as `make run` does).
KEY_ENCRYPTION_ENV = {"OAUTHAPPS_KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    try:
        asyncio.run(_pg_exec("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / f'oauthapps-{uuid.uuid4().hex[:8]}.db'}"
        return
    problem = postgres_available()
    if problem:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({problem})"
        if IN_CI:
            pytest.fail(message + " and CI=true: PostgreSQL tests must run in CI")
        pytest.skip(message)
    name = f"oauthapps_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def seeded_database(kind: str, tmp_dir: Path, seed: Callable[[str], Awaitable[None]]) -> Iterator[str]:
    """A fresh, migrated database with ``seed(url)`` run on it, dropped afterwards."""
    from oauthapps.store.migrate import upgrade

    with fresh_database(kind, tmp_dir) as url:
        upgrade(url)
        asyncio.run(seed(url))
        yield url


@dataclass
class Server:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(database_url: str, tmp_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    port = free_port()
    log_path = tmp_dir / f"server-{port}.log"
    keys = KEY_ENCRYPTION_ENV if database_url.startswith("postgresql") else {}
    env = {**os.environ, "OAUTHAPPS_DATA_DIR": str(tmp_dir / "data"), **keys, **(extra_env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oauthapps.cli", "serve", "--port", str(port), "--database", database_url, "--workers", str(workers)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", database_url, process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(f"{server.base_url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@contextmanager
def serving_in_thread(httpd: Any, name: str) -> Iterator[None]:
    """Run a stdlib-style HTTP server (serve_forever/shutdown) on a thread for the block's length."""
    thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
