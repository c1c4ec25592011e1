"""A throwaway PostgreSQL cluster for fault tests: its own data directory in a temp dir, its own
port, started and killed by the test (kill -9 of the postmaster and every backend, as a crash
or an OOM kill would), and started again on the same data. initdb refuses to run as root, so as
root the cluster belongs to the ``postgres`` user (``runuser``)."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import free_port

DATABASE = "oauthapps"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(args: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *args] if owner else args


@dataclass
class Cluster:
    bin_dir: Path
    data_dir: Path
    port: int
    owner: str | None  # the user the cluster runs as (None: this process's user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(_as_owner([str(self.bin_dir / args[0]), *args[1:]], self.owner), capture_output=True, timeout=timeout)
        if done.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}\n{tail}")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data_dir} -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.data_dir / "server.log"), "-o", options, "-w", "-t", "60", "start")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """kill -9 of the postmaster and all its children, then wait until they are gone."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        victims = [pid, *_children(pid)]
        for victim in victims:
            with suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_running(victim) for victim in victims) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _exists(pid):
            # Dead but not yet reaped by whoever adopted it: PostgreSQL would take the pid in its
            # pid file for a live postmaster and refuse to start, so the stale file goes.
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        if self.postmaster_pid() is not None:
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", timeout=30)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self.kill()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _running(pid: int) -> bool:
    """Alive, not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


async def _create_database(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres", timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A running cluster with an empty database ``oauthapps``; skipped where PostgreSQL's server
    programs are not installed."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed")
    owner = "postgres" if os.geteuid() == 0 else None
    work = Path(tempfile.mkdtemp(prefix="oauthapps-pg-"))
    if owner:
        shutil.chown(work, owner, owner)
    cluster = Cluster(bin_dir, work / "data", free_port(), owner)
    try:
        cluster._run("initdb", "-D", str(cluster.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", timeout=120)
        cluster.start()
        asyncio.run(_create_database(cluster.url))
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
