"""`make bench`: our server against two peers, in one run, on 127.0.0.1 only.

Starts, one at a time, on free loopback ports:
  * panva's oidc-provider (bench/peers/oidc-provider, node:cluster with BENCH_WORKERS processes),
  * an Authlib AuthorizationServer on Flask under gunicorn (bench/peers/authlib_server.py),
  * `oauthapps serve --workers BENCH_WORKERS` on a fresh SQLite file, then on a fresh PostgreSQL
    database (created here and dropped at the end),
and drives each with wrk (generated Lua scripts, 64 connections, warm-up then a measured run).
Prints one table and writes it to bench/results/latest.md (raw numbers: latest.json).

Settings (environment):
  BENCH_SECONDS=10  BENCH_WARMUP=3  BENCH_CONNECTIONS=64  BENCH_THREADS=2  BENCH_WORKERS=2
  BENCH_DATABASES=sqlite,postgresql  BENCH_PEERS=oidc-provider,authlib
  BENCH_QUERY_SIZES=1000,10000,100000,1000000   ("none" skips the query scenarios; so does it for peers/databases)
  BENCH_SCENARIOS=all   (or a comma list of scenario keys, see SCENARIOS)
  BENCH_PG_ADMIN_URL=postgresql://root@127.0.0.1:5432/test   BENCH_OUT=bench/results/latest.md
  BENCH_QUIET_WAIT=15   (seconds to wait for other work to stop before each scenario; busy rows get a †)
  BENCH_SRC=/path/to/src  (run our server from another source tree, e.g. `git archive HEAD src` unpacked)
Quick run: BENCH_SECONDS=3 BENCH_WARMUP=1 BENCH_QUERY_SIZES=1000,10000 make bench
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import platform
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import Loader
from lib import (
    LOOPBACK,
    OURS_ENV,
    ROOT,
    LoadResult,
    Processes,
    Req,
    Started,
    Wrk,
    children_cpu_seconds,
    env_int,
    env_list,
    free_port,
    group_cpu_seconds,
    preflight,
    system_cpu_seconds,
    wait_http,
    wait_quiet,
)

BENCH = ROOT / "bench"
OIDC_DIR = BENCH / "peers" / "oidc-provider"
VENV_BIN = Path(sys.executable).parent
CALLBACK = "http://localhost:3000/callback"
N_CLIENTS = 10  # OAuth apps / peer clients the load rotates over
N_VISITORS = 64  # anonymous grants whose tokens feed refresh, token-info and introspection
N_MEMBERS = 8
N_QUERY_TENANTS = 50  # projects (of the 1,000) with an API key; query load rotates over them
BUSY_THRESHOLD = 0.25  # share of all CPUs in use by others before a run that flags the row
OTHER_THRESHOLD = 0.10  # share of all CPUs used by others during a run that flags the row

SCENARIOS = {
    "client_credentials": "client_credentials (OAuth app secret, HTTP Basic)",
    "anonymous": "anonymous (visitor) grant",
    "refresh_token": "refresh_token (visitor)",
    "token_info": "token-info (visitor token)",
    "introspect": "introspect RFC 7662 (visitor token)",
    "members_my": "GET /members/v1/members/my (member token)",
    "get_oauth_app": "GET oauth-app by id (API key)",
    "query": "query oauth-apps",
}


@dataclass
class Settings:
    seconds: int = env_int("BENCH_SECONDS", 10)
    warmup: int = env_int("BENCH_WARMUP", 3)
    connections: int = env_int("BENCH_CONNECTIONS", 64)
    threads: int = env_int("BENCH_THREADS", 2)
    workers: int = env_int("BENCH_WORKERS", 2)
    databases: list[str] = field(default_factory=lambda: env_list("BENCH_DATABASES", "sqlite,postgresql"))
    peers: list[str] = field(default_factory=lambda: env_list("BENCH_PEERS", "oidc-provider,authlib"))
    query_sizes: list[int] = field(
        default_factory=lambda: sorted(int(float(s)) for s in env_list("BENCH_QUERY_SIZES", "1000,10000,100000,1000000"))
    )
    scenarios: list[str] = field(default_factory=lambda: env_list("BENCH_SCENARIOS", "all"))
    pg_admin_url: str = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test")
    out: Path = Path(os.environ.get("BENCH_OUT", str(BENCH / "results" / "latest.md")))
    # Other work on the box skews everything: before each scenario wait (up to this long) for the
    # CPUs to be under BUSY_THRESHOLD, and flag the rows where they were not.
    quiet_wait: int = env_int("BENCH_QUIET_WAIT", 15)

    def wants(self, scenario: str) -> bool:
        return "all" in self.scenarios or scenario in self.scenarios


@dataclass
class Row:
    scenario: str
    server: str
    workers: int
    result: LoadResult | None
    note: str = ""
    ratio_oidc: float | None = None
    ratio_authlib: float | None = None
    busy_before: float | None = None  # system CPU use just before the run, our servers idle
    cpu_us_per_request: float | None = None  # the server's process group (+ its PostgreSQL backends)
    other_cpu: float | None = None  # share of all CPUs used by anything but the server and wrk during the run
    pg_sessions: int | None = None  # PostgreSQL connections opened during the measured run


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class Bench:
    def __init__(self, settings: Settings, work_dir: Path):
        self.s = settings
        self.work = work_dir
        self.procs = Processes()
        self.wrk = Wrk(self.procs, work_dir, threads=settings.threads, connections=settings.connections)
        self.rows: list[Row] = []
        self.facts: dict[str, Any] = {}
        self.pg_database: str | None = None  # while ours runs on PostgreSQL: its backends count as ours

    # --- one measurement ------------------------------------------------------------------
    def measure(self, scenario: str, server: str, base_url: str, requests: list[Req], note: str = "", *, pgid: int | None = None) -> Row:
        busy = wait_quiet(BUSY_THRESHOLD, self.s.quiet_wait)
        flag = f" (machine {busy:.0%} busy beforehand: other work is running)" if busy > BUSY_THRESHOLD else ""
        log(f"{scenario} on {server}: warm-up {self.s.warmup} s, measure {self.s.seconds} s{flag}")
        try:
            preflight(base_url, requests)
            if self.s.warmup > 0:
                self.wrk.run(base_url, requests, self.s.warmup)
            also = self.pg_database is not None
            sessions_before = self.pg_sessions()
            cpu_before = group_cpu_seconds(pgid, also) if pgid else 0.0
            system_before, wrk_before, wall_before = system_cpu_seconds(), children_cpu_seconds(), time.monotonic()
            result = self.wrk.run(base_url, requests, self.s.seconds)
            cpu = (group_cpu_seconds(pgid, also) - cpu_before) if pgid else None
            sessions = self.pg_sessions() - sessions_before if sessions_before is not None else None
            other = None
            if cpu is not None:
                foreign = system_cpu_seconds() - system_before - cpu - (children_cpu_seconds() - wrk_before)
                other = max(foreign, 0.0) / ((time.monotonic() - wall_before) * (os.cpu_count() or 1))
        except Exception as exc:
            log(f"  FAILED: {exc}")
            row = Row(scenario, server, self.s.workers, None, f"failed: {str(exc)[:160]}", busy_before=busy)
            self.rows.append(row)
            return row
        detail = f" ({', '.join(f'{k} {v}' for k, v in result.error_detail.items())})" if result.errors else ""
        log(
            f"  {result.rps:,.0f} req/s  p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  errors {result.errors}{detail}"
            + (f"  (other work used {other:.0%} of the CPUs meanwhile)" if other is not None else "")
            + (f"  ({sessions} new PostgreSQL connections)" if sessions else "")
        )
        row = Row(
            scenario,
            server,
            self.s.workers,
            result,
            note,
            busy_before=busy,
            other_cpu=other,
            pg_sessions=sessions,
            cpu_us_per_request=cpu * 1e6 / result.requests if cpu is not None and result.requests else None,
        )
        self.rows.append(row)
        return row

    def pg_sessions(self) -> int | None:
        """Connections opened so far to the bench database (pg_stat_database.sessions, PG 14+)."""
        if self.pg_database is None:
            return None

        async def query() -> int:
            import asyncpg

            conn = await asyncpg.connect(self.s.pg_admin_url, timeout=10)
            try:
                return int(await conn.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = $1", self.pg_database) or 0)
            finally:
                await conn.close()

        try:
            return asyncio.run(query())
        except Exception:
            return None

    # --- peers ------------------------------------------------------------------------------
    def peer_clients(self) -> list[dict[str, str]]:
        # Same shapes as ours: UUID client ids, "oas_" + 256-bit secrets.
        return [{"client_id": str(uuid.uuid4()), "client_secret": "oas_" + secrets.token_urlsafe(32)} for _ in range(N_CLIENTS)]

    def run_oidc_provider(self) -> None:
        version = json.loads((OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").read_text())["version"]
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        server = f"oidc-provider {version} (node {node}, cluster)"
        self.facts["oidc-provider"] = server
        if not self.s.wants("client_credentials"):
            return
        clients = self.peer_clients()
        port = free_port()
        entry = self.procs.start(
            "oidc-provider",
            ["node", "server.mjs"],
            cwd=OIDC_DIR,
            log_path=self.work / "oidc-provider.log",
            env={
                "NODE_ENV": "production",
                "BENCH_PORT": str(port),
                "BENCH_WORKERS": str(self.s.workers),
                "BENCH_CLIENTS": json.dumps(clients),
                "BENCH_TOKEN_SECONDS": "14400",
            },
        )
        try:
            base = f"http://{LOOPBACK}:{port}"
            wait_http(f"{base}/.well-known/openid-configuration", entry)
            self.measure("client_credentials", server, base, cc_requests(clients, "/token"), pgid=entry.process.pid)
        finally:
            self.procs.stop(entry)

    def run_authlib(self) -> None:
        server = f"Authlib {metadata.version('authlib')} (Flask {metadata.version('flask')}, gunicorn gthread)"
        self.facts["authlib"] = server
        if not self.s.wants("client_credentials"):
            return
        clients = self.peer_clients()
        port = free_port()
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(self.s.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--bind",
            f"{LOOPBACK}:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--chdir",
            str(BENCH / "peers"),
            "authlib_server:create_app()",
        ]
        entry = self.procs.start(
            "authlib", cmd, log_path=self.work / "authlib.log", env={"BENCH_CLIENTS": json.dumps(clients), "BENCH_TOKEN_SECONDS": "14400"}
        )
        try:
            base = f"http://{LOOPBACK}:{port}"
            wait_http(f"{base}/oauth/token", entry)
            self.measure("client_credentials", server, base, cc_requests(clients, "/oauth/token"), pgid=entry.process.pid)
        finally:
            self.procs.stop(entry)

    # --- ours -------------------------------------------------------------------------------
    def run_ours(self, kind: str) -> None:
        if kind == "sqlite":
            self._ours(kind, f"sqlite:///{self.work / 'bench.db'}")
            return
        name = f"oauthapps_bench_{uuid.uuid4().hex[:10]}"
        base_admin = self.s.pg_admin_url.rsplit("/", 1)[0]
        asyncio.run(_pg_exec(self.s.pg_admin_url, f'CREATE DATABASE "{name}"'))
        self.pg_database = name
        try:
            self._ours(kind, f"{base_admin}/{name}")
        finally:
            self.pg_database = None
            asyncio.run(_pg_exec(self.s.pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped PostgreSQL database {name}")

    def _ours(self, kind: str, url: str) -> None:
        label = "oauthapps · SQLite" if kind == "sqlite" else "oauthapps · PostgreSQL"
        entry, base, creds = start_ours(self.procs, self.work, kind, url, self.s.workers)
        try:
            self._ours_scenarios(label, base, creds, url, entry.process.pid)
        except Exception:
            log(f"server log tail:\n{entry.tail()}")
            raise
        finally:
            self.procs.stop(entry)

    def _ours_scenarios(self, label: str, base: str, creds: dict[str, str], url: str, pgid: int) -> None:
        fixtures = ours_fixtures(base, creds, members=self.s.wants("members_my"))
        for scenario, requests in ours_requests(fixtures).items():
            if self.s.wants(scenario):
                self.measure(scenario, label, base, requests, pgid=pgid)
        if self.s.wants("query") and self.s.query_sizes:
            self._query_sizes(label, base, url, pgid)

    def _query_sizes(self, label: str, base: str, url: str, pgid: int) -> None:
        loader = Loader(url)
        tenants = loader.prepare(N_QUERY_TENANTS)
        body = json.dumps({"query": {"sort": [{"fieldName": "createdDate", "order": "DESC"}], "paging": {"limit": 50}}})
        requests = [
            Req(
                "POST",
                "/oauth-app/v1/oauth-apps/query",
                {"Authorization": t.api_key, "wix-site-id": t.project_id, "Content-Type": JSON},
                body,
            )
            for t in tenants
        ]
        for size in self.s.query_sizes:
            log(f"bulk-loading oauth_apps up to {size:,} rows ({label})")
            took = loader.grow_to(size)
            log(f"  loaded in {took:.1f} s")
            per_project = size // 1000
            self.measure(
                f"query_{_size_label(size)}",
                label,
                base,
                requests,
                note=f"{size:,} apps / 1,000 projects ({per_project:,} per project), page of {min(per_project, 50)}",
                pgid=pgid,
            )

    # --- report -------------------------------------------------------------------------------
    def ratios(self) -> None:
        def best(fragment: str) -> float | None:
            found = [r.result.rps for r in self.rows if r.scenario == "client_credentials" and fragment in r.server and r.result]
            return found[0] if found else None

        oidc, authlib = best("oidc-provider"), best("Authlib")
        for row in self.rows:
            if row.server.startswith("oauthapps") and row.scenario in ("client_credentials", "anonymous") and row.result:
                row.ratio_oidc = row.result.rps / oidc if oidc else None
                row.ratio_authlib = row.result.rps / authlib if authlib else None


@dataclass
class Fixtures:
    """What our scenarios need, made through the public API of a running server."""

    creds: dict[str, str]
    apps: list[dict[str, Any]]  # OAuth apps with their secrets
    visitors: list[dict[str, Any]]  # anonymous token responses (access + refresh token)
    members: list[str]  # member access tokens


def ours_fixtures(base: str, creds: dict[str, str], *, members: bool = True) -> Fixtures:
    key_headers = {"Authorization": creds["apiKey"], "wix-site-id": creds["projectId"]}
    with httpx.Client(base_url=base, timeout=60) as http:
        apps = []
        for i in range(N_CLIENTS):
            answer = http.post(
                "/oauth-app/v1/oauth-apps",
                headers=key_headers,
                json={
                    "oAuthApp": {
                        "name": f"Bench client {i}",
                        "allowedRedirectUris": [CALLBACK],
                    }
                },
            )
            answer.raise_for_status()
            apps.append(answer.json()["oAuthApp"])
        visitors = [_token(http, {"clientId": apps[i % N_CLIENTS]["id"], "grantType": "anonymous"}) for i in range(N_VISITORS)]
        member_tokens = [
            _member_token(http, apps[i % N_CLIENTS]["id"], f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com")
            for i in range(N_MEMBERS if members else 0)
        ]
    return Fixtures(creds, apps, visitors, member_tokens)


def cc_requests(clients: list[dict[str, str]], path: str) -> list[Req]:
    return [
        Req(
            "POST",
            path,
            {"Authorization": basic(c["client_id"], c["client_secret"]), "Content-Type": FORM},
            "grant_type=client_credentials",
        )
        for c in clients
    ]


def ours_requests(f: Fixtures) -> dict[str, list[Req]]:
    """The request mix of each of our scenarios (wrk rotates through each list)."""
    apps, visitors = f.apps, f.visitors
    key_headers = {"Authorization": f.creds["apiKey"], "wix-site-id": f.creds["projectId"]}

    def app(i: int) -> dict[str, Any]:
        return apps[i % len(apps)]

    return {
        # An RFC client: form body, client_secret_basic.
        "client_credentials": cc_requests([{"client_id": a["id"], "client_secret": a["secret"]} for a in apps], "/oauth2/token"),
        # The Wix SDK's OAuthStrategy: JSON bodies, camelCase.
        "anonymous": [
            Req("POST", "/oauth2/token", {"Content-Type": JSON}, json.dumps({"clientId": a["id"], "grantType": "anonymous"})) for a in apps
        ],
        "refresh_token": [
            Req(
                "POST",
                "/oauth2/token",
                {"Content-Type": JSON},
                json.dumps(
                    {
                        "clientId": app(i)["id"],
                        "grantType": "refresh_token",
                        "refreshToken": v["refresh_token"],
                    }
                ),
            )
            for i, v in enumerate(visitors)
        ],
        "token_info": [
            Req("POST", "/oauth2/token-info", {"Content-Type": JSON}, json.dumps({"token": v["access_token"]})) for v in visitors
        ],
        # A resource server: form body, its OAuth app's credentials over HTTP Basic.
        "introspect": [
            Req(
                "POST",
                "/oauth2/introspect",
                {"Authorization": basic(app(i)["id"], app(i)["secret"]), "Content-Type": FORM},
                urlencode({"token": v["access_token"]}),
            )
            for i, v in enumerate(visitors)
        ],
        "members_my": [Req("GET", "/members/v1/members/my", {"Authorization": m}) for m in f.members],
        "get_oauth_app": [Req("GET", f"/oauth-app/v1/oauth-apps/{a['id']}", key_headers) for a in apps],
    }


def source_env() -> dict[str, str]:
    """BENCH_SRC=/path/to/src runs our server from another source tree (a `git archive` snapshot of
    a commit, say) instead of the venv's editable install of this work tree."""
    src = os.environ.get("BENCH_SRC", "").strip()
    return {"PYTHONPATH": str(Path(src).resolve())} if src else {}


