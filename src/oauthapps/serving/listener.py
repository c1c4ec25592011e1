"""Listening sockets.

With several workers each one listens on a socket of its own, all bound to the same address with
``SO_REUSEPORT``: the kernel then spreads new connections over the listening workers by a hash of
each connection's addresses. (With one socket shared by every worker, whichever worker woke first
accepted every connection waiting: 16 connections opened together went 16/0.) A worker that is
not listening yet, or any more, gets none.

``SO_REUSEPORT`` lets any process of the same user join the group, so before the workers start
the supervisor checks that nothing listens on the address yet (``ensure_free``), then holds it
with a bound, never-listening socket of its own (``reserve``) for as long as it runs.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

BACKLOG = 2048  # uvicorn's default: connections the kernel queues for a worker before refusing


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @property
    def family(self) -> socket.AddressFamily:
        return socket.AF_INET6 if ":" in self.host else socket.AF_INET

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def bind(address: Address, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``address``, not listening yet (uvicorn's server calls listen)."""
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    try:
        # A restart right after a stop must not wait for the old connections' TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((address.host, address.port))
    except BaseException:
        sock.close()
        raise
    return sock


def ensure_free(address: Address) -> None:
    """Raise ``OSError`` (address in use) if anything listens on ``address`` already."""
    bind(address, reuse_port=False).close()


def reserve(address: Address) -> tuple[socket.socket, Address]:
    """Hold ``address`` for the workers (port 0: a free port, returned), listening on nothing."""
    ensure_free(address)
    sock = bind(address, reuse_port=True)
    return sock, Address(address.host, int(sock.getsockname()[1]))
