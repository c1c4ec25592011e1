"""`make soak`: new-visitor traffic for a long while, failing if a worker's memory keeps growing.

    .venv/bin/python bench/soak.py                                # 30 min on SQLite, 2 workers
    SOAK_SECONDS=300 SOAK_WARMUP=60 SOAK_DB=postgresql .venv/bin/python bench/soak.py

A two-worker server on a fresh database; wrk (paced by its Lua ``delay``) asks for an anonymous
token, then checks it with token-info, then asks for the next visitor's token, over and over: each
visitor is a new grant row, a new refresh token and a new verified token, so every cache and
the database keep growing as they do on a busy site. Each worker's resident memory is sampled
every few seconds; the figure after the warm-up is the baseline, and the run fails (exit 1) when
a worker ends more than SOAK_MAX_GROWTH (10 %) above it.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import Processes, env_int
from run import _pg_exec, start_ours

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test")
CONNECTIONS = 8
SAMPLE_SECONDS = 5


def visitor_script(client_id: str, delay_ms: int) -> str:
    """Anonymous token, then token-info with it, per connection, each request ``delay_ms`` apart."""
    token_body = json.dumps({"clientId": client_id, "grantType": "anonymous"})
    return f"""
local token_req = wrk.format("POST", "/oauth2/token", {{["Content-Type"] = "application/json"}}, {json.dumps(token_body)})
local token = nil
local failures = 0
function delay() return {delay_ms} end
function request()
  if token then
    local t = token
    token = nil
    return wrk.format("POST", "/oauth2/token-info", {{["Content-Type"] = "application/json"}}, '{{"token":"' .. t .. '"}}')
  end
  return token_req
end
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
  token = string.match(body, '"access_token"%s*:%s*"([^"]+)"')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('SOAKJSON {{"requests":%d,"status_errors":%d,"socket_errors":%d}}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def worker_pids(supervisor: int) -> list[int]:
    """The serve process's children (uvicorn's workers); the process itself if it has none."""
    try:
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children] or [supervisor]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    kind = os.environ.get("SOAK_DB", "sqlite")
    seconds = env_int("SOAK_SECONDS", 1800)
    warmup = env_int("SOAK_WARMUP", 180)
    rate = env_int("SOAK_RATE", 450)  # requests per second, all connections together
    max_growth = float(os.environ.get("SOAK_MAX_GROWTH", "0.10"))
    delay_ms = max(1, CONNECTIONS * 1000 // rate)
    procs = Processes()
    pg_db = None
    with tempfile.TemporaryDirectory(prefix="oauthapps-soak-") as tmp:
        work = Path(tmp)
        if kind == "postgresql":
            pg_db = f"soak_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg_exec(PG_ADMIN, f'CREATE DATABASE "{pg_db}"'))
            url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{pg_db}"
        else:
            url = f"sqlite:///{work / 'soak.db'}"
        try:
            server, base, creds = start_ours(procs, work, kind, url, 2)
            import httpx

            headers = {"Authorization": creds["apiKey"], "wix-site-id": creds["projectId"]}
            created = httpx.post(f"{base}/oauth-app/v1/oauth-apps", headers=headers, json={"oAuthApp": {"name": "Soak"}}, timeout=30)
            created.raise_for_status()
            script = work / "soak.lua"
            script.write_text(visitor_script(created.json()["oAuthApp"]["id"], delay_ms))
            cmd = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script), base]
            load = procs.start("wrk", cmd, capture=True)
            started = time.monotonic()
            samples: dict[int, list[tuple[float, int]]] = {}
            print(f"soak: {kind}, {seconds} s of ~{rate} req/s after which RSS must be within {max_growth:.0%} of its value at {warmup} s")
            while load.process.poll() is None:
                time.sleep(SAMPLE_SECONDS)
                at = time.monotonic() - started
                for pid in worker_pids(server.process.pid):
                    try:
                        samples.setdefault(pid, []).append((at, rss_kib(pid)))
                    except OSError:
                        continue
                if int(at) % 60 < SAMPLE_SECONDS:
                    print(
                        f"{at:6.0f} s  " + "  ".join(f"worker {pid}: {s[-1][1] / 1024:.1f} MiB" for pid, s in samples.items()), flush=True
                    )
            out, _err = load.process.communicate()
            line = next((ln for ln in out.decode(errors="replace").splitlines() if ln.startswith("SOAKJSON ")), None)
            summary = json.loads(line[len("SOAKJSON ") :]) if line else {}
            print(f"load: {summary}")
        finally:
            procs.stop_all()
            if pg_db:
                asyncio.run(_pg_exec(PG_ADMIN, f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
    failed = not summary or summary.get("socket_errors", 0) > 0
    for pid, points in samples.items():
        base_rss = [kib for at, kib in points if warmup - 15 <= at <= warmup + 15]
        last_rss = [kib for _at, kib in points[-6:]]
        if not base_rss or not last_rss:
            print(f"worker {pid}: not enough samples")
            failed = True
            continue
        before, after = statistics.median(base_rss), statistics.median(last_rss)
        growth = after / before - 1
        verdict = "ok" if growth <= max_growth else "GREW"
        failed |= growth > max_growth
        print(f"worker {pid}: {before / 1024:.1f} MiB after warm-up, {after / 1024:.1f} MiB at the end ({growth:+.1%}) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