def source_label() -> str:
    src = os.environ.get("BENCH_SRC", "").strip()
    if src:
        return f"BENCH_SRC={src}" + (f" ({os.environ['BENCH_SRC_LABEL']})" if os.environ.get("BENCH_SRC_LABEL") else "")

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = [line for line in git("status", "--porcelain", "--", "src").splitlines() if line.strip()]
    return f"work tree at {head}" + (f" + uncommitted changes to {len(dirty)} file(s) under src/" if dirty else " (src/ clean)")


def start_ours(procs: Processes, work: Path, kind: str, url: str, workers: int) -> tuple[Started, str, dict[str, str]]:
    """`oauthapps demo` (migrates; prints credentials), then `oauthapps serve` on a free port."""
    oauthapps = str(VENV_BIN / "oauthapps")
    env = {"OAUTHAPPS_DATA_DIR": str(work / "data"), **OURS_ENV, **source_env()}
    demo = subprocess.run(
        [oauthapps, "demo", "--json", "--database", url],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        start_new_session=True,
    )
    if demo.returncode != 0:
        raise RuntimeError(f"oauthapps demo failed: {demo.stderr}")
    creds = json.loads(demo.stdout)
    port = free_port()
    entry = procs.start(
        f"oauthapps-{kind}",
        [oauthapps, "serve", "--port", str(port), "--database", url, "--workers", str(workers)],
        log_path=work / f"oauthapps-{kind}.log",
        env=env,
    )
    base = f"http://{LOOPBACK}:{port}"
    wait_http(f"{base}/.well-known/oauth-authorization-server", entry)
    return entry, base, creds


