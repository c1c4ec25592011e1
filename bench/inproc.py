"""CPU per request of our whole ASGI app, in-process, with no sockets: what our code costs apart
from the HTTP server and the load generator, which share the two cores in `make bench`.

    .venv/bin/python bench/inproc.py                      # all scenarios, SQLite
    BENCH_INPROC_DB=postgresql .venv/bin/python bench/inproc.py
    BENCH_INPROC_SCENARIOS=client_credentials BENCH_INPROC_PROFILE=25 .venv/bin/python bench/inproc.py
    BENCH_INPROC_METRICS=compare .venv/bin/python bench/inproc.py   # metrics off vs on (`make bench-metrics`)

A one-worker server (started as in `make bench`) creates the fixtures over HTTP; then this process
builds the same app on the same database and drives it through the ASGI interface with 64
concurrent tasks on uvloop, replaying the requests `make bench` sends. Prints CPU µs per request
(`time.process_time`, all threads, so the figure holds when other work shares the machine) and,
with BENCH_INPROC_PROFILE=N, the top N functions by own time (cProfile).

BENCH_INPROC_METRICS=compare builds two apps on the same database, one with the Prometheus metrics
off and one with them on in the multi-process mode (values in memory-mapped files, as under
``serve --workers N``), and measures them in turns (off, on, off, on) for each scenario: the CPU
per request of each and the difference, which is the metrics' cost in requests per second. The
two run back to back in 20 short turns (the order alternating), and the median of the turns'
ratios is reported, so that load from elsewhere on a shared machine falls on both alike.
"""

from __future__ import annotations

import sys

# bench/profile.py (py-spy) would shadow the standard library's `profile`, which cProfile imports.
_here = sys.path.pop(0)
import cProfile

sys.path.insert(0, _here)

import asyncio
import io
import logging
import os
import pstats
import statistics
import tempfile

COMPARE_METRICS = os.environ.get("BENCH_INPROC_METRICS") == "compare"
if COMPARE_METRICS and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Before the client library is imported: it picks its value store (files) at import.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="oauthapps-bench-metrics-")
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import BUDGET_ENV, OURS_ENV, Processes, Req, env_int, env_list
from run import _pg_exec, ours_fixtures, ours_requests, start_ours

from oauthapps.config import Settings
from oauthapps.http.app import create_app

CONCURRENCY = 64
COMPARE_ROUNDS = 20  # BENCH_INPROC_METRICS=compare: off and on back to back, this many times each
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test")


