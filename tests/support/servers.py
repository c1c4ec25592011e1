"""Real parts for tests: fresh databases (SQLite file, PostgreSQL database), real server processes
on loopback ports, and the ``oauthapps`` command line run as a process."""

from __future__ import annotations

import asyncio
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def pg_exec(sql: str) -> None:
    """One statement as PostgreSQL's admin user (database creation, dropping connections)."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    try:
        asyncio.run(pg_exec("SELECT 1"))
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
    asyncio.run(pg_exec(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
    env = {**os.environ, "OAUTHAPPS_DATA_DIR": str(tmp_dir / "data"), **(extra_env or {})}
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
def two_nodes(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two server processes of two workers each on one database (a deployment of two nodes), and
    a client of each."""
    with (
        running_server(database_url, tmp_path_factory.mktemp("node-a"), workers=2, extra_env=extra_env) as a,
        running_server(database_url, tmp_path_factory.mktemp("node-b"), workers=2, extra_env=extra_env) as b,
        httpx.Client(base_url=a.base_url, timeout=30) as node_a,
        httpx.Client(base_url=b.base_url, timeout=30) as node_b,
    ):
        yield node_a, node_b


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``oauthapps ARGS`` in its own process, the way an operator runs it; output captured as text."""
    return subprocess.run([sys.executable, "-m", "oauthapps.cli", *args], capture_output=True, text=True, timeout=timeout)


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