def _size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _token(http: httpx.Client, body: dict[str, str]) -> dict[str, Any]:
    answer = http.post("/oauth2/token", json=body)
    if answer.status_code != 200:
        raise RuntimeError(f"token request failed: {answer.status_code} {answer.text}")
    return dict(answer.json())


def _member_token(http: httpx.Client, client_id: str, email: str) -> str:
    """identity register → sessionToken → authorize (prompt=none) → code → token (tests/support/members.py)."""
    visitor = _token(http, {"clientId": client_id, "grantType": "anonymous"})
    answer = http.post(
        "/_api/iam/authentication/v2/register",
        headers={"Authorization": visitor["access_token"]},
        json={"loginId": {"email": email}, "password": "bench-password-" + secrets.token_hex(4)},
    )
    if answer.status_code != 200:
        raise RuntimeError(f"register failed: {answer.status_code} {answer.text}")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    landed = http.get(
        "/oauth2/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "response_mode": "query",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
            "session_token": answer.json()["sessionToken"],
            "prompt": "none",
        },
    )
    if landed.status_code != 303:
        raise RuntimeError(f"authorize failed: {landed.status_code} {landed.text[:300]}")
    code = parse_qs(urlsplit(landed.headers["location"]).query)["code"][0]
    tokens = _token(
        http, {"clientId": client_id, "grantType": "authorization_code", "redirectUri": CALLBACK, "code": code, "codeVerifier": verifier}
    )
    return str(tokens["access_token"])


