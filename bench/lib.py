"""Plumbing for bench/run.py and bench/profile.py: process groups, ports, wrk with generated Lua.

Every process is started in its own session (so its id is its process-group id) and registered;
``Processes.stop_all`` ends each group with SIGTERM, then SIGKILL, and runs on every exit path.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_list(name: str, default: str) -> list[str]:
    """A comma list; "none" (or only spaces) in the variable means the empty list."""
    raw = os.environ.get(name)
    raw = default if raw is None else raw.strip()
    return [part.strip() for part in raw.split(",") if part.strip() and part.strip().lower() != "none"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None
    log: IO[bytes] | None

    def tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Processes:
    """Every process bench starts, each in its own process group."""

    started: list[Started] = field(default_factory=list)

    def start(
        self,
        name: str,
        cmd: list[str],
        *,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        capture: bool = False,
    ) -> Started:
        """Start ``cmd`` in a new session. Output goes to ``log_path``, or is captured (``capture``), or dropped."""
        log = open(log_path, "wb") if log_path is not None and not capture else None
        if capture:
            out, err = subprocess.PIPE, subprocess.PIPE
        elif log is not None:
            out, err = log, subprocess.STDOUT
        else:
            out, err = subprocess.DEVNULL, subprocess.DEVNULL
        process = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        entry = Started(name, process, log_path, log)
        self.started.append(entry)
        return entry

    def stop(self, entry: Started, grace: float = 10.0) -> None:
        pgid = entry.process.pid  # start_new_session: the leader's pid is the group id
        if entry.process.poll() is None:
            _signal_group(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                entry.process.wait(timeout=grace)
        # Whatever is left of the group (workers of a supervisor that died first, say).
        _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            entry.process.wait(timeout=5)
        if entry.log is not None and not entry.log.closed:
            entry.log.close()
        if entry in self.started:
            self.started.remove(entry)

    def stop_all(self) -> None:
        for entry in reversed(list(self.started)):
            self.stop(entry)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_http(url: str, entry: Started, timeout: float = 90.0, method: str = "GET") -> None:
    """Until the server answers anything at all on ``url``."""
    deadline = time.monotonic() + timeout
    while True:
        if entry.process.poll() is not None:
            raise RuntimeError(f"{entry.name} exited with {entry.process.returncode}:\n{entry.tail()}")
        try:
            httpx.request(method, url, timeout=2)
            return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{entry.name} did not start within {timeout:.0f} s:\n{entry.tail()}")
        time.sleep(0.2)


# --- load: wrk + a generated Lua script -----------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


def _lua_str(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{out}"'


def lua_script(requests: list[Req]) -> str:
    """Requests are formatted once per wrk thread and rotated round-robin. done() prints one JSON
    line: wrk counts a response with status > 399 as an error ("status"); socket errors separately."""
    rows = []
    for r in requests:
        headers = ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in r.headers.items())
        body = _lua_str(r.body) if r.body is not None else "nil"
        rows.append(f"  {{{_lua_str(r.method)}, {_lua_str(r.path)}, {{{headers}}}, {body}}},")
    return "\n".join(
        [
            "local specs = {",
            *rows,
            "}",
            "local built = {}",
            "local n = 0",
            "local i = 0",
            "function init(args)",
            "  for k, s in ipairs(specs) do built[k] = wrk.format(s[1], s[2], s[3], s[4]) end",
            "  n = #built",
            "  i = math.random(n) - 1",
            "end",
            "function request()",
            "  i = i % n + 1",
            "  return built[i]",
            "end",
            "function done(summary, latency, requests)",
            "  local e = summary.errors",
            '  io.write(string.format(\'BENCHJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,'
            '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n\','
            " summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,"
            " latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max))",
            "end",
            "",
        ]
    )


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]


class Wrk:
    def __init__(self, procs: Processes, work_dir: Path, *, threads: int, connections: int, timeout_s: int = 5):
        self.procs = procs
        self.work_dir = work_dir
        self.threads = threads
        self.connections = connections
        self.timeout_s = timeout_s
        self.binary = shutil.which("wrk")
        if self.binary is None:
            raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
        self._n = 0

    def run(self, base_url: str, requests: list[Req], seconds: int) -> LoadResult:
        self._n += 1
        script = self.work_dir / f"load-{self._n}.lua"
        script.write_text(lua_script(requests))
        cmd = [
            self.binary,
            "-t",
            str(self.threads),
            "-c",
            str(self.connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            f"{self.timeout_s}s",
            "-s",
            str(script),
            base_url,
        ]
        entry = self.procs.start("wrk", cmd, capture=True)
        try:
            out, err = entry.process.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            self.procs.stop(entry)
            raise RuntimeError("wrk did not finish in time") from None
        self.procs.stop(entry)
        text = out.decode(errors="replace")
        line = next((ln for ln in text.splitlines() if ln.startswith("BENCHJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no summary (exit {entry.process.returncode}):\n{text}\n{(err or b'').decode()}")
        data: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
        duration = max(data["duration_us"], 1) / 1e6
        detail = {k: int(data[k]) for k in ("status", "connect", "read", "write", "timeout") if data[k]}
        return LoadResult(
            requests=data["requests"],
            seconds=duration,
            rps=data["requests"] / duration,
            p50_ms=data["p50_us"] / 1000,
            p90_ms=data["p90_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
            errors=sum(detail.values()),
            error_detail=detail,
        )


def preflight(base_url: str, requests: list[Req], limit: int = 3) -> None:
    """Send the first few requests once each and insist on HTTP 200, so a broken scenario is caught
    before it is measured (and so wrk's "status > 399" count can stand for non-2xx: none of these
    endpoints answers 2xx-or-3xx ambiguously)."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for r in requests[:limit]:
            response = http.request(r.method, r.path, headers=r.headers, content=r.body)
            if response.status_code != 200:
                raise RuntimeError(f"preflight {r.method} {r.path}: HTTP {response.status_code} {response.text[:300]}")


