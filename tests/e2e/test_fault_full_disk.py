"""A full disk under SQLite, for real: the database lives on a small tmpfs (mounted by the test,
which needs root; skipped with the reason where mounting is not permitted), filled through the
API with data items.

When it is full, writes are answered 507 INSUFFICIENT_STORAGE with Retry-After in the wire format
(RFC 6749's ``temporarily_unavailable`` on /oauth2/token), never a 500; reads and token checks are
served as before. The episode is logged once, and once more when it is over. Once space is freed
the same write, retried with its Idempotency-Key, succeeds."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oauthapps.store.migrate import upgrade

from ..support.oauth2 import visitor_tokens
from ..support.oauth_apps import BASE, create
from ..support.servers import running_server
from ..support.tenants import new_tenant

ITEMS = "/wix-data/v2/items"
DISK_SIZE = "2m"
BALLAST_BYTES = 512 * 1024  # taken from the disk before it fills, given back to end the episode
ITEM_SIZES = (64 * 1024, 4 * 1024, 256)
MAX_INSERTS = 200  # of each size: far more than fit


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True, capture_output=True)


def _assert_full(response: httpx.Response) -> None:
    assert response.status_code == 507, response.text
    assert response.headers["retry-after"].isdigit()
    request_id = response.headers["x-wix-request-id"]
    body = response.json()
    if "error" in body:
        assert body["error"] == "temporarily_unavailable" and request_id in body["error_description"], body
    else:
        error = body["details"]["applicationError"]
        assert error["code"] == "INSUFFICIENT_STORAGE" and request_id in error["description"], body


def test_a_full_disk_refuses_writes_with_507_and_keeps_serving_reads(small_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{small_disk / 'oauthapps.db'}"
    upgrade(url)
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * BALLAST_BYTES)
    with running_server(url, tmp_path) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        tenant = new_tenant(http, server.database_url)
        client_id = create(http, tenant, name="Full disk site")["id"]
        visitor = str(visitor_tokens(http, client_id)["access_token"])
        collection = "Filler"
        made = http.post("/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": collection}})
        assert made.status_code == 200, made.text

        # Items of shrinking sizes until even a small one is refused: then the disk is full for
        # every write, not only for big ones.
        stored: list[str] = []
        refused: list[tuple[dict[str, str], dict[str, object]]] = []
        n = 0
        for size in ITEM_SIZES:
            for _ in range(MAX_INSERTS):
                n += 1
                headers = {**tenant.key_headers, "Idempotency-Key": f"fill-{n}"}
                blob = (uuid.uuid4().hex * (size // 32 + 1))[:size]
                body: dict[str, object] = {"dataCollectionId": collection, "dataItem": {"data": {"n": n, "blob": blob}}}
                response = http.post(ITEMS, headers=headers, json=body)
                if response.status_code != 200:
                    _assert_full(response)
                    refused.append((headers, body))
                    break
                stored.append(response.json()["dataItem"]["id"])
        assert len(refused) == len(ITEM_SIZES), f"{MAX_INSERTS} items fit on a {DISK_SIZE} disk?"
        assert stored, "nothing fitted before the disk was full"
        print(f"\n{len(stored)} items fitted on the {DISK_SIZE} disk before even {ITEM_SIZES[-1]} bytes did not")
        last = refused[-1]

        # Every write is refused the same way ...
        _assert_full(http.post(ITEMS, headers=last[0], json=last[1]))
        _assert_full(http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "No room"}}))
        _assert_full(http.post("/oauth2/token", json={"grant_type": "anonymous", "client_id": client_id}))
        # ... and what only reads is served.
        got = http.get(f"{ITEMS}/{stored[0]}", headers=tenant.key_headers, params={"dataCollectionId": collection})
        assert got.status_code == 200 and got.json()["dataItem"]["data"]["n"] == 1
        counted = http.post(f"{ITEMS}/count", headers=tenant.key_headers, json={"dataCollectionId": collection})
        assert counted.status_code == 200 and counted.json()["totalCount"] == len(stored)
        assert http.get(f"{BASE}/{client_id}", headers=tenant.app_headers).status_code == 200
        assert http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {}}).status_code == 200
        info = http.post("/oauth2/token-info", json={"token": visitor})
        assert info.status_code == 200 and info.json()["active"] is True
        assert http.post(ITEMS + "/query", headers={"Authorization": visitor}, json={"dataCollectionId": collection}).status_code in (
            200,
            403,  # the collection's own permissions decide; the disk does not
        )

        # More refused writes: still the one episode, not a log line each.
        for _ in range(10):
            _assert_full(http.post(ITEMS, headers=last[0], json=last[1]))

        ballast.unlink()  # space again
        retried = http.post(ITEMS, headers=last[0], json=last[1])
        assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers, retried.text
        again = http.post(ITEMS, headers=last[0], json=last[1])
        assert again.headers.get("idempotent-replayed") == "true"
        assert http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Room again"}}).status_code == 200
        # The episode ends once writes have gone on succeeding for a moment (store/health.py).
        deadline = time.monotonic() + 30
        while "storage has space again after " not in server.log() and time.monotonic() < deadline:
            small = {"dataCollectionId": collection, "dataItem": {"data": {"after": True}}}
            assert http.post(ITEMS, headers=tenant.key_headers, json=small).status_code == 200
            time.sleep(0.25)

        log = server.log()
        assert "unhandled error" not in log and " 500 " not in log, log
        starts, ends = log.count("storage full ("), log.count("storage has space again after ")
        refused_count = log.count(" 507 ")
        print(f"{refused_count} requests answered 507; {starts} storage-full episode(s) logged")
        # One episode, two if filling the slack took longer than the quiet period; never one a request.
        assert 1 <= starts <= 2 and ends == starts and refused_count >= 15, log