async def _pg_exec(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_version(admin_url: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version or "wrk",
    }


def disturbed(r: Row) -> bool:
    return (r.busy_before or 0.0) > BUSY_THRESHOLD or (r.other_cpu or 0.0) > OTHER_THRESHOLD


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render(bench: Bench) -> str:
    header = [
        "scenario",
        "server",
        "workers",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "ours/oidc-provider",
        "ours/Authlib",
        "server CPU µs/req",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", "---"] + ["---:"] * 8) + "|"]
    for r in bench.rows:
        scenario = r.scenario + (" †" if disturbed(r) else "")
        if r.result is None:
            cells = [scenario, r.server, str(r.workers), "—", "—", "—", r.note, "", "", ""]
        else:
            res = r.result
            errors = str(res.errors) + (f" ({', '.join(f'{k} {v}' for k, v in res.error_detail.items())})" if res.errors else "")
            cells = [
                scenario,
                r.server,
                str(r.workers),
                f"{res.rps:,.0f}",
                f"{res.p50_ms:.2f}",
                f"{res.p99_ms:.2f}",
                errors,
                f"{_fmt(r.ratio_oidc)}×" if r.ratio_oidc else "",
                f"{_fmt(r.ratio_authlib)}×" if r.ratio_authlib else "",
                f"{r.cpu_us_per_request:,.0f}" if r.cpu_us_per_request else "",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(bench: Bench, started: datetime, table: str) -> str:
    s = bench.s
    m = bench.facts.get("machine", {})
    notes = [r for r in bench.rows if r.note and r.result is not None]
    text = [
        "# `make bench`: latest results",
        "",
        f"Run {started.strftime('%Y-%m-%d %H:%M UTC')}, {time.time() - started.timestamp():.0f} s in all. "
        f"Machine: {m.get('nproc')} CPUs ({m.get('cpu')}), {m.get('memory')}, kernel {m.get('kernel')}; "
        f"Python {m.get('python')}, SQLite {m.get('sqlite')}, PostgreSQL {bench.facts.get('postgresql', 'n/a')}, {m.get('wrk')}. "
        f"Our server: {bench.facts.get('source')}.",
        "",
        f"Load: `wrk -t{s.threads} -c{s.connections} -d{s.seconds}s --timeout 5s` after a {s.warmup} s warm-up, "
        f"on 127.0.0.1; wrk shares the CPUs with the server. Every server ran {s.workers} worker processes.",
        "errors = responses with status ≥ 400 plus socket errors (connect/read/write/timeout); every scenario is "
        "preflighted for HTTP 200 first. Ratios: ours ÷ the peer's client_credentials rate in this same run "
        "(peers have no anonymous grant, so the anonymous row is compared with their client_credentials). "
        "server CPU µs/req: user+system CPU of the server's process group during the measured run ÷ requests; "
        "on PostgreSQL rows it includes every postgres process (backends, also those that exited during the run); "
        "it moves much less than req/s when other work shares the box.",
        "",
        table,
        "",
    ]
    busy = [r for r in bench.rows if disturbed(r)]
    if busy:
        text += [
            f"† {len(busy)} row(s) shared the machine with other work: over {BUSY_THRESHOLD:.0%} of the CPUs busy "
            f"just before the run (after waiting up to {s.quiet_wait} s), or over {OTHER_THRESHOLD:.0%} used by "
            "processes other than the server under test, its PostgreSQL backends and wrk during it ("
            + ", ".join(f"{r.scenario}/{r.server.split(' ')[0]} {_pct(r.busy_before)} before, {_pct(r.other_cpu)} during" for r in busy)
            + "). Their req/s and latencies are worse by an unknown amount; CPU µs/req much less so.",
            "",
        ]
    churn = [r for r in bench.rows if r.pg_sessions]
    if churn:
        text += [
            "New PostgreSQL connections opened during measured runs (pool churn): "
            + ", ".join(f"{r.scenario} {r.pg_sessions:,}" for r in churn)
            + ".",
            "",
        ]
    if notes:
        text += [
            "Query scenarios: `POST /oauth-app/v1/oauth-apps/query` sorted by createdDate DESC, limit 50, "
            "rotating over 50 projects with API keys:",
            "",
        ]
        text += [f"- {r.scenario} ({r.server}): {r.note}" for r in notes]
        text.append("")
    s.out.parent.mkdir(parents=True, exist_ok=True)
    s.out.write_text("\n".join(text))
    raw = {
        "started": started.isoformat(),
        "settings": {k: str(v) for k, v in asdict(s).items()},
        "facts": bench.facts,
        "rows": [
            {**{k: v for k, v in asdict(r).items() if k != "result"}, "result": asdict(r.result) if r.result else None} for r in bench.rows
        ],
    }
    s.out.with_suffix(".json").write_text(json.dumps(raw, indent=2) + "\n")
    return "\n".join(text)


def main() -> int:
    settings = Settings()
    unknown = [name for name in settings.scenarios if name != "all" and name not in SCENARIOS]
    unknown += [name for name in settings.peers if name not in ("oidc-provider", "authlib")]
    unknown += [name for name in settings.databases if name not in ("sqlite", "postgresql")]
    if unknown:
        print(
            f"unknown BENCH_SCENARIOS/BENCH_PEERS/BENCH_DATABASES entries: {', '.join(unknown)}; scenarios are {', '.join(SCENARIOS)}",
            file=sys.stderr,
        )
        return 2
    started = datetime.now(UTC)

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    with tempfile.TemporaryDirectory(prefix="oauthapps-bench-") as tmp:
        bench = Bench(settings, Path(tmp))
        bench.facts["machine"] = machine()
        bench.facts["source"] = source_label()
        log(f"our server from: {bench.facts['source']}")
        failed = False
        try:
            if "postgresql" in settings.databases:
                bench.facts["postgresql"] = asyncio.run(_pg_version(settings.pg_admin_url))
            for peer in settings.peers:
                {"oidc-provider": bench.run_oidc_provider, "authlib": bench.run_authlib}[peer]()
            for kind in settings.databases:
                bench.run_ours(kind)
        except BaseException as exc:
            failed = True
            log(f"run aborted: {type(exc).__name__}: {exc}")
        finally:
            bench.procs.stop_all()
        bench.ratios()
        report = write_report(bench, started, render(bench))
        print()
        print(report)
        log(f"wrote {settings.out} and {settings.out.with_suffix('.json')}")
    return 1 if failed or any(r.result is None for r in bench.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