def _scope(req: Req) -> tuple[dict[str, Any], bytes]:
    path, _, query = req.path.partition("?")
    body = (req.body or "").encode()
    headers = [(k.lower().encode(), v.encode()) for k, v in req.headers.items()]
    headers += [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": req.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    return scope, body


async def call(app: Any, req: Req, state: dict[str, Any]) -> int:
    scope, body = _scope(req)
    scope["state"] = dict(state)
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app: Any, reqs: list[Req], state: dict[str, Any], total: int) -> float:
    per_task = max(1, total // CONCURRENCY)
    bad: list[int] = []

    async def task(offset: int) -> None:
        for i in range(per_task):
            status = await call(app, reqs[(offset + i) % len(reqs)], state)
            if status >= 400:
                bad.append(status)

    started = time.process_time()
    await asyncio.gather(*(task(t) for t in range(CONCURRENCY)))
    if bad:
        raise RuntimeError(f"{len(bad)} requests failed, e.g. {bad[:5]}")
    return (time.process_time() - started) * 1e6 / (per_task * CONCURRENCY)


async def measure(url: str, fixtures_reqs: dict[str, list[Req]], scenarios: list[str], total: int, profile_top: int) -> None:
    os.environ.update(OURS_ENV)  # the signing keys' encryption key, read where the keys are opened
    budget = int(BUDGET_ENV["OAUTHAPPS_ANONYMOUS_PER_APP_PER_MINUTE"])
    settings = Settings(
        database_url=url,
        issuer=os.environ["BENCH_INPROC_ISSUER"],
        anonymous_per_app_per_minute=budget,
        anonymous_per_address_per_minute=budget,
    )
    if COMPARE_METRICS:
        await compare_metrics(settings, fixtures_reqs, scenarios, total)
        return
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        for name in scenarios:
            reqs = fixtures_reqs[name]
            await drive(app, reqs, state, total // 4)  # warm the caches
            us = await drive(app, reqs, state, total)
            print(f"{us:8.1f} µs CPU/request   {name}", flush=True)
            if profile_top:
                profiler = cProfile.Profile()
                profiler.enable()
                await drive(app, reqs, state, total // 2)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile_top)
                print("\n".join(out.getvalue().splitlines()[6:]), flush=True)


def recorder_cost(rounds: int = 200_000) -> None:
    """The metrics' own work per request, alone: CPU µs of a latency observation and of a token
    outcome (added up in the process, written at each sampling), and of the write itself."""
    from oauthapps.metrics.instruments import HttpMetrics, TokenMetrics, TokenOutcome

    http, tokens = HttpMetrics(), TokenMetrics()
    started = time.process_time()
    for _ in range(rounds):
        http.observe("POST", "/oauth2/token", 200, 0.004)
    observe = (time.process_time() - started) * 1e6 / rounds
    started = time.process_time()
    for _ in range(rounds):
        tokens.record("client_credentials", TokenOutcome.ISSUED, "app")
    record = (time.process_time() - started) * 1e6 / rounds
    started = time.process_time()
    http.flush()
    tokens.flush()
    flush = (time.process_time() - started) * 1e6
    print(f"recorders: {observe:.2f} µs per request observed, {record:.2f} µs per token outcome, {flush:.0f} µs per flush", flush=True)


async def compare_metrics(settings: Settings, fixtures_reqs: dict[str, list[Req]], scenarios: list[str], total: int) -> None:
    recorder_cost()
    async with AsyncExitStack() as stack:
        apps: dict[bool, tuple[Any, dict[str, Any]]] = {}
        for metrics in (False, True):
            app = create_app(replace(settings, metrics=metrics))
            apps[metrics] = (app, await stack.enter_async_context(app.router.lifespan_context(app)))
        print(f"{'scenario':<20} {'off µs':>8} {'on µs':>8} {'req/s lost':>10}", flush=True)
        for name in scenarios:
            reqs = fixtures_reqs[name]
            runs: dict[bool, list[float]] = {False: [], True: []}
            for app, state in apps.values():
                await drive(app, reqs, state, total // 4)  # warm the caches
            for turn in range(COMPARE_ROUNDS):
                order = (False, True) if turn % 2 == 0 else (True, False)
                for metrics in order:
                    app, state = apps[metrics]
                    runs[metrics].append(await drive(app, reqs, state, total // COMPARE_ROUNDS))
            # Each turn's pair ran back to back under the same load from elsewhere: the median of
            # the pairs' ratios, and the median CPU of each side.
            ratio = statistics.median(on / off for off, on in zip(runs[False], runs[True], strict=True))
            off, on = statistics.median(runs[False]), statistics.median(runs[True])
            print(f"{name:<20} {off:8.1f} {on:8.1f} {(1 - 1 / ratio) * 100:9.1f}%", flush=True)


def main() -> None:
    # The server's log lines (the access log included) are written, to /dev/null.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=open(os.devnull, "w"))
    kind = os.environ.get("BENCH_INPROC_DB", "sqlite")
    scenarios = env_list(
        "BENCH_INPROC_SCENARIOS", "client_credentials,anonymous,refresh_token,token_info,introspect,members_my,get_oauth_app"
    )
    total = env_int("BENCH_INPROC_REQUESTS", 20_000)
    profile_top = env_int("BENCH_INPROC_PROFILE", 0)
    procs = Processes()
    pg_db = None
    with tempfile.TemporaryDirectory(prefix="oauthapps-inproc-") as tmp:
        work = Path(tmp)
        if kind == "postgresql":
            pg_db = f"bench_inproc_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg_exec(PG_ADMIN, f'CREATE DATABASE "{pg_db}"'))
            url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{pg_db}"
        else:
            url = f"sqlite:///{work / 'inproc.db'}"
        try:
            _entry, base, creds = start_ours(procs, work, kind, url, 1)
            fixtures = ours_fixtures(base, creds)
            procs.stop_all()
            os.environ["BENCH_INPROC_ISSUER"] = base
            stderr, sys.stderr = sys.stderr, open(os.devnull, "w")
            try:
                uvloop.run(measure(url, ours_requests(fixtures), scenarios, total, profile_top))
            finally:
                sys.stderr = stderr
        finally:
            procs.stop_all()
            if pg_db:
                asyncio.run(_pg_exec(PG_ADMIN, f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
