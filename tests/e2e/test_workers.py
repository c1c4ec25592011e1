"""``serve --workers N``: each worker accepts on a listener of its own (SO_REUSEPORT), so that
connections opened together are spread over the workers instead of all going to the one that woke
first; a worker that dies is replaced while the others serve; a taken address is a clear error.

Which worker served a connection is read from /proc (the server's side of the connection is a
socket in exactly one worker's file table), so the server needs no debug header or endpoint."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..support.servers import Server, fresh_database, running_server, stop_server

ROUNDS = 6
CONNECTIONS = 16
LISTEN, ESTABLISHED = "0A", "01"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and needs Linux's SO_REUSEPORT")


# --- /proc: who listens, who holds a connection -------------------------------------------------


def _tcp_sockets() -> Iterator[tuple[int, int, str, int]]:
    """(local port, remote port, state, inode) of every TCP socket, IPv4 and IPv6."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            yield int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state, inode


def _group_members(pgid: int) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(proc.name))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def _socket_owners(pgid: int) -> dict[int, int]:
    """Socket inode -> pid, over the server's process group."""
    owners = {}
    for pid in _group_members(pgid):
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                match = re.fullmatch(r"socket:\[(\d+)\]", _readlink(fd))
                if match:
                    owners[int(match.group(1))] = pid
        except OSError:
            continue
    return owners


def _running(pid: int) -> bool:
    """Not yet a zombie: a zombie has closed all its files (its listener included)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) not in ("Z", "X")
    except OSError:
        return False


def _readlink(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return ""


def listening_workers(server: Server) -> set[int]:
    port = int(server.base_url.rsplit(":", 1)[1])
    owners = _socket_owners(server.process.pid)
    return {owners[inode] for local, _, state, inode in _tcp_sockets() if local == port and state == LISTEN and inode in owners}


def serving_workers(server: Server, client_ports: list[int]) -> list[int]:
    """For each client port, the pid of the worker holding the server's side of that connection."""
    port = int(server.base_url.rsplit(":", 1)[1])
    owners = _socket_owners(server.process.pid)
    by_client = {remote: owners.get(inode) for local, remote, state, inode in _tcp_sockets() if local == port and state == ESTABLISHED}
    found = [by_client.get(p) for p in client_ports]
    assert all(pid is not None for pid in found), (client_ports, by_client)
    return [pid for pid in found if pid is not None]


def wait_for_workers(server: Server, count: int, not_in: frozenset[int] = frozenset()) -> set[int]:
    deadline = time.monotonic() + 60
    while True:
        pids = listening_workers(server)
        if len(pids) == count and not pids & not_in:
            return pids
        assert server.process.poll() is None, server.log()
        assert time.monotonic() < deadline, f"listening: {pids}\n{server.log()}"
        time.sleep(0.1)


# --- a burst of connections ---------------------------------------------------------------------


def _read_response_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed before answering"
        data += chunk
    return data


def burst(server: Server) -> list[int]:
    """Open CONNECTIONS connections at once, get an answer on each, return the pid that served each."""
    port = int(server.base_url.rsplit(":", 1)[1])
    socks = [socket.socket() for _ in range(CONNECTIONS)]
    try:
        for sock in socks:  # every SYN goes out before any worker accepts anything
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        for sock in socks:
            sock.settimeout(30)
            sock.sendall(b"GET /oauth2/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in socks:
            assert _read_response_head(sock).startswith(b"HTTP/1.1 200 ")
        return serving_workers(server, [sock.getsockname()[1] for sock in socks])
    finally:
        for sock in socks:
            sock.close()


def served_counts(log: str) -> dict[int, int]:
    return {int(pid): int(n) for pid, n in re.findall(r"worker (\d+) stopped: (\d+) requests served", log)}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path) as url:
        yield url


def test_connections_opened_together_are_spread_over_the_workers(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, workers=2) as server:
        workers = wait_for_workers(server, 2)
        total: Counter[int] = Counter()
        for _ in range(ROUNDS):
            round_ = Counter(burst(server))
            assert set(round_) == workers, f"one worker took the whole burst: {dict(round_)}"
            total += round_
        stop_server(server)
        assert server.process.returncode == 0, server.log()
        served = served_counts(server.log())
    # Each worker logs how many requests it served when it stops: at least the connections seen here.
    assert set(served) == workers
    assert all(served[pid] >= total[pid] for pid in workers), (served, total)
    assert min(total.values()) >= ROUNDS * CONNECTIONS // 4, dict(total)


def test_a_worker_that_dies_is_replaced_while_the_other_serves(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, workers=2) as server, httpx.Client(timeout=30) as http:
        first = wait_for_workers(server, 2)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # Once the victim's listener is gone (the kernel resets what was queued on it), and while its
        # replacement starts, the survivor answers everything (a fresh connection each time).
        deadline = time.monotonic() + 30
        while _running(victim):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for _ in range(5):
            assert http.get(f"{server.base_url}/oauth2/jwks", headers={"Connection": "close"}).status_code == 200
        replaced = wait_for_workers(server, 2, not_in=frozenset({victim}))
        assert replaced - first and max(first) in replaced
        assert f"worker {victim} exited with -9" in server.log()
        assert Counter(burst(server)).keys() == replaced


@pytest.mark.parametrize("workers", [1, 2])
def test_an_address_in_use_is_a_clear_error(sqlite_url: str, tmp_path: Path, workers: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "oauthapps.cli", "serve", "--port", str(port), "--database", sqlite_url, "--workers", str(workers)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "OAUTHAPPS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"},
        )
    assert result.returncode == 3, result
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_ctrl_c_stops_every_worker_gracefully(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, workers=2) as server:
        workers = wait_for_workers(server, 2)
        os.killpg(server.process.pid, signal.SIGINT)  # what a terminal sends the foreground group
        assert server.process.wait(timeout=30) == 0, server.log()
        assert set(served_counts(server.log())) == workers
