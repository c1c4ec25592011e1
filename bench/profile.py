"""Where one worker of our server spends its time under load (py-spy; not a project dependency).

    .venv/bin/pip install py-spy          # into the venv, for profiling only
    .venv/bin/python bench/profile.py     # or: make bench-profile

Starts `oauthapps serve --workers 2` on a fresh SQLite file (BENCH_PROFILE_DB=postgresql for a
fresh PostgreSQL database), drives each scenario of BENCH_PROFILE_SCENARIOS (default
client_credentials,get_oauth_app) with wrk at 64 connections, and meanwhile samples ONE worker with
`py-spy record` (all its threads, idle samples excluded) for BENCH_PROFILE_SECONDS (default 10);
BENCH_PROFILE_PYSPY_ARGS adds py-spy options (e.g. "--native", "--gil").
Prints, per scenario: self time by package, the top functions by self time and by inclusive time,
as percentages of that worker's non-idle samples. Raw collapsed stacks: bench/results/profile-*.collapsed (summaries: .txt).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import Processes, Wrk, env_int, env_list
from run import VENV_BIN, _pg_exec, ours_fixtures, ours_requests, start_ours

RESULTS = Path(__file__).resolve().parent / "results"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# Self time is attributed to the first package found walking up from the leaf frame.
PACKAGES = [
    ("sqlalchemy", "SQLAlchemy (Core + asyncio bridge)"),
    ("aiosqlite", "aiosqlite worker threads (sqlite3 C calls + queue)"),
    ("asyncpg", "asyncpg"),
    ("sqlite3", "sqlite3 (C)"),
    ("joserfc", "joserfc (JWT)"),
    ("cryptography", "cryptography (ECDSA)"),
    ("fastapi", "FastAPI"),
    ("pydantic", "Pydantic"),
    ("starlette", "Starlette"),
    ("uvicorn", "uvicorn"),
    ("httptools", "httptools"),
    ("orjson", "orjson"),
    ("oauthapps", "oauthapps (our code)"),
    ("asyncio", "event loop (uvloop C code: sockets, callbacks)"),
    ("uvloop", "event loop (uvloop C code: sockets, callbacks)"),
    ("concurrent", "threads (futures/queue)"),
    ("threading", "threads (futures/queue)"),
    ("queue.py", "threads (futures/queue)"),
]


# Frames every sample shares (process/thread start-up, the loop runner): left out of "inclusive".
PLUMBING = (
    "multiprocessing/",
    "threading.py",
    "uvicorn/_subprocess.py",
    "uvicorn/supervisors/",
    "uvicorn/server.py",
    "uvicorn/_compat.py",
    "asyncio/runners.py",
)


def worker_pids(leader: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children that run multiprocessing's spawn."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == leader and "multiprocessing" in cmdline and "resource_tracker" not in cmdline:
            pids.append(int(proc.name))
    return sorted(pids)


def package_of(file: str) -> str:
    for needle, name in PACKAGES:
        if f"/{needle}" in file or file.startswith(needle):
            return name
    return "other (stdlib/C)"


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        body, _, count = line.rpartition(" ")
        if not body or not count.isdigit():
            continue
        frames = []
        for raw in body.split(";"):
            m = FRAME.match(raw.strip())
            if m:
                frames.append((m.group("func"), m.group("file")))
        if frames:
            stacks.append((frames, int(count)))
    return stacks


# Each sample goes to the first activity any of its frames matches (so the shares add up to 100%).
ACTIVITIES: list[tuple[str, Callable[[str, str], bool]]] = [
    ("access log line (logging)", lambda fn, fl: "logging/" in fl),
    ("SQLAlchemy pool pre-ping (an extra round trip per checkout)", lambda fn, fl: "ping" in fn.lower() and "sqlalchemy" in fl),
    ("opening database connections", lambda fn, fl: "connect_utils" in fl or fn.endswith("__connect") or fn == "connect"),
    (
        "transaction begin/commit/rollback + pool return",
        lambda fn, fl: (
            "sqlalchemy" in fl and any(w in fn.lower() for w in ("commit", "rollback", "begin", "_reset", "checkin", "_finalize_fairy"))
        ),
    ),
    (
        "SQL statements (SQLAlchemy + driver + sqlite3 C)",
        lambda fn, fl: any(k in fl for k in ("sqlalchemy", "aiosqlite", "asyncpg", "oauthapps/store/")),
    ),
    ("JWT sign/verify (joserfc + cryptography)", lambda fn, fl: "joserfc" in fl or "cryptography" in fl),
    (
        "our code (params, auth, grants, wire shapes)",
        lambda fn, fl: "oauthapps/" in fl and not fl.endswith(("http/middleware.py", "http/cors.py")),
    ),
    ("FastAPI stack (routing, dependencies, its middlewares, response send)", lambda fn, fl: "fastapi" in fl and "middleware" not in fl),
    ("HTTP server + Starlette + middleware", lambda fn, fl: any(k in fl for k in ("uvicorn", "starlette", "oauthapps/http"))),
    ("event loop (uvloop C: sockets, scheduling, GIL handoffs)", lambda fn, fl: "asyncio/runners.py" in fl),
]


def activities(stacks: list[tuple[list[tuple[str, str]], int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for all_frames, count in stacks:
        frames = [(fn, fl) for fn, fl in all_frames if not any(p in fl for p in PLUMBING if p != "asyncio/runners.py")]
        for name, match in ACTIVITIES:
            if any(match(fn, fl) for fn, fl in frames):
                out[name] += count
                break
        else:
            out["other"] += count
    return out


def summarize(path: Path, top: int = 15) -> str:
    stacks = parse(path)
    total = sum(c for _, c in stacks) or 1
    self_fn: Counter[str] = Counter()
    self_pkg: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        func, file = frames[-1]
        short = file.split("site-packages/")[-1].split("/lib/python3.11/")[-1]
        self_fn[f"{func} ({short})"] += count
        # Attribute to the innermost frame that belongs to a known package (C calls show as stdlib).
        pkg = "other (stdlib/C)"
        for _f, fl in reversed(frames):
            p = package_of(fl)
            if p != "other (stdlib/C)":
                pkg = p
                break
        self_pkg[pkg] += count
        seen = set()
        for f, fl in frames:
            if any(part in fl for part in PLUMBING) or f == "<module>":
                continue
            short_fl = fl.split("site-packages/")[-1].split("/lib/python3.11/")[-1]
            key = f"{f} ({short_fl})"
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
    threads = sum(c for frames, c in stacks if any("aiosqlite/core.py" in fl for _, fl in frames))
    out = [
        f"{total} non-idle samples ({100 * threads / total:.1f}% in aiosqlite's worker threads, the rest on the event-loop thread)",
        "",
        "self time by package (innermost known package on the stack):",
    ]
    out += [f"  {100 * c / total:5.1f}%  {name}" for name, c in self_pkg.most_common()]
    out += ["", "time by activity (a sample counts for the first activity on its stack, in this order of precedence):"]
    counts = activities(stacks)
    out += [f"  {100 * counts[name] / total:5.1f}%  {name}" for name, _ in [*ACTIVITIES, ("other", None)] if counts[name]]  # type: ignore[list-item]
    out += ["", f"top {top} functions by self time:"]
    out += [f"  {100 * c / total:5.1f}%  {name}" for name, c in self_fn.most_common(top)]
    out += ["", f"top {top + 10} functions by inclusive time:"]
    out += [f"  {100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top + 10)]
    return "\n".join(out)


def main() -> int:
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if py_spy is None:
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    kind = os.environ.get("BENCH_PROFILE_DB", "sqlite")
    seconds = env_int("BENCH_PROFILE_SECONDS", 10)
    scenarios = env_list("BENCH_PROFILE_SCENARIOS", "client_credentials,get_oauth_app")
    pg_admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test")
    RESULTS.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    pg_name = None
    with tempfile.TemporaryDirectory(prefix="oauthapps-profile-") as tmp:
        work = Path(tmp)
        try:
            if kind == "sqlite":
                url = f"sqlite:///{work / 'profile.db'}"
            else:
                pg_name = f"oauthapps_profile_{uuid.uuid4().hex[:10]}"
                asyncio.run(_pg_exec(pg_admin, f'CREATE DATABASE "{pg_name}"'))
                url = f"{pg_admin.rsplit('/', 1)[0]}/{pg_name}"
            entry, base, creds = start_ours(procs, work, kind, url, env_int("BENCH_WORKERS", 2))
            requests = ours_requests(ours_fixtures(base, creds, members="members_my" in scenarios))
            wrk = Wrk(procs, work, threads=2, connections=env_int("BENCH_CONNECTIONS", 64))
            pids = worker_pids(entry.process.pid)
            if not pids:
                raise RuntimeError("found no uvicorn worker process")
            for scenario in scenarios:
                wrk.run(base, requests[scenario], 2)  # warm-up
                out = RESULTS / f"profile-{scenario}-{kind}.collapsed"
                out.unlink(missing_ok=True)  # never summarise a previous run's samples
                # wrk in the background (its own process group, through Processes), py-spy in front.
                result: dict[str, object] = {}
                runner = threading.Thread(target=lambda r=result, s=scenario: r.update(r=wrk.run(base, requests[s], seconds + 2)))
                runner.start()
                time.sleep(1)
                spy = procs.start(
                    "py-spy",
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(pids[0]),
                        "--duration",
                        str(seconds),
                        "--rate",
                        "250",
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                        "--nonblocking",
                        *os.environ.get("BENCH_PROFILE_PYSPY_ARGS", "").split(),
                    ],
                    log_path=work / f"py-spy-{scenario}.log",
                )
                spy.process.wait(timeout=seconds + 60)
                procs.stop(spy)
                runner.join(timeout=seconds + 90)
                r = result.get("r")
                print(f"\n=== {scenario} ({kind}, worker pid {pids[0]} of {len(pids)}) ===")
                if r is not None:
                    print(f"load during the profile: {r.rps:,.0f} req/s, p99 {r.p99_ms:.1f} ms, errors {r.errors}")  # type: ignore[attr-defined]
                if not out.exists():
                    print((work / f"py-spy-{scenario}.log").read_text())
                    continue
                summary = summarize(out)
                print(summary)
                out.with_suffix(".txt").write_text(summary + "\n")
        finally:
            procs.stop_all()
            if pg_name:
                asyncio.run(_pg_exec(pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
