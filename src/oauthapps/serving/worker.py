"""One worker: a uvicorn server for our app on one listening socket, stopped by SIGTERM with a drain.

On SIGTERM the worker takes the connections the kernel has already queued for it, stops listening
at once, lets every connection drain (protocol.py) for at most the graceful timeout, then runs the
app's shutdown (the visitor writer's last batch, the access log, the database: http/app.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import FrameType

import uvicorn

from ..logs import configure_logging
from .listener import BACKLOG, Address, bind
from .options import FLUSH_TIMEOUT_SECONDS
from .protocol import DrainingHttpProtocol

log = logging.getLogger("oauthapps.serving")

APP_FACTORY = "oauthapps.http.app:create_app_from_env"


@dataclass(frozen=True)
class WorkerSpec:
    address: Address
    graceful_timeout: int
    forwarded_allow_ips: str | None = None  # as in ServeOptions
    # The supervisor's pid when supervised: the worker then joins the SO_REUSEPORT group, leaves
    # SIGINT to the supervisor, and stops if the supervisor is gone.
    supervisor_pid: int | None = None


def uvicorn_config(spec: WorkerSpec) -> uvicorn.Config:
    return uvicorn.Config(
        APP_FACTORY,
        factory=True,
        http=DrainingHttpProtocol,
        lifespan="on",
        log_level="warning",
        access_log=False,  # ours is http/access_log.py
        log_config=None,  # uvicorn's own lines go through ours (logs.py), in the format chosen
        # Only the listed proxies' X-Forwarded-For is believed; with none, the client is the TCP peer.
        proxy_headers=spec.forwarded_allow_ips is not None,
        forwarded_allow_ips=spec.forwarded_allow_ips,
        server_header=False,
        backlog=BACKLOG,
        timeout_graceful_shutdown=spec.graceful_timeout,
    )


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, spec: WorkerSpec, ready: Connection | None = None):
        super().__init__(config)
        self.spec = spec
        self.ready = ready

    @property
    def supervised(self) -> bool:
        return self.spec.supervisor_pid is not None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("worker %d serving on %s", os.getpid(), self.spec.address)
            if self.ready is not None:
                with contextlib.suppress(OSError):  # a supervisor gone meanwhile: on_tick notices
                    self.ready.send(os.getpid())
                self.ready.close()

    async def on_tick(self, counter: int) -> bool:
        if self.supervised and counter % 10 == 0 and os.getppid() != self.spec.supervisor_pid:
            log.warning("worker %d: the supervisor is gone; stopping", os.getpid())
            self.should_exit = True
        return await super().on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not recorded for uvicorn to raise again after the shutdown: a drained worker exits 0.
        if self.supervised:
            # Ctrl+C reaches the whole process group: the supervisor turns it into SIGTERM. A SIGTERM
            # may come twice (from the supervisor and from whoever signalled the group); the
            # supervisor alone decides to stop at once.
            if sig != signal.SIGINT:
                self.should_exit = True
            return
        if self.should_exit:
            self.force_exit = True  # a second signal: stop at once
        self.should_exit = True

    def _new_connection(self) -> asyncio.Protocol:
        return DrainingHttpProtocol(config=self.config, server_state=self.server_state, app_state=self.lifespan.state)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Connections the kernel completed but nobody accepted yet would be reset when the listener
        # closes: take them first, then close at once, leaving no time for more to queue.
        queued = [conn for sock in sockets or [] for conn in _accept_queued(sock)]
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        loop = asyncio.get_running_loop()
        for conn in queued:
            try:
                await loop.connect_accepted_socket(self._new_connection, conn)
            except OSError:
                conn.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                await self._wait_tasks_to_complete()
        except TimeoutError:
            log.error(
                "worker %d: graceful timeout (%d s): cancelling %d request(s) still running",
                os.getpid(),
                self.config.timeout_graceful_shutdown or 0,
                len(self.server_state.tasks),
            )
            for task in self.server_state.tasks:
                task.cancel(msg="graceful timeout")
        if not self.force_exit:
            try:
                async with asyncio.timeout(FLUSH_TIMEOUT_SECONDS):
                    await self.lifespan.shutdown()
            except TimeoutError:
                log.error("worker %d: the app's shutdown took over %.0f s; stopping anyway", os.getpid(), FLUSH_TIMEOUT_SECONDS)


def _accept_queued(sock: socket.socket) -> list[socket.socket]:
    taken: list[socket.socket] = []
    while len(taken) < BACKLOG:
        try:
            sock.setblocking(False)
            conn, _ = sock.accept()
        except OSError:  # BlockingIOError: nothing more queued
            break
        taken.append(conn)
    return taken


def run_worker(spec: WorkerSpec, ready: Connection | None = None, sock: socket.socket | None = None) -> None:
    """Serve until SIGTERM (``sock``: an already bound listener; else bind one of the group)."""
    configure_logging()
    listener = sock if sock is not None else bind(spec.address, reuse_port=True)
    server = DrainingServer(uvicorn_config(spec), spec, ready)
    try:
        server.run(sockets=[listener])
    finally:
        log.info("worker %d stopped: %d requests served", os.getpid(), server.server_state.total_requests)
