"""Real parts for tests: fresh databases (SQLite file, PostgreSQL database), real server processes
on loopback ports, and the ``oauthapps`` command line run as a process."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
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


def key_env(database_url: str) -> dict[str, str]:
    """What a server or command on this database needs to open the signing keys: the encryption
    key on PostgreSQL, nothing on SQLite (the key file beside the database)."""
    return KEY_ENCRYPTION_ENV if database_url.startswith("postgresql") else {}


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


def start_server(
    database_url: str, tmp_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()
) -> Server:
    """Launch ``oauthapps serve`` in a session of its own; does not wait for it (wait_until_ready)."""
    port = free_port()
    log_path = tmp_dir / f"server-{port}.log"
    env = {**os.environ, "OAUTHAPPS_DATA_DIR": str(tmp_dir / "data"), **key_env(database_url), **(extra_env or {})}
    command = [sys.executable, "-m", "oauthapps.cli", "serve", "--port", str(port), "--database", database_url, "--workers", str(workers)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*command, *extra_args], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return Server(f"http://127.0.0.1:{port}", database_url, process, log_path)


def wait_until_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not start:\n{server.log()}")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    """SIGTERM (the server drains), then whatever is left of its process group is killed."""
    server.process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


@contextmanager
def running_server(
    database_url: str, tmp_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()
) -> Iterator[Server]:
    with running_servers(database_url, tmp_dir, 1, workers, extra_env, extra_args) as (server,):
        yield server


@contextmanager
def running_servers(
    database_url: str,
    tmp_dir: Path,
    count: int,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[tuple[Server, ...]]:
    """``count`` servers (nodes) on one database, all launched before any is waited for."""
    servers: list[Server] = []
    try:
        servers.extend(start_server(database_url, tmp_dir, workers, extra_env, extra_args) for _ in range(count))
        for server in servers:
            wait_until_ready(server)
        yield tuple(servers)
    finally:
        for server in servers:
            stop_server(server)


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
    """``oauthapps ARGS`` in its own process, the way an operator runs it; output captured as text.
    A ``--database`` on PostgreSQL gets the signing keys' encryption key, as a server does."""
    keys = next((key_env(arg) for arg in args if arg.startswith("postgresql")), {})
    env = {**os.environ, **keys}
    return subprocess.run([sys.executable, "-m", "oauthapps.cli", *args], capture_output=True, text=True, timeout=timeout, env=env)


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