# --- is anything else using the CPUs? ------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields[:8])  # guest time is already inside user/nice


def cpu_busy(interval: float = 1.0) -> float:
    """Share of all CPUs busy over ``interval`` (0..1), system-wide."""
    idle0, total0 = _cpu_times()
    time.sleep(interval)
    idle1, total1 = _cpu_times()
    return 1.0 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_quiet(threshold: float, max_wait: float) -> float:
    """Sample CPU use while nothing of ours is loaded; wait up to ``max_wait`` s for it to drop
    under ``threshold``. Returns the last sample, so a busy machine can be flagged in the report."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(2.0)
    return busy


_TICK = os.sysconf("SC_CLK_TCK")


def _is_postgres(cmdline: bytes) -> bool:
    return cmdline.startswith((b"postgres:", b"postgres\x00")) or b"/bin/postgres\x00" in cmdline


def group_cpu_seconds(pgid: int, postgres: bool = False) -> float:
    """User + system CPU seconds of the live processes of one process group (all their threads).
    With ``postgres``, also PostgreSQL's: every postgres process, including the CPU of backends that
    already exited (the postmaster's reaped-children time), since connections opened and closed
    under load are part of the cost. CPU per request is far less sensitive to other load on the
    box than requests per second."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            # After the ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
            # utime stime cutime cstime
            if int(fields[2]) == pgid:
                total += int(fields[11]) + int(fields[12])
            elif postgres and _is_postgres((proc / "cmdline").read_bytes()):
                total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except (OSError, IndexError, ValueError):
            continue
    return total / _TICK


def system_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all CPUs)."""
    idle, total = _cpu_times()
    return (total - idle) / _TICK


def children_cpu_seconds() -> float:
    """CPU of this process's finished, reaped children (wrk runs)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
