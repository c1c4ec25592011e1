"""A PostgreSQL crash under light load, for real: a throwaway cluster (tests/pg_cluster.py) with the
server on it is killed (kill -9 of the postmaster and every backend) while clients create OAuth
apps and insert items (with Idempotency-Keys), query, mint visitor tokens and check tokens; then
it is started again on the same data.

While it is down, every request that needs it is answered 503 with Retry-After in the wire format
(the Wix shape; RFC 6749's ``temporarily_unavailable`` on /oauth2/*), never a 500 nor a dropped
connection; what needs no database (the JWKS) is served throughout. ``/health/ready``, polled
throughout, turns 503 while the database is down and 200 again once it is back, while
``/health/alive`` stays 200. The outage is logged once,
and once more when it is over. The time from the restart to the first success is measured and
printed, not asserted. Retrying the writes that were refused, with their keys, leaves each one
exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import oauth_apps

from ..support.oauth2 import visitor_tokens
from ..support.oauth_apps import BASE, create
from ..support.pg_cluster import throwaway_cluster
from ..support.servers import running_server
from ..support.tenants import Tenant, new_tenant, run_db

ITEMS = "/wix-data/v2/items"
CLIENTS = 2
WARM_SECONDS = 1.0
OUTAGE_SECONDS = 2.0
RECOVERY_DEADLINE_SECONDS = 30.0


@dataclass
class Sample:
    at: float  # time.monotonic() when the answer came
    kind: str
    path: str
    status: int | str  # the HTTP status, or the name of a transport error
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    write: tuple[str, dict[str, str], dict[str, Any]] | None = None  # a keyed write: path, headers, body


@dataclass
class Load:
    """Clients going round the request kinds until stopped, recording every answer."""

    base_url: str
    tenant: Tenant
    client_id: str
    visitor_token: str
    collection: str
    samples: list[Sample] = field(default_factory=list)
    health: list[Sample] = field(default_factory=list)  # /health/ready and /health/alive answers
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _requests(self, n: int) -> list[tuple[str, str, dict[str, str], dict[str, Any] | None, bool]]:
        app_headers = {**self.tenant.app_headers, "Idempotency-Key": f"outage-app-{n}"}
        item_headers = {**self.tenant.key_headers, "Idempotency-Key": f"outage-item-{n}"}
        return [
            ("create app", BASE, app_headers, {"oAuthApp": {"name": f"outage-{n}"}}, True),
            (
                "insert item",
                ITEMS,
                item_headers,
                {"dataCollectionId": self.collection, "dataItem": {"data": {"marker": f"outage-{n}"}}},
                True,
            ),
            ("query apps", f"{BASE}/query", self.tenant.app_headers, {"query": {}}, False),
            ("visitor token", "/oauth2/token", {}, {"grant_type": "anonymous", "client_id": self.client_id}, False),
            ("token info", "/oauth2/token-info", {}, {"token": self.visitor_token}, False),
            ("jwks", "/.well-known/jwks.json", {}, None, False),
        ]

    def run_health(self) -> None:
        """What a load balancer does: poll readiness (and liveness) on and on."""
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while not self.stop.is_set():
                for kind, path in (("ready", "/health/ready"), ("alive", "/health/alive")):
                    try:
                        response = http.get(path)
                    except httpx.HTTPError as exc:
                        sample = Sample(time.monotonic(), kind, path, type(exc).__name__)
                    else:
                        sample = Sample(time.monotonic(), kind, path, response.status_code, dict(response.headers), response.json())
                    with self.lock:
                        self.health.append(sample)
                time.sleep(0.05)

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while not self.stop.is_set():
                for kind, path, headers, body, keyed in self._requests(self._next()):
                    try:
                        response = http.get(path) if body is None else http.post(path, headers=headers, json=body)
                    except httpx.HTTPError as exc:
                        sample = Sample(time.monotonic(), kind, path, type(exc).__name__)
                    else:
                        parsed = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
                        sample = Sample(time.monotonic(), kind, path, response.status_code, dict(response.headers), parsed)
                    if keyed and body is not None:
                        sample.write = (path, headers, body)
                    with self.lock:
                        self.samples.append(sample)
                    time.sleep(0.01)


async def _app_names(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(oauth_apps.c.name))).scalars())


def _assert_unavailable(sample: Sample) -> None:
    """A 503 with Retry-After in the wire format of its endpoint, naming its request id."""
    assert sample.status == 503, (sample.kind, sample.status, sample.body)
    assert sample.headers.get("retry-after", "").isdigit(), sample.headers
    request_id = sample.headers["x-wix-request-id"]
    if sample.path.startswith("/oauth2/"):
        assert sample.body["error"] == "temporarily_unavailable", sample.body
        assert request_id in sample.body["error_description"], sample.body
    else:
        error = sample.body["details"]["applicationError"]
        assert error["code"] == "UNAVAILABLE" and request_id in error["description"], sample.body


def _assert_readiness_followed_the_database(health: list[Sample], killed_at: float, restarting_at: float, back_at: float) -> None:
    ready = [s for s in health if s.kind == "ready"]
    assert all(s.status in (200, 503) for s in ready), Counter(s.status for s in ready)
    assert all(s.status == 200 for s in health if s.kind == "alive"), "the process answers throughout"
    assert [s for s in ready if s.at < killed_at and s.status == 200], "ready before the crash"
    # Down: the answers cached before the kill (1 s at most) aside, every answer is 503.
    down = [s for s in ready if killed_at + 1.5 < s.at < restarting_at]
    assert down and all(s.status == 503 for s in down), [(round(s.at - killed_at, 2), s.status) for s in down]
    assert down[-1].body["status"] == "unavailable" and down[-1].body["checks"]["database"] == "failing", down[-1].body
    assert down[-1].headers["cache-control"] == "no-store"
    again = [s for s in ready if s.at > back_at and s.status == 200]
    assert again and again[0].body["status"] == "ready", "ready again once the database is back"


def test_a_postgresql_crash_is_answered_503_until_it_is_back(tmp_path: Path) -> None:
    with throwaway_cluster() as cluster:
        upgrade(cluster.url)
        with running_server(cluster.url, tmp_path) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            tenant = new_tenant(http, server.database_url)
            client_id = create(http, tenant, name="Outage site")["id"]
            visitor = str(visitor_tokens(http, client_id)["access_token"])
            collection = "OutageItems"
            made = http.post("/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": collection}})
            assert made.status_code == 200, made.text
            load = Load(server.base_url, tenant, client_id, visitor, collection)
            clients = [threading.Thread(target=load.run, name=f"load-{i}") for i in range(CLIENTS)]
            clients.append(threading.Thread(target=load.run_health, name="health"))
            for client in clients:
                client.start()
            try:
                time.sleep(WARM_SECONDS)
                cluster.kill()
                killed_at = time.monotonic()
                time.sleep(OUTAGE_SECONDS)
                restarting_at = time.monotonic()  # requests may succeed before pg_ctl returns
                cluster.start()
                back_at = time.monotonic()
                kinds = {kind for kind, *_ in load._requests(0)}
                deadline = back_at + RECOVERY_DEADLINE_SECONDS
                while time.monotonic() < deadline:
                    with load.lock:
                        served = {s.kind for s in load.samples if s.at > restarting_at and s.status == 200}
                        ready_again = any(s.kind == "ready" and s.status == 200 and s.at > back_at for s in load.health)
                    # Served again, ready again, and the episode's end logged (after a quiet moment: store/health.py).
                    if served == kinds and ready_again and "storage back after" in server.log():
                        break
                    time.sleep(0.05)
            finally:
                load.stop.set()
                for client in clients:
                    client.join(timeout=60)

            samples = load.samples
            _assert_readiness_followed_the_database(load.health, killed_at, restarting_at, back_at)
            statuses = Counter((s.kind, s.status) for s in samples)
            print(f"\nanswers by kind and status: {dict(statuses)}")
            assert not [s for s in samples if s.status not in (200, 503)], statuses
            during = [s for s in samples if killed_at < s.at < restarting_at]
            refused = [s for s in samples if s.status == 503]
            assert refused and all(s.status == 503 for s in during if s.kind != "jwks"), statuses
            for sample in refused:
                _assert_unavailable(sample)
            assert all(s.status == 200 for s in samples if s.kind == "jwks"), "the JWKS needs no database"
            unknown = sum(1 for s in refused if s.body.get("details", {}).get("applicationError", {}).get("data", {}).get("writeOutcome"))
            firsts = {}
            for kind in sorted({s.kind for s in samples if s.kind != "jwks"}):
                after = [s.at for s in samples if s.kind == kind and s.at > restarting_at and s.status == 200]
                assert after, f"no {kind} was served again within {RECOVERY_DEADLINE_SECONDS} s of the restart"
                firsts[kind] = min(after) - restarting_at
            print(
                f"database down {restarting_at - killed_at:.1f} s, restarted in {back_at - restarting_at:.1f} s (pg_ctl start -w); "
                f"{len(refused)} requests answered 503 ({unknown} writes of unknown outcome); "
                "first success after the restart began: "
                + ", ".join(f"{kind} {seconds * 1000:.0f} ms" for kind, seconds in firsts.items())
                + f"; the first of them {(min(firsts.values()) - (back_at - restarting_at)) * 1000:.0f} ms after pg_ctl said it was ready"
            )

            # The refused writes, retried with their keys: each is there once.
            for sample in samples:
                if sample.write is not None and sample.status != 200:
                    path, headers, body = sample.write
                    assert http.post(path, headers=headers, json=body).status_code == 200
            creates = [s for s in samples if s.kind == "create app"]
            names = Counter(name for name in run_db(cluster.url, _app_names) if name.startswith("outage-"))
            assert names == Counter({s.write[2]["oAuthApp"]["name"]: 1 for s in creates if s.write}), names
            inserts = [s for s in samples if s.kind == "insert item"]
            for sample in inserts:
                assert sample.write is not None
                marker = sample.write[2]["dataItem"]["data"]["marker"]
                count = http.post(
                    f"{ITEMS}/count", headers=tenant.key_headers, json={"dataCollectionId": collection, "filter": {"marker": marker}}
                )
                assert count.json()["totalCount"] == 1, marker

            log = server.log()
            assert "unhandled error" not in log and "Exception in ASGI application" not in log, log
            assert log.count("storage unavailable (") == 1, log
            back = [line for line in log.splitlines() if "storage back after" in line]
            assert len(back) == 1 and back[0].endswith(f", {len(refused)} requests refused"), (back, len(refused))
