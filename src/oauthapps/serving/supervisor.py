"""The supervisor of ``--workers N``: starts N worker processes (each with a listener of its own in
one SO_REUSEPORT group: listener.py), starts a new one when one dies, and stops them all on SIGTERM
or SIGINT.

Stopping: the first SIGTERM/SIGINT is passed on to every worker as SIGTERM (each drains: worker.py);
workers still running after the graceful timeout plus the flush time are killed. A second signal
kills them at once. Starting: if a worker exits before every worker has started (a database that
cannot be opened, say), the others are stopped and the supervisor exits with that worker's code.

Metrics: before the first worker starts, the supervisor makes the private directory the workers
write their metric values to (metrics/multiprocess.py), tells it when a worker has exited, and
serves ``--metrics-port`` itself from a thread (metrics/serve.py), adding up every worker's values.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from ..metrics.multiprocess import MetricsDirectory
from ..metrics.serve import MetricsServer
from .listener import Address, reserve
from .options import FLUSH_TIMEOUT_SECONDS, ServeOptions
from .worker import WorkerSpec, run_worker

log = logging.getLogger("oauthapps.serving")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A worker that dies sooner than this after its start is restarted after a pause that doubles
# each time, up to the maximum, so that a worker that cannot start does not spin.
STABLE_SECONDS = 10.0
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 30.0


@dataclass
class Slot:
    """One worker place: the process in it now, and how its recent restarts went."""

    index: int
    process: BaseProcess | None = None
    ready: Connection | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    has_started: bool = False


@dataclass
class Supervisor:
    options: ServeOptions
    slots: list[Slot] = field(default_factory=list)
    stop_requests: int = 0

    def __post_init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter, no inherited loop
        self._wake_read, self._wake_write = socket.socketpair()
        self._metrics_dir: MetricsDirectory | None = None

    def run(self) -> int:
        """Serve until stopped; the exit code."""
        guard, address = reserve(Address(self.options.host, self.options.port))
        try:
            metrics_server = MetricsServer(self.options.host, self.options.metrics_port) if self.options.metrics_port else None
        except BaseException:
            guard.close()
            raise
        # Before any worker starts: they inherit the directory through the environment.
        self._metrics_dir = MetricsDirectory() if self.options.metrics else None
        if metrics_server is not None:
            metrics_server.start()
        spec = WorkerSpec(
            address,
            self.options.graceful_timeout,
            forwarded_allow_ips=self.options.forwarded_allow_ips,
            supervisor_pid=os.getpid(),
        )
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        self._wake_write.setblocking(False)
        old_wakeup = signal.set_wakeup_fd(self._wake_write.fileno())
        try:
            self.slots = [Slot(i) for i in range(self.options.workers)]
            for slot in self.slots:
                self._start(slot, spec)
            code = self._supervise(spec)
            self._stop_all()
            return code
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            guard.close()
            self._wake_read.close()
            self._wake_write.close()
            if metrics_server is not None:
                metrics_server.close()
            if self._metrics_dir is not None:
                self._metrics_dir.close()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.stop_requests += 1

    def _start(self, slot: Slot, spec: WorkerSpec) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(target=run_worker, args=(spec, writer), name=f"oauthapps-worker-{slot.index}")
        process.start()
        writer.close()  # the child has its copy; ours would keep the pipe open after the child died
        slot.process, slot.ready, slot.started_at, slot.restart_at = process, reader, time.monotonic(), None

    def _supervise(self, spec: WorkerSpec) -> int:
        all_started = False
        while not self.stop_requests:
            waitables: list[object] = [self._wake_read]
            for slot in self.slots:
                if slot.process is not None:
                    waitables.append(slot.process.sentinel)
                if slot.ready is not None:
                    waitables.append(slot.ready)
            pending = [s.restart_at for s in self.slots if s.restart_at is not None]
            timeout = max(0.0, min(pending) - time.monotonic()) if pending else None
            wait(waitables, timeout)  # type: ignore[arg-type]
            self._drain_wakeups()
            for slot in self.slots:
                self._read_ready(slot)
            if not all_started and all(s.has_started for s in self.slots):
                all_started = True
                log.info("supervisor %d: %d workers serving on %s", os.getpid(), len(self.slots), spec.address)
            for slot in self.slots:
                process = slot.process
                if process is None or process.is_alive() or self.stop_requests:
                    continue
                process.join()
                code = process.exitcode if process.exitcode is not None else 1
                slot.process = None
                if self._metrics_dir is not None:
                    self._metrics_dir.worker_exited(process.pid)
                if not all_started:
                    log.error("worker %d exited with %d before all workers started; stopping", process.pid, code)
                    return code if code > 0 else 1
                self._schedule_restart(slot, process.pid, code)
            now = time.monotonic()
            for slot in self.slots:
                if slot.restart_at is not None and slot.restart_at <= now and not self.stop_requests:
                    self._start(slot, spec)
        return 0

    def _read_ready(self, slot: Slot) -> None:
        if slot.ready is None or not slot.ready.poll():
            return
        try:
            slot.ready.recv()
            slot.has_started = True
        except EOFError:
            pass  # the worker died before it was ready; its sentinel says so
        slot.ready.close()
        slot.ready = None

    def _schedule_restart(self, slot: Slot, pid: int | None, code: int) -> None:
        quick = time.monotonic() - slot.started_at < STABLE_SECONDS
        slot.quick_deaths = slot.quick_deaths + 1 if quick else 0
        pause = min(FIRST_PAUSE_SECONDS * 2 ** (slot.quick_deaths - 1), MAX_PAUSE_SECONDS) if quick else 0.0
        log.error("worker %s exited with %d; starting another in %.1f s", pid, code, pause)
        slot.restart_at = time.monotonic() + pause

    def _drain_wakeups(self) -> None:
        self._wake_read.setblocking(False)
        try:
            while self._wake_read.recv(512):
                pass
        except OSError:  # BlockingIOError: drained
            pass

    def _stop_all(self) -> None:
        running = [s.process for s in self.slots if s.process is not None and s.process.is_alive()]
        log.info("supervisor %d: stopping %d workers (graceful timeout %d s)", os.getpid(), len(running), self.options.graceful_timeout)
        for process in running:
            _signal(process, signal.SIGTERM)
        handled = self.stop_requests
        deadline = time.monotonic() + self.options.graceful_timeout + FLUSH_TIMEOUT_SECONDS + 2.0
        while running and time.monotonic() < deadline:
            wait([p.sentinel for p in running], timeout=max(0.0, deadline - time.monotonic()))
            self._drain_wakeups()
            running = [p for p in running if p.is_alive()]
            if self.stop_requests > handled:
                log.warning("supervisor %d: second stop signal: killing %d workers", os.getpid(), len(running))
                break
        for process in running:
            _signal(process, signal.SIGKILL)
        for slot in self.slots:
            if slot.process is not None:
                slot.process.join()
            if slot.ready is not None:
                slot.ready.close()


def _signal(process: BaseProcess, sig: int) -> None:
    if process.pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)
