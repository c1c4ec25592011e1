"""The process caches stay within their byte budgets under load (store/caches.py): a two-worker
server with small budgets (OAUTHAPPS_CACHE_BYTES) serves new visitors (a token, a token check
and a refresh each) for a while, and every size the workers report is within its budget, while
the budgets were reached (so the bound, not a lack of traffic, is what held them)."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest

from ..support.oauth2 import new_client
from ..support.servers import running_server
from ..support.tenants import new_tenant

LOAD_SECONDS = 15
THREADS = 3
BUDGET = 48 * 1024
SMALL = {
    "OAUTHAPPS_CACHE_BYTES": f"grants={BUDGET},refresh_tokens={BUDGET},verified_tokens={BUDGET},clients={BUDGET}",
    "OAUTHAPPS_CACHE_REPORT_SECONDS": "1",
    "OAUTHAPPS_ACCESS_LOG": "off",
}
REPORTED = re.compile(r"(\w+) entries=(\d+)/(\d+) bytes=(\d+)/(\d+)")


def _visitors(base_url: str, client_id: str, until: float, statuses: list[int]) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        while time.monotonic() < until:
            token = http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"})
            info = http.post("/oauth2/token-info", json={"token": token.json()["access_token"]})
            body = {"clientId": client_id, "grantType": "refresh_token", "refreshToken": token.json()["refresh_token"]}
            refreshed = http.post("/oauth2/token", json=body)
            statuses.extend((token.status_code, info.status_code, refreshed.status_code))


def test_cache_bytes_stay_within_their_budgets(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with running_server(database_url, tmp_path_factory.mktemp("bounds"), workers=2, extra_env=SMALL) as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            client = new_client(http, new_tenant(http, database_url, name="Busy site"))
        statuses: list[int] = []
        until = time.monotonic() + LOAD_SECONDS
        threads = [threading.Thread(target=_visitors, args=(server.base_url, client.id, until, statuses)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 60)
        time.sleep(1.5)  # one more report after the last request
        log = server.log()
    assert statuses and set(statuses) == {200}, f"{len(statuses)} requests, statuses {set(statuses)}"
    peak: dict[str, int] = {}
    reports = 0
    for line in log.splitlines():
        if "caches: " not in line:
            continue
        reports += 1
        for name, entries, limit, used, budget in REPORTED.findall(line):
            assert int(entries) <= int(limit), line
            assert int(used) <= int(budget), line
            peak[name] = max(peak.get(name, 0), int(used))
    assert reports >= 2 * 3, f"only {reports} cache reports in the log"
    for name in ("grants", "refresh_tokens", "verified_tokens"):
        assert peak[name] > BUDGET // 2, f"{name} peaked at {peak[name]} bytes: the load never reached its budget"
